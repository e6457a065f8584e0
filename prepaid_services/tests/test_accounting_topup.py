from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PrepaidSaleCommon


@tagged("post_install", "-at_install")
class TestAccountingTopup(PrepaidSaleCommon):
    """Top-up invoices book to deferred revenue; consumption recognises it at the value of each lot."""

    def _deferred_line(self, move):
        return move.line_ids.filtered(lambda line: line.account_id == self.deferred_account)

    def test_selling_a_block_opens_a_card_and_defers_the_invoice(self):
        card, invoice = self._sell(self.block_product, 1000.0)

        self.assertEqual(card.partner_id, self.customer)
        self.assertEqual((card.service_type, card.uom_id), ("quantity", self.uom_hour))
        tax_account = self.tax_sale_a.invoice_repartition_line_ids.account_id
        self.assertMoveLines(
            invoice,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 1150.0, "credit": 0.0},
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 1000.0},
                {"account_id": tax_account, "debit": 0.0, "credit": 150.0},
            ],
        )
        receipt = card.entry_ids
        self.assertEqual(
            (receipt.entry_type, receipt.quantity, receipt.amount, receipt.value, receipt.move_id),
            ("receipt", 10.0, 1000.0, 1000.0, invoice),
        )
        self.assertEqual(self._deferred_line(invoice).prepaid_service_id, card)
        self.assertEqual(card.quantity_outstanding, 10.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_two_blocks_at_different_prices_recognise_each_lot_at_its_price(self):
        card, _invoice = self._sell(self.block_product, 1000.0, on_date="2026-01-10")
        same_card, second = self._sell(self.block_product, 900.0, card=card, on_date="2026-02-10")
        self.assertEqual(same_card, card, "topping up the card chosen on the line")
        self.assertEqual(self._deferred_line(second).credit, 900.0)

        usage = self._use(card, 12, date(2026, 3, 1), product_id=self.block_product.id)

        self.assertEqual(usage.value, -1180.0, "10 h at 100 then 2 h at 90")
        self.assertMoveLines(
            usage.move_id,
            [
                {"account_id": self.deferred_account, "debit": 1180.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 1180.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertEqual(usage.move_id.journal_id, self.company.prepaid_journal_id)
        self.assertEqual(usage.move_id.prepaid_service_id, card)
        self.assertEqual(card.quantity_outstanding, 8.0)
        self.assertEqual(card.value_outstanding, 720.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_foreign_currency_amount_card_is_not_revalued(self):
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0), ("2026-03-01", 1.0)])
        card, invoice = self._sell(self.balance_product, 1000.0, on_date="2026-01-15", currency=eur)
        self.assertEqual(card.currency_id, eur)
        self.assertEqual(card.service_type, "amount")
        self.assertEqual(self._deferred_line(invoice).credit, 500.0, "1000 EUR at 2 EUR per USD")
        receipt = card.entry_ids
        self.assertEqual((receipt.quantity, receipt.amount, receipt.value), (1000.0, 1000.0, 500.0))

        usage = self._use(card, 300.0, date(2026, 3, 15), product_id=self.service_product.id)

        self.assertEqual(usage.amount, -300.0)
        self.assertEqual(usage.value, -150.0, "recognised at the rate of the top-up, not today's")
        self.assertMoveLines(
            usage.move_id,
            [
                {"account_id": self.deferred_account, "debit": 150.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 150.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertEqual(card.amount_outstanding, 700.0)
        self.assertEqual(card.value_outstanding, 350.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_partial_credit_note_refunds_from_its_top_up(self):
        card, invoice = self._sell(self.block_product, 1000.0, qty=2.0)  # 20 h
        credit_note = self._reverse_invoice(invoice)
        credit_note.invoice_line_ids.quantity = 0.5  # 5 h
        credit_note.action_post()

        refund = card.entry_ids.filtered(lambda e: e.entry_type == "refund")
        self.assertEqual((refund.quantity, refund.value, refund.move_id), (-5.0, -500.0, credit_note))
        self.assertEqual(refund.outflow_application_ids.inflow_id.invoice_line_id.move_id, invoice)
        tax_account = self.tax_sale_a.invoice_repartition_line_ids.account_id
        self.assertMoveLines(
            credit_note,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 0.0, "credit": 575.0},
                {"account_id": self.deferred_account, "debit": 500.0, "credit": 0.0},
                {"account_id": tax_account, "debit": 75.0, "credit": 0.0},
            ],
        )
        self.assertEqual((card.quantity_refunded, card.quantity_outstanding), (5.0, 15.0))
        self.assertEqual(card.value_outstanding, 1500.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_credit_note_beyond_what_remains_is_refused(self):
        card, invoice = self._sell(self.block_product, 1000.0)
        self._use(card, 8, date(2026, 2, 1))
        credit_note = self._reverse_invoice(invoice)
        credit_note.invoice_line_ids.quantity = 0.4  # 4 h, only 2 h remain

        # Odoo's assertRaises rolls back to a savepoint, as the request's transaction would
        with self.assertRaises(UserError) as error:
            credit_note.action_post()
        self.assertRegex(str(error.exception), r"takes back 4\.00 Hours .* only 2\.00 Hours of that top-up remain")
        self.assertEqual(credit_note.state, "draft")
        self.assertFalse(card.entry_ids.filtered(lambda e: e.entry_type == "refund"))
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_reset_to_draft_of_unused_top_up_reverses_the_receipt(self):
        card, invoice = self._sell(self.block_product, 1000.0)
        invoice.button_draft()

        receipt, reversal = card.entry_ids.sorted("id")
        self.assertEqual(reversal.reversed_entry_id, receipt)
        self.assertEqual((reversal.quantity, reversal.value), (-10.0, -1000.0))
        self.assertEqual((card.quantity_received, card.quantity_outstanding, card.value_outstanding), (0, 0, 0))
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

        invoice.action_post()
        self.assertEqual(card.quantity_outstanding, 10.0, "posting again tops up again")
        self.assertDeferredRevenueTies()

    def test_reset_to_draft_or_cancel_of_used_top_up_is_refused(self):
        card, invoice = self._sell(self.block_product, 1000.0)
        self._use(card, 1, date(2026, 2, 1))
        with self.assertRaisesRegex(UserError, "has already been used"):
            invoice.button_draft()
        with self.assertRaisesRegex(UserError, "has already been used"):
            invoice.button_cancel()
        self.assertEqual(invoice.state, "posted")
        self.assertDeferredRevenueTies()

    def test_recognition_entry_cannot_be_reset_by_hand(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        usage = self._use(card, 1, date(2026, 2, 1))
        with self.assertRaisesRegex(UserError, "posted by Prepaid Services"):
            usage.move_id.button_draft()

    def test_manual_invoice_of_a_prepaid_product_opens_a_card(self):
        invoice = self._create_invoice(
            invoice_date="2026-01-10",
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.block_product, price_unit=800.0)],
            post=True,
        )
        card = self._deferred_line(invoice).prepaid_service_id
        self.assertEqual(card.partner_id, self.customer)
        self.assertEqual((card.quantity_outstanding, card.value_outstanding), (10.0, 800.0))
        self.assertDeferredRevenueTies()

    def test_tax_on_consumption_leaves_top_up_untaxed(self):
        self.company.prepaid_tax_timing = "consumption"
        _card, invoice = self._sell(self.block_product, 1000.0)
        self.assertFalse(invoice.invoice_line_ids.tax_ids)
        self.assertEqual(invoice.amount_total, 1000.0)

    def test_locked_period_moves_recognition_to_first_open_day(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self.company.sudo().fiscalyear_lock_date = date(2026, 3, 31)
        usage = self._use(card, 1, date(2026, 3, 10))
        self.assertEqual(usage.date, date(2026, 4, 1), "the ledger entry shares its journal entry's date")
        self.assertEqual(usage.move_id.date, date(2026, 4, 1))
        self.assertDeferredRevenueTies()

    def test_integrity_check_reports_a_tampered_deferred_account(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._use(card, 3, date(2026, 2, 1))
        self.assertDeferredRevenueTies()

        tamper = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": "2026-02-02",
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {"account_id": self.deferred_account.id, "debit": 50.0, "prepaid_service_id": card.id}
                    ),
                    Command.create({"account_id": self.income_account.id, "credit": 50.0}),
                ],
            }
        )
        tamper.action_post()

        report = self.env["prepaid.service"]._get_deferred_revenue_differences(self.company)
        self.assertEqual(list(report), [self.company])
        self.assertEqual(report[self.company]["cards"], {card: (650.0, 700.0)})
        action = card.action_check_deferred_revenue()
        check = self.env[action["res_model"]].browse(action["res_id"])
        self.assertFalse(check.ties)
        self.assertEqual(check.item_ids.mapped("kind"), ["card"])
        self.assertEqual(check.item_ids.service_id, card)
