from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools.misc import format_amount

from .common import PrepaidHttpCommon, PrepaidPeriodicMixin


@tagged("post_install", "-at_install")
class TestCloseWizard(PrepaidPeriodicMixin, PrepaidHttpCommon):
    """Closing a card with money on it is a prepaid manager's act; the Close wizard asks what becomes of it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.allowance_product = cls._create_allowance_product()

    def _days(self, days):
        return self.today + relativedelta(days=days)

    def _card_with_8_hours_left(self):
        card, _invoice = self._sell(self.block_product, 1000.0, on_date=str(self._days(-10)))
        self._use(card, 2, self._days(-5))
        return card

    def _wizard(self, role, card, **vals):
        """The wizard as the client fills it: create with the client's values."""
        return self.rpc(role, "prepaid.close.wizard", "create", {"service_id": card.id, **vals})

    def _counts(self):
        return (
            self.env["prepaid.ledger.entry"].search_count([]),
            self.env["account.move"].search_count([]),
        )

    def test_salesman_and_timesheet_user_cannot_close_a_card_with_an_open_balance(self):
        card = self._card_with_8_hours_left()
        before = self._counts()
        worth = f"8.00 Hours worth {format_amount(self.env, 800.0, self.currency)}"
        for role in ("salesman", "timesheet"):
            wizard_id = self._wizard(role, card, disposal="expire")
            shown = self.rpc(role, "prepaid.close.wizard", "read", [wizard_id], ["open_summary", "may_close"])[0]
            self.assertIn(worth, shown["open_summary"])
            self.assertFalse(shown["may_close"])
            error = self.assertRpcRefused(role, "prepaid.close.wizard", "action_confirm", [wizard_id])
            self.assertIn("only a prepaid services manager can close it", error.message)
            self.assertIn(worth, error.message)
        card.invalidate_recordset()
        self.assertFalse(card.closed)
        self.assertEqual(self._counts(), before, "nothing posted")
        self.assertEqual(card.quantity_outstanding, 8.0)

    def test_salesman_cannot_terminate_a_periodic_card_early(self):
        card = self._create_card(
            accrual="periodic",
            date_start=self._days(-20),
            period_allowance=10.0,
            period_price=1000.0,
            period_product_id=self.allowance_product.id,
            product_id=self.allowance_product.id,
            termination_refund=True,
        )
        self.env["prepaid.service.period"]._cron_periodic_invoicing(today=self._days(-20))
        self.assertEqual(card.quantity_outstanding, 10.0)
        wizard_id = self._wizard("salesman", card, disposal="refund")
        error = self.assertRpcRefused("salesman", "prepaid.close.wizard", "action_confirm", [wizard_id])
        self.assertIn("periodic invoicing stops", error.message)
        self.assertFalse(self.env["account.move"].search_count([("move_type", "=", "out_refund")]))
        self.assertFalse(card.closed)

        # the manager's choice is read as sent: refund by credit note (the card's default)
        self.rpc("prepaid_manager", "prepaid.close.wizard", "action_confirm", [self._wizard("prepaid_manager", card)])
        credit_note = self.env["account.move"].search([("move_type", "=", "out_refund")])
        self.assertEqual(credit_note.amount_total, 1000.0)
        self.assertTrue(card.closed)

    def test_manager_expires_the_open_balance_on_closing(self):
        card = self._card_with_8_hours_left()
        wizard_id = self._wizard("prepaid_manager", card, disposal="expire")
        self.rpc("prepaid_manager", "prepaid.close.wizard", "action_confirm", [wizard_id])

        self.assertTrue(card.closed)
        expiry = card.entry_ids.filtered(lambda e: e.entry_type == "expiry")
        self.assertEqual((expiry.quantity, expiry.value, expiry.date), (-8.0, -800.0, self.today))
        self.assertMoveLines(
            expiry.move_id,
            [
                {"account_id": self.deferred_account, "debit": 800.0, "credit": 0.0},
                {
                    "account_id": self.breakage_account,
                    "debit": 0.0,
                    "credit": 800.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_manager_refunds_the_open_balance_by_credit_note(self):
        card = self._card_with_8_hours_left()
        wizard_id = self._wizard("prepaid_manager", card, disposal="refund")
        self.rpc("prepaid_manager", "prepaid.close.wizard", "action_confirm", [wizard_id])

        self.assertTrue(card.closed)
        refund = card.entry_ids.filtered(lambda e: e.entry_type == "refund")
        self.assertEqual((refund.quantity, refund.value), (-8.0, -800.0))
        credit_note = refund.move_id
        self.assertEqual((credit_note.move_type, credit_note.amount_total), ("out_refund", 800.0))
        self.assertMoveLines(
            credit_note,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 0.0, "credit": 800.0},
                {"account_id": self.deferred_account, "debit": 800.0, "credit": 0.0},
            ],
        )
        self.assertEqual(card.quantity_outstanding, 0.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_manager_keeps_the_open_balance_until_its_expiry_date(self):
        card = self._create_card(date_start=self._days(-30))
        lot = self._credit(card, 5, 500.0, self._days(-30), valid_until=self._days(10))
        wizard_id = self._wizard("prepaid_manager", card, disposal="keep")
        self.rpc("prepaid_manager", "prepaid.close.wizard", "action_confirm", [wizard_id])
        self.assertTrue(card.closed)
        self.assertEqual((lot.remaining_quantity, card.quantity_outstanding), (5.0, 5.0))

        expiry = self.env["prepaid.ledger.entry"]._expire_residuals(card, today=self._days(11))
        self.assertEqual((expiry.quantity, expiry.value), (-5.0, -500.0))
        self.assertDeferredRevenueTies()

    def test_lots_past_their_validity_expire_on_their_own_date(self):
        card = self._create_card(date_start=self._days(-60))
        self._credit(card, 3, 300.0, self._days(-60), valid_until=self._days(-20))
        self._credit(card, 5, 500.0, self._days(-30))
        wizard_id = self._wizard("prepaid_manager", card, disposal="expire")
        summary = self.rpc("prepaid_manager", "prepaid.close.wizard", "read", [wizard_id], ["open_summary"])[0]
        self.assertIn("3.00 Hours worth", summary["open_summary"])
        self.rpc("prepaid_manager", "prepaid.close.wizard", "action_confirm", [wizard_id])
        expiries = card.entry_ids.filtered(lambda e: e.entry_type == "expiry").sorted("date")
        # a lapsed lot expires on its last valid day, in the period in which the right lapsed
        self.assertEqual([(e.quantity, e.date) for e in expiries], [(-3.0, self._days(-20)), (-5.0, self.today)])
        self.assertBalancesMatchLedger(card)

    def test_any_prepaid_user_closes_an_empty_card_and_only_a_manager_reopens_it(self):
        card = self._create_card(date_start=self._days(-5))
        self._assign(card)
        for role in ("timesheet", "salesman"):
            wizard_id = self._wizard(role, card)
            shown = self.rpc(role, "prepaid.close.wizard", "read", [wizard_id], ["open_summary", "jobs_summary"])[0]
            self.assertIn("Nothing is open", shown["open_summary"])
            self.assertIn(f"Timesheets on {self.project.display_name} will no longer draw", shown["jobs_summary"])
        before = self._counts()
        self.rpc("timesheet", "prepaid.close.wizard", "action_confirm", [wizard_id])
        self.assertTrue(card.closed)
        self.assertEqual(self._counts(), before, "closing an empty card moves no money")

        self.assertRpcRefused("timesheet", "prepaid.service", "action_reopen", card.ids)
        self.assertTrue(card.closed)
        self.rpc("prepaid_manager", "prepaid.service", "action_reopen", card.ids)
        self.assertFalse(card.closed)

    def test_confirming_reads_the_balance_again_on_the_server(self):
        card = self._create_card(date_start=self._days(-5))
        wizard_id = self._wizard("salesman", card)
        self.assertTrue(
            self.rpc("salesman", "prepaid.close.wizard", "read", [wizard_id], ["may_close"])[0]["may_close"]
        )
        # credit arrives while the wizard is open: what the salesman saw is no longer true
        self._credit(card, 4, 400.0, self._days(-1))
        self.assertRpcRefused("salesman", "prepaid.close.wizard", "action_confirm", [wizard_id])
        self.assertFalse(card.closed)
        self.assertEqual(card.quantity_outstanding, 4.0)
