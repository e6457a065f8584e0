from datetime import date
from unittest.mock import patch

from odoo import Command
from odoo.tests import freeze_time, tagged
from odoo.tools.safe_eval import safe_eval

from ..models import prepaid_ledger_application
from .common import PrepaidHttpCommon


@tagged("post_install", "-at_install")
class TestGroupedRecognition(PrepaidHttpCommon):
    """The default: the ledger moves at once, the revenue is recognised in one journal entry per company and day
    (one line pair per card and income account), by the nightly scheduled action or Recognise Now."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.prepaid_recognition_grouping = "daily"
        # a second customer with a card and a project of its own, and a service sold to another income account
        cls.other_income = cls.income_account.copy({"code": "400990", "name": "Project Revenue"})
        cls.project_service = cls._create_product(
            name="Project Hour",
            type="service",
            uom_id=cls.uom_hour.id,
            lst_price=150.0,
            taxes_id=[Command.clear()],
            property_account_income_id=cls.other_income.id,
        )
        cls.customer_2 = cls.env["res.partner"].create({"name": "Second Customer", "company_id": False})
        cls.project_2 = cls.env["project.project"].create(
            {"name": "Second Customer Project", "partner_id": cls.customer_2.id, "allow_timesheets": True}
        )
        cls.task_of_2 = cls.env["project.task"].create({"name": "Migration", "project_id": cls.project_2.id})

    def _my_timesheets(self, user=None):
        """Timesheets > My Timesheets, with the context its action gives the screen."""
        action = self.env.ref("hr_timesheet.act_hr_timesheet_line")
        context = safe_eval(action.context, {"uid": (user or self.env.user).id})
        return self.env["account.analytic.line"].with_user(user or self.env.user).with_context(**context)

    def _work(self, hours, on_date, project=None, task=None):
        return self._my_timesheets().create(
            {
                "name": "Work",
                "project_id": (project or self.project).id,
                "task_id": (task or self.task).id,
                "employee_id": self.employee.id,
                "unit_amount": hours,
                "date": on_date,
            }
        )

    def _two_cards(self):
        first = self._create_card()
        self._credit(first, 20, 2000.0, date(2026, 1, 2))
        self._assign(first)
        second = self._create_card(partner_id=self.customer_2.id, product_id=self.project_service.id)
        self._credit(second, 10, 1500.0, date(2026, 1, 2))
        self._assign(second, project=self.project_2)
        return first, second

    def test_a_new_company_recognises_grouped_and_settings_show_the_choice(self):
        company = self.env["res.company"].create({"name": "New Services Co"})
        self.assertEqual(company.prepaid_recognition_grouping, "daily")
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="prepaid_recognition_grouping"', arch)

    def test_one_journal_entry_per_company_and_day_with_a_line_pair_per_card_and_income_account(self):
        first, second = self._two_cards()
        self._work(2.0, "2026-02-02")
        self._work(1.0, "2026-02-02")
        self._work(3.0, "2026-02-02", project=self.project_2, task=self.task_of_2)
        self._work(0.5, "2026-02-03")

        # the cards move at once; the journal waits
        self.assertEqual(first.quantity_outstanding, 16.5)
        self.assertEqual(second.quantity_outstanding, 7.0)
        self.assertEqual(first.value_outstanding, 1650.0)
        self.assertEqual(first.value_awaiting_recognition, 350.0)
        self.assertEqual(second.value_awaiting_recognition, 450.0)
        usage = (first | second).entry_ids.filtered(lambda e: e.entry_type == "usage")
        self.assertFalse(usage.move_id)
        check = self.env["prepaid.deferred.revenue.check"]._get_differences(self.company)
        self.assertFalse(check, "the consumption awaiting recognition is on its own line: the account ties")
        self.assertDeferredRevenueTies()

        moves = self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date(2026, 2, 3))

        self.assertEqual(len(moves), 2, "one journal entry per company and day")
        by_day = {move.date: move for move in moves}
        analytic_1 = {str(first.analytic_account_id.id): 100}
        analytic_2 = {str(second.analytic_account_id.id): 100}
        self.assertMoveLines(
            by_day[date(2026, 2, 2)],
            [
                {"account_id": self.deferred_account, "debit": 300.0, "credit": 0.0, "partner_id": self.customer.id},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 300.0,
                    "analytic_distribution": analytic_1,
                    "partner_id": self.customer.id,
                },
                {"account_id": self.deferred_account, "debit": 450.0, "credit": 0.0, "partner_id": self.customer_2.id},
                {
                    "account_id": self.other_income,
                    "debit": 0.0,
                    "credit": 450.0,
                    "analytic_distribution": analytic_2,
                    "partner_id": self.customer_2.id,
                },
            ],
        )
        self.assertEqual(by_day[date(2026, 2, 2)].line_ids.prepaid_service_id, first | second)
        self.assertMoveLines(
            by_day[date(2026, 2, 3)],
            [
                {"account_id": self.deferred_account, "debit": 50.0, "credit": 0.0},
                {"account_id": self.income_account, "debit": 0.0, "credit": 50.0, "analytic_distribution": analytic_1},
            ],
        )
        self.assertEqual(usage.move_id, moves)
        (first | second).invalidate_recordset(["value_awaiting_recognition"])
        self.assertEqual((first | second).mapped("value_awaiting_recognition"), [0.0, 0.0])
        self.assertFalse(
            self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date(2026, 2, 3)),
            "a day is recognised once",
        )
        self.assertDeferredRevenueTies()

    def test_a_day_of_more_cards_than_one_entry_holds_is_split_card_by_card(self):
        first, second = self._two_cards()
        self._work(2.0, "2026-02-02")
        self._work(3.0, "2026-02-02", project=self.project_2, task=self.task_of_2)
        with patch.object(prepaid_ledger_application, "MAX_CARDS_PER_BATCH_ENTRY", 1):
            moves = self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date(2026, 2, 2))
        self.assertEqual(len(moves), 2)
        for card, value, income in ((first, 200.0, self.income_account), (second, 450.0, self.other_income)):
            move = card.entry_ids.filtered(lambda e: e.entry_type == "usage").move_id
            self.assertEqual(move.line_ids.prepaid_service_id, card, "a card's lines stay in one entry")
            self.assertEqual(move.date, date(2026, 2, 2))
            self.assertMoveLines(
                move,
                [
                    {"account_id": self.deferred_account, "debit": value, "credit": 0.0},
                    {
                        "account_id": income,
                        "debit": 0.0,
                        "credit": value,
                        "analytic_distribution": {str(card.analytic_account_id.id): 100},
                    },
                ],
            )
        self.assertDeferredRevenueTies()

    def test_a_correction_after_the_day_was_recognised_posts_in_the_next_grouped_entry(self):
        first, _second = self._two_cards()
        work = self._work(2.0, "2026-02-02")
        self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date(2026, 2, 2))
        with freeze_time("2026-02-04"):
            self._my_timesheets().browse(work.id).write({"unit_amount": 1.5})
        self.assertEqual(first.quantity_outstanding, 18.5)
        self.assertEqual(first.value_awaiting_recognition, -50.0)
        moves = self.env["prepaid.ledger.application"]._recognise_pending(up_to=date(2026, 2, 4))
        # the corrected work is dated its own day, the reversal of the old one the day it was made
        by_day = {move.date: move for move in moves}
        self.assertEqual(set(by_day), {date(2026, 2, 2), date(2026, 2, 4)})
        analytic = {str(first.analytic_account_id.id): 100}
        self.assertMoveLines(
            by_day[date(2026, 2, 2)],
            [
                {"account_id": self.deferred_account, "debit": 150.0, "credit": 0.0},
                {"account_id": self.income_account, "debit": 0.0, "credit": 150.0, "analytic_distribution": analytic},
            ],
        )
        self.assertMoveLines(
            by_day[date(2026, 2, 4)],
            [
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 200.0},
                {"account_id": self.income_account, "debit": 200.0, "credit": 0.0, "analytic_distribution": analytic},
            ],
        )
        self.assertDeferredRevenueTies()

    def test_recognise_now_posts_what_awaits_for_invoicing_users_and_managers_only(self):
        first, second = self._two_cards()
        self._work(2.0, "2026-02-02")
        self._work(1.0, "2026-02-02", project=self.project_2, task=self.task_of_2)
        self.assertEqual(
            self.rpc("prepaid_manager", "prepaid.service", "read", first.ids, ["value_awaiting_recognition"])[0][
                "value_awaiting_recognition"
            ],
            200.0,
        )
        for role in ("timesheet", "technician", "salesman", "portal"):
            self.assertRpcRefused(role, "prepaid.service", "action_recognise_now", first.ids)
        self.assertFalse(first.entry_ids.filtered(lambda e: e.entry_type == "usage").move_id)

        result = self.rpc("billing", "prepaid.service", "action_recognise_now", first.ids)

        self.assertIn("$\xa0200.00", result["params"]["message"])
        move = first.entry_ids.filtered(lambda e: e.entry_type == "usage").move_id
        self.assertMoveLines(
            move,
            [
                {"account_id": self.deferred_account, "debit": 200.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 200.0,
                    "analytic_distribution": {str(first.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertEqual(move.date, date(2026, 2, 2))
        self.assertFalse(second.entry_ids.filtered(lambda e: e.entry_type == "usage").move_id, "only the card asked")
        again = self.rpc("prepaid_manager", "prepaid.service", "action_recognise_now", first.ids)
        self.assertIn("Nothing awaits recognition", again["params"]["message"])
        self.assertDeferredRevenueTies()

    def test_one_entry_per_consumption_stays_a_setting(self):
        self.company.prepaid_recognition_grouping = "entry"
        first, _second = self._two_cards()
        work = self._work(2.0, "2026-02-02")
        self.assertMoveLines(
            work.prepaid_entry_ids.move_id,
            [
                {"account_id": self.deferred_account, "debit": 200.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 200.0,
                    "analytic_distribution": {str(first.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertFalse(first.value_awaiting_recognition)
        self.assertDeferredRevenueTies()
