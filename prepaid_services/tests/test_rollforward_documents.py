import io
import re
from datetime import date

import openpyxl

from odoo import fields
from odoo.tests import Form, HttpCase, tagged
from odoo.tools.safe_eval import safe_eval

from .common import PrepaidTimesheetCommon

MOVEMENTS = ("topups", "consumption", "breakage", "refunds", "adjustments")
ROLLFORWARD = ("opening", *MOVEMENTS, "closing", "awaiting", "account_closing", "difference")
AGEING = ("ageing_expired", "ageing_30", "ageing_90", "ageing_365", "ageing_later", "ageing_never", "ageing_total")


@tagged("post_install", "-at_install")
class TestRollforwardDocuments(PrepaidTimesheetCommon):
    """The rollforward and ageing as the accountant reads them: a row per card, figures that tie to the journal
    items they open, a PDF and an XLSX with the same figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.paperformat_id = cls.env.ref("base.paperformat_us")
        # the company's document layout is chosen (else its first print asks for it first)
        cls.company.external_report_layout_id = cls.env.ref("web.external_layout_standard")
        cls.acme = cls.env["res.partner"].create({"name": "Acme Rollforward"})
        # January: 10 h at 100 for partner_a; 5 h used
        cls.card, _invoice = cls._sell(cls.block_product, 1000.0, on_date="2026-01-10")
        cls._assign(cls.card)
        cls._log(5.0, on_date="2026-01-20", name="Migration")
        # February: a second block valid one month, 3 h of work, an hour of goodwill, 2 h credited back
        cls.card.validity_interval = 1
        _card, cls.february = cls._sell(cls.block_product, 900.0, card=cls.card, on_date="2026-02-03")
        cls._log(3.0, on_date="2026-02-10", name="Firewall review")
        cls.goodwill = cls._credit(cls.card, 1.0, 100.0, date(2026, 2, 11), valid_until=False)
        cls.credit_note = cls._reverse_invoice(cls.february)
        cls.credit_note.invoice_line_ids.quantity = 0.2  # 2 h back
        cls.credit_note.invoice_date = "2026-02-12"
        cls.credit_note.action_post()
        # the February block lapses on March 2: 5 h left at 90 expire
        cls.env["prepaid.ledger.entry"]._expire_residuals(cls.card, today=date(2026, 3, 10))
        # a money card of another customer, untouched in the period
        cls.balance_card, _invoice = cls._sell(cls.balance_product, 400.0, on_date="2026-01-15", partner=cls.acme)

    def _wizard(self, date_from="2026-02-01", date_to="2026-03-31"):
        """The rollforward as its menu opens it, for a period."""
        action = self.env.ref("prepaid_services.action_prepaid_rollforward_wizard")
        context = safe_eval(action.context or "{}", {"uid": self.env.uid})
        form = Form(self.env[action.res_model].with_context(**context))
        form.date_from = date.fromisoformat(date_from)
        form.date_to = date.fromisoformat(date_to)
        return form.save()

    def _row(self, wizard, card):
        return wizard.line_ids.filtered(lambda line: line.service_id == card)

    def _opened(self, wizard, figure, scope="total", card=None):
        """The records behind a figure, as the figure's link opens them."""
        action = wizard.action_open_figure(figure, scope, card.id if card else False)
        return self.env[action["res_model"]].search(action["domain"])

    def test_rollforward_has_a_row_per_card_that_adds_up_to_the_general_ledger(self):
        wizard = self._wizard()

        row = self._row(wizard, self.card)
        self.assertEqual(
            {key: row[key] for key in ROLLFORWARD},
            {
                "opening": 500.0,
                "topups": 900.0,
                "consumption": -270.0,  # 3 h of the February block at 90: it expires first
                "breakage": -450.0,  # 5 h left of it at 90
                "refunds": -180.0,  # 2 h credited back at 90
                "adjustments": 100.0,  # the goodwill hour
                "closing": 600.0,
                "awaiting": 0.0,
                "account_closing": 600.0,
                "difference": 0.0,
            },
        )
        balance_row = self._row(wizard, self.balance_card)
        self.assertEqual((balance_row.partner_id, balance_row.opening, balance_row.closing), (self.acme, 400.0, 400.0))
        self.assertEqual(len(wizard.line_ids), 2, "one row per card; nothing the deferred account does not explain")
        self.assertEqual((wizard.closing, wizard.account_closing, wizard.difference), (1000.0, 1000.0, 0.0))
        self.assertEqual(
            self.env["prepaid.deferred.revenue.report"]._get_rollforward(date(2026, 2, 1), date(2026, 3, 31)),
            {
                "opening": 900.0,
                "topups": 900.0,
                "consumption": 270.0,
                "breakage": 450.0,
                "refunds": 180.0,
                "adjustments": 100.0,
                "closing": 1000.0,
                "awaiting": 0.0,
                "account_opening": 900.0,
                "account_closing": 1000.0,
                "difference": 0.0,
            },
        )
        self.assertDeferredRevenueTies()

    def test_each_figure_opens_exactly_the_journal_items_behind_it(self):
        wizard = self._wizard()
        deferred = self.deferred_account
        entries = self.card.entry_ids.filtered(lambda e: e.date >= date(2026, 2, 1))

        def deferred_lines(moves):
            return moves.line_ids.filtered(lambda line: line.account_id == deferred)

        expected = {
            "topups": self.february.line_ids.filtered(lambda line: line.account_id == deferred),
            "consumption": deferred_lines(entries.filtered(lambda e: e.entry_type == "usage").move_id),
            "breakage": deferred_lines(entries.filtered(lambda e: e.entry_type == "expiry").move_id),
            "refunds": self.credit_note.line_ids.filtered(lambda line: line.account_id == deferred),
            "adjustments": deferred_lines(self.goodwill.move_id),
        }
        row = self._row(wizard, self.card)
        for figure, lines in expected.items():
            with self.subTest(figure=figure):
                self.assertTrue(lines)
                opened = self._opened(wizard, figure, "card", self.card)
                self.assertEqual(opened, lines)
                self.assertAlmostEqual(sum(opened.mapped("credit")) - sum(opened.mapped("debit")), row[figure])
                # the company's total opens the same items: the other card did not move in the period
                total = self._opened(wizard, figure)
                self.assertEqual(total, lines)
                self.assertAlmostEqual(sum(total.mapped("credit")) - sum(total.mapped("debit")), wizard[figure])
        for figure in ("opening", "closing", "account_closing"):
            with self.subTest(figure=figure):
                opened = self._opened(wizard, figure, "card", self.card)
                self.assertEqual(opened.account_id, deferred)
                self.assertAlmostEqual(sum(opened.mapped("credit")) - sum(opened.mapped("debit")), row[figure])
                total = self._opened(wizard, figure)
                self.assertAlmostEqual(sum(total.mapped("credit")) - sum(total.mapped("debit")), wizard[figure])

    def test_a_figure_of_another_companys_card_or_an_unknown_figure_is_refused(self):
        wizard = self._wizard()
        other_company = self.setup_other_company(name="Other Rollforward Co")["company"]
        other_card, _invoice = self._sell(self.block_product, 500.0, on_date="2026-02-05", company=other_company)
        with self.assertRaisesRegex(Exception, "not one of"):
            wizard.action_open_figure("topups", "card", other_card.id)
        with self.assertRaisesRegex(Exception, "nothing to open"):
            wizard.action_open_figure("name", "total", False)

    def test_consumption_awaiting_the_daily_summary_ties_on_its_own_column(self):
        self.company.prepaid_recognition_grouping = "daily"
        timesheet = self._log(2.0, on_date="2026-03-20", name="Late March work")
        value = -timesheet.prepaid_entry_ids.value
        self.assertEqual(value, 200.0, "2 h of the January block at 100")

        wizard = self._wizard()
        row = self._row(wizard, self.card)
        self.assertEqual((row.consumption, row.closing), (-470.0, 400.0))
        self.assertEqual((row.awaiting, row.account_closing, row.difference), (200.0, 600.0, 0.0))
        self.assertEqual(
            self._opened(wizard, "awaiting", "card", self.card), timesheet.prepaid_entry_ids, "the usage itself"
        )

        self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date(2026, 3, 20))
        wizard = self._wizard()
        row = self._row(wizard, self.card)
        self.assertEqual((row.consumption, row.awaiting, row.account_closing, row.difference), (-470.0, 0, 400.0, 0))
        opened = self._opened(wizard, "consumption", "card", self.card)
        self.assertAlmostEqual(sum(opened.mapped("credit")) - sum(opened.mapped("debit")), -470.0)

    def test_ageing_of_a_past_date_is_what_was_open_then(self):
        january = self._wizard("2026-01-01", "2026-01-31")
        self.assertEqual(
            [(line.service_id, line.ageing_never, line.ageing_total) for line in january.ageing_line_ids],
            [(self.balance_card, 400.0, 400.0), (self.card, 500.0, 500.0)],
            "the February consumption, credit note and expiry do not reach back into January",
        )
        self.assertEqual(january.ageing_total, january.closing)
        march = self._wizard()
        self.assertEqual(march.ageing_total, march.closing)
        lots = self._opened(march, "ageing_never", "card", self.card)
        self.assertEqual(sorted(lots.mapped("entry_type")), ["adjustment", "receipt"])

    def test_xlsx_holds_the_figures_as_numbers_on_a_sheet_each(self):
        wizard = self._wizard()
        content = self.env["report.prepaid_services.report_prepaid_rollforward"]._get_xlsx_content(wizard)
        workbook = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
        self.assertEqual(workbook.sheetnames, ["Rollforward", "Ageing"])

        sheet = workbook["Rollforward"]
        self.assertEqual(sheet["A1"].value, "Deferred Revenue Rollforward")
        self.assertEqual(
            [sheet.cell(row, 2).value for row in range(2, 6)],
            [
                self.company.name,
                "02/01/2026 - 03/31/2026",
                "USD",
                f"{self.deferred_account.code} {self.deferred_account.name}",
            ],
        )
        header = [cell.value for cell in sheet[7]]
        self.assertEqual(
            header,
            [
                "Customer",
                "Prepaid Service",
                "Opening",
                "Top-ups",
                "Revenue Recognised",
                "Breakage",
                "Refunds",
                "Adjustments",
                "Closing",
                "Awaiting Recognition",
                "General Ledger",
                "Difference",
            ],
        )
        rows = {sheet.cell(row, 2).value: row for row in range(8, 10)}
        for line in wizard.line_ids:
            row = rows[line.service_id.display_name]
            self.assertEqual(sheet.cell(row, 1).value, line.partner_id.name)
            for column, key in enumerate(ROLLFORWARD, start=3):
                cell = sheet.cell(row, column)
                self.assertEqual((cell.data_type, cell.value), ("n", line[key]), key)
                self.assertEqual(cell.number_format, '"$" #,##0.00')
        total = [cell.value for cell in sheet[10]]
        self.assertEqual(total[0], "Total")
        self.assertEqual(total[2:], [wizard[key] for key in ROLLFORWARD])
        # the sheet's top-ups are the journal items of the deferred revenue account that put them there
        topups = self._opened(wizard, "topups")
        self.assertEqual(total[3], sum(topups.mapped("credit")) - sum(topups.mapped("debit")))

        sheet = workbook["Ageing"]
        self.assertEqual([cell.value for cell in sheet[7]][2:], [
            "Expired, Not Yet Released", "0-30 Days", "31-90 Days", "91-365 Days", "Later", "No Expiry", "Total"
        ])  # fmt: skip
        rows = [[cell.value for cell in sheet[row]] for row in range(8, 11)]
        self.assertEqual(
            rows,
            [
                ["Acme Rollforward", self.balance_card.display_name, 0, 0, 0, 0, 0, 400, 400],
                ["partner_a", self.card.display_name, 0, 0, 0, 0, 0, 600, 600],
                ["Total", None, 0, 0, 0, 0, 0, 1000, 1000],
            ],
        )

    def test_pdf_is_a_disclosure_table_on_the_companys_paper_turned_landscape(self):
        wizard = self._wizard()
        action = wizard.action_print()
        self.assertEqual(action["report_name"], "prepaid_services.report_prepaid_rollforward")
        report = self.env.ref("prepaid_services.action_report_prepaid_rollforward")
        self.assertFalse(report.paperformat_id)

        html, _kind = self.env["ir.actions.report"]._render_qweb_html(report.report_name, wizard.ids)
        html = html.decode()
        self.assertIn('data-report-landscape="True"', html)
        text = " ".join(re.sub(r"<[^>]+>", " ", html).replace("\ufeff", "").split())
        for expected in (
            "Deferred Revenue Rollforward",
            self.company.name,
            "02/01/2026",
            "03/31/2026",
            "Amounts in USD",
            f"Deferred revenue account {self.deferred_account.code} {self.deferred_account.name}",
            "Contract liability (prepaid ledger)",
            "Tie to the general ledger",
            self.card.display_name,
            "Acme Rollforward",
            "-270.00",
            "1,000.00",
            "Ageing of the open top-ups on",
        ):
            self.assertIn(expected, text)

        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report.report_name, wizard.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertRegex(pdf, rb"/MediaBox \[0 0 792\.0+ 612\.0+\]", "US Letter, landscape")

    def test_pdf_and_xlsx_carry_one_name(self):
        wizard = self._wizard()
        report = self.env.ref("prepaid_services.action_report_prepaid_rollforward")
        name = safe_eval(report.print_report_name, {"object": wizard})
        self.assertEqual(name, f"Deferred Revenue Rollforward - {self.company.name} - 2026-02-01 to 2026-03-31")
        self.assertEqual(wizard.action_export_xlsx()["url"], f"/prepaid_services/rollforward/{wizard.id}/xlsx")
        month = self._wizard("2026-02-01", "2026-02-28")
        self.assertEqual(
            self.env["report.prepaid_services.report_prepaid_rollforward"]._get_report_filename(month),
            f"Deferred Revenue Rollforward - {self.company.name} - February 2026",
        )


@tagged("post_install", "-at_install")
class TestRollforwardTour(PrepaidTimesheetCommon, HttpCase):
    """The accountant's flow in the browser: every figure of the screen opens what stands behind it."""

    def test_accountant_opens_the_journal_items_behind_a_figure_of_the_rollforward(self):
        today = fields.Date.context_today(self.env.user)
        card, invoice = self._sell(self.block_product, 1000.0, on_date=today)
        self.start_tour(
            "/odoo/action-prepaid_services.action_prepaid_rollforward_wizard",
            "prepaid_services_rollforward_tour",
            login=self.env.user.login,
        )
        wizard = self.env["prepaid.rollforward.wizard"].search([("create_uid", "=", self.env.uid)])
        self.assertEqual(len(wizard), 1, "the first click saved the rollforward it opened from")
        self.assertEqual(wizard.line_ids.service_id, card)
        self.assertEqual(
            self._opened_items(wizard, card),
            invoice.line_ids.filtered(lambda line: line.account_id == self.deferred_account),
        )

    def _opened_items(self, wizard, card):
        action = wizard.action_open_figure("topups", "card", card.id)
        return self.env[action["res_model"]].search(action["domain"])
