from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PrepaidTimesheetCommon


@tagged("post_install", "-at_install")
class TestDocumentLifecycle(PrepaidTimesheetCommon):
    """Invoices and credit notes through their whole life: posted, credited, reset, posted again. After every
    step the deferred revenue account equals the open lots and the stored balances equal the ledger."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.equipment = cls._create_product(name="Firewall appliance", lst_price=100.0, taxes_id=[Command.clear()])

    def _invoice(self, price, on_date="2026-02-01"):
        return self._create_invoice(
            invoice_date=on_date,
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.equipment, price_unit=price)],
        )

    def _paid_with_credit(self, price, on_date="2026-02-01"):
        invoice = self._invoice(price, on_date)
        self._apply_credit(invoice)
        invoice.action_post()
        return invoice

    def assertCaught(self, call):
        """Call and catch a UserError as a batch, a scheduled action or an import does (assertRaises would
        roll back to a savepoint of its own and hide what the module leaves behind)."""
        try:
            call()
        except UserError:
            return
        self.fail("the module did not refuse")

    def assertTies(self, card, outstanding):
        card.invalidate_recordset()
        self.assertAlmostEqual(card.amount_outstanding, outstanding)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_credit_note_reset_to_draft_takes_the_credit_back_and_posts_again(self):
        card, _topup = self._sell(self.balance_product, 500.0)
        invoice = self._paid_with_credit(102.0)
        self.assertTies(card, 398.0)
        credit_note = self._reverse_invoice(invoice, post=True, date="2026-02-10")
        self.assertTies(card, 500.0)

        credit_note.button_draft()
        self.assertTies(card, 398.0)
        credit_note.action_post()
        self.assertTies(card, 500.0)

        with self.assertRaisesRegex(UserError, "reset or cancel that credit note first"):
            invoice.button_draft()
        credit_note.button_draft()
        invoice.button_draft()
        self.assertTies(card, 500.0)
        self.assertEqual(
            self.env["account.move.line"]
            .search([("account_id", "=", self.deferred_account.id), ("parent_state", "=", "posted")])
            .mapped("balance"),
            [-500.0],
            "only the top-up is left on deferred revenue",
        )

    def test_credit_given_back_and_used_since_cannot_be_taken_back(self):
        card, _topup = self._sell(self.balance_product, 500.0)
        invoice = self._paid_with_credit(500.0)
        credit_note = self._reverse_invoice(invoice, post=True, date="2026-02-10")
        self._paid_with_credit(450.0, on_date="2026-02-11")
        with self.assertRaisesRegex(UserError, "has been used since"):
            credit_note.button_draft()
        self.assertEqual(credit_note.state, "posted")
        self.assertTies(card, 50.0)

    def test_invoice_paid_with_credit_reset_posted_again_can_be_credited(self):
        card, _topup = self._sell(self.balance_product, 500.0)
        invoice = self._paid_with_credit(102.0)
        invoice.button_draft()
        self.assertTies(card, 500.0)
        invoice.action_post()
        self.assertTies(card, 398.0)
        credit_note = self._reverse_invoice(invoice, post=True, date="2026-02-10")
        self.assertEqual(credit_note.state, "posted")
        self.assertTies(card, 500.0)

    def test_two_drafts_applying_the_whole_balance_on_a_negative_card_are_settled_by_the_next_top_up(self):
        card, _topup = self._sell(self.balance_product, 500.0)
        card.overdraw_policy = "negative"
        first, second = self._invoice(500.0), self._invoice(500.0, on_date="2026-02-02")
        self._apply_credit(first)
        self._apply_credit(second)
        first.action_post()
        second.action_post()
        self.assertTies(card, -500.0)
        usage = card.entry_ids.filtered(lambda e: e.invoice_line_id.move_id == second)
        self.assertEqual(usage.pending_quantity, 500.0)
        uncovered = self.env["account.move"].search([("prepaid_entry_id", "=", usage.id)])
        self.assertMoveLines(
            uncovered,
            [
                {
                    "account_id": self.income_account,
                    "debit": 500.0,
                    "credit": 0.0,
                    "analytic_distribution": card._get_analytic_distribution() or False,
                },
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 500.0},
            ],
        )

        self._sell(self.balance_product, 1000.0, card=card, on_date="2026-02-20")
        self.assertEqual(usage.pending_quantity, 0.0)
        settled = self.env["account.move"].search([("prepaid_entry_id", "=", usage.id)]) - uncovered
        self.assertMoveLines(
            settled,
            [
                {"account_id": self.deferred_account, "debit": 500.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 500.0,
                    "analytic_distribution": card._get_analytic_distribution() or False,
                },
            ],
        )
        self.assertEqual(settled.date, date(2026, 2, 20))
        self.assertTies(card, 500.0)

    def test_switching_back_from_the_daily_summary_strands_nothing(self):
        self.company.prepaid_recognition_grouping = "daily"
        card = self._create_card()
        self._credit(card, 10, 1000.0, date(2026, 1, 1))
        self._assign(card)
        self._log(2.0, on_date="2026-02-02")
        self.company.prepaid_recognition_grouping = "entry"
        moves = self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date(2026, 2, 3))
        self.assertMoveLines(
            moves,
            [
                {"account_id": self.deferred_account, "debit": 200.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 200.0,
                    "analytic_distribution": card._get_analytic_distribution() or False,
                },
            ],
        )
        self.assertDeferredRevenueTies()

    def test_a_refused_credit_note_stays_draft_even_when_the_caller_catches_the_error(self):
        card, invoice = self._sell(self.block_product, 1000.0)
        self._use(card, 8, date(2026, 2, 1))
        credit_note = self._reverse_invoice(invoice)  # all 10 h, only 2 left
        self.assertCaught(credit_note.action_post)
        self.assertEqual(credit_note.state, "draft")
        self.assertFalse(card.entry_ids.filtered(lambda e: e.entry_type == "refund"))
        self.assertEqual(card.quantity_outstanding, 2.0)
        self.assertDeferredRevenueTies()

    def test_a_refused_timesheet_or_correction_leaves_nothing_behind_when_caught(self):
        card = self._create_card()
        self._credit(card, 3, 300.0, date(2026, 1, 1))
        self._assign(card)
        timesheet = self._log(2.0, on_date="2026-02-02")
        Line = self.env["account.analytic.line"]
        count = Line.search_count([("project_id", "=", self.project.id)])
        self.assertCaught(lambda: self._log(5.0, on_date="2026-02-03"))
        self.assertEqual(Line.search_count([("project_id", "=", self.project.id)]), count, "no timesheet row left")
        self.assertCaught(lambda: timesheet.write({"unit_amount": 4.0}))
        self.assertEqual(timesheet.unit_amount, 2.0)
        self.assertEqual(timesheet.prepaid_entry_ids.mapped("quantity"), [-2.0], "the old consumption stands")
        self.assertEqual(card.quantity_outstanding, 1.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_partial_credit_notes_give_back_the_matching_part_of_the_credit(self):
        card, _topup = self._sell(self.balance_product, 500.0)
        invoice = self._paid_with_credit(200.0)
        self.assertTies(card, 300.0)

        first = self._reverse_invoice(invoice, date="2026-02-10")
        for line in first.invoice_line_ids:
            line.price_unit /= 4  # a quarter of each line: 50 of the equipment, 50 of the credit
        first.action_post()
        self.assertMoveLines(
            first,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 0.0, "credit": 0.0},
                {"account_id": self.income_account, "debit": 50.0, "credit": 0.0},
                {
                    "account_id": self.deferred_account,
                    "debit": 0.0,
                    "credit": 50.0,
                    "analytic_distribution": card._get_analytic_distribution() or False,
                },
            ],
        )
        self.assertTies(card, 350.0)
        given = card.entry_ids.filtered(lambda e: e.invoice_line_id.move_id == first)
        self.assertEqual((given.quantity, given.amount, given.value), (50.0, 50.0, 50.0))

        rest = self._reverse_invoice(invoice, date="2026-02-11")
        for line in rest.invoice_line_ids:
            line.price_unit *= 3 / 4
        rest.action_post()
        self.assertTies(card, 500.0)

        too_much = self._reverse_invoice(invoice, date="2026-02-12")
        with self.assertRaisesRegex(UserError, "has only \\$\\s?0.00 left to give back"):
            too_much.action_post()
        self.assertTies(card, 500.0)
