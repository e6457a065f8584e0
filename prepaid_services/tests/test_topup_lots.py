from datetime import date

from odoo import Command
from odoo.tests import Form, tagged

from .common import PrepaidSaleCommon


@tagged("post_install", "-at_install")
class TestTopUpLots(PrepaidSaleCommon):
    """Each top-up lot keeps its product's validity and is refunded by its own credit note line, exactly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.block_90 = cls._create_product(
            name="Block B (90 days)",
            type="service",
            invoice_policy="order",
            lst_price=900.0,
            prepaid_ok=True,
            prepaid_service_type="quantity",
            prepaid_quantity=10.0,
            prepaid_uom_id=cls.uom_hour.id,
            prepaid_validity_interval=90,
            prepaid_validity_unit="days",
            taxes_id=[Command.clear()],
        )
        cls.block_20 = cls._create_product(
            name="20-hour block",
            type="service",
            invoice_policy="order",
            lst_price=1900.0,
            prepaid_ok=True,
            prepaid_service_type="quantity",
            prepaid_quantity=20.0,
            prepaid_uom_id=cls.uom_hour.id,
            taxes_id=[Command.clear()],
        )

    def _credit_note(self, invoice, on_date="2026-03-01"):
        """The credit note as the Credit Note button of the invoice makes it (draft)."""
        return self._reverse_invoice(invoice, date=on_date)

    def test_block_sold_onto_a_card_takes_the_validity_of_the_product_sold(self):
        card = self._create_card(validity_interval=30, validity_unit="days")
        _card, _invoice = self._sell(self.block_90, 900.0, card=card, on_date="2026-01-10")
        lot = card.entry_ids.filtered(lambda e: e.entry_type == "receipt")
        self.assertEqual(lot.valid_until, date(2026, 4, 9), "90 days of the product, not the card's 30")
        self._credit(card, 1, 100.0, date(2026, 1, 10))
        fallback = card.entry_ids.filtered(lambda e: e.entry_type == "adjustment")
        self.assertEqual(fallback.valid_until, date(2026, 2, 8), "without a product rule: the card's 30 days")

    def test_credit_note_in_units_of_20_hours_refunds_exactly_what_is_left(self):
        card, invoice = self._sell(self.block_20, 1900.0, on_date="2026-01-10")
        self._use(card, 11.25, date(2026, 2, 1))
        self.assertEqual(card.quantity_outstanding, 8.75)

        credit_note = self._credit_note(invoice)
        with Form(credit_note) as form, form.invoice_line_ids.edit(0) as line:
            line.quantity = 0.4375  # what the user types: the field rounds it to 0.44 units = 8.8 h
        credit_note.action_post()

        refund = card.entry_ids.filtered(lambda e: e.entry_type == "refund")
        self.assertEqual((refund.quantity, refund.value), (-8.75, -831.25))
        self.assertEqual((card.quantity_outstanding, card.value_outstanding), (0.0, 0.0), "nothing stuck")
        self.assertMoveLines(
            credit_note,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 0.0, "credit": 836.0},
                {"account_id": self.deferred_account, "debit": 836.0, "credit": 0.0},
            ],
        )
        # the 4.75 refunded beyond the lot's value is not left on deferred revenue
        difference = self.env["account.move"].search([("prepaid_entry_id", "=", refund.id)])
        self.assertMoveLines(
            difference,
            [
                {
                    "account_id": self.breakage_account,
                    "debit": 4.75,
                    "credit": 0.0,
                    "analytic_distribution": card._get_analytic_distribution() or False,
                },
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 4.75},
            ],
        )
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_credit_note_line_with_prepaid_units_refunds_exactly(self):
        card, invoice = self._sell(self.block_20, 1900.0, on_date="2026-01-10")
        self._use(card, 11.25, date(2026, 2, 1))
        credit_note = self._credit_note(invoice)
        credit_note.invoice_line_ids.write({"quantity": 1.0, "price_unit": 831.25, "prepaid_quantity": 8.75})
        credit_note.action_post()
        self.assertMoveLines(
            credit_note,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 0.0, "credit": 831.25},
                {"account_id": self.deferred_account, "debit": 831.25, "credit": 0.0},
            ],
        )
        self.assertEqual((card.quantity_outstanding, card.value_outstanding), (0.0, 0.0))
        refund = card.entry_ids.filtered(lambda e: e.entry_type == "refund")
        self.assertEqual((refund.quantity, refund.value), (-8.75, -831.25))
        self.assertFalse(self.env["account.move"].search([("prepaid_entry_id", "=", refund.id)]), "no difference")
        self.assertDeferredRevenueTies()

    def test_each_credit_note_line_of_a_two_line_top_up_refunds_its_own_lot(self):
        card = self._create_card()
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "date_order": "2026-01-10 10:00:00",
                "order_line": [
                    Command.create(
                        {"product_id": self.block_product.id, "price_unit": 500.0, "prepaid_service_id": card.id}
                    ),
                    Command.create(
                        {"product_id": self.block_product.id, "price_unit": 1000.0, "prepaid_service_id": card.id}
                    ),
                ],
            }
        )
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.invoice_date = "2026-01-10"
        invoice.action_post()
        cheap, dear = card.entry_ids.filtered(lambda e: e.entry_type == "receipt").sorted("amount")
        self.assertEqual((cheap.value, dear.value), (500.0, 1000.0))

        credit_note = self._credit_note(invoice)
        credit_note.invoice_line_ids.quantity = 0.5
        credit_note.action_post()
        refunds = card.entry_ids.filtered(lambda e: e.entry_type == "refund")
        self.assertEqual(
            sorted((r.outflow_application_ids.inflow_id.id, r.quantity, r.value) for r in refunds),
            sorted([(cheap.id, -5.0, -250.0), (dear.id, -5.0, -500.0)]),
        )
        self.assertFalse(self.env["account.move"].search([("prepaid_entry_id", "in", refunds.ids)]), "no breakage")

        full = self._credit_note(invoice, on_date="2026-03-02")
        full.invoice_line_ids.quantity = 0.5
        full.action_post()
        self.assertEqual((card.quantity_outstanding, card.value_outstanding), (0.0, 0.0))
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_refund_below_the_low_balance_threshold_asks_for_no_top_up(self):
        self.customer.email = "customer@example.com"
        card, invoice = self._sell(self.block_product, 1000.0, on_date="2026-01-10")
        card.low_balance_threshold = 3.0
        credit_note = self._credit_note(invoice)
        credit_note.invoice_line_ids.quantity = 0.8
        credit_note.action_post()
        self.assertEqual(card.quantity_outstanding, 2.0)
        self.env.cr.flush()
        self.assertFalse(card.low_balance_alerted)
        self.assertFalse(card.activity_ids)
