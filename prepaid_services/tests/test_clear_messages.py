from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import PrepaidHttpCommon

# the context of Timesheets > My Timesheets (hr_timesheet.act_hr_timesheet_line)
TIMESHEETS_ACTION_CONTEXT = {"search_default_week": 1, "is_timesheet": 1, "is_my_timesheets": 1}


@tagged("post_install", "-at_install")
class TestClearMessages(PrepaidHttpCommon):
    """Bad input is refused up front with a message that says what to do, and nothing is half-written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.role_users["product_manager"] = new_test_user(
            cls.env,
            login="pp_product_manager",
            password="pp_product_manager_pwd",
            groups="base.group_user,product.group_product_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.env["hr.employee"].create(
            {"name": "Timesheet User", "user_id": cls.role_users["timesheet"].id, "company_id": cls.company.id}
        )
        cls.card, _invoice = cls._sell(cls.block_product, 1000.0, on_date="2026-01-10")
        cls._assign(cls.card)

    def _counts(self):
        return (
            self.env["prepaid.ledger.entry"].search_count([]),
            self.env["account.move"].search_count([]),
        )

    def _log_as_timesheet_user(self, hours):
        return self.rpc(
            "timesheet",
            "account.analytic.line",
            "create",
            {
                "name": "Mailbox move",
                "project_id": self.project.id,
                "task_id": self.task.id,
                "unit_amount": hours,
                "date": "2026-02-02",
            },
            context=TIMESHEETS_ACTION_CONTEXT,
        )

    def test_negative_timesheet_on_a_prepaid_project_says_what_to_do(self):
        before = self._counts()
        error = self.assertRpcRefused(
            "timesheet",
            "account.analytic.line",
            "create",
            {"project_id": self.project.id, "task_id": self.task.id, "unit_amount": -1.5, "date": "2026-02-02"},
            context=TIMESHEETS_ACTION_CONTEXT,
        )
        self.assertIn("cannot be negative (-01:30)", error.message)
        self.assertIn("edit or delete that timesheet", error.message)
        self.assertEqual(self._counts(), before)
        self.assertFalse(self.env["account.analytic.line"].search([("project_id", "=", self.project.id)]))
        # the same door takes positive work
        self._log_as_timesheet_user(1.5)
        self.assertEqual(self.card.quantity_outstanding, 8.5)
