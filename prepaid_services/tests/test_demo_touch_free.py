from odoo import Command
from odoo.tests import tagged

from .common import PrepaidCommon


@tagged("post_install", "-at_install")
class TestDemoTouchFree(PrepaidCommon):
    """The demo exercises each billing automation option through real orders, timesheets and payments."""

    def test_demo_story_exercises_each_billing_automation_option(self):
        manager = self._create_demo_manager("pp_demo_touch_free")
        hour = self.uom_hour
        field_service = self._create_topup_product(
            "Field service prepayment",
            1.0,
            prepaid_service_type="amount",
            prepaid_auto_settle=True,
            prepaid_consumption_invoicing="task",
        )
        block = self._create_topup_product(
            "Support block - 20 hours", 1900.0, prepaid_quantity=20.0, prepaid_uom_id=hour.id
        )
        block_paid = self._create_topup_product(
            "Support block - 10 hours (usable once paid)",
            950.0,
            prepaid_quantity=10.0,
            prepaid_uom_id=hour.id,
            prepaid_pay_before_use=True,
        )
        equipment = self._create_product(name="Router", type="consu", lst_price=640.0, taxes_id=[Command.clear()])
        customers = [self.env["res.partner"].create({"name": name}) for name in ("Wood", "Ready", "Jackson", "Lumber")]

        # as the demo data loads it: as superuser, in the manager's name
        field, monthly, paid, topup = self.env(user=manager, su=True)["prepaid.demo"]._run_touch_free_story(
            customers=tuple(customers), products=(field_service, block, block_paid, equipment)
        )

        invoices = self.env["account.move"].search([("prepaid_consumption_service_id", "=", field.id)])
        self.assertEqual((field.auto_settle, field.consumption_invoicing, len(invoices)), (True, "task", 2))
        self.assertEqual(set(invoices.mapped("payment_state")), {"paid"}, "each round posted paid")
        router = self.env["account.move"].search([("partner_id", "=", customers[0].id), ("invoice_origin", "=", False)])
        self.assertEqual(router.filtered(lambda m: m.move_type == "out_invoice").amount_residual, 0.0)
        self.assertEqual(field.amount_outstanding, 1500.0 - 170.0 - 127.5 - 640.0)
        self.assertEqual(monthly.consumption_invoicing, "period")
        self.assertEqual(len(self.env["account.move"].search([("prepaid_consumption_service_id", "=", monthly.id)])), 1)
        self.assertEqual(
            (paid.pay_before_use, paid.quantity_awaiting_payment, paid.quantity_outstanding), (True, 10.0, 17.0)
        )
        quotation = self.env["sale.order"].search([("origin", "=", topup.name)])
        self.assertEqual((topup.auto_topup, quotation.state), (True, "draft"))
        self.assertBalancesMatchLedger(field | monthly | paid | topup)
        self.assertDeferredRevenueTies()
