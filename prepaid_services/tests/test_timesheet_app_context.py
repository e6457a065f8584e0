from datetime import date

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import PrepaidHttpCommon


@tagged("post_install", "-at_install")
class TestTimesheetsFromTheTimesheetsApp(PrepaidHttpCommon):
    """Time logged from Timesheets > My Timesheets consumes the card once and creates nothing else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card = cls._create_card()
        cls._credit(cls.card, 10, 1000.0, date(2026, 1, 1))
        cls._assign(cls.card)
        cls.tech = cls.role_users["technician"]
        cls.tech_employee = cls.env["hr.employee"].create(
            {"name": "Tech User", "user_id": cls.tech.id, "company_id": cls.company.id}
        )
        # the employee's favourite project (the one hr_timesheet proposes by default) is the prepaid one
        cls._log(1.0, on_date="2026-01-05", employee=cls.tech_employee)

    def _action_context(self, xmlid):
        action = self.env.ref(xmlid)
        return safe_eval(action.context or "{}", {"uid": self.tech.id, "active_id": False, "active_ids": []})

    def _timesheets(self):
        return self.env["account.analytic.line"].search([("project_id", "!=", False)])

    def test_my_timesheets_save_consumes_once_and_creates_no_phantom_timesheet(self):
        context = self._action_context("hr_timesheet.act_hr_timesheet_line")
        self.assertTrue(context.get("is_timesheet"), "the action a technician opens")
        before = self._timesheets()
        result = self.rpc(
            "technician",
            "account.analytic.line",
            "web_save",
            [],
            {
                "name": "Mail server check",
                "project_id": self.project.id,
                "task_id": self.task.id,
                "unit_amount": 0.5,
                "date": "2026-01-20",
            },
            specification={"id": {}},
            context=context,
        )
        created = self._timesheets() - before
        self.assertEqual(created.ids, [result[0]["id"]], "one timesheet saved, no phantom timesheet")
        self.card.invalidate_recordset()
        self.assertEqual(self.card.quantity_outstanding, 8.5)
        usage = created.prepaid_entry_ids
        self.assertEqual(usage.quantity, -0.5)
        self.assertMoveLines(
            usage.move_id,
            [
                {"account_id": self.deferred_account, "debit": 50.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 50.0,
                    "analytic_distribution": self.card._get_analytic_distribution() or False,
                },
            ],
        )
        # the analytic lines Odoo derives from the recognition entry are not timesheets
        derived = self.env["account.analytic.line"].search([("move_line_id", "in", usage.move_id.line_ids.ids)])
        self.assertTrue(derived)
        self.assertFalse(derived.project_id)
        self.assertFalse(derived.prepaid_entry_ids)
        self.assertBalancesMatchLedger(self.card)
        self.assertDeferredRevenueTies()

    def test_task_timesheet_tab_save_consumes_once(self):
        context = {**self._action_context("project.action_view_all_task"), "default_project_id": self.project.id}
        before = self._timesheets()
        self.rpc(
            "technician",
            "project.task",
            "web_save",
            self.task.ids,
            {
                "timesheet_ids": [
                    (0, 0, {"name": "Backup restore", "unit_amount": 1.25, "date": "2026-01-21"}),
                ]
            },
            specification={"id": {}},
            context=context,
        )
        created = self._timesheets() - before
        self.assertEqual(len(created), 1)
        self.assertEqual(created.prepaid_entry_ids.quantity, -1.25)
        self.card.invalidate_recordset()
        self.assertEqual(self.card.quantity_outstanding, 7.75)
        self.assertDeferredRevenueTies()

    def test_analytic_line_born_of_a_journal_item_never_consumes_a_card(self):
        """Even if a screen's defaults give it the prepaid project, a journal item's analytic line is no work."""
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": "2026-01-22",
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "account_id": self.income_account.id,
                            "debit": 10.0,
                            "analytic_distribution": {str(self.project.account_id.id): 100},
                        },
                    ),
                    (0, 0, {"account_id": self.deferred_account.id, "credit": 10.0}),
                ],
            }
        )
        move.with_context(is_timesheet=True, default_project_id=self.project.id).action_post()
        derived = self.env["account.analytic.line"].search([("move_line_id", "in", move.line_ids.ids)])
        self.assertFalse(derived.prepaid_entry_ids)
        self.card.invalidate_recordset()
        self.assertEqual(self.card.quantity_outstanding, 9.0)
