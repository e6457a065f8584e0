import io
import json
from datetime import date
from urllib.parse import quote, unquote, urlencode

import openpyxl

from odoo.tests import tagged

from .common import PrepaidHttpCommon

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@tagged("post_install", "-at_install")
class TestReportDownloadsByRole(PrepaidHttpCommon):
    """Who downloads what, through the doors the browser uses: the rollforward for accountants and prepaid
    managers, a statement for the customer it is about, under one name from the back office and the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.external_report_layout_id = cls.env.ref("web.external_layout_standard")
        cls.card, cls.invoice = cls._sell(cls.block_product, 1000.0, on_date="2026-02-03")
        cls._use(cls.card, 3, date(2026, 2, 10))
        cls.other_card, _invoice = cls._sell(cls.block_product, 900.0, on_date="2026-02-03", partner=cls.partner_b)

    def _login(self, role):
        user = self.role_users[role]
        self.authenticate(user.login, f"{user.login}_pwd")
        self._rpc_login = user.login

    def _filename(self, response):
        disposition = response.headers.get("Content-Disposition", "")
        return unquote(disposition.split("filename*=UTF-8''")[-1]) if "filename*=" in disposition else disposition

    def _rollforward(self, role):
        return self.rpc(
            role, "prepaid.rollforward.wizard", "create", {"date_from": "2026-02-01", "date_to": "2026-02-28"}
        )

    def test_accountant_and_prepaid_manager_print_export_and_open_the_rollforward(self):
        for role in ("accountant", "prepaid_manager"):
            with self.subTest(role=role):
                wizard_id = self._rollforward(role)
                name = f"Deferred Revenue Rollforward - {self.company.name} - February 2026"

                action = self.rpc(role, "prepaid.rollforward.wizard", "action_export_xlsx", [wizard_id])
                response = self.url_open(action["url"])
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers["Content-Type"], XLSX)
                self.assertEqual(self._filename(response), f"{name}.xlsx")
                sheet = openpyxl.load_workbook(io.BytesIO(response.content), data_only=True)["Rollforward"]
                self.assertEqual([sheet.cell(8, column).value for column in (4, 5, 9)], [1000, -300, 700])

                action = self.rpc(role, "prepaid.rollforward.wizard", "action_print", [wizard_id])
                self.assertEqual(action["report_name"], "prepaid_services.report_prepaid_rollforward")
                response = self.url_open(f"/report/html/{action['report_name']}/{wizard_id}")
                self.assertEqual(response.status_code, 200)
                self.assertIn(self.card.display_name, response.text)
                download = self._download(f"/report/pdf/{action['report_name']}/{wizard_id}")
                self.assertEqual(self._filename(download), f"{name}.pdf")

                if role == "accountant":
                    action = self.rpc(
                        role, "prepaid.rollforward.wizard", "action_open_figure", [wizard_id], "consumption"
                    )
                    items = self.rpc(role, "account.move.line", "search_read", action["domain"], ["debit", "credit"])
                    self.assertEqual(sum(item["credit"] - item["debit"] for item in items), -300.0)
                else:
                    error = self.assertRpcRefused(
                        role, "prepaid.rollforward.wizard", "action_open_figure", [wizard_id], "consumption"
                    )
                    self.assertIn("Invoicing or Accounting rights", error.message)
                # the open top-ups behind an ageing figure are the ledger's: every prepaid manager reads them
                action = self.rpc(role, "prepaid.rollforward.wizard", "action_open_figure", [wizard_id], "ageing_total")
                lots = self.rpc(role, "prepaid.ledger.entry", "search_read", action["domain"], ["remaining_value"])
                self.assertEqual(sorted(lot["remaining_value"] for lot in lots), [700.0, 900.0])

    def test_salesman_and_portal_user_get_no_rollforward(self):
        wizard_id = self._rollforward("prepaid_manager")
        for role in ("salesman", "portal"):
            with self.subTest(role=role):
                self.assertRpcRefused(
                    role, "prepaid.rollforward.wizard", "create", {"date_from": "2026-02-01", "date_to": "2026-02-28"}
                )
                self.assertRpcRefused(role, "prepaid.rollforward.wizard", "action_open_figure", [wizard_id], "topups")
                self._login(role)
                response = self.url_open(f"/prepaid_services/rollforward/{wizard_id}/xlsx")
                self.assertNotEqual(response.headers.get("Content-Type"), XLSX)
                self.assertNotIn(b"1000", response.content)
                response = self.url_open(f"/report/html/prepaid_services.report_prepaid_rollforward/{wizard_id}")
                self.assertNotIn(self.card.name, response.text)

    def test_a_prepaid_manager_does_not_download_another_managers_rollforward(self):
        wizard_id = self._rollforward("accountant")
        self._login("prepaid_manager")
        response = self.url_open(f"/prepaid_services/rollforward/{wizard_id}/xlsx")
        self.assertNotEqual(response.headers.get("Content-Type"), XLSX)

    def _download(self, url):
        """/report/download as the browser calls it for a report action."""
        return self.url_open("/report/download?" + urlencode({"data": json.dumps([url, "qweb-pdf"]), "context": "{}"}))

    def test_statement_has_one_name_from_the_back_office_and_the_portal(self):
        period = {"date_from": "2026-02-01", "date_to": "2026-02-28"}
        name = f"Statement - {self.card.name} - partner_a - February 2026"

        action = self.rpc(
            "salesman",
            "prepaid.statement.wizard",
            "action_print",
            [self.rpc("salesman", "prepaid.statement.wizard", "create", {"service_ids": [self.card.id], **period})],
        )
        options = quote(json.dumps(action["data"]))
        response = self._download(f"/report/pdf/{action['report_name']}?options={options}&context={quote('{}')}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self._filename(response), f"{name}.pdf", "printed from the card's Print menu")

        self._login("portal")
        response = self.url_open(f"/my/prepaid/{self.card.id}/statement?date_from=2026-02-01&date_to=2026-02-28")
        self.assertEqual(response.status_code, 200)
        portal_name = self._filename(response)
        self.assertEqual(portal_name.rsplit(".", 1)[0], name, "downloaded from the portal")

    def test_portal_user_downloads_only_the_statements_of_their_customer(self):
        self._login("portal")
        response = self.url_open(f"/my/prepaid/{self.card.id}/statement")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.invoice.name.encode(), response.content)

        response = self.url_open(f"/my/prepaid/{self.other_card.id}/statement")
        self.assertEqual(response.status_code, 404)
        response = self._download(f"/report/pdf/prepaid_services.report_prepaid_statement/{self.other_card.id}")
        self.assertNotIn(b"partner_b", response.content)
        self.assertNotEqual(response.headers.get("Content-Type"), "application/pdf")
