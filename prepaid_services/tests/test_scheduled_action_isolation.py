from datetime import date

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import PrepaidTimesheetCommon


@tagged("post_install", "-at_install")
class TestScheduledActionIsolation(PrepaidTimesheetCommon):
    """One card or company that cannot be processed gets an activity and is skipped; the run goes on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.expiring_product = cls._create_product(
            name="10 hours, valid one month",
            type="service",
            invoice_policy="order",
            prepaid_ok=True,
            prepaid_service_type="quantity",
            prepaid_quantity=10.0,
            prepaid_uom_id=cls.uom_hour.id,
            prepaid_validity_interval=1,
            prepaid_validity_unit="months",
            taxes_id=[Command.clear()],
        )

    def _problem(self, card, summary):
        return card.activity_ids.filtered(lambda a: a.summary == summary)

    def _breakage(self, card, value, deferred, breakage):
        return [
            {"account_id": deferred, "debit": value, "credit": 0.0},
            {
                "account_id": breakage,
                "debit": 0.0,
                "credit": value,
                "analytic_distribution": {str(card.analytic_account_id.id): 100},
            },
        ]

    def test_company_without_breakage_account_does_not_stop_expiry_elsewhere(self):
        card_a, _invoice = self._sell(self.expiring_product, 1000.0, on_date="2026-01-10")
        card_b, _invoice = self._sell(self.expiring_product, 800.0, on_date="2026-01-10", company=self.company_b)
        self.assertEqual(card_b.company_id, self.company_b)
        breakage_b = self.company_b.prepaid_breakage_account_id
        self.company_b.prepaid_breakage_account_id = False

        with freeze_time("2026-03-01"):
            self.env["prepaid.ledger.entry"]._cron_expire_residuals()

        expiry_a = card_a.entry_ids.filtered(lambda e: e.entry_type == "expiry")
        self.assertEqual((expiry_a.quantity, expiry_a.value, expiry_a.date), (-10.0, -1000.0, date(2026, 2, 9)))
        self.assertMoveLines(
            expiry_a.move_id, self._breakage(card_a, 1000.0, self.deferred_account, self.breakage_account)
        )
        # company B: nothing half-written, an activity for the card's responsible
        self.assertFalse(card_b.entry_ids.filtered(lambda e: e.entry_type == "expiry"))
        self.assertFalse(self.env["account.move"].search([("prepaid_service_id", "=", card_b.id)]))
        self.assertEqual((card_b.quantity_outstanding, card_b.value_outstanding), (10.0, 800.0))
        activity = self._problem(card_b, "Prepaid: expiry failed")
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, card_b.user_id)
        self.assertIn("Set the breakage income account of Company B", str(activity.note))
        self.assertFalse(self._problem(card_a, "Prepaid: expiry failed"))

        with freeze_time("2026-03-02"):
            self.env["prepaid.ledger.entry"]._cron_expire_residuals()
        self.assertEqual(len(self._problem(card_b, "Prepaid: expiry failed")), 1, "no second activity")

        # once the account is set, the next run expires company B and closes the activity
        self.company_b.prepaid_breakage_account_id = breakage_b
        with freeze_time("2026-03-03"):
            self.env["prepaid.ledger.entry"]._cron_expire_residuals()
        expiry_b = card_b.entry_ids.filtered(lambda e: e.entry_type == "expiry")
        self.assertEqual((expiry_b.quantity, expiry_b.value), (-10.0, -800.0))
        self.assertMoveLines(
            expiry_b.move_id,
            self._breakage(card_b, 800.0, self.company_b.prepaid_deferred_account_id, breakage_b),
        )
        self.assertFalse(self._problem(card_b, "Prepaid: expiry failed"))
        self.assertBalancesMatchLedger(card_a | card_b)
        self.assertDeferredRevenueTies(self.company | self.company_b)

    def test_period_invoice_that_cannot_post_does_not_stop_other_cards(self):
        ticket = self.env["uom.uom"].create({"name": "Ticket", "relative_factor": 1.0})
        allowance = self._create_product(
            name="Monthly support allowance",
            type="service",
            prepaid_ok=True,
            prepaid_accrual="periodic",
            prepaid_uom_id=self.uom_hour.id,
            taxes_id=[Command.clear()],
        )
        ticket_allowance = self._create_product(
            name="Monthly tickets", type="service", prepaid_ok=True, prepaid_uom_id=ticket.id
        )
        periodic = {
            "accrual": "periodic",
            "period_allowance": 10.0,
            "period_price": 1000.0,
            "product_id": allowance.id,
        }
        good = self._create_card(**periodic, period_product_id=allowance.id)
        broken = self._create_card(**periodic, period_product_id=ticket_allowance.id, description="Tickets")

        with freeze_time("2026-01-01"):
            invoices = self.env["prepaid.service.period"]._cron_periodic_invoicing(today=date(2026, 1, 1))

        self.assertEqual(good.period_ids.invoice_id, invoices)
        self.assertMoveLines(
            invoices,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 1000.0, "credit": 0.0},
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 1000.0},
            ],
        )
        self.assertEqual(good.quantity_received, 10.0)
        # the broken card: no period, no invoice, Next Period untouched; an activity says why
        self.assertFalse(broken.period_ids)
        self.assertFalse(self.env["account.move"].search([("invoice_origin", "=", broken.name)]))
        self.assertFalse(broken.next_period_start)
        activity = self._problem(broken, "Prepaid: periodic invoicing failed")
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, broken.user_id)
        self.assertIn("Ticket cannot be converted into Hours", str(activity.note))

        with freeze_time("2026-01-02"):
            self.assertFalse(self.env["prepaid.service.period"]._cron_periodic_invoicing(today=date(2026, 1, 2)))
        self.assertEqual(len(self._problem(broken, "Prepaid: periodic invoicing failed")), 1)
        self.assertEqual(len(good.period_ids), 1)
        self.assertDeferredRevenueTies()

    def test_card_without_income_account_does_not_stop_daily_recognition(self):
        self.company.prepaid_recognition_grouping = "daily"
        bare_category = self.env["product.category"].create({"name": "No accounts"})
        bare_block = self._create_product(
            name="Block without income account",
            type="service",
            invoice_policy="order",
            categ_id=bare_category.id,
            property_account_income_id=False,
            prepaid_ok=True,
            prepaid_quantity=10.0,
            prepaid_uom_id=self.uom_hour.id,
            taxes_id=[Command.clear()],
        )
        good, _invoice = self._sell(self.block_product, 1000.0)
        broken, _invoice = self._sell(bare_block, 500.0)
        self._assign(good)
        project_b = self.env["project.project"].create(
            {"name": "Second site", "partner_id": self.customer.id, "allow_timesheets": True}
        )
        task_b = self.env["project.task"].create({"name": "Cabling", "project_id": project_b.id})
        self._assign(broken, project=project_b)
        self._log(2.0, on_date="2026-02-02")
        self._log(3.0, on_date="2026-02-02", project_id=project_b.id, task_id=task_b.id)
        self.company.income_account_id = False

        moves = self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date(2026, 2, 2))

        self.assertEqual(moves.prepaid_service_id, good)
        self.assertMoveLines(
            moves,
            [
                {"account_id": self.deferred_account, "debit": 200.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 200.0,
                    "analytic_distribution": {str(good.analytic_account_id.id): 100},
                },
            ],
        )
        usage = broken.entry_ids.filtered(lambda e: e.entry_type == "usage")
        self.assertEqual((usage.quantity, usage.value), (-3.0, -150.0))
        self.assertFalse(usage.move_id, "nothing half-written: the consumption waits for its summary")
        self.assertFalse(usage.outflow_application_ids.move_id)
        activity = self._problem(broken, "Prepaid: revenue recognition failed")
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, broken.user_id)
        self.assertIn("No income account for the revenue of", str(activity.note))
        self.assertFalse(self._problem(good, "Prepaid: revenue recognition failed"))

        self.assertFalse(self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date(2026, 2, 2)))
        self.assertEqual(len(self._problem(broken, "Prepaid: revenue recognition failed")), 1)
        self.assertBalancesMatchLedger(good | broken)
        self.assertDeferredRevenueTies()
