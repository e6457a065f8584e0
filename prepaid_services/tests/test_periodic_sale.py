from datetime import date

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, freeze_time, tagged

from .common import PrepaidHttpCommon


@tagged("post_install", "-at_install")
class TestPeriodicSale(PrepaidHttpCommon):
    """A periodic product sold on an order opens a card with the product's terms; the order's invoice is the
    first period's, and the scheduled action invoices each later period exactly once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.monthly = cls._create_product(
            name="Managed support - 10 hours a month",
            type="service",
            invoice_policy="order",
            lst_price=900.0,
            prepaid_ok=True,
            prepaid_service_type="quantity",
            prepaid_accrual="periodic",
            prepaid_quantity=10.0,
            prepaid_uom_id=cls.uom_hour.id,
            prepaid_period_end_behaviour="carry_over",
            prepaid_carry_over_cap_type="units",
            prepaid_carry_over_cap=5.0,
            prepaid_carry_over_periods=1,
            taxes_id=[Command.clear()],
        )
        cls.receivable = cls.company_data["default_account_receivable"]

    # ------------------------------------------------------------------
    # Through the doors: a salesman sells, a billing user posts, the scheduled action bills
    # ------------------------------------------------------------------
    def _order(self, day, quantity=1.0, product=None):
        """A salesman creates and confirms an order of the periodic product over JSON-RPC on day."""
        with freeze_time(f"{day} 09:00:00"):
            order_id = self.rpc(
                "salesman",
                "sale.order",
                "create",
                {
                    "partner_id": self.customer.id,
                    "order_line": [
                        Command.create({"product_id": (product or self.monthly).id, "product_uom_qty": quantity})
                    ],
                },
            )
            self.rpc("salesman", "sale.order", "action_confirm", [order_id])
        return self.env["sale.order"].browse(order_id)

    def _invoice(self, order, day):
        """The salesman invoices the order (Create Invoice), a billing user posts the invoice, on day."""
        with freeze_time(f"{day} 09:00:00"):
            context = {"active_model": "sale.order", "active_ids": order.ids, "active_id": order.id}
            wizard_id = self.rpc(
                "salesman",
                "sale.advance.payment.inv",
                "create",
                {"advance_payment_method": "delivered"},
                context=context,
            )
            self.rpc("salesman", "sale.advance.payment.inv", "create_invoices", [wizard_id], context=context)
            invoice = order.invoice_ids
            self.assertEqual(len(invoice), 1)
            self.rpc("billing", "account.move", "write", invoice.ids, {"invoice_date": day})
            self.rpc("billing", "account.move", "action_post", invoice.ids)
        return invoice

    def _run(self, day):
        with freeze_time(day):
            return self.env["prepaid.service.period"]._cron_periodic_invoicing(today=date.fromisoformat(day))

    def _assert_period_invoice(self, invoice, amount):
        self.assertMoveLines(
            invoice,
            [
                {"account_id": self.receivable, "debit": amount, "credit": 0.0},
                {"account_id": self.deferred_account, "debit": 0.0, "credit": amount},
            ],
        )

    def _lots(self, card):
        return card.entry_ids.filtered(lambda e: e.entry_type == "receipt").sorted("date")

    def test_order_invoice_is_the_first_period_and_each_later_period_is_invoiced_once(self):
        order = self._order("2026-01-10")

        card = order.order_line.prepaid_service_id
        self.assertRecordValues(
            card,
            [
                {
                    "accrual": "periodic",
                    "period_product_id": self.monthly.id,
                    "period_allowance": 10.0,
                    "period_price": 900.0,
                    "recurrence_interval": 1,
                    "recurrence_unit": "month",
                    "period_end_behaviour": "carry_over",
                    "carry_over_cap_type": "units",
                    "carry_over_cap": 5.0,
                    "carry_over_periods": 1,
                    "date_start": date(2026, 1, 10),
                    "next_period_start": date(2026, 2, 10),
                }
            ],
        )
        first = card.period_ids
        self.assertRecordValues(
            first,
            [{"date_start": date(2026, 1, 10), "date_end": date(2026, 2, 9), "sale_line_id": order.order_line.id}],
        )
        self.assertFalse(first.invoice_id)
        self.assertFalse(self._run("2026-01-11"), "the first period is the order's to invoice")

        invoice = self._invoice(order, "2026-01-12")

        self.assertEqual(first.invoice_id, invoice)
        self.assertRecordValues(
            invoice.invoice_line_ids,
            [{"prepaid_period_id": first.id, "prepaid_quantity": 10.0, "prepaid_valid_until": date(2026, 3, 9)}],
        )
        self._assert_period_invoice(invoice, 900.0)
        self.assertFalse(self._run("2026-01-12"), "the order's invoice billed the first period")
        self._use(card, 3, date(2026, 1, 20))
        self.assertFalse(self._run("2026-02-09"))

        february = self._run("2026-02-10")
        self.assertEqual(len(february), 1)
        self._assert_period_invoice(february, 900.0)
        self.assertFalse(self._run("2026-02-10"), "running twice invoices nothing twice")
        self.assertFalse(self._run("2026-02-11"))
        march = self._run("2026-03-10")
        self.assertEqual(len(march), 1)
        self._assert_period_invoice(march, 900.0)
        self.assertFalse(self._run("2026-03-10"), "running twice invoices nothing twice")

        # exactly one invoice per period, the first being the order's
        self.assertEqual(
            [(p.date_start, p.date_end, p.invoice_id) for p in card.period_ids],
            [
                (date(2026, 1, 10), date(2026, 2, 9), invoice),
                (date(2026, 2, 10), date(2026, 3, 9), february),
                (date(2026, 3, 10), date(2026, 4, 9), march),
            ],
        )
        crediting = self.env["account.move.line"].search(
            [("prepaid_service_id", "=", card.id), ("move_id.move_type", "=", "out_invoice")]
        )
        self.assertEqual(crediting.move_id, invoice | february | march)
        self.assertEqual(card.next_period_start, date(2026, 4, 10))
        # each period's allowance is a lot that lives one period more (carry over), the order's like the others
        self.assertEqual(
            [(lot.quantity, lot.valid_until, lot.move_id) for lot in self._lots(card)],
            [
                (10.0, date(2026, 3, 9), invoice),
                (10.0, date(2026, 4, 9), february),
                (10.0, date(2026, 5, 9), march),
            ],
        )
        # the first period closed like any other: 7 h left, 5 carried over, 2 above the cap expired on its
        # last day; February closed with 10 h left, 5 above the cap
        expiries = card.entry_ids.filtered(lambda e: e.entry_type == "expiry").sorted("date")
        self.assertEqual(
            [(e.date, e.quantity, e.value) for e in expiries],
            [(date(2026, 2, 9), -2.0, -180.0), (date(2026, 3, 9), -5.0, -450.0)],
        )
        self.assertRecordValues(
            card,
            [
                {
                    "quantity_received": 30.0,
                    "quantity_used": 3.0,
                    "quantity_expired": 7.0,
                    "quantity_outstanding": 20.0,
                    "value_outstanding": 1800.0,
                }
            ],
        )
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_quantity_sold_is_repeated_every_period(self):
        order = self._order("2026-01-01", quantity=2.0)
        card = order.order_line.prepaid_service_id
        self.assertRecordValues(card, [{"period_allowance": 20.0, "period_price": 1800.0}])

        invoice = self._invoice(order, "2026-01-01")
        self._assert_period_invoice(invoice, 1800.0)
        february = self._run("2026-02-01")

        self._assert_period_invoice(february, 1800.0)
        self.assertEqual(
            [(lot.quantity, lot.value, lot.valid_until) for lot in self._lots(card)],
            [(20.0, 1800.0, date(2026, 2, 28)), (20.0, 1800.0, date(2026, 3, 31))],
        )
        self.assertEqual(card.period_ids.invoice_id, invoice | february)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_money_allowance_sold_in_another_currency_is_converted_once_at_the_order_date(self):
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0), ("2026-03-01", 1.0)])
        credit = self._create_product(
            name="Monthly service credit",
            type="service",
            invoice_policy="order",
            lst_price=500.0,
            prepaid_ok=True,
            prepaid_service_type="amount",
            prepaid_accrual="periodic",
            taxes_id=[Command.clear()],
        )
        self.assertEqual(credit.prepaid_period_allowance, 500.0, "a money allowance defaults to the price")

        card, invoice = self._sell(credit, 1000.0, on_date="2026-01-01", currency=eur)

        self.assertRecordValues(
            card,
            [{"currency_id": eur.id, "period_allowance": 1000.0, "period_price": 1000.0, "service_type": "amount"}],
        )
        self.assertEqual(card.period_ids.invoice_id, invoice)
        self._assert_period_invoice(invoice, 500.0)
        february = self._run("2026-02-01")
        march = self._run("2026-03-01")

        self.assertEqual((february.currency_id, february.amount_total), (eur, 1000.0))
        self._assert_period_invoice(february, 500.0)
        self._assert_period_invoice(march, 1000.0)
        self.assertEqual(
            [(lot.amount, lot.quantity, lot.value, lot.valid_until) for lot in self._lots(card)],
            [
                (1000.0, 1000.0, 500.0, date(2026, 1, 31)),
                (1000.0, 1000.0, 500.0, date(2026, 2, 28)),
                (1000.0, 1000.0, 1000.0, date(2026, 3, 31)),
            ],
        )
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_invoice_made_by_hand_is_the_first_period_of_the_card_it_opens(self):
        move_id = self.rpc(
            "billing",
            "account.move",
            "create",
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": "2026-01-01",
                "invoice_line_ids": [Command.create({"product_id": self.monthly.id, "quantity": 1.0})],
            },
        )
        self.rpc("billing", "account.move", "action_post", [move_id])
        invoice = self.env["account.move"].browse(move_id)

        card = invoice.invoice_line_ids.prepaid_service_id
        self.assertRecordValues(card, [{"accrual": "periodic", "period_allowance": 10.0, "period_price": 900.0}])
        self.assertEqual(card.period_ids.invoice_id, invoice)
        self.assertEqual((card.period_ids.date_start, card.period_ids.date_end), (date(2026, 1, 1), date(2026, 1, 31)))
        self.assertEqual([(lot.quantity, lot.valid_until) for lot in self._lots(card)], [(10.0, date(2026, 2, 28))])
        self.assertFalse(self._run("2026-01-15"), "the invoice made by hand billed January")

        february = self._run("2026-02-01")

        self.assertEqual(len(february), 1)
        self._assert_period_invoice(february, 900.0)
        self.assertEqual(card.period_ids.invoice_id, invoice | february)
        self.assertFalse(self._run("2026-02-01"))
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    # ------------------------------------------------------------------
    # A periodic product carries what its card needs
    # ------------------------------------------------------------------
    def test_product_form_shows_periodic_terms_with_defaults(self):
        form = Form(self.env["product.template"])
        form.name = "Monthly tokens"
        form.type = "service"
        form.list_price = 450.0
        form.prepaid_ok = True
        form.prepaid_quantity = 40.0
        with self.assertRaises(AssertionError, msg="the terms show only for periodic products"):
            form.prepaid_period_price = 400.0

        form.prepaid_accrual = "periodic"

        self.assertEqual((form.prepaid_period_allowance, form.prepaid_period_price), (40.0, 450.0))
        form.list_price = 500.0
        self.assertEqual(form.prepaid_period_price, 500.0, "the price per period follows the sales price")
        form.prepaid_period_price = 480.0
        form.prepaid_period_allowance = 50.0
        form.prepaid_recurrence_unit = "quarter"
        form.prepaid_period_end_behaviour = "carry_over"
        form.prepaid_carry_over_cap_type = "percent"
        form.prepaid_carry_over_cap = 20.0
        template = form.save()

        vals = template._prepare_prepaid_card_vals(quantity=2.0)
        self.assertEqual(
            {key: vals[key] for key in ("period_allowance", "period_price", "recurrence_unit", "carry_over_cap")},
            {"period_allowance": 100.0, "period_price": 960.0, "recurrence_unit": "quarter", "carry_over_cap": 20.0},
        )
        self.assertEqual(vals["period_product_id"], template.product_variant_id.id)

    def test_periodic_product_without_price_or_allowance_is_refused_at_save(self):
        form = Form(self.env["product.template"])
        form.name = "Free monthly hours"
        form.type = "service"
        form.list_price = 0.0
        form.prepaid_ok = True
        form.prepaid_accrual = "periodic"
        form.prepaid_period_allowance = 0.0
        with self.assertRaisesRegex(
            ValidationError, "needs an allowance per period above zero, a price per period above zero"
        ):
            form.save()

        with self.assertRaisesRegex(ValidationError, "a price per period above zero"):
            self.monthly.prepaid_period_price = 0.0

    def test_periodic_product_missing_its_terms_is_refused_at_order_confirmation(self):
        # saved before the product knew its terms: the database says nothing of them
        self.env.cr.execute(
            "UPDATE product_template SET prepaid_period_price = 0 WHERE id = %s", [self.monthly.product_tmpl_id.id]
        )
        self.monthly.invalidate_recordset()
        self.monthly.product_tmpl_id.invalidate_recordset()
        order_id = self.rpc(
            "salesman",
            "sale.order",
            "create",
            {"partner_id": self.customer.id, "order_line": [Command.create({"product_id": self.monthly.id})]},
        )

        error = self.assertRpcRefused("salesman", "sale.order", "action_confirm", [order_id])

        self.assertEqual(error.name, "odoo.exceptions.UserError")
        self.assertIn("needs a price per period above zero", error.message)
        order = self.env["sale.order"].browse(order_id)
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.order_line.prepaid_service_id)
        self.assertFalse(self.env["prepaid.service"].search([("partner_id", "=", self.customer.id)]))
