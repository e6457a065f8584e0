from odoo.tests import Form, tagged

from .automation_common import PrepaidAutomationCommon


@tagged("post_install", "-at_install")
class TestAutoTopup(PrepaidAutomationCommon):
    """Consumption that takes a card to its low-balance threshold sells its next top-up, once per crossing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_recognition_grouping("entry")
        cls.block_product.prepaid_auto_topup = True

    def _card(self, mode):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self.assertEqual((card.auto_topup, card.auto_topup_product_id), (True, self.block_product))
        with Form(card) as form:
            form.low_balance_threshold = 3.0
            form.auto_topup_mode = mode
        self._assign(card)
        return card

    def _topup_orders(self, card):
        """Orders the automatic top-up made (the card's own sale has no origin)."""
        return self.env["sale.order"].search(
            [("origin", "=", card.name), ("order_line.prepaid_service_id", "=", card.id)], order="id"
        )

    def test_crossing_the_threshold_creates_one_quotation_for_the_account_manager(self):
        card = self._card("quotation")
        self._log_as_technician(5.0, self.task, "2026-02-02")
        self.assertFalse(self._topup_orders(card), "above the threshold: nothing to sell")
        self._log_as_technician(2.5, self.task, "2026-02-03")  # 2.5 h left: at or below 3 h
        order = self._topup_orders(card)
        self.assertEqual(len(order), 1)
        self.assertEqual(order.state, "draft")
        self.assertEqual(
            (order.partner_id, order.company_id, order.user_id), (self.customer, self.company, card.user_id)
        )
        self.assertEqual(order.origin, card.name)
        self.assertEqual(
            [(line.product_id, line.product_uom_qty, line.prepaid_service_id) for line in order.order_line],
            [(self.block_product, 1.0, card)],
        )
        self._log_as_technician(1.0, self.task, "2026-02-04")
        self.assertEqual(self._topup_orders(card), order, "once per crossing")
        self.assertTrue(any(order.name in body for body in card.message_ids.mapped("body")), "said on the card")
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_a_posted_top_up_invoice_refills_the_card_and_rearms_the_next_crossing(self):
        card = self._card("invoice")
        self._log_as_technician(8.0, self.task, "2026-02-02")
        order = self._topup_orders(card)
        self.assertEqual(order.state, "sale")
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertMoveLines(
            invoice,
            [
                {"account_id": self.receivable_account, "debit": 1150.0, "credit": 0.0},
                {"account_id": self.tax_account, "debit": 0.0, "credit": 150.0},
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 1000.0},
            ],
        )
        self.assertEqual(card.quantity_outstanding, 12.0, "2 hours left and the new 10-hour block")
        self.assertFalse(card.low_balance_alerted, "re-armed: the balance is above the threshold again")

        self._log_as_technician(9.5, self.task, "2026-02-10")
        self.assertEqual(len(self._topup_orders(card)), 2, "the next crossing sells the next block")
        self.assertEqual(card.quantity_outstanding, 12.5)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_a_confirmed_order_tops_up_when_it_is_invoiced(self):
        card = self._card("order")
        self._log_as_technician(7.0, self.task, "2026-02-02")
        order = self._topup_orders(card)
        self.assertEqual((order.state, order.invoice_ids), ("sale", self.env["account.move"]))
        self.assertEqual(card.quantity_outstanding, 3.0)
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(card.quantity_outstanding, 13.0)
        self.assertDeferredRevenueTies()

    def test_only_a_prepaid_manager_sets_the_automatic_top_up(self):
        card, _invoice = self._sell(self.balance_product, 500.0)
        self.assertFalse(card.auto_topup, "off by default")
        values = {"auto_topup": True, "auto_topup_product_id": self.balance_product.id}
        for role in ("salesman", "billing", "technician"):
            self.assertRpcRefused(role, "prepaid.service", "write", [card.id], values)
        self.assertRpcRefused(
            "salesman",
            "product.template",
            "write",
            [self.balance_product.product_tmpl_id.id],
            {"prepaid_auto_topup": True},
        )
        self.rpc("prepaid_manager", "prepaid.service", "write", [card.id], values)
        self.assertTrue(card.auto_topup)
