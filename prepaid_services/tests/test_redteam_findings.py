"""Red-team findings: holes found over JSON-RPC that the Security section of DESIGN.md promises are closed.

Each test fails while the hole is open. They accept any fix that keeps the promise (a refusal, or values
silently ignored), and check the outcome on the server: balances equal the ledger, deferred revenue ties.
"""

from contextlib import suppress
from datetime import date

from odoo.tests import tagged

from .common import PrepaidHttpCommon, RpcError


@tagged("post_install", "-at_install")
class TestRedTeamFindings(PrepaidHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_b = cls.partner_b
        cls.card, cls.invoice = cls._sell(cls.block_product, 1000.0, on_date="2026-01-10")
        cls.card_b, cls.invoice_b = cls._sell(cls.block_product, 900.0, on_date="2026-01-10", partner=cls.customer_b)
        cls.job = cls._assign(cls.card)
        cls.timesheet = cls._log(2.0, on_date="2026-02-02")
        cls.usage = cls.card.entry_ids.filtered(lambda e: e.entry_type == "usage")
        cls.recognition = cls.usage.move_id
        cls.project_a2 = cls.env["project.project"].create(
            {"name": "Other work of A", "partner_id": cls.customer.id, "company_id": cls.company.id}
        )
        cls.task_a2 = cls.env["project.task"].create({"name": "Printer", "project_id": cls.project_a2.id})

    def _rpc_or_error(self, role, model, method, *args, **kwargs):
        """The call's result, or None when the server refused it."""
        try:
            return self.rpc(role, model, method, *args, **kwargs)
        except RpcError:
            return None

    def _all_cards(self):
        return self.env["prepaid.service"].with_context(active_test=False).search([])

    # ------------------------------------------------------------------
    # F1: balances set on create
    # ------------------------------------------------------------------
    def test_f1_client_cannot_create_a_card_with_balances(self):
        """prepaid.service.create takes balance fields from the client: a card with 5000 nobody paid for."""
        forged = {
            "quantity_received": 50.0,
            "quantity_outstanding": 50.0,
            "amount_received": 5000.0,
            "amount_outstanding": 5000.0,
            "value_outstanding": 5000.0,
            "next_expiry_date": "2027-01-01",
        }
        for role in ("timesheet", "salesman", "billing", "prepaid_manager"):
            card_id = self._rpc_or_error(
                role,
                "prepaid.service",
                "create",
                {"partner_id": self.customer.id, "service_type": "amount", **forged},
                context={"prepaid_ledger_posting": True},
            )
            if card_id:
                card = self.env["prepaid.service"].browse(card_id)
                self.assertBalancesMatchLedger(card)
                self.assertFalse(card.amount_outstanding, f"{role} created a card holding credit nobody paid for")
        self.assertDeferredRevenueTies()

    def test_f1_client_cannot_create_a_card_already_closed_or_alerted(self):
        """closed/low_balance_alerted are set by Close/Reopen and the alerts only, as on write."""
        card_id = self._rpc_or_error(
            "salesman",
            "prepaid.service",
            "create",
            {"partner_id": self.customer.id, "closed": True, "low_balance_alerted": True},
        )
        if card_id:
            card = self.env["prepaid.service"].browse(card_id)
            self.assertFalse(card.closed, "a client created a closed card, a flag only Close and Reopen set")
            self.assertFalse(card.low_balance_alerted)

    # ------------------------------------------------------------------
    # F2: journal entries reset/cancelled by writing their state
    # ------------------------------------------------------------------
    def test_f2_recognition_entry_state_cannot_be_written(self):
        """write({'state': ...}) skips button_draft/button_cancel and their ledger guard."""
        self.assertTrue(self.recognition.prepaid_generated)
        for role, state in (("billing", "draft"), ("accountant", "cancel")):
            self._rpc_or_error(role, "account.move", "write", self.recognition.ids, {"state": state})
            self.recognition.invalidate_recordset()
            self.assertEqual(self.recognition.state, "posted", f"{role} set a ledger journal entry to {state}")
        self.assertDeferredRevenueTies()

    def test_f2_topup_invoice_state_write_then_repost_does_not_double_the_credit(self):
        """A top-up invoice set to draft by a state write keeps its receipt; posting it again credits twice."""
        self._rpc_or_error("billing", "account.move", "write", self.invoice.ids, {"state": "draft"})
        self.invoice.invalidate_recordset()
        if self.invoice.state == "draft":
            self._rpc_or_error("billing", "account.move", "action_post", self.invoice.ids)
        self.card.invalidate_recordset()
        receipts = self.card.entry_ids.filtered(lambda e: e.entry_type == "receipt" and not e.reversal_entry_ids)
        self.assertEqual(len(receipts), 1, "one invoice of 10 hours credited the card twice")
        self.assertEqual(self.card.quantity_outstanding, 8.0)
        self._rpc_or_error("billing", "account.move", "write", self.invoice_b.ids, {"state": "cancel"})
        (self.invoice | self.invoice_b).invalidate_recordset()
        self.assertEqual(self.invoice.state, "posted", "its top-up was used: it cannot leave posted")
        # an unused top-up invoice may be cancelled, as with its Cancel button: its receipt is undone with it
        self.card_b.invalidate_recordset()
        if self.invoice_b.state != "posted":
            self.assertEqual(self.card_b.quantity_outstanding, 0.0, "a top-up invoice was cancelled behind its ledger")
        else:
            self.assertEqual(self.card_b.quantity_outstanding, 10.0)
        self.assertBalancesMatchLedger(self.card | self.card_b)
        self.assertDeferredRevenueTies()

    # ------------------------------------------------------------------
    # F3: another customer's card drawn by a project of customer A
    # ------------------------------------------------------------------
    def test_f3_job_cannot_put_another_customers_card_on_a_project(self):
        """Any prepaid user assigns customer B's card to customer A's project: A's work consumes B's credit."""
        self._rpc_or_error(
            "timesheet",
            "prepaid.service.job",
            "create",
            {"service_id": self.card_b.id, "project_id": self.project_a2.id},
        )
        self._rpc_or_error("timesheet", "prepaid.service.job", "write", self.job.ids, {"service_id": self.card_b.id})
        for project, task in ((self.project_a2, self.task_a2), (self.project, self.task)):
            # a refusal of the timesheet also keeps B's credit safe
            with suppress(Exception):
                self.env["account.analytic.line"].create(
                    {
                        "name": "Work for A",
                        "project_id": project.id,
                        "task_id": task.id,
                        "employee_id": self.employee.id,
                        "unit_amount": 1.0,
                        "date": date(2026, 2, 3),
                    }
                )
        self.card_b.invalidate_recordset()
        drawn = self.card_b.entry_ids.filtered(lambda e: e.entry_type == "usage")
        self.assertFalse(drawn, f"customer B's card paid for customer A's work: {drawn.mapped('project_id.name')}")
        self.assertEqual(self.card_b.quantity_outstanding, 10.0)

    def test_f3_job_refusal_does_not_leak_other_company_customers(self):
        """A job naming a card of a company the user cannot see is refused without naming that company's customer."""
        other = self.setup_other_company(name="Hidden Co")["company"]
        hidden_partner = self.env["res.partner"].create({"name": "Hidden Customer Zeta", "company_id": other.id})
        hidden_card = self._create_card(partner_id=hidden_partner.id, company_id=other.id)
        try:
            self.rpc(
                "timesheet",
                "prepaid.service.job",
                "create",
                {"service_id": hidden_card.id, "project_id": self.project.id},
            )
        except RpcError as error:
            self.assertNotIn("Hidden Customer Zeta", error.message)
        else:
            self.fail("a job on a card of a company the user does not belong to was accepted")

    # ------------------------------------------------------------------
    # F4: manual adjustment balanced on the deferred revenue account itself
    # ------------------------------------------------------------------
    def test_f4_adjustment_counterpart_cannot_be_the_deferred_revenue_account(self):
        wizard_id = self._rpc_or_error(
            "prepaid_manager",
            "prepaid.ledger.entry.wizard",
            "create",
            {
                "service_id": self.card.id,
                "direction": "increase",
                "quantity": 5.0,
                "amount": 500.0,
                "valued": True,
                "counterpart_account_id": self.deferred_account.id,
                "reason": "Goodwill",
            },
        )
        if wizard_id:
            self._rpc_or_error("prepaid_manager", "prepaid.ledger.entry.wizard", "action_confirm", [wizard_id])
        self.assertDeferredRevenueTies()

    # ------------------------------------------------------------------
    # F5: forged periods
    # ------------------------------------------------------------------
    def test_f5_period_cannot_link_another_customers_invoice(self):
        """A period created over RPC names customer B's invoice on customer A's card and marks itself closed."""
        period_id = self._rpc_or_error(
            "prepaid_manager",
            "prepaid.service.period",
            "create",
            {
                "service_id": self.card.id,
                "date_start": "2026-03-01",
                "date_end": "2026-03-31",
                "invoice_id": self.invoice_b.id,
                "closed": True,
            },
        )
        if period_id:
            period = self.env["prepaid.service.period"].browse(period_id)
            self.assertNotEqual(
                period.invoice_id.commercial_partner_id,
                self.customer_b,
                "a period of A's card is billed by B's invoice",
            )

    # ------------------------------------------------------------------
    # F6: bad input on the portal
    # ------------------------------------------------------------------
    def test_f6_portal_statement_with_year_one_is_a_client_error(self):
        portal = self.role_users["portal"]
        self.authenticate(portal.login, f"{portal.login}_pwd")
        self._rpc_login = portal.login
        url = f"/my/prepaid/{self.card.id}/statement?date_from=0001-01-01&date_to=9999-12-31"
        response = self.url_open(url)
        self.assertLess(response.status_code, 500, "a date the statement cannot print is a server error")
