from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import date_utils

from .common import PrepaidTimesheetCommon


@tagged("post_install", "-at_install")
class TestPrepaidTours(PrepaidTimesheetCommon, HttpCase):
    """What users do in the browser, one tour per flow, then what the flow left in the books.

    The tours log in as the test company's user (accountman: sales, project, timesheet, accounting and
    prepaid manager) and click through the real screens; the database is checked afterwards.
    """

    LOGIN = "accountman"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tour_user = cls.env.user
        cls.tour_user.employee_ids = [
            Command.create({"name": "Tour Technician", "company_id": cls.company.id, "hourly_cost": 40.0})
        ]
        cls.tax_account = cls.tax_sale_a.invoice_repartition_line_ids.account_id
        cls.receivable_account = cls.company_data["default_account_receivable"]
        cls.today = fields.Date.context_today(cls.tour_user)

    def setUp(self):
        super().setUp()
        Report = type(self.env["ir.actions.report"])
        # the browser always downloads the statement as it does where wkhtmltopdf works: in test mode the
        # server renders it as HTML whatever the state of wkhtmltopdf on the machine running the tests
        self.patch(Report, "get_wkhtmltopdf_state", lambda report: "ok")
        self.rendered_reports = []
        render = Report._render_qweb_html
        rendered = self.rendered_reports

        def record_render(report, report_ref, docids, data=None):
            content, report_type = render(report, report_ref, docids, data=data)
            rendered.append(
                {
                    "report": report._get_report(report_ref).report_name,
                    "card_ids": list(docids or (data or {}).get("service_ids") or []),
                    "data": dict(data or {}),
                    "content": content.decode() if isinstance(content, bytes) else str(content),
                }
            )
            return content, report_type

        # the tour's requests are served by threads of this process: every report rendered there is recorded
        self.patch(Report, "_render_qweb_html", record_render)

    def _recognition(self, card, value):
        return [
            {"account_id": self.deferred_account, "debit": value, "credit": 0.0},
            {
                "account_id": self.income_account,
                "debit": 0.0,
                "credit": value,
                "analytic_distribution": {str(card.analytic_account_id.id): 100},
            },
        ]

    def _sold_card(self, product=None, price=1000.0):
        card, _invoice = self._sell(product or self.block_product, price, on_date=self.today - timedelta(days=30))
        return card

    def _statements(self, card):
        return [
            report
            for report in self.rendered_reports
            if report["report"] == "prepaid_services.report_prepaid_statement" and report["card_ids"] == card.ids
        ]

    # ------------------------------------------------------------------
    # Selling
    # ------------------------------------------------------------------
    def test_sell_prepaid_hours_order_invoice_post_card_topped_up(self):
        self.start_tour("/odoo", "prepaid_services_sell_tour", login=self.LOGIN)

        order = self.env["sale.order"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((len(order), order.state), (1, "sale"))
        card = order.order_line.prepaid_service_id
        self.assertEqual((card.partner_id, card.service_type, card.uom_id), (self.customer, "quantity", self.uom_hour))
        invoice = order.invoice_ids
        self.assertEqual((len(invoice), invoice.state), (1, "posted"))
        self.assertMoveLines(
            invoice,
            [
                {"account_id": self.receivable_account, "debit": 1150.0, "credit": 0.0},
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 1000.0},
                {"account_id": self.tax_account, "debit": 0.0, "credit": 150.0},
            ],
        )
        receipt = card.entry_ids
        self.assertEqual(
            (receipt.entry_type, receipt.quantity, receipt.amount, receipt.value, receipt.move_id),
            ("receipt", 10.0, 1000.0, 1000.0, invoice),
        )
        self.assertEqual((card.quantity_outstanding, card.value_outstanding), (10.0, 1000.0))
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    # ------------------------------------------------------------------
    # Timesheets
    # ------------------------------------------------------------------
    def _assert_timesheet_consumed(self, card, hours, task):
        timesheet = self.env["account.analytic.line"].search(
            [("project_id", "=", self.project.id), ("employee_id", "=", self.tour_user.employee_ids.id)]
        )
        self.assertEqual((len(timesheet), timesheet.task_id, timesheet.unit_amount), (1, task, hours))
        usage = card.entry_ids.filtered(lambda entry: entry.entry_type == "usage")
        self.assertEqual((usage.quantity, usage.value, usage.timesheet_id), (-hours, -100.0 * hours, timesheet))
        self.assertMoveLines(usage.move_id, self._recognition(card, 100.0 * hours))
        self.assertEqual(card.quantity_outstanding, 10.0 - hours)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_log_time_from_my_timesheets_consumes_the_card(self):
        card = self._sold_card()
        self._assign(card)

        self.start_tour("/odoo", "prepaid_services_my_timesheets_tour", login=self.LOGIN)

        self._assert_timesheet_consumed(card, 3.0, self.task)

    def test_log_time_on_a_task_consumes_the_card(self):
        card = self._sold_card()
        self._assign(card)
        stage = self.env["project.task.type"].create({"name": "In Progress", "project_ids": self.project.ids})
        (self.task | self.task_2).stage_id = stage

        self.start_tour("/odoo", "prepaid_services_task_timesheet_tour", login=self.LOGIN)

        self._assert_timesheet_consumed(card, 1.5, self.task_2)

    # ------------------------------------------------------------------
    # Invoice paid with prepaid credit
    # ------------------------------------------------------------------
    def test_apply_prepaid_credit_on_an_invoice(self):
        card = self._sold_card(self.balance_product, 500.0)
        self._create_product(name="Firewall appliance", lst_price=102.0, taxes_id=[Command.set(self.tax_sale_a.ids)])

        self.start_tour("/odoo", "prepaid_services_invoice_credit_tour", login=self.LOGIN)

        invoice = self.env["account.move"].search(
            [("move_type", "=", "out_invoice"), ("invoice_line_ids.product_id.name", "=", "Firewall appliance")]
        )
        self.assertEqual((len(invoice), invoice.state, invoice.amount_total), (1, "posted", 0.0))
        self.assertMoveLines(
            invoice,
            [
                {"account_id": self.receivable_account, "debit": 0.0, "credit": 0.0},
                {"account_id": self.income_account, "debit": 0.0, "credit": 102.0},
                {
                    "account_id": self.deferred_account,
                    "debit": 102.0,
                    "credit": 0.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        usage = card.entry_ids.filtered(lambda entry: entry.entry_type == "usage")
        self.assertEqual((usage.amount, usage.move_id), (-102.0, invoice))
        self.assertEqual(card.amount_outstanding, 398.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    # ------------------------------------------------------------------
    # Expiry
    # ------------------------------------------------------------------
    def test_expire_residuals_through_the_preview(self):
        card = self._create_card(description="Expiring block", date_start=self.today - timedelta(days=90))
        lapsed_on = self.today - timedelta(days=10)
        lot = self._credit(card, 10, 1000.0, self.today - timedelta(days=90), valid_until=lapsed_on)
        self._use(card, 4, self.today - timedelta(days=60))
        other = self._create_card(description="Still valid block")
        self._credit(other, 5, 500.0, self.today - timedelta(days=90), valid_until=self.today + timedelta(days=30))

        self.start_tour(
            "/odoo/action-prepaid_services.action_prepaid_service", "prepaid_services_expiry_tour", login=self.LOGIN
        )

        expiry = card.entry_ids.filtered(lambda entry: entry.entry_type == "expiry")
        self.assertEqual((expiry.quantity, expiry.value, expiry.date), (-6.0, -600.0, lapsed_on))
        self.assertEqual(expiry.outflow_application_ids.inflow_id, lot)
        self.assertMoveLines(
            expiry.move_id,
            [
                {"account_id": self.deferred_account, "debit": 600.0, "credit": 0.0},
                {
                    "account_id": self.breakage_account,
                    "debit": 0.0,
                    "credit": 600.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertEqual((card.quantity_expired, card.quantity_outstanding), (6.0, 0.0))
        self.assertFalse(other.entry_ids.filtered(lambda entry: entry.entry_type == "expiry"))
        self.assertEqual(other.quantity_outstanding, 5.0)
        self.assertBalancesMatchLedger(card | other)
        self.assertDeferredRevenueTies()

    # ------------------------------------------------------------------
    # Statement
    # ------------------------------------------------------------------
    def test_print_the_statement_from_the_card(self):
        # the company's document layout is chosen (else the first print of a company asks for it first)
        self.company.external_report_layout_id = self.env.ref("web.external_layout_standard")
        card = self._sold_card()
        self._use(card, 2, self.today)

        self.start_tour(
            "/odoo/action-prepaid_services.action_prepaid_service", "prepaid_services_statement_tour", login=self.LOGIN
        )

        statements = self._statements(card)
        self.assertEqual(len(statements), 1, "the Print button of the wizard rendered the statement once")
        self.assertEqual(
            (statements[0]["data"]["date_from"], statements[0]["data"]["date_to"]),
            (
                fields.Date.to_string(date_utils.start_of(self.today, "month")),
                fields.Date.to_string(date_utils.end_of(self.today, "month")),
            ),
        )
        content = statements[0]["content"]
        self.assertIn(card.name, content)
        self.assertIn("Closing balance", content)
        self.assertEqual(self.env["prepaid.statement.wizard"].search([]).service_ids, card)

    # ------------------------------------------------------------------
    # Portal
    # ------------------------------------------------------------------
    def test_portal_customer_opens_the_card_and_downloads_the_statement(self):
        card = self._sold_card()
        self._use(card, 3, self.today)
        other_card, _invoice = self._sell(self.block_product, 900.0, partner=self.partner_b)
        contact = self.env["res.partner"].create({"name": "Customer contact", "parent_id": self.customer.id})
        new_test_user(
            self.env,
            login="pp_tour_portal",
            password="pp_tour_portal",
            groups="base.group_portal",
            partner_id=contact.id,
        )

        self.start_tour("/my", "prepaid_services_portal_tour", login="pp_tour_portal")

        statements = self._statements(card)
        self.assertEqual(len(statements), 1, "the statement link rendered the card's statement")
        content = statements[0]["content"]
        self.assertIn(card.name, content)
        self.assertIn("Closing balance", content)
        self.assertFalse(self._statements(other_card))
