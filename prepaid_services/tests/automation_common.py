from odoo import Command
from odoo.tools.safe_eval import safe_eval

from .common import PrepaidHttpCommon


class PrepaidAutomationCommon(PrepaidHttpCommon):
    """Touch-free work to cash: a technician who logs time from My Timesheets and closes tasks, over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tech = cls.role_users["technician"]
        cls.tech_employee = cls.env["hr.employee"].create(
            {"name": "Field Tech", "user_id": cls.tech.id, "company_id": cls.company.id}
        )
        cls.receivable_account = cls.company_data["default_account_receivable"]
        cls.tax_account = cls.tax_sale_a.invoice_repartition_line_ids.account_id

    def setUp(self):
        super().setUp()
        # the invariant after every test: the deferred revenue account ties with the open lots (the cleanup runs
        # before the test's rollback, registered earlier)
        self.addCleanup(self.assertDeferredRevenueTies)

    @classmethod
    def _set_recognition_grouping(cls, grouping):
        cls.company.prepaid_recognition_grouping = grouping

    @classmethod
    def _recognition_groupings(cls):
        """Every recognition grouping the company can choose: consumption invoices must not depend on it."""
        return [value for value, _label in cls.env["res.company"]._fields["prepaid_recognition_grouping"].selection]

    def _run_scheduled_recognition(self):
        """The scheduled recognition of consumption, as the nightly run does it (whatever its method is called)."""
        self.env.ref("prepaid_services.ir_cron_post_daily_recognition").ir_actions_server_id.sudo().run()

    def _my_timesheets_context(self):
        action = self.env.ref("hr_timesheet.act_hr_timesheet_line")
        return safe_eval(action.context or "{}", {"uid": self.tech.id, "active_id": False, "active_ids": []})

    def _log_as_technician(self, hours, task, on_date, name="Field work", project=None):
        """The technician saves a timesheet from Timesheets > My Timesheets."""
        result = self.rpc(
            "technician",
            "account.analytic.line",
            "web_save",
            [],
            {
                "name": name,
                "project_id": (project or self.project).id,
                "task_id": task.id,
                "unit_amount": hours,
                "date": on_date,
            },
            specification={"id": {}},
            context=self._my_timesheets_context(),
        )
        return self.env["account.analytic.line"].browse(result[0]["id"])

    def _mark_done_as_technician(self, task):
        """The technician ticks the task done (the state widget of the task form and kanban card)."""
        self.rpc("technician", "project.task", "write", [task.id], {"state": "1_done"})
        task.invalidate_recordset()

    def _balance(self, account, moves=None):
        domain = [
            ("account_id", "=", account.id),
            ("parent_state", "=", "posted"),
            ("company_id", "=", self.company.id),
        ]
        if moves is not None:
            domain.append(("move_id", "in", moves.ids))
        return sum(self.env["account.move.line"].search(domain).mapped("balance"))

    def _consumption_invoices(self, card):
        return self.env["account.move"].search([("prepaid_consumption_service_id", "=", card.id)], order="id")

    def _recognition_entries(self, card):
        """Journal entries recognising revenue of the card (not its consumption invoices or top-ups)."""
        return self.env["account.move"].search(
            [("move_type", "=", "entry"), ("line_ids.prepaid_service_id", "=", card.id)]
        )

    def _portal_invoice_page(self):
        """/my/invoices as the customer's portal user sees it."""
        portal = self.role_users["portal"]
        self.authenticate(portal.login, f"{portal.login}_pwd")
        self._rpc_login = portal.login
        response = self.url_open("/my/invoices")
        response.raise_for_status()
        return response.text

    @classmethod
    def _task(cls, name, project=None):
        return cls.env["project.task"].create({"name": name, "project_id": (project or cls.project).id})

    @classmethod
    def _task_fee_rule(cls, card, task, price):
        """A fixed fee per field-service visit: the first work logged on the task costs price."""
        card.rate_ids = [
            Command.create(
                {"name": f"Visit {task.name}", "task_id": task.id, "conversion": "task", "price_unit": price}
            )
        ]
