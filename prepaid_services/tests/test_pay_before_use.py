from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from .automation_common import PrepaidAutomationCommon
from .common import RpcError


@tagged("post_install", "-at_install")
class TestPayBeforeUse(PrepaidAutomationCommon):
    """A top-up usable once paid opens when its invoice is paid and waits again if the payment is undone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_recognition_grouping("entry")
        cls.block_product.prepaid_pay_before_use = True

    def _register_payment(self, invoice, on_date="2026-01-20", amount=None):
        """Register Payment on the invoice: the wizard as the user fills it in."""
        with freeze_time(on_date):
            wizard = Form(
                self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids)
            )
            if amount is not None:
                wizard.amount = amount
            wizard.save().action_create_payments()
        payment = invoice.matched_payment_ids
        return payment

    def _sold_card(self):
        card, invoice = self._sell(self.block_product, 1000.0)
        self._assign(card)
        return card, invoice

    def test_a_top_up_opens_when_its_invoice_is_paid(self):
        card, invoice = self._sold_card()
        self.assertTrue(card.pay_before_use)
        self.assertEqual((card.quantity_outstanding, card.quantity_awaiting_payment), (10.0, 10.0))
        self.assertDeferredRevenueTies()  # posted, so on deferred revenue: it simply waits
        with self.assertRaises(RpcError) as refused:
            self._log_as_technician(2.0, self.task, "2026-01-15")
        self.assertIn("10.00 Hours more are usable once their top-up invoice is paid", refused.exception.message)

        payment = self._register_payment(invoice)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertMoveLines(
            payment.move_id,
            [
                {"account_id": payment.outstanding_account_id, "debit": 1150.0, "credit": 0.0},
                {"account_id": self.receivable_account, "debit": 0.0, "credit": 1150.0},
            ],
        )
        self.assertEqual(card.quantity_awaiting_payment, 0.0)
        timesheet = self._log_as_technician(2.0, self.task, "2026-01-21")
        usage = timesheet.prepaid_entry_ids
        self.assertEqual(usage.quantity, -2.0)
        self.assertMoveLines(
            usage.move_id,
            [
                {"account_id": self.deferred_account, "debit": 200.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 200.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_an_undone_payment_closes_an_unused_top_up_again(self):
        card, invoice = self._sold_card()
        payment = self._register_payment(invoice)
        self.assertEqual(card.quantity_awaiting_payment, 0.0)
        # the invoice's payment widget: Unreconcile
        partial = invoice.line_ids.matched_credit_ids
        invoice.js_remove_outstanding_partial(partial.id)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(card.quantity_awaiting_payment, 10.0, "waits for payment again")
        with self.assertRaisesRegex(UserError, "usable once their top-up invoice is paid"):
            self._log(1.0, on_date="2026-01-22")
        # the outstanding payment, added back from the invoice's widget
        payment_line = payment.move_id.line_ids.filtered(lambda line: line.account_id == self.receivable_account)
        invoice.js_assign_outstanding_line(payment_line.id)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(card.quantity_awaiting_payment, 0.0)
        self._log(1.0, on_date="2026-01-22")
        self.assertEqual(card.quantity_outstanding, 9.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_an_undone_payment_of_a_used_top_up_keeps_it_open_and_asks_to_collect(self):
        card, invoice = self._sold_card()
        payment = self._register_payment(invoice)
        self._log(3.0, on_date="2026-01-22")
        payment.action_cancel()  # Cancel on the payment
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(card.quantity_awaiting_payment, 0.0, "the work is done: the credit stays usable")
        activity = card.activity_ids.filtered(lambda a: a.summary == "Prepaid: top-up used but no longer paid")
        self.assertEqual(len(activity), 1)
        self.assertIn(invoice.name, activity.note)
        self._log(1.0, on_date="2026-01-23")
        self.assertEqual(card.quantity_outstanding, 6.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_consumption_waiting_for_the_payment_is_settled_by_it(self):
        self.block_product.prepaid_overdraw_policy = "negative"
        card, invoice = self._sold_card()
        card.sudo().overdraw_policy = "negative"
        timesheet = self._log(2.0, on_date="2026-01-15")
        usage = timesheet.prepaid_entry_ids
        self.assertEqual((usage.pending_quantity, card.quantity_outstanding), (2.0, 8.0), "nothing paid it yet")
        self.assertFalse(usage.move_id, "no value to recognise yet")
        self.assertDeferredRevenueTies()

        self._register_payment(invoice)
        usage.invalidate_recordset()
        self.assertEqual(usage.pending_quantity, 0.0, "the paid top-up settles it first")
        self.assertMoveLines(
            usage.move_id,
            [
                {"account_id": self.deferred_account, "debit": 200.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 200.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_the_option_is_off_by_default_and_set_by_a_prepaid_manager(self):
        card, _invoice = self._sell(self.balance_product, 100.0)
        self.assertFalse(card.pay_before_use)
        self.assertEqual(card.quantity_awaiting_payment, 0.0, "usable at once, paid or not")
        for role in ("salesman", "billing", "technician"):
            self.assertRpcRefused(role, "prepaid.service", "write", [card.id], {"pay_before_use": True})
        self.assertRpcRefused(
            "salesman",
            "product.template",
            "write",
            [self.balance_product.product_tmpl_id.id],
            {"prepaid_pay_before_use": True},
        )
        self.rpc("prepaid_manager", "prepaid.service", "write", [card.id], {"pay_before_use": True})
        self.assertTrue(card.pay_before_use)
