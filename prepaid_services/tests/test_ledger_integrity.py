from datetime import date

from odoo.addons.prepaid_services.models.prepaid_ledger_allocator import PostingOptions
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import PrepaidCommon


@tagged("post_install", "-at_install")
class TestLedgerIntegrity(PrepaidCommon):
    """The ledger is append-only, its input is checked, and the stored balances equal the ledger."""

    def test_stored_balances_equal_full_recomputation_after_mixed_sequence(self):
        card = self._create_card(overdraw_policy="negative", validity_interval=3, validity_unit="months")
        amount_card = self._create_card(service_type="amount", uom_id=False)
        self._use(card, 2, date(2026, 1, 3))
        self._credit(card, 10, 1000.0, date(2026, 1, 5))
        self._credit(card, 4, 480.0, date(2026, 1, 20))
        usage = self._use(card, 5, date(2026, 2, 1))
        self._use(card, 1.5, date(2026, 2, 2))
        usage._reverse_entries(date=date(2026, 2, 3))
        self.env["prepaid.ledger.entry"]._post_entries(
            [
                {
                    "service_id": card.id,
                    "entry_type": "adjustment",
                    "quantity": -0.5,
                    "date": date(2026, 2, 3),
                }
            ],
            [PostingOptions(counterpart_account=self.breakage_account.id)],
        )
        self._use(card, 12, date(2026, 2, 4))
        self._credit(card, 1, 90.0, date(2026, 2, 5))
        self._credit(amount_card, 500.0, 500.0, date(2026, 1, 1))
        self._use(amount_card, 123.45, date(2026, 1, 2))

        cards = card | amount_card
        self.assertBalancesMatchLedger(cards)
        self.assertEqual(card.quantity_received, 15.0)
        self.assertEqual(card.quantity_used, 16.0)
        self.assertEqual(card.quantity_outstanding, -1.0)
        self.assertEqual(amount_card.amount_outstanding, 376.55)
        self.assertEqual(amount_card.quantity_outstanding, 376.55)
        self.assertEqual(card.entry_ids.filtered("pending_quantity").pending_quantity, 1.0)
        self.assertEqual(card.next_expiry_date, False, "every lot is used up")
        self.assertDeferredRevenueTies()

    def test_balance_check_detects_a_tampered_balance(self):
        card = self._create_card()
        self._credit(card, 10, 1000.0, date(2026, 1, 1))
        self.env.cr.execute("UPDATE prepaid_service SET quantity_outstanding = 9 WHERE id = %s", [card.id])
        card.invalidate_recordset()
        self.assertEqual(
            list(self.env["prepaid.deferred.revenue.check"]._get_balance_differences(card)[card]),
            ["quantity_outstanding"],
        )

    def test_posted_entry_cannot_be_edited_or_deleted(self):
        card = self._create_card()
        entry = self._credit(card, 10, 1000.0, date(2026, 1, 1))
        with self.assertRaisesRegex(UserError, "cannot be modified"):
            entry.write({"quantity": 20})
        with self.assertRaisesRegex(UserError, "cannot be modified"):
            entry.remaining_quantity = 3
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            entry.sudo().unlink()  # not even the superuser: the code refuses, not only the access rights
        usage = self._use(card, 1, date(2026, 1, 2))
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            usage.outflow_application_ids.sudo().unlink()
        with self.assertRaisesRegex(UserError, "cannot be modified"):
            usage.outflow_application_ids.quantity = 0.5
        with self.assertRaisesRegex(UserError, "moved by ledger entries only"):
            card.quantity_outstanding = 100
        with self.assertRaisesRegex(UserError, "created by documents"):
            self.env["prepaid.ledger.entry"].create(
                {"service_id": card.id, "entry_type": "receipt", "bucket": "received", "quantity": 1}
            )
        self.assertEqual(entry.quantity, 10.0)
        self.assertEqual(card.quantity_outstanding, 9.0)

    def _assert_refused_and_nothing_written(self, card, regex, vals):
        count = self.env["prepaid.ledger.entry"].search_count([])
        moves = self.env["account.move"].search_count([])
        balances = self.env["prepaid.deferred.revenue.check"]._get_ledger_balances(card)
        with self.assertRaisesRegex(UserError, regex):
            self.env["prepaid.ledger.entry"]._post_entries([{"service_id": card.id, **vals}])
        self.assertEqual(self.env["prepaid.ledger.entry"].search_count([]), count)
        self.assertEqual(self.env["account.move"].search_count([]), moves)
        self.assertEqual(self.env["prepaid.deferred.revenue.check"]._get_ledger_balances(card), balances)

    def test_bad_input_is_refused_with_a_clear_error(self):
        card = self._create_card()
        amount_card = self._create_card(service_type="amount", uom_id=False)
        self._credit(card, 10, 1000.0, date(2026, 1, 1))
        other_currency = self.setup_other_currency("EUR")

        self._assert_refused_and_nothing_written(
            card, "must add a positive quantity", {"entry_type": "receipt", "quantity": -5, "amount": -500}
        )
        self._assert_refused_and_nothing_written(
            card, "negative amount", {"entry_type": "receipt", "quantity": 5, "amount": -500}
        )
        self._assert_refused_and_nothing_written(
            amount_card, "holds a money balance", {"entry_type": "receipt", "quantity": 5, "amount": 500}
        )
        self._assert_refused_and_nothing_written(
            card,
            "is in .* it cannot take an entry in EUR",
            {"entry_type": "receipt", "quantity": 5, "amount": 500, "currency_id": other_currency.id},
        )
        self._assert_refused_and_nothing_written(
            card, "needs a quantity or an amount other than zero", {"entry_type": "usage", "quantity": 0}
        )
        self._close_card(card)
        self._assert_refused_and_nothing_written(card, "is closed", {"entry_type": "usage", "quantity": -1})

    def test_card_type_and_currency_are_frozen_once_it_has_entries(self):
        card = self._create_card()
        self._credit(card, 10, 1000.0, date(2026, 1, 1))
        with self.assertRaisesRegex(UserError, "already has ledger entries"):
            card.service_type = "amount"
        with self.assertRaisesRegex(UserError, "already has ledger entries"):
            card.currency_id = self.setup_other_currency("EUR")

    def test_new_card_gets_number_and_analytic_account(self):
        card = self._create_card()
        self.assertTrue(card.name.startswith("PS"))
        self.assertEqual(card.analytic_account_id.partner_id, self.customer)
        self.company.prepaid_auto_analytic = False
        self.assertFalse(self._create_card().analytic_account_id)

    def test_manual_adjustment_wizard_posts_valued_credit_and_logs_reason(self):
        card = self._create_card()
        wizard = Form(self.env["prepaid.ledger.entry.wizard"].with_context(default_service_id=card.id))
        wizard.direction = "increase"
        wizard.quantity = 2
        wizard.amount = 150.0
        wizard.counterpart_account_id = self.goodwill_account
        wizard.reason = "Goodwill for the outage of May"
        wizard.save().action_confirm()

        entry = card.entry_ids
        self.assertEqual((entry.entry_type, entry.quantity, entry.value), ("adjustment", 2.0, 150.0))
        self.assertMoveLines(
            entry.move_id,
            [
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 150.0},
                {
                    "account_id": self.goodwill_account,
                    "debit": 150.0,
                    "credit": 0.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.env.cr.flush()
        self.assertIn("Goodwill for the outage of May", card.message_ids[0].body)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()
