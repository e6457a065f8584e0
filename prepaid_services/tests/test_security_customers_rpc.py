from odoo import Command
from odoo.tests import tagged

from .common import PrepaidHttpCommon


@tagged("post_install", "-at_install")
class TestCustomersNeverCross(PrepaidHttpCommon):
    """One customer's prepaid credit never pays or tops up another customer's documents, whatever the client sends."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.equipment = cls._create_product(name="Firewall appliance", lst_price=100.0, taxes_id=[Command.clear()])
        cls.card_a, cls.topup_a = cls._sell(cls.balance_product, 500.0)
        cls.customer_b = cls.partner_b

    def _draft_invoice_vals(self, partner, lines):
        return {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": "2026-02-01",
            "invoice_line_ids": [Command.create(line) for line in lines],
        }

    def _assert_card_a_untouched(self):
        self.card_a.invalidate_recordset()
        self.assertEqual(self.card_a.amount_outstanding, 500.0)
        self.assertEqual(self.card_a.entry_ids.mapped("entry_type"), ["receipt"])
        self.assertBalancesMatchLedger(self.card_a)
        self.assertDeferredRevenueTies()

    def test_credit_applied_for_a_then_customer_changed_to_b_is_refused_at_posting(self):
        move_id = self.rpc(
            "billing",
            "account.move",
            "create",
            [self._draft_invoice_vals(self.customer, [{"product_id": self.equipment.id, "price_unit": 100.0}])],
        )[0]
        self.rpc_apply_credit("billing", move_id)
        self.rpc("billing", "account.move", "write", [move_id], {"partner_id": self.customer_b.id})
        error = self.assertRpcRefused("billing", "account.move", "action_post", [move_id])
        self.assertIn(self.card_a.display_name, error.message)
        self.assertEqual(self.env["account.move"].browse(move_id).state, "draft")
        self._assert_card_a_untouched()

    def test_credit_line_of_b_invoice_pointing_at_a_card_is_refused_at_posting(self):
        move_id = self.rpc(
            "billing",
            "account.move",
            "create",
            [
                self._draft_invoice_vals(
                    self.customer_b,
                    [
                        {"product_id": self.equipment.id, "price_unit": 100.0},
                        {
                            "name": "Prepaid credit",
                            "price_unit": -100.0,
                            "account_id": self.deferred_account.id,
                            "prepaid_service_id": self.card_a.id,
                            "tax_ids": [Command.clear()],
                        },
                    ],
                )
            ],
        )[0]
        self.assertRpcRefused("billing", "account.move", "action_post", [move_id])
        self._assert_card_a_untouched()

    def test_sale_order_for_b_cannot_top_up_a_card(self):
        order_id = self.rpc(
            "salesman",
            "sale.order",
            "create",
            [
                {
                    "partner_id": self.customer_b.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.balance_product.id,
                                "price_unit": 300.0,
                                "prepaid_service_id": self.card_a.id,
                            }
                        )
                    ],
                }
            ],
        )[0]
        error = self.assertRpcRefused("salesman", "sale.order", "action_confirm", [order_id])
        self.assertIn(self.card_a.display_name, error.message)
        self.assertEqual(self.env["sale.order"].browse(order_id).state, "draft")
        self._assert_card_a_untouched()

    def test_customer_of_a_card_with_entries_is_fixed(self):
        self.assertRpcRefused(
            "salesman", "prepaid.service", "write", self.card_a.ids, {"partner_id": self.customer_b.id}
        )
        self.assertEqual(self.card_a.partner_id, self.customer)
        # another contact of the same customer is the same customer
        contact = self.env["res.partner"].create({"name": "Accounts payable", "parent_id": self.customer.id})
        self.rpc("salesman", "prepaid.service", "write", self.card_a.ids, {"partner_id": contact.id})
        self.assertEqual(self.card_a.commercial_partner_id, self.customer)

    def test_company_currency_type_and_unit_of_a_card_with_entries_are_fixed(self):
        hours_card, _invoice = self._sell(self.block_product, 1000.0)
        other_currency = self.setup_other_currency("EUR")
        for card, vals in (
            (self.card_a, {"currency_id": other_currency.id}),
            (self.card_a, {"service_type": "quantity", "uom_id": self.uom_hour.id}),
            (hours_card, {"uom_id": self.env.ref("uom.product_uom_day").id}),
        ):
            self.assertRpcRefused("prepaid_manager", "prepaid.service", "write", card.ids, vals)
        self.assertEqual(hours_card.uom_id, self.uom_hour)
        self.assertBalancesMatchLedger(hours_card | self.card_a)
