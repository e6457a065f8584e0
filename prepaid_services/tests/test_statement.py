import re
from datetime import date

from odoo.tests import freeze_time, tagged

from .common import PrepaidTimesheetCommon


@tagged("post_install", "-at_install")
class TestStatement(PrepaidTimesheetCommon):
    """The customer statement: opening balance, movements with running balance, closing, open top-ups."""

    def _scenario(self):
        card, self.january = self._sell(self.block_product, 1000.0, on_date="2026-01-10")
        card.validity_interval = 6
        self._assign(card)
        self._log(3.0, on_date="2026-01-20")
        self._sell(self.block_product, 900.0, card=card, on_date="2026-02-05")
        self._log(2.0, on_date="2026-02-10")
        self._log(8.0, on_date="2026-02-20")
        self._log(1.0, on_date="2026-03-03")
        return card

    def test_rows_print_figures_and_dates_as_odoos_widgets_do_in_the_customers_language(self):
        """The rows are formatted once by the report (speed); what they print is what Odoo's widgets print."""
        Report = self.env["report.prepaid_services.report_prepaid_statement"]
        self.env["res.lang"]._activate_lang("fr_FR")
        euro = self.env.ref("base.EUR")
        for lang in ("en_US", "fr_FR"):
            report = Report.with_context(lang=lang)
            qweb = self.env["ir.qweb.field.monetary"].with_context(lang=lang)
            for currency in (self.currency, euro):
                money = report._get_money_formatter(currency)
                for value in (-1234567.891, -0.004, 0.0, 12.5, 1000000.0):
                    widget = re.sub(r"<[^>]+>", "", qweb.value_to_html(value, {"display_currency": currency}))
                    self.assertEqual(money(value), widget, f"{lang} {currency.name} {value}")
            units = report._get_unit_formatter()
            for value in (-1234.5, 0.25, 1234567.0):
                widget = (
                    self.env["ir.qweb.field.float"]
                    .with_context(lang=lang)
                    .value_to_html(value, {"decimal_precision": "Product Unit"})
                )
                self.assertEqual(units(value), widget, f"{lang} {value}")
            self.assertEqual(
                report._get_date_formatter()(date(2026, 2, 5)),
                self.env["ir.qweb.field.date"].with_context(lang=lang).value_to_html(date(2026, 2, 5), {}),
            )

    def test_statement_runs_from_opening_to_closing_balance(self):
        card = self._scenario()

        data = self.env["report.prepaid_services.report_prepaid_statement"]._get_statement_data(
            card, date(2026, 2, 1), date(2026, 2, 28)
        )[card.id]

        self.assertEqual((data["opening"], data["opening_amount"]), (7.0, 700.0))
        self.assertEqual(
            [(line["type"], line["in"], line["out"], line["balance"]) for line in data["lines"]],
            [("Top-up", 10.0, 0.0, 17.0), ("Usage", 0.0, 2.0, 15.0), ("Usage", 0.0, 8.0, 7.0)],
        )
        february = card.entry_ids.filtered(lambda e: e.entry_type == "receipt" and e.date == date(2026, 2, 5))
        self.assertEqual(data["lines"][0]["document"], february.invoice_line_id.move_id.name, "the invoice number")
        # the February block expires (validity set after the first sale), so it is used first
        self.assertEqual([line["amount"] for line in data["lines"]], [900.0, -180.0, -720.0])
        self.assertEqual((data["closing"], data["closing_amount"]), (7.0, 700.0))
        self.assertEqual((data["total_in"], data["total_out"]), (10.0, 10.0))
        self.assertEqual(
            [(i["document"], i["date"], i["quantity"], i["amount"], i["valid_until"]) for i in data["open_inflows"]],
            [(self.january.name, date(2026, 1, 10), 7.0, 700.0, False)],
        )
        self.assertEqual(card.quantity_outstanding, 6.0, "March usage is after the period")

    def test_statement_renders_for_several_cards(self):
        card = self._scenario()
        other, _invoice = self._sell(self.balance_product, 250.0, on_date="2026-02-01")
        wizard = (
            self.env["prepaid.statement.wizard"]
            .with_context(active_model="prepaid.service", active_ids=(card | other).ids)
            .create({"date_from": date(2026, 2, 1), "date_to": date(2026, 2, 28)})
        )
        action = wizard.with_context(discard_logo_check=True).action_print()
        self.assertEqual(action["report_name"], "prepaid_services.report_prepaid_statement")

        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "prepaid_services.action_report_prepaid_statement", (card | other).ids, data=action["data"]
        )
        html = html.decode()
        self.assertIn("Prepaid Services Statement", html)
        self.assertIn(card.name, html)
        self.assertIn(other.name, html)
        self.assertIn("Opening balance", html)
        self.assertIn("Closing balance", html)
        self.assertIn("Open top-ups", html)

    def test_statement_defaults_to_this_month(self):
        wizard = self.env["prepaid.statement.wizard"].create({"service_ids": [(6, 0, self._create_card().ids)]})
        today = date.today()
        self.assertEqual((wizard.date_from.day, wizard.date_from.month), (1, today.month))
        self.assertEqual(wizard.date_to.month, today.month)


@tagged("post_install", "-at_install")
class TestStatementForTheCustomer(PrepaidTimesheetCommon):
    """The statement speaks the customer's language: their documents, their date format, the company's paper."""

    REPORT = "prepaid_services.action_report_prepaid_statement"
    PERIOD = {"date_from": "2026-02-01", "date_to": "2026-09-30"}

    def _story(self):
        """Top-ups, timesheets, a goodwill credit with its reason, a credit note and an expired top-up."""
        card, self.january = self._sell(self.block_product, 1000.0, on_date="2026-01-10")
        self._assign(card)
        _card, self.february = self._sell(self.block_product, 900.0, card=card, on_date="2026-02-05")
        self._log(2.0, on_date="2026-02-10", name="Mail server migration")
        self._log(1.5, on_date="2026-02-12", task=self.task_2, employee=self.employee_2, name="Backup restore test")
        self._manager_credit(card, "Goodwill for the outage of 14 February", on_date=date(2026, 2, 16))
        self.credit_note = self._reverse_invoice(self.january)
        self.credit_note.invoice_line_ids.quantity = 0.1  # 1 h back
        self.credit_note.invoice_date = "2026-02-20"
        self.credit_note.action_post()
        card.validity_interval = 3
        _card, self.march = self._sell(self.block_product, 800.0, card=card, on_date="2026-03-02")
        self.env["prepaid.ledger.entry"]._expire_residuals(card, today=date(2026, 9, 1))
        return card

    def _manager_credit(self, card, reason, on_date):
        """An hour of goodwill through Create Ledger Entry, as a manager gives it."""
        wizard = self.env["prepaid.ledger.entry.wizard"].create(
            {
                "service_id": card.id,
                "direction": "increase",
                "date": on_date,
                "quantity": 1.0,
                "amount": 100.0,
                "counterpart_account_id": self.goodwill_account.id,
                "reason": reason,
            }
        )
        wizard.action_confirm()

    def _html(self, card, data=None):
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(self.REPORT, card.ids, data=data or self.PERIOD)
        return html.decode()

    def test_movements_name_invoices_and_work_never_a_journal_entry(self):
        card = self._story()
        lines = self.env["report.prepaid_services.report_prepaid_statement"]._get_statement_data(
            card, date(2026, 2, 1), date(2026, 9, 30)
        )[card.id]["lines"]

        march_lot = card.entry_ids.filtered(lambda e: e.entry_type == "receipt" and e.date == date(2026, 3, 2))
        self.assertEqual(
            [(line["type"], line["document"], line["details"], line["note"]) for line in lines],
            [
                ("Top-up", self.february.name, self.february.invoice_line_ids.name, ""),
                ("Usage", "Mail server", "Mail server migration", "Tech One"),
                ("Usage", "Backups", "Backup restore test", "Tech Two"),
                ("Adjustment", "", "Goodwill for the outage of 14 February", ""),
                ("Refund", self.credit_note.name, self.credit_note.invoice_line_ids.name, ""),
                ("Top-up", self.march.name, self.march.invoice_line_ids.name, ""),
                ("Expiry", self.march.name, "Unused balance expired", f"Valid until {march_lot.valid_until:%m/%d/%Y}"),
            ],
        )
        html = self._html(card)
        journal_entries = card.entry_ids.move_id.filtered("prepaid_generated")
        self.assertEqual(len(journal_entries), 4, "two recognitions, the goodwill and the breakage entry")
        for move in journal_entries:
            self.assertNotIn(move.name, html, "the customer never sees the company's journal entries")
        for text in (self.february.name, self.credit_note.name, self.march.name, "Mail server", "Tech Two"):
            self.assertIn(text, html)
        self.assertIn("Unused balances expire on the date shown under", html)
        self.assertNotIn("lapse", html)

    def test_work_booked_on_another_day_says_when_it_was_done(self):
        card, _invoice = self._sell(self.block_product, 1000.0, on_date="2026-01-10")
        self._assign(card)
        self._log(2.0, on_date="2026-01-28", name="Late January work")
        self.company.sudo().fiscalyear_lock_date = date(2026, 1, 31)
        timesheet = self.env["account.analytic.line"].search([("name", "=", "Late January work")])
        with freeze_time("2026-02-05"):
            timesheet.unit_amount = 3.0  # corrected in February: reversed and booked again on the first open day

        lines = self.env["report.prepaid_services.report_prepaid_statement"]._get_statement_data(
            card, date(2026, 2, 1), date(2026, 2, 28)
        )[card.id]["lines"]

        self.assertEqual(
            [(line["date"], line["type"], line["out"], line["document"], line["note"]) for line in lines],
            [
                (date(2026, 2, 1), "Usage", 3.0, "Mail server", "Tech One, work of 01/28/2026"),
                (date(2026, 2, 5), "Usage (correction)", 0.0, "Mail server", "Tech One, work of 01/28/2026"),
            ],
        )

    def test_dates_follow_the_customers_language(self):
        card = self._story()
        html = self._html(card)
        self.assertIn("02/05/2026", html, "US English: month first")

        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        html = self._html(card)
        self.assertIn("05/02/2026", html, "French: day first, as Odoo formats French dates")
        self.assertNotIn("02/05/2026", html)
        self.assertNotRegex(html, r"\b20\d\d-\d\d-\d\d\b", "no ISO date beside the customer's own format")

    def test_statement_prints_on_the_companys_paper(self):
        card = self._story()
        report = self.env.ref(self.REPORT)
        self.assertFalse(report.paperformat_id, "no paper of its own: the company's")
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        for paper, media_box in (
            (self.env.ref("base.paperformat_us"), rb"/MediaBox \[0 0 612\.0+ 792\.0+\]"),
            (self.env.ref("base.paperformat_euro"), rb"/MediaBox \[0 0 595\.0+ 842\.0+\]"),
        ):
            self.company.paperformat_id = paper
            self.assertEqual(report.get_paperformat(), paper)
            pdf, kind = Report._render_qweb_pdf(self.REPORT, card.ids, data=self.PERIOD)
            self.assertEqual(kind, "pdf")
            self.assertRegex(pdf, media_box, f"printed on {paper.name}")

    def test_file_name_says_card_customer_and_period(self):
        card = self._story()
        Statement = self.env["report.prepaid_services.report_prepaid_statement"]
        self.assertEqual(
            Statement._get_report_filename(card, {"date_from": "2026-02-01", "date_to": "2026-02-28"}),
            f"Statement - {card.name} - partner_a - February 2026",
        )
        self.assertEqual(
            Statement._get_report_filename(card, self.PERIOD),
            f"Statement - {card.name} - partner_a - 2026-02-01 to 2026-09-30",
        )
