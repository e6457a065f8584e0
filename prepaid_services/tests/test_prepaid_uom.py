from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PrepaidHttpCommon


@tagged("post_install", "-at_install")
class TestPrepaidUnitConversion(PrepaidHttpCommon):
    """A top-up credits the card in the card's unit: days convert into hours, tickets do not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.uom_day = cls.env.ref("uom.product_uom_day")
        cls.uom_ticket = cls.env["uom.uom"].create({"name": "Ticket", "relative_factor": 1.0})
        cls.day_product = cls._create_product(
            name="Consultant day",
            type="service",
            invoice_policy="order",
            lst_price=800.0,
            prepaid_ok=True,
            prepaid_service_type="quantity",
            prepaid_quantity=1.0,
            prepaid_uom_id=cls.uom_day.id,
            taxes_id=[Command.clear()],
        )
        cls.ticket_product = cls._create_product(
            name="5 support tickets",
            type="service",
            invoice_policy="order",
            lst_price=300.0,
            prepaid_ok=True,
            prepaid_service_type="quantity",
            prepaid_quantity=5.0,
            prepaid_uom_id=cls.uom_ticket.id,
            taxes_id=[Command.clear()],
        )

    def test_days_sold_on_an_hours_card_credit_eight_hours_each(self):
        card, _invoice = self._sell(self.block_product, 1000.0, on_date="2026-01-10")
        self.assertEqual(card.uom_id, self.uom_hour)

        same_card, invoice = self._sell(self.day_product, 800.0, qty=2.0, card=card, on_date="2026-02-01")

        self.assertEqual(same_card, card)
        receipt = card.entry_ids.filtered(lambda e: e.entry_type == "receipt" and e.invoice_line_id.move_id == invoice)
        self.assertEqual(
            (receipt.quantity, receipt.amount, receipt.value, receipt.unit_amount), (16.0, 1600.0, 1600.0, 100.0)
        )
        self.assertMoveLines(
            invoice,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 1600.0, "credit": 0.0},
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 1600.0},
            ],
        )
        self.assertEqual((card.quantity_received, card.quantity_outstanding), (26.0, 26.0))
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_tickets_cannot_top_up_an_hours_card_on_order_confirmation(self):
        card, _invoice = self._sell(self.block_product, 1000.0, on_date="2026-01-10")
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.ticket_product.id, "price_unit": 300.0, "prepaid_service_id": card.id}
                    )
                ],
            }
        )

        with self.assertRaises(UserError) as caught:  # in a savepoint, unlike assertRaisesRegex
            order.action_confirm()

        self.assertIn("Ticket cannot be converted into Hours", str(caught.exception))
        self.assertEqual(order.state, "draft")
        self.assertEqual(card.quantity_received, 10.0)

    def test_hand_made_invoice_line_with_tickets_on_an_hours_card_is_refused_at_posting(self):
        card, _invoice = self._sell(self.block_product, 1000.0, on_date="2026-01-10")
        [invoice_id] = self.rpc(
            "billing",
            "account.move",
            "create",
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": "2026-02-01",
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": self.ticket_product.id,
                                "quantity": 1.0,
                                "price_unit": 300.0,
                                "prepaid_service_id": card.id,
                            }
                        )
                    ],
                }
            ],
        )

        error = self.assertRpcRefused("billing", "account.move", "action_post", [invoice_id])

        self.assertIn("Ticket cannot be converted into Hours", error.message)
        self.assertIn("Top up", error.message)
        invoice = self.env["account.move"].browse(invoice_id)
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(card.entry_ids.filtered(lambda e: e.entry_type == "receipt").quantity, 10.0)
        self.assertEqual(card.quantity_received, 10.0)
        self.assertDeferredRevenueTies()
