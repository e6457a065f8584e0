import io

import xlsxwriter

from odoo import api, models
from odoo.tools.misc import format_date

from .prepaid_rollforward import AGEING_FIGURES, ROLLFORWARD_FIGURES


class ReportPrepaidRollforward(models.AbstractModel):
    """The rollforward and ageing as documents: the PDF an auditor files, the XLSX an accountant works in.

    Both show what the screen shows (the wizard's rows), with the company, the period and the currency.
    """

    _name = "report.prepaid_services.report_prepaid_rollforward"
    _description = "Deferred Revenue Rollforward"

    @api.model
    def _get_report_values(self, docids, data=None):
        wizards = self.env["prepaid.rollforward.wizard"].browse(docids)
        wizards.check_access("read")
        return {
            "doc_ids": wizards.ids,
            "doc_model": "prepaid.rollforward.wizard",
            "docs": wizards,
            "labels": self.env["prepaid.deferred.revenue.report"]._get_figure_labels(),
            # the columns under their headings, as a disclosure table groups them
            "rollforward_groups": [
                (self.env._("Contract liability (prepaid ledger)"), ROLLFORWARD_FIGURES[:7]),
                (self.env._("Tie to the general ledger"), ROLLFORWARD_FIGURES[7:]),
            ],
            "ageing_groups": [
                (self.env._("Time left before expiry"), AGEING_FIGURES),
                ("", ("ageing_total",)),
            ],
        }

    @api.model
    def _get_report_filename(self, wizard):
        """Deferred Revenue Rollforward - <company> - <period>, without extension: the PDF and the XLSX alike."""
        period = self.env["report.prepaid_services.report_prepaid_statement"]._get_period_label(
            wizard.date_from, wizard.date_to
        )
        parts = [self.env._("Deferred Revenue Rollforward"), wizard.company_id.name, period]
        return " - ".join(part.replace("/", "-") for part in parts if part)

    @api.model
    def _get_account_label(self, wizard):
        account = wizard.account_id.with_company(wizard.company_id)
        return " ".join(filter(None, [account.code, account.name]))

    # ------------------------------------------------------------------
    # XLSX
    # ------------------------------------------------------------------
    @api.model
    def _get_currency_format(self, currency):
        """An Excel number format for amounts of the currency: its symbol where the currency puts it, its decimals."""
        number = "#,##0" + ("." + "0" * currency.decimal_places if currency.decimal_places else "")
        symbol = '"{}"'.format(currency.symbol.replace('"', ""))
        return f"{symbol} {number}" if currency.position == "before" else f"{number} {symbol}"

    @api.model
    def _get_xlsx_content(self, wizard):
        """The workbook: one sheet for the rollforward, one for the ageing; amounts are numbers in the currency's
        format, totals are formulas (with their value, for readers that do not compute)."""
        wizard.check_access("read")
        labels = self.env["prepaid.deferred.revenue.report"]._get_figure_labels()
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        formats = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "label": workbook.add_format({"bold": True}),
            "header": workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom"}),
            "header_amount": workbook.add_format(
                {"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom", "align": "right"}
            ),
            "amount": workbook.add_format({"num_format": self._get_currency_format(wizard.currency_id)}),
            "total_label": workbook.add_format({"bold": True, "top": 1}),
            "total": workbook.add_format(
                {"bold": True, "top": 1, "num_format": self._get_currency_format(wizard.currency_id)}
            ),
        }
        period = self.env._(
            "%(start)s - %(end)s",
            start=format_date(self.env, wizard.date_from),
            end=format_date(self.env, wizard.date_to),
        )
        unexplained = self.env._("Journal items without a prepaid service")
        self._write_sheet(
            workbook.add_worksheet(self.env._("Rollforward")),
            formats,
            title=self.env._("Deferred Revenue Rollforward"),
            wizard=wizard,
            header=[(self.env._("Period"), period)],
            columns=[labels[key] for key in ROLLFORWARD_FIGURES],
            rows=[
                (
                    line.partner_id.name or "",
                    line.service_id.display_name or unexplained,
                    [line[k] for k in ROLLFORWARD_FIGURES],
                )
                for line in wizard.line_ids
            ],
        )
        self._write_sheet(
            workbook.add_worksheet(self.env._("Ageing")),
            formats,
            title=self.env._("Deferred Revenue Ageing"),
            wizard=wizard,
            header=[(self.env._("Open top-ups on"), format_date(self.env, wizard.date_to))],
            columns=[labels[key] for key in (*AGEING_FIGURES, "ageing_total")],
            rows=[
                (
                    line.partner_id.name or "",
                    line.service_id.display_name,
                    [line[k] for k in (*AGEING_FIGURES, "ageing_total")],
                )
                for line in wizard.ageing_line_ids
            ],
        )
        workbook.close()
        return buffer.getvalue()

    @api.model
    def _write_sheet(self, sheet, formats, title, wizard, header, columns, rows):
        """Title block (company, period, currency, account), one header row, one row per card, a total row."""
        sheet.write(0, 0, title, formats["title"])
        info = [
            (self.env._("Company"), wizard.company_id.name),
            *header,
            (self.env._("Currency"), wizard.currency_id.name),
            (self.env._("Deferred revenue account"), self._get_account_label(wizard)),
        ]
        for index, (label, value) in enumerate(info, start=1):
            sheet.write(index, 0, label, formats["label"])
            sheet.write(index, 1, value)
        header_row = len(info) + 2
        sheet.write_row(header_row, 0, [self.env._("Customer"), self.env._("Prepaid Service")], formats["header"])
        sheet.write_row(header_row, 2, columns, formats["header_amount"])
        sheet.set_row(header_row, 30)
        first = header_row + 1
        for offset, (customer, card, figures) in enumerate(rows):
            sheet.write_string(first + offset, 0, customer)
            sheet.write_string(first + offset, 1, card)
            for column, value in enumerate(figures, start=2):
                sheet.write_number(first + offset, column, value, formats["amount"])
        total_row = first + len(rows)
        sheet.write(total_row, 0, self.env._("Total"), formats["total_label"])
        sheet.write(total_row, 1, "", formats["total_label"])
        for column in range(2, 2 + len(columns)):
            letter = xlsxwriter.utility.xl_col_to_name(column)
            value = wizard.currency_id.round(sum(figures[column - 2] for _customer, _card, figures in rows))
            formula = f"=SUM({letter}{first + 1}:{letter}{total_row})" if rows else "=0"
            sheet.write_formula(total_row, column, formula, formats["total"], value)
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 1, 34)
        sheet.set_column(2, 1 + len(columns), 16)
        sheet.freeze_panes(first, 2)
        if rows:
            sheet.autofilter(header_row, 0, total_row - 1, 1 + len(columns))
