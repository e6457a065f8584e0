from datetime import date

from odoo.tests import freeze_time, tagged
from odoo.tools.safe_eval import safe_eval

from .common import PrepaidTimesheetCommon


@tagged("post_install", "-at_install")
class TestAccountingDates(PrepaidTimesheetCommon):
    """A ledger entry and its journal entry share one date; locked months never change; breakage lands in
    the month the right lapsed."""

    def _my_timesheets(self):
        action = self.env.ref("hr_timesheet.act_hr_timesheet_line")
        context = safe_eval(action.context, {"uid": self.env.uid})
        return self.env["account.analytic.line"].with_context(**context)

    def _january(self):
        return self.env["prepaid.deferred.revenue.report"]._get_rollforward(
            date(2026, 1, 1), date(2026, 1, 31), self.company
        )

    def test_late_timesheet_for_a_locked_month_goes_to_the_first_open_day_with_its_journal_entry(self):
        card = self._create_card()
        self._credit(card, 10, 1000.0, date(2026, 1, 2))
        self._assign(card)
        self._log(2.0, on_date="2026-01-20")
        self.assertEqual(self._january()["closing"], 800.0)
        self.company.sudo().fiscalyear_lock_date = date(2026, 1, 31)

        with freeze_time("2026-02-05"):
            late = self._my_timesheets().create(
                {
                    "name": "Late January work",
                    "project_id": self.project.id,
                    "task_id": self.task.id,
                    "employee_id": self.employee.id,
                    "unit_amount": 1.0,
                    "date": "2026-01-28",
                }
            )
        usage = late.prepaid_entry_ids
        self.assertEqual((usage.date, usage.move_id.date), (date(2026, 2, 1), date(2026, 2, 1)))
        self.assertMoveLines(
            usage.move_id,
            [
                {"account_id": self.deferred_account, "debit": 100.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 100.0,
                    "analytic_distribution": card._get_analytic_distribution() or False,
                },
            ],
        )
        january = self._january()
        self.assertEqual((january["closing"], january["account_closing"]), (800.0, 800.0), "January never changes")

        # correcting a January timesheet in February reverses and reposts in February too
        january_timesheet = card.entry_ids.filtered(lambda e: e.date == date(2026, 1, 20)).timesheet_id
        with freeze_time("2026-02-06"):
            january_timesheet.unit_amount = 3.0
        january = self._january()
        self.assertEqual((january["closing"], january["account_closing"]), (800.0, 800.0))
        self.assertEqual(card.quantity_outstanding, 6.0)
        corrections = card.entry_ids.filtered(lambda e: e.timesheet_id == january_timesheet and e.id > usage.id)
        self.assertEqual(sorted(corrections.mapped("quantity")), [-3.0, 2.0], "reversal of 2 h, then 3 h")
        self.assertEqual(set(corrections.mapped("date")), {date(2026, 2, 1), date(2026, 2, 6)}, "both in February")
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_january_allowance_lapses_in_january_when_the_scheduled_action_runs_on_1_february(self):
        card = self._create_card()
        self._credit(card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 1, 31))
        self._use(card, 4, date(2026, 1, 15))
        with freeze_time("2026-02-01"):
            self.env["prepaid.ledger.entry"]._cron_expire_residuals()
        expiry = card.entry_ids.filtered(lambda e: e.entry_type == "expiry")
        self.assertEqual((expiry.date, expiry.move_id.date), (date(2026, 1, 31), date(2026, 1, 31)))
        self.assertMoveLines(
            expiry.move_id,
            [
                {"account_id": self.deferred_account, "debit": 600.0, "credit": 0.0},
                {
                    "account_id": self.breakage_account,
                    "debit": 0.0,
                    "credit": 600.0,
                    "analytic_distribution": card._get_analytic_distribution() or False,
                },
            ],
        )
        january = self._january()
        self.assertEqual((january["breakage"], january["closing"], january["account_closing"]), (600.0, 0.0, 0.0))
        self.assertDeferredRevenueTies()
