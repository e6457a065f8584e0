import re
from collections import Counter
from datetime import date
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.sql_db import Cursor
from odoo.tests import tagged
from odoo.tools import SQL

from .common import PrepaidCommon


@tagged("post_install", "-at_install")
class TestExpiry(PrepaidCommon):
    """Expire Residuals releases what is left of top-ups past their validity into breakage."""

    def _breakage(self, card, value, credit_account=None):
        return [
            {"account_id": self.deferred_account, "debit": value, "credit": 0.0},
            {
                "account_id": credit_account or self.breakage_account,
                "debit": 0.0,
                "credit": value,
                "analytic_distribution": {str(card.analytic_account_id.id): 100},
            },
        ]

    def test_expiry_releases_only_the_lot_past_its_validity(self):
        card = self._create_card()
        lot_a = self._credit(card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 3, 31))
        lot_b = self._credit(card, 10, 900.0, date(2026, 2, 1), valid_until=date(2026, 12, 31))
        self._use(card, 4, date(2026, 2, 10))  # from lot A, which expires first

        expiry = self.env["prepaid.ledger.entry"]._expire_residuals(card, today=date(2026, 4, 15))

        self.assertEqual(len(expiry), 1)
        self.assertEqual(
            (expiry.entry_type, expiry.quantity, expiry.value, expiry.date), ("expiry", -6.0, -600.0, date(2026, 3, 31))
        )
        self.assertEqual(expiry.outflow_application_ids.inflow_id, lot_a)
        self.assertEqual((lot_a.remaining_quantity, lot_b.remaining_quantity), (0.0, 10.0))
        self.assertMoveLines(expiry.move_id, self._breakage(card, 600.0))
        self.assertEqual(expiry.move_id.date, date(2026, 3, 31), "breakage in the month the right lapsed")
        self.assertEqual((card.quantity_expired, card.quantity_outstanding), (6.0, 10.0))
        self.assertEqual(card.next_expiry_date, date(2026, 12, 31))
        self.env.cr.flush()
        self.assertIn("6.00 Hours expired on 03/31/2026 (value $&nbsp;600.00)", card.message_ids[0].body)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_each_lot_expires_at_its_own_value_in_one_breakage_entry(self):
        card = self._create_card()
        other = self._create_card(partner_id=self.partner_b.id)
        self._credit(card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 3, 31))
        self._credit(card, 5, 450.0, date(2026, 1, 5), valid_until=date(2026, 3, 31))
        self._credit(other, 3, 330.0, date(2026, 1, 5), valid_until=date(2026, 3, 31))

        expiries = self.env["prepaid.ledger.entry"]._expire_residuals(card | other, today=date(2026, 4, 2))

        self.assertEqual(sorted(expiries.mapped("value")), [-1000.0, -450.0, -330.0])
        move = expiries.move_id
        self.assertEqual(len(move), 1, "one breakage entry per company and day")
        self.assertMoveLines(
            move,
            [
                # the two lots of one card share one line pair in the batch entry
                *({**line, "partner_id": self.customer.id} for line in self._breakage(card, 1450.0)),
                {**self._breakage(other, 330.0)[0], "partner_id": self.partner_b.id},
                {**self._breakage(other, 330.0)[1], "partner_id": self.partner_b.id},
            ],
        )
        self.assertBalancesMatchLedger(card | other)
        self.assertDeferredRevenueTies()

    def test_running_twice_posts_nothing_twice(self):
        card = self._create_card()
        self._credit(card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 3, 31))
        first = self.env["prepaid.ledger.entry"]._expire_residuals(card, today=date(2026, 4, 2))
        moves = self.env["account.move"].search_count([])
        self.assertFalse(self.env["prepaid.ledger.entry"]._expire_residuals(card, today=date(2026, 4, 2)))
        self.env["prepaid.ledger.entry"]._cron_expire_residuals()
        self.assertEqual(self.env["account.move"].search_count([]), moves)
        self.assertEqual(card.entry_ids.filtered(lambda e: e.entry_type == "expiry"), first)
        self.assertDeferredRevenueTies()

    def test_scheduled_action_expires_every_company(self):
        card = self._create_card()
        self._credit(card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 3, 31))
        cron = self.env.ref("prepaid_services.ir_cron_expire_residuals")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
        self.env["prepaid.ledger.entry"]._cron_expire_residuals()
        self.assertEqual(card.quantity_expired, 10.0)
        self.assertDeferredRevenueTies()

    def test_unclaimed_property_option_keeps_expired_value_as_a_liability(self):
        self.company.prepaid_expiry_to_liability = True
        card = self._create_card()
        self._credit(card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 3, 31))
        expiry = self.env["prepaid.ledger.entry"]._expire_residuals(card, today=date(2026, 4, 2))
        unclaimed = self.company.prepaid_unclaimed_account_id
        self.assertEqual(unclaimed.account_type, "liability_current")
        self.assertMoveLines(expiry.move_id, self._breakage(card, 1000.0, credit_account=unclaimed))
        self.assertDeferredRevenueTies()

    def test_preview_posts_nothing_until_confirmed(self):
        card = self._create_card()
        lot = self._credit(card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 3, 31))
        entries = self.env["prepaid.ledger.entry"].search_count([])
        moves = self.env["account.move"].search_count([])

        action = card.action_expire_residuals()

        wizard = self.env["prepaid.expiry.wizard"].browse(action["res_id"])
        self.assertEqual(
            [(x.inflow_id, x.quantity, x.value, x.debit_account_id, x.credit_account_id) for x in wizard.line_ids],
            [(lot, 10.0, 1000.0, self.deferred_account, self.breakage_account)],
        )
        self.assertEqual(self.env["prepaid.ledger.entry"].search_count([]), entries)
        self.assertEqual(self.env["account.move"].search_count([]), moves)
        self.assertEqual(card.quantity_outstanding, 10.0)

        wizard.action_confirm()
        self.assertEqual(card.quantity_expired, 10.0)
        with self.assertRaisesRegex(UserError, "Nothing has expired"):
            self.env["prepaid.service"].browse(card.id).action_expire_residuals()
            self.env["prepaid.expiry.wizard"].browse(card.action_expire_residuals()["res_id"]).action_confirm()
        self.assertDeferredRevenueTies()

    def test_card_with_a_negative_balance_expires_nothing(self):
        card = self._create_card(overdraw_policy="negative")
        lot = self._credit(card, 2, 200.0, date(2026, 1, 1), valid_until=date(2026, 1, 31))
        self._use(card, 5, date(2026, 2, 10))  # the lot expired on its date: all of it is pending
        self.assertEqual(card.quantity_outstanding, -3.0)
        self.assertFalse(self.env["prepaid.ledger.entry"]._expire_residuals(card, today=date(2026, 3, 1)))
        self.assertEqual(lot.remaining_quantity, 2.0)

    def test_expiry_concurrent_with_consumption_expires_what_is_left(self):
        card = self._create_card()
        lot = self._credit(card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 3, 31))
        inflows = self.env["prepaid.ledger.entry"]._get_expirable_inflows(
            card, date(2026, 4, 2)
        )  # the preview sees 10 h
        self._use(card, 3, date(2026, 3, 30))  # someone logs time before the run posts
        expiry = self.env["prepaid.ledger.entry"]._expire_residuals(card, inflows=inflows)
        self.assertEqual(expiry.quantity, -7.0)
        self.assertEqual(lot.remaining_quantity, 0.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()


@tagged("post_install", "-at_install")
class TestExpiryPerformance(PrepaidCommon):
    """The number of queries of an expiry batch does not grow with the number of cards."""

    def _cards_with_expired_lots(self, count):
        cards = self.env["prepaid.service"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "uom_id": self.uom_hour.id,
                    "product_id": self.service_product.id,
                    "date_start": date(2026, 1, 1),
                }
                for _i in range(count)
            ]
        )
        # receipts without their invoices: this test measures the expiry run, not the top-ups
        self.env["prepaid.ledger.entry"]._post_entries(
            [
                {
                    "service_id": card.id,
                    "entry_type": "receipt",
                    "quantity": 10.0,
                    "amount": 1000.0,
                    "date": date(2026, 1, 1),
                    "valid_until": date(2026, 3, 31),
                }
                for card in cards
            ]
        )
        return cards

    def _count_expiry_queries(self, cards):
        """Queries of one expiry run, counted per statement (numbers blanked out)."""
        self.env.flush_all()
        self.env.invalidate_all()
        statements = Counter()
        execute = Cursor.execute

        def counting_execute(cr, query, params=None, log_exceptions=None):
            text = query.code if isinstance(query, SQL) else str(query)
            statements[re.sub(r"\d+", "N", re.sub(r"(%s, )+%s", "%s", text))] += 1
            return execute(cr, query, params, log_exceptions)

        with patch.object(Cursor, "execute", counting_execute):
            entries = self.env["prepaid.ledger.entry"]._expire_residuals(cards, today=date(2026, 4, 2))
            self.env.flush_all()
        self.assertEqual(len(entries), len(cards))
        return statements

    def test_expiry_queries_do_not_grow_with_the_number_of_cards(self):
        small = self._count_expiry_queries(self._cards_with_expired_lots(50))
        large = self._count_expiry_queries(self._cards_with_expired_lots(500))

        # Odoo's own account.move.line._prepare_analytic_distribution_line() checks the analytic
        # account of each analytic line with exists(): one query per card's breakage line,
        # whoever posts it. Everything else is batched (the ORM inserts in chunks of rows).
        def split(statements):
            analytic = sum(c for q, c in statements.items() if q.startswith('SELECT "account_analytic_account"."id"'))
            return analytic, sum(statements.values()) - analytic

        small_analytic, small_rest = split(small)
        large_analytic, large_rest = split(large)
        self.assertLessEqual(large_analytic - small_analytic, 450)
        self.assertLessEqual(
            large_rest, small_rest + 60, f"50 cards: {small_rest} queries, 500 cards: {large_rest} queries"
        )
        self.assertLess(large_rest / 500, 0.5, "queries per card must stay well under one")
