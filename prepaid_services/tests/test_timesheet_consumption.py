from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PrepaidTimesheetCommon


@tagged("post_install", "-at_install")
class TestTimesheetConsumption(PrepaidTimesheetCommon):
    """Timesheets on assigned jobs consume cards through rate rules; edits correct, deletes reverse."""

    def _usage(self, timesheet):
        return timesheet._prepaid_active_entries()

    def _recognition(self, card, amount):
        return [
            {"account_id": self.deferred_account, "debit": amount, "credit": 0.0},
            {
                "account_id": self.income_account,
                "debit": 0.0,
                "credit": amount,
                "analytic_distribution": {str(card.analytic_account_id.id): 100},
            },
        ]

    def test_timesheet_on_assigned_job_consumes_hours_and_recognises_revenue(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._assign(card)

        timesheet = self._log(3.0)

        usage = self._usage(timesheet)
        self.assertEqual((usage.service_id, usage.quantity, usage.value), (card, -3.0, -300.0))
        self.assertEqual(timesheet.prepaid_service_ids, card)
        self.assertMoveLines(usage.move_id, self._recognition(card, 300.0))
        self.assertEqual(card.quantity_outstanding, 7.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_timesheet_outside_assigned_tasks_or_dates_consumes_nothing(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._assign(card, task_ids=[Command.set(self.task.ids)], date_start=date(2026, 2, 1))
        self._log(1.0, task=self.task_2)
        self._log(1.0, on_date="2026-01-20")
        self.assertEqual(card.quantity_outstanding, 10.0)
        self._log(1.0)
        self.assertEqual(card.quantity_outstanding, 9.0)

    def test_after_hours_rule_counts_one_and_a_half_hours_per_hour(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._assign(card)
        card.rate_ids = [Command.create({"time_band": "after_hours", "factor": 1.5})]

        self._log(2.0, prepaid_after_hours=True)
        self._log(1.0)

        self.assertEqual(card.quantity_used, 4.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_ticket_card_counts_one_ticket_per_task(self):
        uom_unit = self.env.ref("uom.product_uom_unit")
        card = self._create_card(uom_id=uom_unit.id)
        self._credit(card, 5, 250.0, date(2026, 1, 1))
        self._assign(card)
        card.rate_ids = [Command.create({"conversion": "task", "factor": 1.0})]

        first = self._log(2.0, task=self.task)
        second = self._log(3.0, task=self.task)
        self._log(0.5, task=self.task_2)

        self.assertEqual(self._usage(first).quantity, -1.0)
        self.assertFalse(self._usage(second), "the task's ticket is already counted")
        self.assertEqual(card.quantity_used, 2.0)
        self.assertEqual(card.value_outstanding, 150.0)
        self.assertDeferredRevenueTies()

    def test_token_card_counts_one_token_per_started_quarter_hour(self):
        card = self._create_card(uom_id=self.env.ref("uom.product_uom_unit").id)
        self._credit(card, 40, 400.0, date(2026, 1, 1))
        self._assign(card)
        card.rate_ids = [Command.create({"conversion": "block", "block_minutes": 15, "factor": 1.0})]

        self._log(0.3)  # 18 minutes: two started quarters
        self._log(1.0)  # four quarters

        self.assertEqual(card.quantity_used, 6.0)
        self.assertDeferredRevenueTies()

    def test_amount_card_is_consumed_at_the_hourly_rate_or_the_rule_price(self):
        card, _invoice = self._sell(self.balance_product, 1000.0)
        card.hourly_rate = 120.0
        self._assign(card)
        card.rate_ids = [Command.create({"employee_id": self.employee_2.id, "price_unit": 150.0})]

        timesheet = self._log(2.5)
        self._log(1.0, employee=self.employee_2)

        self.assertEqual(self._usage(timesheet).amount, -300.0)
        self.assertEqual(card.amount_used, 450.0)
        self.assertEqual(card.amount_outstanding, 550.0)
        self.assertMoveLines(self._usage(timesheet).move_id, self._recognition(card, 300.0))
        self.assertDeferredRevenueTies()

    def test_editing_a_timesheet_corrects_consumption_with_new_entries(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._assign(card)
        timesheet = self._log(3.0)
        first = self._usage(timesheet)

        timesheet.unit_amount = 5.0

        second = self._usage(timesheet)
        self.assertNotEqual(first, second)
        self.assertEqual(first.reversal_entry_ids.quantity, 3.0)
        self.assertEqual(second.quantity, -5.0)
        self.assertMoveLines(
            first.reversal_entry_ids.move_id,
            [{**line, "debit": line["credit"], "credit": line["debit"]} for line in self._recognition(card, 300.0)],
        )
        self.assertMoveLines(second.move_id, self._recognition(card, 500.0))
        self.assertEqual(card.quantity_outstanding, 5.0)
        self.assertEqual(len(card.entry_ids), 4, "receipt, usage, its reversal, new usage: history is kept")

        timesheet.name = "Mail server upgrade"  # a change that does not touch consumption
        self.assertEqual(self._usage(timesheet), second)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_moving_a_timesheet_to_another_project_releases_the_card(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._assign(card)
        timesheet = self._log(3.0)
        other = self.env["project.project"].create({"name": "Internal", "company_id": self.company.id})
        timesheet.write({"project_id": other.id, "task_id": False})
        self.assertFalse(self._usage(timesheet))
        self.assertEqual(card.quantity_outstanding, 10.0)
        self.assertDeferredRevenueTies()

    def test_deleting_a_timesheet_reverses_its_consumption(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._assign(card)
        timesheet = self._log(3.0)
        usage = self._usage(timesheet)

        timesheet.unlink()

        self.assertEqual(usage.reversal_entry_ids.quantity, 3.0)
        self.assertEqual(card.quantity_outstanding, 10.0)
        self.assertEqual(card.value_outstanding, 1000.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_two_cards_on_one_job_draw_expiring_first_then_priority(self):
        later = self._create_card(priority=1)
        self._credit(later, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 12, 31))
        sooner = self._create_card(priority=5)
        self._credit(sooner, 2, 180.0, date(2026, 1, 1), valid_until=date(2026, 6, 30))
        self._assign(later)
        self._assign(sooner)

        timesheet = self._log(3.0)

        usage = self._usage(timesheet).sorted(lambda e: e.service_id == later)
        self.assertEqual(
            [(e.service_id, e.quantity, e.value) for e in usage], [(sooner, -2.0, -180.0), (later, -1.0, -100.0)]
        )
        self.assertBalancesMatchLedger(later | sooner)
        self.assertDeferredRevenueTies()

    def test_billable_only_card_ignores_non_billable_work(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        card.billable_only = True
        self._assign(card)
        timesheet = self._log(2.0)
        self.assertEqual(timesheet.timesheet_invoice_type, "non_billable")
        self.assertFalse(self._usage(timesheet))
        card.billable_only = False
        self.assertTrue(self._usage(self._log(2.0)))

    def test_block_policy_refuses_the_timesheet_naming_card_and_shortfall(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._assign(card)
        self._log(9.0)
        count = self.env["account.analytic.line"].search_count([("project_id", "=", self.project.id)])

        with self.assertRaises(UserError) as error:
            self._log(3.0)

        self.assertIn(card.name, str(error.exception))
        self.assertIn("2.00 Hours are missing", str(error.exception))
        self.assertEqual(self.env["account.analytic.line"].search_count([("project_id", "=", self.project.id)]), count)
        self.assertEqual(card.quantity_outstanding, 1.0)

    def test_negative_policy_lets_work_continue_and_next_top_up_settles_it(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        card.overdraw_policy = "negative"
        self._assign(card)
        timesheet = self._log(12.0)
        self.assertEqual(card.quantity_outstanding, -2.0)
        self.assertEqual(self._usage(timesheet).value, -1000.0)

        self._sell(self.block_product, 900.0, card=card, on_date="2026-03-01")

        usage = self._usage(timesheet)
        self.assertEqual((usage.pending_quantity, usage.value), (0.0, -1180.0))
        self.assertEqual(card.quantity_outstanding, 8.0)
        self.assertEqual(card.value_outstanding, 720.0)
        settlement = usage.outflow_application_ids.move_id - usage.move_id
        self.assertMoveLines(settlement, self._recognition(card, 180.0))
        self.assertEqual(settlement.date, date(2026, 3, 1))
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_top_up_never_relinks_past_timesheets(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._assign(card)
        timesheet = self._log(4.0)
        usage = self._usage(timesheet)
        new_card, _invoice = self._sell(self.block_product, 900.0, on_date="2026-03-01")
        self._assign(new_card)
        self.assertEqual(self._usage(timesheet), usage)
        self.assertEqual(new_card.quantity_outstanding, 10.0)

    def test_timesheet_in_another_company_than_the_card_is_refused(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        shared = self.env["project.project"].create({"name": "Shared desk", "company_id": False})
        self._assign(card, project=shared)
        company_b = self.setup_other_company(name="Company B")["company"]
        self.env.user.company_ids |= company_b
        employee_b = self.env["hr.employee"].create({"name": "Tech B", "company_id": company_b.id})

        with self.assertRaisesRegex(UserError, "this timesheet belongs to Company B"):
            self.env["account.analytic.line"].with_company(company_b).create(
                {
                    "name": "Work",
                    "project_id": shared.id,
                    "employee_id": employee_b.id,
                    "unit_amount": 1.0,
                    "date": "2026-02-02",
                }
            )
        self.assertEqual(card.quantity_outstanding, 10.0)

    def test_ended_card_refuses_work_after_its_end(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        card.date_end = date(2026, 1, 31)
        self._assign(card)
        with self.assertRaisesRegex(UserError, "runs from .* this timesheet is dated 02/02/2026"):
            self._log(1.0)

    def test_native_ordered_prepaid_line_keeps_counting_delivered_hours(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._assign(card)
        hours = self._create_product(
            name="Prepaid hours (native)",
            type="service",
            service_policy="ordered_prepaid",
            uom_id=self.uom_hour.id,
            lst_price=90.0,
            taxes_id=[Command.clear()],
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": hours.id, "product_uom_qty": 20})],
            }
        )
        order.action_confirm()
        self.project.allow_billable = True
        self.task.sale_line_id = order.order_line

        timesheet = self._log(3.0)

        self.assertEqual(timesheet.so_line, order.order_line)
        self.assertEqual(order.order_line.qty_delivered, 3.0)
        self.assertEqual(card.quantity_outstanding, 7.0)


@tagged("post_install", "-at_install")
class TestDailyRecognitionSummary(PrepaidTimesheetCommon):
    """With the daily option, timesheet consumption is recognised once per card and day."""

    def test_daily_summary_posts_one_entry_per_card_and_day(self):
        self.company.prepaid_recognition_grouping = "daily"
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._assign(card)
        first = self._log(2.0, on_date="2026-02-02")
        self._log(1.5, on_date="2026-02-02", task=self.task_2)
        corrected = self._log(1.0, on_date="2026-02-03")
        corrected.unit_amount = 0.5
        self.assertFalse(first._prepaid_active_entries().move_id, "nothing posted before the summary")
        self.assertDeferredRevenueTies()

        moves = self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date(2026, 2, 3))

        self.assertEqual(len(moves), 2)
        by_day = {move.date: move for move in moves}
        self.assertMoveLines(
            by_day[date(2026, 2, 2)],
            [
                {"account_id": self.deferred_account, "debit": 350.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 350.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        # Feb 3 holds the first 1 h and the corrected 0.5 h; the reversal of the 1 h is dated when it was made
        self.assertMoveLines(
            by_day[date(2026, 2, 3)],
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
        self.assertEqual(first._prepaid_active_entries().move_id, by_day[date(2026, 2, 2)])
        self.assertFalse(self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date(2026, 2, 3)))
        self.assertDeferredRevenueTies()

        correction = self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date.today())
        self.assertMoveLines(
            correction,
            [
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 100.0},
                {
                    "account_id": self.income_account,
                    "debit": 100.0,
                    "credit": 0.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertEqual(card.value_outstanding, 600.0)
        self.assertDeferredRevenueTies()


@tagged("post_install", "-at_install")
class TestConsumptionAnalysis(PrepaidTimesheetCommon):
    """Consumption can be analysed by month, customer, project and employee."""

    def test_consumption_grouped_by_project_and_employee(self):
        card, _invoice = self._sell(self.block_product, 1000.0)
        self._assign(card)
        self._log(2.0, employee=self.employee)
        self._log(1.5, employee=self.employee_2)
        groups = self.env["prepaid.ledger.entry"]._read_group(
            [("service_id", "=", card.id), ("entry_type", "=", "usage")],
            ["project_id", "employee_id", "date:month"],
            ["quantity:sum"],
        )
        self.assertEqual(
            sorted((p, e.name, q) for p, e, _m, q in groups),
            [(self.project, "Tech One", -2.0), (self.project, "Tech Two", -1.5)],
        )


@tagged("post_install", "-at_install")
class TestConsumptionMessages(PrepaidTimesheetCommon):
    """A refusal says the figures as Odoo shows them: units with their precision, never a float's tail."""

    def test_refused_timesheet_says_what_is_left_formatted(self):
        card = self._create_card()
        self._credit(card, 0.3, 30.0, date(2026, 1, 1))
        self._assign(card)
        self._log(0.1, on_date="2026-01-10")
        self._log(0.15, on_date="2026-01-11")  # 0.3 - 0.1 - 0.15 is 0.04999999999999999 in floats
        with self.assertRaises(UserError) as refused:
            self._log(0.1, on_date="2026-01-12")
        message = str(refused.exception)
        self.assertIn("cannot cover 0.10 Hours: only 0.05 Hours are available, 0.05 Hours are missing", message)
        self.assertNotIn("0.0499", message)
