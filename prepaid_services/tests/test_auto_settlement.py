from odoo import Command
from odoo.tests import Form, freeze_time, tagged

from .automation_common import PrepaidAutomationCommon


@tagged("post_install", "-at_install")
class TestAutoSettlement(PrepaidAutomationCommon):
    """A money card with automatic settlement pays its customer's invoices when they post, without a button."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_recognition_grouping("entry")
        cls.auto_balance = cls._create_product(
            name="Field service prepayment",
            type="service",
            invoice_policy="order",
            lst_price=1.0,
            prepaid_ok=True,
            prepaid_service_type="amount",
            prepaid_auto_settle=True,
            taxes_id=[Command.set(cls.tax_sale_a.ids)],
        )
        # field service billed on a sales order by the time logged on its task
        cls.fs_project = cls.env["project.project"].create(
            {
                "name": "Field service rounds",
                "partner_id": cls.customer.id,
                "allow_timesheets": True,
                "allow_billable": True,
            }
        )
        cls.fs_product = cls._create_product(
            name="Field service hour",
            type="service",
            service_policy="delivered_timesheet",
            service_tracking="task_global_project",
            project_id=cls.fs_project.id,
            uom_id=cls.uom_hour.id,
            lst_price=100.0,
            taxes_id=[Command.set(cls.tax_sale_a.ids)],
        )
        cls.equipment = cls._create_product(name="Router", lst_price=80.0, taxes_id=[Command.set(cls.tax_sale_a.ids)])

    def _round_order(self, price, on_date):
        """A field-service round sold at price per hour: confirming it opens the round's task."""
        with freeze_time(on_date):
            order = self.env["sale.order"].create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [
                        Command.create({"product_id": self.fs_product.id, "product_uom_qty": 1.0, "price_unit": price})
                    ],
                }
            )
            order.action_confirm()
        return order

    def _invoice_order(self, order, on_date):
        """Create Invoice on the order (regular invoice of what was delivered), then Confirm on the invoice."""
        with freeze_time(on_date):
            wizard = (
                self.env["sale.advance.payment.inv"]
                .with_context(active_model="sale.order", active_ids=order.ids, active_id=order.id)
                .create({"advance_payment_method": "delivered"})
            )
            wizard.create_invoices()
            invoice = order.invoice_ids
            invoice.action_post()
        return invoice

    def _assert_paid_from_credit(self, invoice, card, amount, income_analytic=False, deferred_analytic=False):
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_residual, 0.0, "posted paid from the prepayment")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertMoveLines(
            invoice,
            [
                {"account_id": self.receivable_account, "debit": 0.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": amount,
                    "analytic_distribution": income_analytic,
                },
                {
                    "account_id": self.deferred_account,
                    "debit": amount,
                    "credit": 0.0,
                    "analytic_distribution": deferred_analytic,
                },
            ],
        )

    def test_seed_two_rounds_invoiced_from_their_orders_post_paid_from_the_prepayment(self):
        """Seed example: 511.10 prepaid; rounds of 102.00 and 103.00 post paid; 306.10 remains."""
        card, topup = self._sell(self.auto_balance, 511.10)
        self.assertTrue(card.auto_settle, "the product's option opens a card that pays by itself")
        self.assertEqual(topup.amount_total, 587.77, "VAT on the prepayment")

        first_order = self._round_order(102.0, "2026-02-02")
        self._log_as_technician(1.0, first_order.tasks_ids, "2026-02-02", project=self.fs_project)
        first = self._invoice_order(first_order, "2026-02-03")
        card_analytic = {str(card.analytic_account_id.id): 100}
        project_analytic = {str(self.fs_project.account_id.id): 100}
        self.assertTrue(self.fs_project.account_id)
        self._assert_paid_from_credit(
            first, card, 102.0, income_analytic=project_analytic, deferred_analytic=card_analytic
        )

        second_order = self._round_order(103.0, "2026-02-09")
        self._log_as_technician(1.0, second_order.tasks_ids, "2026-02-09", project=self.fs_project)
        second = self._invoice_order(second_order, "2026-02-10")
        self._assert_paid_from_credit(
            second, card, 103.0, income_analytic=project_analytic, deferred_analytic=card_analytic
        )

        self.assertEqual(card.amount_outstanding, 306.10)
        self.assertEqual(self._balance(self.deferred_account), -306.10, "deferred revenue 306.10")
        self.assertEqual(self._balance(self.income_account), -205.0, "revenue 205.00")
        self.assertEqual(
            card.entry_ids.filtered(lambda e: e.entry_type == "usage").sorted("id").mapped("move_id"), first | second
        )
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_seed_two_completed_rounds_post_paid_without_a_button(self):
        """Seed example, field-service flow: each round marked done invoices itself, paid from the prepayment."""
        self.auto_balance.prepaid_consumption_invoicing = "task"
        for grouping in self._recognition_groupings():
            with self.subTest(grouping=grouping):
                self._set_recognition_grouping(grouping)
                card, _topup = self._sell(self.auto_balance, 511.10)
                self.assertEqual((card.auto_settle, card.consumption_invoicing), (True, "task"))
                project = self.env["project.project"].create(
                    {"name": f"Rounds {grouping}", "partner_id": self.customer.id, "allow_timesheets": True}
                )
                self._assign(card, project)
                round_1, round_2 = self._task("Round 1", project), self._task("Round 2", project)
                self._task_fee_rule(card, round_1, 102.0)
                self._task_fee_rule(card, round_2, 103.0)

                self._log_as_technician(1.5, round_1, "2026-02-02", project=project)
                self.assertFalse(self._consumption_invoices(card), "the round is not done yet")
                self._mark_done_as_technician(round_1)
                self._log_as_technician(1.25, round_2, "2026-02-09", project=project)
                self._mark_done_as_technician(round_2)

                first, second = self._consumption_invoices(card)
                analytic = {str(card.analytic_account_id.id): 100}
                for invoice, amount in ((first, 102.0), (second, 103.0)):
                    self._assert_paid_from_credit(invoice, card, amount, income_analytic=analytic)
                self.assertEqual(first.invoice_line_ids[0].quantity, 1.5, "the hours of the round")
                self._run_scheduled_recognition()
                self.assertFalse(self._recognition_entries(card), "the invoices are the recognition, nothing else")
                self.assertEqual(card.amount_outstanding, 306.10)
                self.assertEqual(self._balance(self.deferred_account, card.entry_ids.move_id | first | second), -306.10)
                self.assertEqual(self._balance(self.income_account, first | second), -205.0)
                self.assertBalancesMatchLedger(card)
                self.assertDeferredRevenueTies()
                page = self._portal_invoice_page()
                self.assertIn(first.name, page, "the customer sees the consumption invoices on the portal")
                self.assertIn(second.name, page)

    def test_cards_pay_in_drawdown_order_and_what_they_cannot_cover_is_due(self):
        later, _topup = self._sell(self.auto_balance, 100.0)
        sooner = self._create_card(service_type="amount", uom_id=False, auto_settle=True, description="Goodwill")
        self._credit(sooner, 40.0, 40.0, "2026-01-10", valid_until="2026-03-31")
        invoice = self._create_invoice(
            invoice_date="2026-02-01",
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.equipment, price_unit=200.0)],
            post=True,
        )
        credit = invoice.invoice_line_ids.filtered("prepaid_service_id")
        self.assertEqual(
            [(line.prepaid_service_id, line.price_subtotal) for line in credit],
            [(sooner, -40.0), (later, -100.0)],
            "the card expiring first pays first",
        )
        self.assertEqual(invoice.amount_residual, 69.0, "60.00 and its tax are due")
        self.assertEqual((sooner.amount_outstanding, later.amount_outstanding), (0.0, 0.0))
        self.assertBalancesMatchLedger(sooner | later)
        self.assertDeferredRevenueTies()

    def test_a_batch_of_invoices_never_draws_more_than_the_balance(self):
        card, _topup = self._sell(self.auto_balance, 150.0)
        invoices = self.env["account.move"]
        for price in (100.0, 100.0):
            invoices |= self._create_invoice(
                invoice_date="2026-02-01",
                invoice_line_ids=[self._prepare_invoice_line(product_id=self.equipment, price_unit=price)],
            )
        invoices.action_post()
        self.assertEqual(invoices.mapped("amount_residual"), [0.0, 57.5])
        self.assertEqual(card.amount_outstanding, 0.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_only_cards_with_the_option_pay_and_a_top_up_is_never_paid_with_credit(self):
        manual, _topup = self._sell(self.balance_product, 500.0)
        self.assertFalse(manual.auto_settle)
        invoice = self._create_invoice(
            invoice_date="2026-02-01",
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.equipment, price_unit=80.0)],
            post=True,
        )
        self.assertEqual(invoice.amount_residual, 92.0, "a card without the option waits for the button")
        card, _topup = self._sell(self.auto_balance, 500.0)
        with freeze_time("2026-02-05"):
            order = self.env["sale.order"].create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [Command.create({"product_id": self.auto_balance.id, "price_unit": 200.0})],
                }
            )
            order.action_confirm()
            more = order._create_invoices()
            more.action_post()
        self.assertFalse(more.invoice_line_ids.filtered(lambda line: line.price_unit < 0), "credit buys no credit")
        self.assertEqual(more.amount_residual, 230.0)
        self.assertEqual(card.amount_outstanding, 500.0)
        self.assertDeferredRevenueTies()

    def test_the_option_is_set_on_the_card_form_by_a_prepaid_manager(self):
        card, _topup = self._sell(self.balance_product, 300.0)
        with Form(card) as form:
            form.auto_settle = True
        invoice = self._create_invoice(
            invoice_date="2026-02-01",
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.equipment, price_unit=80.0)],
            post=True,
        )
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(card.amount_outstanding, 220.0)
        self.assertDeferredRevenueTies()
