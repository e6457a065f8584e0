from odoo import Command
from odoo.tests import tagged

from .automation_common import PrepaidAutomationCommon


@tagged("post_install", "-at_install")
class TestAutomationSecurityRpc(PrepaidAutomationCommon):
    """Billing automation moves money without a click: nothing a client sends turns it on or crosses a customer
    or company with it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.role_users["billing"].write({"company_ids": [Command.link(cls.company_b.id)]})
        cls.card, _invoice = cls._sell(cls.balance_product, 500.0)
        cls.card.auto_settle = True
        cls.equipment = cls._create_product(name="Switch", lst_price=80.0, taxes_id=[Command.clear()])

    def _invoice_vals(self, partner, company=None, **line):
        return {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "company_id": (company or self.company).id,
            "invoice_date": "2026-02-01",
            "invoice_line_ids": [
                Command.create({"product_id": self.equipment.id, "quantity": 1.0, "price_unit": 80.0, **line})
            ],
        }

    def _post_as_billing(self, vals, context=None):
        """A billing user creates the invoice on the form and clicks Confirm."""
        context = {"default_move_type": "out_invoice", **(context or {})}
        move_id = self.rpc("billing", "account.move", "create", [vals], context=context)[0]
        self.rpc("billing", "account.move", "action_post", [move_id], context=context)
        return self.env["account.move"].browse(move_id)

    def test_only_a_prepaid_manager_turns_billing_automation_on(self):
        card, _invoice = self._sell(self.balance_product, 100.0)
        for role in ("salesman", "billing", "technician", "timesheet"):
            for fname, value in (
                ("auto_settle", True),
                ("consumption_invoicing", "timesheet"),
                ("pay_before_use", True),
                ("auto_topup", True),
            ):
                error = self.assertRpcRefused(role, "prepaid.service", "write", [card.id], {fname: value})
                self.assertIn("Only a prepaid services manager", error.message)
        self.assertRpcRefused(
            "salesman",
            "prepaid.service",
            "create",
            [{"partner_id": self.customer.id, "service_type": "amount", "auto_settle": True}],
        )
        created = self.rpc(
            "salesman",
            "prepaid.service",
            "create",
            [{"partner_id": self.customer.id, "service_type": "amount", "uom_id": False}],
            context={"default_auto_settle": True, "default_consumption_invoicing": "timesheet"},
        )
        created = self.env["prepaid.service"].browse(created)
        self.assertEqual((created.auto_settle, created.consumption_invoicing), (False, "none"), "defaults are ignored")
        self.assertRpcRefused(
            "salesman",
            "product.template",
            "create",
            [{"name": "Credit", "prepaid_ok": True, "prepaid_auto_settle": True}],
        )
        card.invalidate_recordset()
        self.assertEqual(
            (card.auto_settle, card.consumption_invoicing, card.pay_before_use, card.auto_topup),
            (False, "none", False, False),
        )

    def test_a_card_pays_only_its_own_customers_invoices_whatever_the_context(self):
        invoice = self._post_as_billing(
            self._invoice_vals(self.partner_b),
            context={"default_prepaid_service_id": self.card.id, "default_partner_id": self.customer.id},
        )
        self.assertEqual(invoice.partner_id, self.partner_b)
        self.assertEqual(invoice.amount_residual, 80.0, "another customer's card never pays")
        self.assertFalse(invoice.invoice_line_ids.prepaid_service_id)
        self.assertEqual(self.card.amount_outstanding, 500.0)
        self.assertRpcRefused(
            "billing",
            "account.move",
            "action_post",
            [self._post_draft_with_foreign_card().id],
        )
        self.assertEqual(self.card.amount_outstanding, 500.0)
        self.assertDeferredRevenueTies()

    def _post_draft_with_foreign_card(self):
        """A draft invoice of another customer whose line names the auto-settling card (a crafted client)."""
        move_id = self.rpc(
            "billing",
            "account.move",
            "create",
            [self._invoice_vals(self.partner_b, price_unit=-80.0, prepaid_service_id=self.card.id)],
        )[0]
        return self.env["account.move"].browse(move_id)

    def test_a_card_pays_only_in_its_own_company(self):
        invoice = self._post_as_billing(
            self._invoice_vals(self.customer, company=self.company_b),
            context={"allowed_company_ids": [self.company_b.id, self.company.id]},
        )
        self.assertEqual(invoice.company_id, self.company_b)
        self.assertEqual(invoice.amount_residual, 80.0, "a card of another company never pays")
        self.assertEqual(self.card.amount_outstanding, 500.0)
        same_company = self._post_as_billing(self._invoice_vals(self.customer))
        self.assertEqual(same_company.amount_residual, 0.0, "in its own company it pays by itself")
        self.assertEqual(self.card.amount_outstanding, 420.0)
        self.assertDeferredRevenueTies()

    def test_the_engines_are_not_rpc_endpoints(self):
        invoice = self._create_invoice(
            invoice_date="2026-02-01",
            partner_id=self.partner_b.id,
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.equipment, price_unit=80.0)],
        )
        for model, method, args in (
            ("prepaid.auto.settlement", "_settle_invoices", [invoice.ids]),
            ("prepaid.consumption.invoice", "_invoice_consumption", [self.card.ids]),
            ("prepaid.payment.hold", "_sync_invoices", [invoice.ids]),
            ("prepaid.auto.topup", "_create_topups", [self.card.ids]),
            ("account.move", "_prepaid_add_credit_lines", [invoice.id, self.card.ids]),
        ):
            self.assertRpcRefused("prepaid_manager", model, method, *args)
        self.assertFalse(invoice.invoice_line_ids.prepaid_service_id)
