from datetime import date

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger
from odoo.tools.misc import format_amount

from .common import PrepaidPeriodicMixin, PrepaidSaleCommon


@tagged("post_install", "-at_install")
class TestPeriodic(PrepaidPeriodicMixin, PrepaidSaleCommon):
    """Periodic cards: one invoice per period, allowance top-ups, period-end rules, overage, termination."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.allowance_product = cls._create_allowance_product()

    def _lots(self, card):
        return card.entry_ids.filtered(lambda e: e.entry_type == "receipt").sorted("date")

    def test_four_periods_with_carry_over_cap_invoiced_once_each(self):
        card = self._periodic_card(
            period_end_behaviour="carry_over", carry_over_cap_type="units", carry_over_cap=5.0, carry_over_periods=1
        )
        january = self._run("2026-01-01")
        self.assertEqual(len(january), 1)
        self.assertEqual(january.state, "posted")
        self.assertMoveLines(
            january,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 1000.0, "credit": 0.0},
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 1000.0},
            ],
        )
        self.assertFalse(self._run("2026-01-01"), "running twice invoices nothing twice")
        lot_jan = self._lots(card)
        self.assertEqual((lot_jan.quantity, lot_jan.valid_until), (10.0, date(2026, 2, 28)))
        self._use(card, 3, date(2026, 1, 20))

        february = self._run("2026-02-01")
        self.assertEqual(len(february), 1)
        # January closed: 7 h left, 5 h carried over, 2 h above the cap expired
        cap_expiry = card.entry_ids.filtered(lambda e: e.entry_type == "expiry")
        self.assertEqual((cap_expiry.quantity, cap_expiry.value), (-2.0, -200.0))
        self.assertMoveLines(
            cap_expiry.move_id,
            [
                {"account_id": self.deferred_account, "debit": 200.0, "credit": 0.0},
                {
                    "account_id": self.breakage_account,
                    "debit": 0.0,
                    "credit": 200.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertEqual(card.quantity_outstanding, 15.0)
        usage = self._use(card, 6, date(2026, 2, 10))
        lot_feb = self._lots(card)[1]
        self.assertEqual(
            [(a.inflow_id, a.quantity) for a in usage.outflow_application_ids],
            [(lot_jan, 5.0), (lot_feb, 1.0)],
            "the carried-over hours expire first, so they are used first",
        )

        # a gap: nobody runs the action in March; the April run catches up March and April
        catch_up = self._run("2026-04-02")
        self.assertEqual(len(catch_up), 2)
        self.assertEqual(
            card.period_ids.mapped("date_start"),
            [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)],
        )
        self.assertFalse(self._run("2026-04-02"))
        self.assertEqual(len(card.period_ids.invoice_id), 4)
        self.assertEqual(card.quantity_received, 40.0)
        # February closed with 9 h left: 5 carried, 4 expired; March closed with 10 left: 5 carried, 5 expired
        self.assertEqual(card.quantity_expired, 2.0 + 4.0 + 5.0)
        self.env["prepaid.ledger.entry"]._expire_residuals(
            card, today=date(2026, 4, 2)
        )  # February's carried 5 h lapsed on March 31
        self.assertEqual(card.quantity_expired, 16.0)
        self.assertEqual(card.quantity_outstanding, 40.0 - 9.0 - 16.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_one_invoice_per_period_is_enforced_by_the_database(self):
        card = self._periodic_card()
        self._run("2026-01-01")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env["prepaid.service.period"].sudo().create(  # even the engine cannot invoice a period twice
                {"service_id": card.id, "date_start": date(2026, 1, 1), "date_end": date(2026, 1, 31)}
            )

    def test_expire_unused_at_period_end(self):
        card = self._periodic_card(period_end_behaviour="expire")
        self._run("2026-01-01")
        self._use(card, 4, date(2026, 1, 15))
        self._run("2026-02-01")
        self.env["prepaid.ledger.entry"]._expire_residuals(card, today=date(2026, 2, 1))
        self.assertEqual((card.quantity_expired, card.quantity_outstanding), (6.0, 10.0))
        self.assertDeferredRevenueTies()

    def test_accumulate_keeps_unused_until_the_card_ends(self):
        card = self._periodic_card(period_end_behaviour="accumulate", date_end=date(2026, 12, 31))
        self._run("2026-01-01")
        self._run("2026-02-01")
        self.assertEqual(self._lots(card).mapped("valid_until"), [date(2026, 12, 31)] * 2)
        self.env["prepaid.ledger.entry"]._expire_residuals(card, today=date(2026, 3, 1))
        self.assertEqual(card.quantity_outstanding, 20.0)

    def test_overage_is_invoiced_at_banded_prices_on_the_next_invoice(self):
        card = self._periodic_card(overdraw_policy="invoice", period_end_behaviour="expire")
        card.overage_band_ids = [
            Command.create({"quantity_from": 0.0, "quantity_to": 5.0, "price_unit": 120.0}),
            Command.create({"quantity_from": 5.0, "quantity_to": 0.0, "price_unit": 150.0}),
        ]
        self._run("2026-01-01")
        usage = self._use(card, 17, date(2026, 1, 25))
        self.assertEqual((usage.pending_quantity, card.quantity_outstanding), (7.0, -7.0))

        february = self._run("2026-02-01")

        overage_lines = february.invoice_line_ids.filtered(lambda line: "overage" in line.name)
        self.assertEqual(
            [(line.quantity, line.price_unit, line.price_subtotal) for line in overage_lines],
            [(5.0, 120.0, 600.0), (2.0, 150.0, 300.0)],
        )
        # the customer reads the lines: figures as Odoo shows them, never 5.0 at 120.0
        self.assertEqual(
            overage_lines.mapped("name"),
            [
                f"{card.name}: overage 5.00 Hours at {format_amount(self.env, 120.0, self.currency)}",
                f"{card.name}: overage 2.00 Hours at {format_amount(self.env, 150.0, self.currency)}",
            ],
        )
        allowance = february.invoice_line_ids - overage_lines
        self.assertEqual(allowance.name, f"{card.display_name}: allowance 02/01/2026 - 02/28/2026")
        self.assertEqual(february.amount_total, 1900.0)
        self.assertEqual(usage.pending_quantity, 0.0)
        self.assertEqual(usage.value, -1900.0, "10 h of January's allowance, then 7 h billed as overage")
        self.assertEqual(card.quantity_outstanding, 10.0, "February's allowance is untouched")
        self.assertEqual(card.value_outstanding, 1000.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_early_termination_refunds_the_unused_balance_by_credit_note(self):
        card = self._periodic_card(termination_refund=True, date_end=date(2026, 12, 31))
        self._run("2026-01-01")
        self._use(card, 4, date(2026, 1, 10))
        with freeze_time("2026-01-20"):
            self._close_card(card)
        refund = card.entry_ids.filtered(lambda e: e.entry_type == "refund")
        self.assertEqual((refund.quantity, refund.value), (-6.0, -600.0))
        credit_note = refund.move_id
        self.assertEqual((credit_note.move_type, credit_note.amount_total), ("out_refund", 600.0))
        self.assertMoveLines(
            credit_note,
            [
                {"account_id": self.company_data["default_account_receivable"], "debit": 0.0, "credit": 600.0},
                {"account_id": self.deferred_account, "debit": 600.0, "credit": 0.0},
            ],
        )
        self.assertTrue(card.closed)
        self.assertEqual(card.quantity_outstanding, 0.0)
        self.assertFalse(self._run("2026-03-01"), "a closed card is not invoiced")
        self.assertDeferredRevenueTies()

    def test_early_termination_without_refund_expires_the_unused_balance(self):
        card = self._periodic_card(date_end=date(2026, 12, 31))
        self._run("2026-01-01")
        with freeze_time("2026-01-20"):
            self._close_card(card)
        self.assertEqual(card.quantity_expired, 10.0)
        self.assertDeferredRevenueTies()

    def test_carry_over_cap_cannot_be_negative(self):
        with self.assertRaises(ValidationError):
            self._periodic_card(carry_over_cap_type="units", carry_over_cap=-1.0)

    def test_straight_line_recognises_a_quarter_evenly_per_month_whatever_is_used(self):
        card = self._periodic_card(
            recurrence_unit="quarter",
            period_allowance=30.0,
            period_price=3000.0,
            recognition_method="monthly",
            period_end_behaviour="expire",
        )
        self._run("2026-01-01")
        usage = self._use(card, 12, date(2026, 1, 20))
        self.assertEqual(usage.value, 0.0, "units used recognise nothing on a straight-line card")
        self.assertFalse(usage.move_id)

        self._run("2026-02-01")
        january = card.entry_ids.filtered(lambda e: e.entry_type == "usage" and e.quantity == 0)
        self.assertEqual((january.date, january.value), (date(2026, 1, 31), -1000.0))
        self.assertMoveLines(
            january.move_id,
            [
                {"account_id": self.deferred_account, "debit": 1000.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 1000.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self._run("2026-02-01")
        self.assertEqual(len(card.entry_ids.filtered(lambda e: e.quantity == 0)), 1, "each month once")

        self._run("2026-04-01")
        slices = card.entry_ids.filtered(lambda e: e.entry_type == "usage" and e.quantity == 0)
        self.assertEqual(sorted(slices.mapped("value")), [-1000.0, -1000.0, -1000.0])
        self.assertEqual(card.value_outstanding, 3000.0, "April's quarter is deferred; January's is earned")
        self.env["prepaid.ledger.entry"]._expire_residuals(card, today=date(2026, 4, 1))
        self.assertEqual(card.quantity_expired, 18.0)
        self.assertEqual(card.entry_ids.filtered(lambda e: e.entry_type == "expiry").value, 0.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_straight_line_at_period_end(self):
        card = self._periodic_card(recognition_method="period_end")
        self._run("2026-01-01")
        self._use(card, 2, date(2026, 1, 5))
        self._run("2026-01-31")
        self.assertEqual(card.value_outstanding, 1000.0, "nothing before the period ends")
        self._run("2026-02-01")
        self.assertEqual(card.value_outstanding, 1000.0, "January earned (1000), February deferred (1000)")
        self.assertEqual(card.amount_used, 1000.0)
        self.assertDeferredRevenueTies()
