from lxml import etree

from odoo import Command
from odoo.tests import tagged
from odoo.tools.misc import format_amount

from .common import PrepaidHttpCommon

# the context of Sales > Quotations (sale.action_quotations_with_onboarding)
QUOTATIONS_ACTION_CONTEXT = {"search_default_my_quotation": 1}
# the context of Invoicing > Customers > Invoices (account.action_move_out_invoice_type)
INVOICES_ACTION_CONTEXT = {"default_move_type": "out_invoice"}


@tagged("post_install", "-at_install")
class TestDocumentLinks(PrepaidHttpCommon):
    """Orders and invoices say what they do to cards and open them; a card opens its orders and invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.equipment = cls._create_product(name="Firewall appliance", lst_price=102.0, taxes_id=[Command.clear()])
        cls.furniture = cls._create_product(name="Office chair", lst_price=80.0, taxes_id=[Command.clear()])

    def _quotation(self, lines, role="salesman"):
        return self.rpc(
            role,
            "sale.order",
            "create",
            {"partner_id": self.customer.id, "order_line": [Command.create(line) for line in lines]},
            context=QUOTATIONS_ACTION_CONTEXT,
        )

    def _read(self, role, model, record_id, fnames):
        return self.rpc(role, model, "read", [record_id], fnames)[0]

    def _arch(self, role, model, view_xmlid):
        view = self.env.ref(view_xmlid)
        views = self.rpc(role, model, "get_views", [[view.id, "form"]])
        return etree.fromstring(views["views"]["form"]["arch"])

    def test_order_says_what_it_tops_up_and_opens_its_card(self):
        order_id = self._quotation([{"product_id": self.block_product.id, "product_uom_qty": 2.0}])
        quotation = self._read("salesman", "sale.order", order_id, ["prepaid_service_count", "prepaid_topup_summary"])
        self.assertEqual(
            quotation,
            {
                "id": order_id,
                "prepaid_service_count": 0,
                "prepaid_topup_summary": "Opens a new prepaid service of 20.00 Hours when confirmed.",
            },
        )

        self.rpc("salesman", "sale.order", "action_confirm", [order_id])
        card = self.env["sale.order"].browse(order_id).order_line.prepaid_service_id
        order = self._read("salesman", "sale.order", order_id, ["prepaid_service_count", "prepaid_topup_summary"])
        self.assertEqual(order["prepaid_service_count"], 1)
        self.assertEqual(order["prepaid_topup_summary"], f"Tops up {card.name} (20.00 Hours).")

        action = self.rpc("salesman", "sale.order", "action_view_prepaid_services", [order_id])
        self.assertEqual((action["res_model"], action["res_id"]), ("prepaid.service", card.id))
        self.assertEqual(action["domain"], [["id", "in", card.ids]])

    def test_order_without_prepaid_products_shows_neither_button_nor_banner(self):
        order_id = self._quotation([{"product_id": self.furniture.id}])
        self.rpc("salesman", "sale.order", "action_confirm", [order_id])
        order = self._read("salesman", "sale.order", order_id, ["prepaid_service_count", "prepaid_topup_summary"])
        self.assertEqual((order["prepaid_service_count"], order["prepaid_topup_summary"]), (0, False))
        arch = self._arch("salesman", "sale.order", "sale.view_order_form")
        (button,) = arch.xpath("//button[@name='action_view_prepaid_services']")
        self.assertEqual(button.get("invisible"), "not prepaid_service_count")
        (banner,) = arch.xpath("//div[field[@name='prepaid_topup_summary']]")
        self.assertEqual(banner.get("invisible"), "not prepaid_topup_summary")

    def test_card_opens_its_orders_and_invoices_with_counts(self):
        # a money card sold by the salesman, invoiced; an invoice paid with its credit, and that invoice's credit note
        order_id = self._quotation([{"product_id": self.balance_product.id, "price_unit": 500.0}])
        self.rpc("salesman", "sale.order", "action_confirm", [order_id])
        order = self.env["sale.order"].browse(order_id)
        card = order.order_line.prepaid_service_id
        topup = order._create_invoices()
        topup.action_post()
        paid_id = self.rpc(
            "billing",
            "account.move",
            "create",
            {"partner_id": self.customer.id, "invoice_line_ids": [Command.create({"product_id": self.equipment.id})]},
            context=INVOICES_ACTION_CONTEXT,
        )
        self.rpc_apply_credit("billing", paid_id)
        self.rpc("billing", "account.move", "action_post", [paid_id])
        paid = self.env["account.move"].browse(paid_id)
        credit_note = self._reverse_invoice(paid, post=True)
        unrelated = self._create_invoice(
            invoice_date="2026-02-01",
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.furniture, price_unit=80.0)],
        )

        counts = self._read("billing", "prepaid.service", card.id, ["sale_order_count", "invoice_count"])
        self.assertEqual((counts["sale_order_count"], counts["invoice_count"]), (1, 3))
        action = self.rpc("billing", "prepaid.service", "action_view_invoices", [card.id])
        self.assertEqual(action["res_model"], "account.move")
        opened = self.env["account.move"].search(action["domain"])
        self.assertEqual(opened, topup | paid | credit_note)
        self.assertNotIn(unrelated, opened)

        # the salesman counts and opens the orders he can read
        counts = self._read("salesman", "prepaid.service", card.id, ["sale_order_count"])
        self.assertEqual(counts["sale_order_count"], 1)
        action = self.rpc("salesman", "prepaid.service", "action_view_sale_orders", [card.id])
        self.assertEqual((action["res_model"], action["res_id"]), ("sale.order", order_id))

    def test_card_buttons_show_to_readers_of_orders_and_invoices_only(self):
        for role in ("salesman", "billing"):
            with self.subTest(role=role):
                arch = self._arch(role, "prepaid.service", "prepaid_services.prepaid_service_view_form")
                for method, count in (
                    ("action_view_sale_orders", "sale_order_count"),
                    ("action_view_invoices", "invoice_count"),
                ):
                    (button,) = arch.xpath(f"//button[@name='{method}']")
                    self.assertEqual(button.get("invisible"), f"not {count}")
        # a technician reads cards but neither orders nor invoices: no button, and no count to read
        arch = self._arch("technician", "prepaid.service", "prepaid_services.prepaid_service_view_form")
        self.assertFalse(arch.xpath("//button[@name='action_view_sale_orders' or @name='action_view_invoices']"))
        card, _invoice = self._sell(self.block_product, 1000.0)
        self.assertRpcRefused("technician", "prepaid.service", "read", [card.id], ["invoice_count"])

    def test_invoices_say_what_they_do_to_the_card(self):
        card, topup = self._sell(self.block_product, 1000.0)
        money, _money_topup = self._sell(self.balance_product, 500.0)
        paid = self._create_invoice(
            invoice_date="2026-02-01",
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.equipment, price_unit=102.0)],
        )
        self._apply_credit(paid)
        paid.action_post()
        given_back = self._reverse_invoice(paid, post=True)
        taken_back = self._reverse_invoice(topup, post=True)
        dollars = format_amount(self.env, 102.0, self.currency)
        expected = {
            topup: f"Tops up {card.name} (10.00 Hours).",
            paid: f"Pays {dollars} with the prepaid credit of {money.name}.",
            given_back: f"Gives back {dollars} of prepaid credit to {money.name}.",
            taken_back: f"Takes back 10.00 Hours from {card.name}.",
        }
        for move, summary in expected.items():
            with self.subTest(move=move.name):
                read = self._read(
                    "billing", "account.move", move.id, ["prepaid_service_count", "prepaid_topup_summary"]
                )
                self.assertEqual((read["prepaid_service_count"], read["prepaid_topup_summary"]), (1, summary))
        action = self.rpc("billing", "account.move", "action_view_prepaid_services", [paid.id])
        self.assertEqual((action["res_model"], action["res_id"]), ("prepaid.service", money.id))
        arch = self._arch("billing", "account.move", "account.view_move_form")
        (button,) = arch.xpath("//button[@name='action_view_prepaid_services']")
        self.assertEqual(button.get("invisible"), "not prepaid_service_count")
