from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PrepaidCommon


@tagged("post_install", "-at_install")
class TestLedgerFifo(PrepaidCommon):
    """Outflows consume open top-ups earliest expiry first, then oldest, at each lot's own value."""

    def _apps(self, outflow):
        return [(app.inflow_id, app.quantity, app.value) for app in outflow.outflow_application_ids]

    def test_usage_consumes_earliest_expiry_first_then_oldest(self):
        card = self._create_card()
        lot_a = self._credit(card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 12, 31))
        lot_b = self._credit(card, 10, 900.0, date(2026, 2, 1), valid_until=date(2026, 6, 30))
        lot_c = self._credit(card, 5, 600.0, date(2026, 3, 1), valid_until=False)

        usage = self._use(card, 12, date(2026, 3, 15))

        self.assertEqual(self._apps(usage), [(lot_b, 10.0, 900.0), (lot_a, 2.0, 200.0)])
        self.assertEqual(usage.value, -1100.0)
        self.assertEqual(usage.amount, -1100.0)
        self.assertEqual((lot_a.remaining_quantity, lot_a.remaining_value), (8.0, 800.0))
        self.assertEqual((lot_b.remaining_quantity, lot_b.remaining_value), (0.0, 0.0))
        self.assertEqual((lot_c.remaining_quantity, lot_c.remaining_value), (5.0, 600.0))
        self.assertEqual(card.quantity_outstanding, 13.0)
        self.assertEqual(card.value_outstanding, 1400.0)
        self.assertEqual(card.next_expiry_date, date(2026, 12, 31))
        self.assertMoveLines(
            usage.move_id,
            [
                {"account_id": self.deferred_account, "debit": 1100.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 1100.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_usage_skips_top_ups_expired_at_its_date(self):
        card = self._create_card()
        lot_a = self._credit(card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 12, 31))
        lot_b = self._credit(card, 10, 900.0, date(2026, 2, 1), valid_until=date(2026, 6, 30))
        self._use(card, 4, date(2026, 3, 15))

        late = self._use(card, 9, date(2026, 7, 10))

        self.assertEqual(self._apps(late), [(lot_a, 9.0, 900.0)])
        self.assertEqual(lot_b.remaining_quantity, 6.0, "the expired lot stays open for the expiry run")
        self.assertEqual(card.next_expiry_date, date(2026, 6, 30))
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_partial_consumption_of_a_lot_leaves_no_rounding_residue(self):
        card = self._create_card()
        lot = self._credit(card, 3, 100.0, date(2026, 1, 1))
        values = [self._use(card, 1, date(2026, 1, d)).value for d in (2, 3, 4)]

        self.assertAlmostEqual(sum(values), -100.0, places=2)
        self.assertEqual(lot.remaining_value, 0.0)
        self.assertEqual(card.value_outstanding, 0.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_block_policy_refuses_overdraw_and_writes_nothing(self):
        card = self._create_card(overdraw_policy="block")
        self._credit(card, 5, 500.0, date(2026, 1, 1))
        entries_before = card.entry_count
        moves_before = self.env["account.move"].search_count([("prepaid_service_id", "=", card.id)])

        with self.assertRaisesRegex(UserError, r"only 5\.00 Hours are available, 2\.00 Hours are missing"):
            self._use(card, 7, date(2026, 1, 5))

        card.invalidate_recordset()
        self.assertEqual(card.entry_count, entries_before)
        self.assertEqual(card.quantity_outstanding, 5.0)
        self.assertEqual(self.env["account.move"].search_count([("prepaid_service_id", "=", card.id)]), moves_before)
        self.assertBalancesMatchLedger(card)

    def test_negative_balance_is_settled_first_by_next_top_up(self):
        card = self._create_card(overdraw_policy="negative")
        usage = self._use(card, 5, date(2026, 1, 10))
        self.assertEqual(usage.pending_quantity, 5.0)
        self.assertEqual(card.quantity_outstanding, -5.0)
        self.assertEqual(card.value_outstanding, 0.0)
        self.assertFalse(usage.move_id, "nothing deferred yet, so nothing to recognise")

        lot = self._credit(card, 10, 1000.0, date(2026, 2, 1))

        self.assertEqual(usage.pending_quantity, 0.0)
        self.assertEqual(usage.value, -500.0)
        self.assertEqual(lot.remaining_quantity, 5.0)
        self.assertEqual(card.quantity_outstanding, 5.0)
        self.assertEqual(card.value_outstanding, 500.0)
        self.assertEqual(usage.move_id.date, date(2026, 2, 1), "recognised when the top-up covers it")
        self.assertMoveLines(
            usage.move_id,
            [
                {"account_id": self.deferred_account, "debit": 500.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 500.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_reversing_a_usage_gives_each_lot_back_what_it_gave(self):
        card = self._create_card()
        lot_a = self._credit(card, 10, 1000.0, date(2026, 1, 1))
        lot_b = self._credit(card, 10, 900.0, date(2026, 2, 1))
        usage = self._use(card, 12, date(2026, 3, 1))

        reversal = usage._reverse_entries(date=date(2026, 3, 2))

        self.assertEqual(reversal.reversed_entry_id, usage)
        self.assertEqual(reversal.quantity, 12.0)
        self.assertEqual(
            [(a.inflow_id, a.quantity, a.value) for a in reversal.outflow_application_ids],
            [(lot_a, -10.0, -1000.0), (lot_b, -2.0, -180.0)],
        )
        self.assertEqual(reversal.value, 1180.0)
        self.assertEqual((lot_a.remaining_quantity, lot_a.remaining_value), (10.0, 1000.0))
        self.assertEqual((lot_b.remaining_quantity, lot_b.remaining_value), (10.0, 900.0))
        self.assertEqual(card.quantity_outstanding, 20.0)
        self.assertEqual(card.quantity_used, 0.0)
        self.assertMoveLines(
            reversal.move_id,
            [
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 1180.0},
                {
                    "account_id": self.income_account,
                    "debit": 1180.0,
                    "credit": 0.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()
