import ast
from collections import defaultdict

from odoo import api, fields, models
from odoo.addons.base.models.res_lang import intersperse
from odoo.tools import date_utils
from odoo.tools.misc import format_date, get_lang

# as Odoo's QWeb number widgets print them: no line break inside a figure or after its minus sign
NBSP = "\N{NO-BREAK SPACE}"
MINUS = "-\N{ZERO WIDTH NO-BREAK SPACE}"


class ReportPrepaidStatement(models.AbstractModel):
    """Prepaid Services Statement: what a customer bought, used and has left over a period.

    Written for the customer: every movement names the document the customer knows (the invoice or credit
    note number, the task and who worked on it, the top-up that expired, the reason of an adjustment), never
    the journal entry the company posted behind it. Texts and dates are in the customer's language.
    """

    _name = "report.prepaid_services.report_prepaid_statement"
    _description = "Prepaid Services Statement"

    @api.model
    def _get_period(self, data):
        today = fields.Date.context_today(self)
        date_from = fields.Date.to_date((data or {}).get("date_from")) or date_utils.start_of(today, "month")
        date_to = fields.Date.to_date((data or {}).get("date_to")) or date_utils.end_of(today, "month")
        return date_from, date_to

    @api.model
    def _get_report_values(self, docids, data=None):
        cards = self.env["prepaid.service"].browse(docids or (data or {}).get("service_ids") or [])
        date_from, date_to = self._get_period(data)
        return {
            "doc_ids": cards.ids,
            "doc_model": "prepaid.service",
            "docs": cards,
            "date_from": date_from,
            "date_to": date_to,
            "statements": self._get_statement_data(cards, date_from, date_to),
        }

    # ------------------------------------------------------------------
    # File name: the same from the back office and the portal
    # ------------------------------------------------------------------
    @api.model
    def _get_period_label(self, date_from, date_to):
        """The period as a file name says it: "October 2026" for a calendar month, else both days (ISO, no slash)."""
        if date_from == date_utils.start_of(date_from, "month") and date_to == date_utils.end_of(date_from, "month"):
            return format_date(self.env, date_from, date_format="MMMM y")
        return self.env._("%(start)s to %(end)s", start=date_from.isoformat(), end=date_to.isoformat())

    @api.model
    def _get_report_filename(self, cards, data=None):
        """Statement - <card> - <customer> - <period>, without extension; several cards: Statements - ..."""
        date_from, date_to = self._get_period(data)
        period = self._get_period_label(date_from, date_to)
        cards = cards.sudo()  # sudo: the card and customer names only, of cards the caller has just printed
        if len(cards) == 1:
            parts = [self.env._("Statement"), cards.name, cards.partner_id.display_name, period]
        else:
            customers = cards.commercial_partner_id
            parts = [self.env._("Statements"), customers.display_name if len(customers) == 1 else "", period]
        # a file name holds no path separator
        return " - ".join(part.replace("/", "-") for part in parts if part)

    # ------------------------------------------------------------------
    # The statement's figures
    # ------------------------------------------------------------------
    @api.model
    def _get_statement_data(self, cards, date_from, date_to):
        """Opening balance, movements with running balance, closing balance and open top-ups, per card.

        Each card's texts are in its customer's language. Batched: a few queries per language for any number
        of cards and entries.
        """
        cards.check_access("read")
        by_lang = defaultdict(lambda: cards.browse())
        for card in cards:
            by_lang[card.partner_id.lang or self.env.lang] |= card
        result = {}
        for lang, lang_cards in by_lang.items():
            result.update(self.with_context(lang=lang)._get_statement_data_batch(lang_cards, date_from, date_to))
        return result

    @api.model
    def _get_statement_data_batch(self, cards, date_from, date_to):
        # sudo: the statement names invoices and timesheets its reader may not open (cards checked by the caller)
        Entry = self.env["prepaid.ledger.entry"].sudo()
        opening = {
            card: (quantity, amount)
            for card, quantity, amount in Entry._read_group(
                [("service_id", "in", cards.ids), ("date", "<", date_from)],
                ["service_id"],
                ["quantity:sum", "amount:sum"],
            )
        }
        entries = Entry.search(
            [("service_id", "in", cards.ids), ("date", ">=", date_from), ("date", "<=", date_to)],
            order="service_id, date, id",
        )
        movements = defaultdict(list)
        for entry in entries:
            movements[entry.service_id.id].append(entry)
        # what each top-up had left on date_to: its quantity less what outflows dated until then took
        inflows = Entry.search(
            [
                ("service_id", "in", cards.ids),
                ("is_inflow", "=", True),
                ("date", "<=", date_to),
                ("reversal_entry_ids", "=", False),
            ],
            order="service_id, valid_until, date, id",
        )
        consumed = {
            inflow.id: (quantity, amount)
            for inflow, quantity, amount in self.env["prepaid.ledger.application"]
            .sudo()
            ._read_group(
                [("inflow_id", "in", inflows.ids), ("date", "<=", date_to)],
                ["inflow_id"],
                ["quantity:sum", "amount:sum"],
            )
        }
        open_inflows = defaultdict(list)
        for inflow in inflows:
            used_quantity, used_amount = consumed.get(inflow.id, (0.0, 0.0))
            left = inflow.quantity - used_quantity
            if left > 1e-6:
                open_inflows[inflow.service_id.id].append(
                    {
                        "document": self._get_lot_document(inflow),
                        "date": inflow.date,
                        "valid_until": inflow.valid_until,
                        "quantity": left,
                        "amount": inflow.amount - used_amount,
                    }
                )

        result = {}
        fmt_date = self._get_date_formatter()
        for card in cards:
            quantity, amount = opening.get(card, (0.0, 0.0))
            fmt_money = self._get_money_formatter(card.currency_id)
            fmt_figure = fmt_money if card.service_type == "amount" else self._get_unit_formatter()
            lines = []
            balance_quantity, balance_amount = quantity, amount
            for entry in movements.get(card.id, []):
                balance_quantity += entry.quantity
                balance_amount += entry.amount
                lines.append(
                    {
                        "date": entry.date,
                        **self._describe_entry(entry),
                        "in": entry.quantity if entry.quantity > 0 else 0.0,
                        "out": -entry.quantity if entry.quantity < 0 else 0.0,
                        "amount": entry.amount,
                        "balance": balance_quantity,
                        "balance_amount": balance_amount,
                    }
                )
                # the row as printed, formatted once here: a QWeb widget per cell costs more than the statement
                line = lines[-1]
                line.update(
                    date_text=fmt_date(line["date"]),
                    in_text=fmt_figure(line["in"]) if line["in"] else "",
                    out_text=fmt_figure(line["out"]) if line["out"] else "",
                    balance_text=fmt_figure(line["balance"]),
                    amount_text=fmt_money(line["amount"]),
                )
            result[card.id] = {
                "opening": quantity,
                "opening_amount": amount,
                "lines": lines,
                "closing": balance_quantity,
                "closing_amount": balance_amount,
                "total_in": sum(line["in"] for line in lines),
                "total_out": sum(line["out"] for line in lines),
                "open_inflows": open_inflows.get(card.id, []),
                "unit": card._get_unit_label(),
            }
        return result

    # ------------------------------------------------------------------
    # Figures as Odoo's QWeb widgets print them, in the reader's language
    # ------------------------------------------------------------------
    @api.model
    def _get_number_formatter(self):
        """format(value, digits) as res.lang.format() with grouping, its separators and grouping read once (it
        parses the grouping for each figure, the most of a long statement's time)."""
        lang = get_lang(self.env)
        grouping = ast.literal_eval(lang.grouping)
        thousands_sep, decimal_point = lang.thousands_sep or "", lang.decimal_point

        def number(value, digits):
            integer, _dot, decimals = (f"%.{digits}f" % value).partition(".")
            integer = intersperse(integer, grouping, thousands_sep)[0]
            return f"{integer}{decimal_point}{decimals}" if decimals else integer

        return number

    @api.model
    def _get_date_formatter(self):
        """As the date widget: the language's date format."""
        date_format = get_lang(self.env).date_format
        return lambda value: value.strftime(date_format) if value else ""

    @api.model
    def _get_unit_formatter(self):
        """As the float widget with the Product Unit precision."""
        number = self._get_number_formatter()
        digits = self.env["decimal.precision"].precision_get("Product Unit")
        return lambda value: number(value, digits).replace("-", MINUS)

    @api.model
    def _get_money_formatter(self, currency):
        """As the monetary widget: the amount rounded to the currency, its symbol before or after."""
        number = self._get_number_formatter()
        digits = currency.decimal_places
        symbol = currency.symbol or ""
        before, after = (symbol + NBSP, "") if currency.position == "before" else ("", NBSP + symbol)

        def money(value):
            value = 0.0 if currency.is_zero(value) else currency.round(value)
            return f"{before}{number(value, digits).replace(' ', NBSP).replace('-', MINUS)}{after}"

        return money

    @api.model
    def _describe_entry(self, entry):
        """What the customer reads of one movement: its type, the document they know, details and a note.

        document: the invoice or credit note number, the task worked on, the top-up that expired; never the
        name of a journal entry the company posted. details: the invoice line, the work done, the reason.
        note: who worked and when, or when the expired top-up was valid until.
        """
        labels = dict(entry._fields["entry_type"]._description_selection(self.env))
        origin = entry.reversed_entry_id or entry
        kind = labels.get(entry.entry_type, entry.entry_type)
        if entry.reversed_entry_id:
            kind = self.env._("%s (correction)", kind)
        invoice_line = entry.invoice_line_id or origin.invoice_line_id
        timesheet = entry.timesheet_id or origin.timesheet_id
        document, details, note = "", entry.name or "", ""
        if invoice_line:
            document = invoice_line.move_id.name
            details = invoice_line.name or details
        elif timesheet or origin.employee_id or origin.project_id:
            document = timesheet.task_id.name or (timesheet.project_id or origin.project_id).name or ""
            details = (timesheet.name if timesheet.name and timesheet.name != "/" else "") or origin.name or ""
            work = [(timesheet.employee_id or origin.employee_id).name or ""]
            if timesheet.date and timesheet.date != entry.date:
                work.append(self.env._("work of %s", format_date(self.env, timesheet.date)))
            note = ", ".join(part for part in work if part)
        elif origin.entry_type == "expiry":
            lot = origin.outflow_application_ids.inflow_id[:1]
            document = self._get_lot_document(lot) if lot else ""
            if lot.valid_until and entry.date >= lot.valid_until:
                details = self.env._("Unused balance expired")
            note = (
                self.env._("Valid until %s", format_date(self.env, lot.valid_until))
                if lot.valid_until
                else self.env._("Top-up of %s", format_date(self.env, lot.date))
                if lot
                else ""
            )
        return {"type": kind, "document": document, "details": details, "note": note}

    @api.model
    def _get_lot_document(self, inflow):
        """The top-up as the customer knows it: its invoice number, or the adjustment and its date."""
        if inflow.invoice_line_id:
            return inflow.invoice_line_id.move_id.name
        return self.env._("Credit of %s", format_date(self.env, inflow.date))
