from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.misc import format_amount

from .common import PrepaidHttpCommon, PrepaidSaleCommon


@tagged("post_install", "-at_install")
class TestInvoiceCredit(PrepaidSaleCommon):
    """A money balance pays customer invoices; the invoice itself recognises the revenue."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.equipment = cls._create_product(
            name="Firewall appliance", lst_price=102.0, taxes_id=[Command.set(cls.tax_sale_a.ids)]
        )
        cls.tax_account = cls.tax_sale_a.invoice_repartition_line_ids.account_id

    def _invoice(self, price, on_date="2026-02-01", product=None):
        return self._create_invoice(
            invoice_date=on_date,
            invoice_line_ids=[self._prepare_invoice_line(product_id=product or self.equipment, price_unit=price)],
        )

    def test_prepayment_pays_two_service_invoices_and_leaves_the_rest(self):
        card, topup = self._sell(self.balance_product, 511.10)
        self.assertEqual(topup.amount_total, 587.77, "VAT charged on the prepayment")

        first = self._invoice(102.0)
        self._apply_credit(first)
        self.assertEqual(first.amount_total, 0.0, "the credit line carries the tax of what it pays")
        first.action_post()
        second = self._invoice(103.0, on_date="2026-02-15")
        self._apply_credit(second)
        second.action_post()

        self.assertEqual(card.amount_outstanding, 306.10)
        self.assertEqual(card.amount_used, 205.0)
        usage = card.entry_ids.filtered(lambda e: e.entry_type == "usage").sorted("id")
        self.assertEqual(usage.mapped("amount"), [-102.0, -103.0])
        self.assertEqual(usage[0].move_id, first)
        self.assertFalse(
            self.env["account.move"].search([("prepaid_entry_id", "in", usage.ids)]),
            "the invoice recognises the revenue: no extra journal entry",
        )
        self.assertMoveLines(
            first,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 0.0, "credit": 0.0},
                {"account_id": self.income_account, "debit": 0.0, "credit": 102.0},
                {
                    "account_id": self.deferred_account,
                    "debit": 102.0,
                    "credit": 0.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertEqual(first.amount_tax, 0.0, "VAT was charged on the prepayment, not again")
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_credit_is_limited_to_the_outstanding_balance(self):
        card, _topup = self._sell(self.balance_product, 50.0)
        invoice = self._invoice(102.0)
        self._apply_credit(invoice)
        credit_line = invoice.invoice_line_ids.filtered("prepaid_service_id")
        self.assertEqual(credit_line.price_subtotal, -50.0)
        self.assertEqual(invoice.amount_untaxed, 52.0)
        invoice.action_post()
        self.assertEqual(card.amount_outstanding, 0.0)
        with self.assertRaisesRegex(UserError, "no open prepaid money balance"):
            self._invoice(10.0).action_apply_prepaid_credit()
        self.assertDeferredRevenueTies()

    def test_tax_on_consumption_charges_the_tax_on_the_invoice_paid_with_credit(self):
        self.company.prepaid_tax_timing = "consumption"
        card, topup = self._sell(self.balance_product, 500.0)
        self.assertEqual(topup.amount_total, 500.0)
        invoice = self._invoice(102.0)
        self._apply_credit(invoice)
        invoice.action_post()
        self.assertEqual(invoice.amount_total, 15.3, "only the tax is left to pay")
        self.assertEqual(card.amount_outstanding, 398.0)
        self.assertDeferredRevenueTies()

    def test_reset_to_draft_and_cancel_give_the_credit_back(self):
        card, _topup = self._sell(self.balance_product, 500.0)
        invoice = self._invoice(102.0)
        self._apply_credit(invoice)
        invoice.action_post()
        self.assertEqual(card.amount_outstanding, 398.0)

        invoice.button_draft()
        self.assertEqual(card.amount_outstanding, 500.0)
        invoice.action_post()
        self.assertEqual(card.amount_outstanding, 398.0)
        invoice.button_cancel()
        self.assertEqual(card.amount_outstanding, 500.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_credit_note_of_an_invoice_paid_with_credit_restores_it(self):
        card, _topup = self._sell(self.balance_product, 500.0)
        invoice = self._invoice(102.0)
        self._apply_credit(invoice)
        invoice.action_post()
        self._reverse_invoice(invoice, post=True)
        self.assertEqual(card.amount_outstanding, 500.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_foreign_currency_credit_recognises_the_lot_value_not_todays_rate(self):
        """IFRIC 22: deferred revenue is not revalued; the revenue of credit used is the lots' value."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0), ("2026-03-01", 1.0), ("2026-04-01", 4.0)])
        card, _topup = self._sell(self.balance_product, 1000.0, currency=eur, on_date="2026-01-15")
        invoice = self._create_invoice(
            invoice_date="2026-03-15",
            currency_id=eur.id,
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.equipment, price_unit=100.0)],
        )
        self._apply_credit(invoice)
        invoice.action_post()

        usage = card.entry_ids.filtered(lambda e: e.entry_type == "usage")
        self.assertEqual((usage.amount, usage.value), (-100.0, -50.0), "lot value, not today's rate")
        deferred_line = invoice.line_ids.filtered(lambda line: line.account_id == self.deferred_account)
        self.assertEqual(deferred_line.debit, 100.0, "the invoice moves deferred revenue at today's rate")
        difference = self.env["account.move"].search([("prepaid_entry_id", "=", usage.id)])
        self.assertMoveLines(
            difference,
            [
                {
                    "account_id": self.income_account,
                    "debit": 50.0,
                    "credit": 0.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 50.0},
            ],
        )
        revenue = sum(
            self.env["account.move.line"]
            .search([("account_id", "=", self.income_account.id), ("move_id", "in", (invoice | difference).ids)])
            .mapped("balance")
        )
        self.assertAlmostEqual(revenue, -50.0, msg="revenue = value at receipt, no exchange difference")
        self.assertEqual(card.value_outstanding, 450.0)
        self.assertDeferredRevenueTies()

        # its credit note at yet another rate gives back the lots' value, not the credit note's
        credit_note = self._reverse_invoice(invoice, post=True, date="2026-04-15")
        restored = card.entry_ids.filtered(lambda e: e.reversed_entry_id == usage)
        self.assertEqual((restored.amount, restored.value), (100.0, 50.0))
        note_difference = self.env["account.move"].search([("prepaid_entry_id", "=", restored.id)])
        self.assertMoveLines(
            note_difference,
            [
                {
                    "account_id": self.income_account,
                    "debit": 25.0,
                    "credit": 0.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 25.0},
            ],
        )
        self.assertEqual((restored.date, note_difference.date), (credit_note.date, credit_note.date))
        self.assertEqual(
            credit_note.line_ids.filtered(lambda line: line.account_id == self.deferred_account).credit, 25.0
        )
        self.assertEqual((card.amount_outstanding, card.value_outstanding), (1000.0, 500.0))
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_quantity_cards_cannot_pay_invoices(self):
        card, _topup = self._sell(self.block_product, 1000.0)
        invoice = self._invoice(102.0)
        invoice.write(
            {
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "credit",
                            "price_unit": -50.0,
                            "prepaid_service_id": card.id,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ]
            }
        )
        with self.assertRaisesRegex(UserError, "Only prepaid money balances can pay invoices"):
            invoice.action_post()

    def test_apply_prepaid_credit_shows_only_when_the_customer_has_a_balance(self):
        invoice = self._invoice(102.0)
        invoice.action_post()
        draft_without = self._create_invoice(
            invoice_date="2026-02-01",
            partner_id=self.partner_b.id,
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.equipment, price_unit=50.0)],
        )
        card, _topup = self._sell(self.balance_product, 500.0)
        draft_with = self._invoice(102.0)
        self.assertEqual(
            (
                draft_with.prepaid_credit_available,
                draft_without.prepaid_credit_available,
                invoice.prepaid_credit_available,
            ),
            (True, False, False),
        )
        arch = self.env["account.move"].get_view(self.env.ref("account.view_move_form").id)["arch"]
        self.assertIn('name="action_apply_prepaid_credit"', arch)
        self.assertRegex(arch, r'name="action_apply_prepaid_credit"[^>]*invisible="not prepaid_credit_available"')
        self.assertTrue(card)


# the context of Invoicing > Customers > Invoices (account.action_move_out_invoice_type)
INVOICES_ACTION_CONTEXT = {"default_move_type": "out_invoice", "search_default_out_invoice": 1}


@tagged("post_install", "-at_install")
class TestApplyCreditAmount(PrepaidHttpCommon):
    """Apply Prepaid Credit asks how much: it proposes what the cards hold up to what is left to pay, takes the
    amount typed, and refuses more than either, reading the cards and the invoice again on the server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.equipment = cls._create_product(name="Firewall appliance", lst_price=300.0, taxes_id=[Command.clear()])
        cls.card, _topup = cls._sell(cls.balance_product, 500.0)

    def _draft_invoice(self, price):
        return self.rpc(
            "billing",
            "account.move",
            "create",
            {
                "partner_id": self.customer.id,
                "invoice_date": "2026-02-01",
                "invoice_line_ids": [Command.create({"product_id": self.equipment.id, "price_unit": price})],
            },
            context=INVOICES_ACTION_CONTEXT,
        )

    def _open_wizard(self, move_id):
        action = self.rpc("billing", "account.move", "action_apply_prepaid_credit", [move_id])
        (wizard,) = self.rpc(
            "billing", action["res_model"], "read", [action["res_id"]], ["amount", "available", "due", "line_ids"]
        )
        lines = self.rpc(
            "billing", "prepaid.credit.wizard.line", "read", wizard["line_ids"], ["service_id", "available"]
        )
        return action, wizard, lines

    def test_billing_applies_part_of_the_credit_and_the_invoice_moves_exactly_that(self):
        move_id = self._draft_invoice(300.0)
        action, wizard, lines = self._open_wizard(move_id)
        self.assertEqual((wizard["available"], wizard["due"], wizard["amount"]), (500.0, 300.0, 300.0))
        self.assertEqual([(line["service_id"][0], line["available"]) for line in lines], [(self.card.id, 500.0)])

        self.rpc("billing", action["res_model"], "write", [action["res_id"]], {"amount": 120.0})
        self.rpc("billing", action["res_model"], "action_confirm", [action["res_id"]])
        self.rpc("billing", "account.move", "action_post", [move_id])

        invoice = self.env["account.move"].browse(move_id)
        self.assertEqual(invoice.amount_total, 180.0)
        self.assertMoveLines(
            invoice,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 180.0, "credit": 0.0},
                {"account_id": self.income_account, "debit": 0.0, "credit": 300.0},
                {
                    "account_id": self.deferred_account,
                    "debit": 120.0,
                    "credit": 0.0,
                    "analytic_distribution": {str(self.card.analytic_account_id.id): 100},
                },
            ],
        )
        usage = self.card.entry_ids.filtered(lambda e: e.entry_type == "usage")
        self.assertEqual((usage.amount, usage.move_id), (-120.0, invoice))
        self.assertEqual(self.card.amount_outstanding, 380.0)
        self.assertBalancesMatchLedger(self.card)
        self.assertDeferredRevenueTies()

    def test_more_than_the_cards_hold_is_refused_with_the_figures_formatted(self):
        move_id = self._draft_invoice(800.0)
        action, wizard, _lines = self._open_wizard(move_id)
        self.assertEqual(wizard["amount"], 500.0, "all the card holds, less than the invoice")
        self.rpc("billing", action["res_model"], "write", [action["res_id"]], {"amount": 600.0})
        error = self.assertRpcRefused("billing", action["res_model"], "action_confirm", [action["res_id"]])
        self.assertIn(f"has {format_amount(self.env, 500.0, self.currency)} of prepaid credit to pay", error.message)
        self.assertIn(f"not {format_amount(self.env, 600.0, self.currency)}", error.message)
        self.assertFalse(self.env["account.move"].browse(move_id).invoice_line_ids.prepaid_service_id)

    def test_more_than_left_to_pay_is_refused_with_the_figures_formatted(self):
        move_id = self._draft_invoice(102.0)
        action, wizard, _lines = self._open_wizard(move_id)
        self.assertEqual(wizard["amount"], 102.0)
        self.rpc("billing", action["res_model"], "write", [action["res_id"]], {"amount": 150.0})
        error = self.assertRpcRefused("billing", action["res_model"], "action_confirm", [action["res_id"]])
        self.assertIn(f"has {format_amount(self.env, 102.0, self.currency)} left to pay before taxes", error.message)
        for amount in (0.0, -20.0):
            self.rpc("billing", action["res_model"], "write", [action["res_id"]], {"amount": amount})
            error = self.assertRpcRefused("billing", action["res_model"], "action_confirm", [action["res_id"]])
            self.assertIn("Give a positive amount", error.message)
        self.assertFalse(self.env["account.move"].browse(move_id).invoice_line_ids.prepaid_service_id)

    def test_confirm_reads_the_balance_again_not_what_the_wizard_showed(self):
        move_id = self._draft_invoice(300.0)
        action, _wizard, lines = self._open_wizard(move_id)
        # what the client sends as available is only shown, never believed
        self.rpc("billing", "prepaid.credit.wizard.line", "write", [lines[0]["id"]], {"available": 10000.0})
        # meanwhile another invoice uses 450 of the 500
        other = self._draft_invoice(450.0)
        self.rpc_apply_credit("billing", other)
        self.rpc("billing", "account.move", "action_post", [other])
        self.assertEqual(self.card.amount_outstanding, 50.0)

        error = self.assertRpcRefused("billing", action["res_model"], "action_confirm", [action["res_id"]])
        self.assertIn(f"has {format_amount(self.env, 50.0, self.currency)} of prepaid credit", error.message)
        self.rpc("billing", action["res_model"], "write", [action["res_id"]], {"amount": 50.0})
        self.rpc("billing", action["res_model"], "action_confirm", [action["res_id"]])
        invoice = self.env["account.move"].browse(move_id)
        self.assertEqual(invoice.amount_total, 250.0)
        self.assertBalancesMatchLedger(self.card)
