from collections import defaultdict

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.fields import Domain

# The columns of the rollforward, in the order of a disclosure table: each row adds up from left to right
# (opening + movements = closing; closing + awaiting recognition + difference = the general ledger).
MOVEMENTS = ("topups", "consumption", "breakage", "refunds", "adjustments")
ROLLFORWARD_FIGURES = ("opening", *MOVEMENTS, "closing", "awaiting", "account_closing", "difference")
# Ageing of the open top-ups at the end of the period, by time left before they expire
AGEING_FIGURES = ("ageing_expired", "ageing_30", "ageing_90", "ageing_365", "ageing_later", "ageing_never")
AGEING_KEYS = dict(
    zip(("expired", "0-30", "31-90", "91-365", "later", "never"), AGEING_FIGURES, strict=True)
)  # the keys _get_deferred_ageing() has always answered with


class PrepaidDeferredRevenueReport(models.AbstractModel):
    """Disclosure figures of the contract liability per company: IFRS 15 rollforward and ageing by expiry.

    Every figure is in company currency and signed as it moves the liability, credit - debit: a top-up is
    positive, consumption, breakage and refunds are negative. So each figure equals the credit - debit of the
    journal items behind it (_get_figure_domain), and a row adds up from left to right.
    """

    _name = "prepaid.deferred.revenue.report"
    _description = "Prepaid Deferred Revenue Report"

    @api.model
    def _ensure_own_company(self, company):
        """The figures below are read as superuser: only of a company the caller works in (the wizard's company is
        client input, and a settings manager reads every company's name and accounts)."""
        if not self.env.su and company not in self.env.companies:
            raise AccessError(self.env._("You can only report on the companies you work in."))

    @api.model
    def _get_figure_labels(self):
        return {
            "opening": self.env._("Opening"),
            "topups": self.env._("Top-ups"),
            "consumption": self.env._("Revenue Recognised"),
            "breakage": self.env._("Breakage"),
            "refunds": self.env._("Refunds"),
            "adjustments": self.env._("Adjustments"),
            "closing": self.env._("Closing"),
            "awaiting": self.env._("Awaiting Recognition"),
            "account_closing": self.env._("General Ledger"),
            "difference": self.env._("Difference"),
            "ageing_expired": self.env._("Expired, Not Yet Released"),
            "ageing_30": self.env._("0-30 Days"),
            "ageing_90": self.env._("31-90 Days"),
            "ageing_365": self.env._("91-365 Days"),
            "ageing_later": self.env._("Later"),
            "ageing_never": self.env._("No Expiry"),
            "ageing_total": self.env._("Total"),
        }

    # ------------------------------------------------------------------
    # Rollforward
    # ------------------------------------------------------------------
    @api.model
    def _get_movement_domain(self, figure):
        """Ledger entries behind a movement column: adjustments apart, then by the balance they move."""
        if figure == "adjustments":
            return Domain("entry_type", "=", "adjustment")
        bucket = {"topups": "received", "consumption": "used", "breakage": "expired", "refunds": "refunded"}[figure]
        return Domain("bucket", "=", bucket) & Domain("entry_type", "!=", "adjustment")

    @api.model
    def _get_awaiting_domain(self, date_to):
        """Timesheet consumption of the ledger until date_to whose daily summary entry was not posted by then."""
        return Domain.AND(
            [
                Domain("date", "<=", date_to),
                Domain("value", "!=", 0),
                Domain("outflow_id.entry_type", "=", "usage"),
                Domain("outflow_id.invoice_line_id", "=", False),
                Domain("move_id", "=", False) | Domain("move_id.date", ">", date_to),
            ]
        )

    @api.model
    def _get_account_domain(self, company, date_to=None, before=None):
        """Posted journal items of the company's deferred revenue account, until a date."""
        domain = Domain.AND(
            [
                Domain("account_id", "=", company.prepaid_deferred_account_id.id),
                Domain("company_id", "=", company.id),
                Domain("parent_state", "=", "posted"),
            ]
        )
        if date_to:
            domain &= Domain("date", "<=", date_to)
        if before:
            domain &= Domain("date", "<", before)
        return domain

    @api.model
    def _get_unexplained_domain(self, company):
        """Journal items of the deferred revenue account that no card of the company stands behind."""
        return Domain("prepaid_service_id", "=", False) | Domain("prepaid_service_id.company_id", "!=", company.id)

    @api.model
    def _get_rollforward_lines(self, date_from, date_to, company=None):
        """One row per card that has a figure in the period, plus a row for the journal items of the deferred
        revenue account that no card explains (card False), if any.

        Each row: card, partner and the ROLLFORWARD_FIGURES plus account_opening, in company currency, credit -
        debit. closing = opening + movements (the ledger); account_closing = the deferred revenue account on
        date_to; awaiting = consumption awaiting its daily summary entry on date_to (still on the account);
        difference = account_closing - closing - awaiting, zero when the ledger ties to the general ledger.
        """
        company = company or self.env.company
        self._ensure_own_company(company)
        # sudo: the totals of one of the caller's companies (checked above), whatever lots and journal items of it
        # the manager may read
        Entry = self.env["prepaid.ledger.entry"].sudo()
        base = Domain("company_id", "=", company.id)
        rows = defaultdict(lambda: dict.fromkeys((*ROLLFORWARD_FIGURES, "account_opening"), 0.0))
        for card, value in Entry._read_group(base & Domain("date", "<", date_from), ["service_id"], ["value:sum"]):
            rows[card]["opening"] += value
        period = base & Domain("date", ">=", date_from) & Domain("date", "<=", date_to)
        for figure in MOVEMENTS:
            domain = period & self._get_movement_domain(figure)
            for card, value in Entry._read_group(domain, ["service_id"], ["value:sum"]):
                rows[card][figure] += value
        awaiting = (
            self.env["prepaid.ledger.application"]
            .sudo()
            ._read_group(base & self._get_awaiting_domain(date_to), ["service_id"], ["value:sum"])
        )
        for card, value in awaiting:
            rows[card]["awaiting"] += value
        Line = self.env["account.move.line"].sudo()
        for key, domain in (
            ("account_opening", self._get_account_domain(company, before=date_from)),
            ("account_closing", self._get_account_domain(company, date_to=date_to)),
        ):
            for card, balance in Line._read_group(domain, ["prepaid_service_id"], ["balance:sum"]):
                # an item of another company's card: nothing in this company's ledger stands behind it
                rows[card if card.company_id == company else card.browse()][key] -= balance
        currency = company.currency_id
        lines = []
        for card, row in rows.items():
            row["closing"] = row["opening"] + sum(row[figure] for figure in MOVEMENTS)
            row["difference"] = row["account_closing"] - row["closing"] - row["awaiting"]
            row = {key: currency.round(value) for key, value in row.items()}
            if all(currency.is_zero(value) for value in row.values()):
                continue
            lines.append({"card": card, "partner": card.partner_id, **row})
        lines.sort(key=lambda line: (not line["card"], line["partner"].name or "", line["card"].name or ""))
        return lines

    @api.model
    def _get_rollforward(self, date_from, date_to, company=None):
        """Contract liability rollforward (IFRS 15.116) of a company, with the deferred revenue account beside it.

        The totals of _get_rollforward_lines(); consumption, breakage and refunds are given as the positive
        amounts they take off the liability (closing = opening + topups - consumption - breakage - refunds +
        adjustments), as the figures of a disclosure read.
        """
        company = company or self.env.company
        lines = self._get_rollforward_lines(date_from, date_to, company)
        totals = {
            key: company.currency_id.round(sum(line[key] for line in lines))
            for key in (*ROLLFORWARD_FIGURES, "account_opening")
        }
        for key in ("consumption", "breakage", "refunds"):
            totals[key] = -totals[key] or 0.0  # never -0.0
        return totals

    # ------------------------------------------------------------------
    # Ageing
    # ------------------------------------------------------------------
    @api.model
    def _get_ageing_key(self, valid_until, as_of):
        if not valid_until:
            return "ageing_never"
        days = (valid_until - as_of).days
        if days < 0:
            return "ageing_expired"
        if days <= 30:
            return "ageing_30"
        if days <= 90:
            return "ageing_90"
        if days <= 365:
            return "ageing_365"
        return "ageing_later"

    @api.model
    def _get_open_lots(self, as_of, company):
        """{lot: value still open on as_of}, for the lots of the company open on that day (as superuser).

        What a lot had on as_of: its value less what outflows dated until then took from it (the applications),
        so that the ageing of a past date adds up to the closing of the rollforward on that date.
        """
        # sudo: the totals of one of the caller's companies (checked by the callers)
        Entry = self.env["prepaid.ledger.entry"].sudo()
        lots = Entry.search(
            [("company_id", "=", company.id), ("is_inflow", "=", True), ("date", "<=", as_of)], order="valid_until, id"
        )
        taken = dict(
            self.env["prepaid.ledger.application"]
            .sudo()
            ._read_group([("inflow_id", "in", lots.ids), ("date", "<=", as_of)], ["inflow_id"], ["value:sum"])
        )
        currency = company.currency_id
        open_lots = {}
        for lot in lots:
            value = currency.round(lot.value - taken.get(lot, 0.0))
            if not currency.is_zero(value):
                open_lots[lot] = value
        return open_lots

    @api.model
    def _get_ageing_lines(self, as_of, company=None):
        """One row per card with top-ups open on as_of: card, partner, the AGEING_FIGURES and ageing_total."""
        company = company or self.env.company
        self._ensure_own_company(company)
        rows = defaultdict(lambda: dict.fromkeys((*AGEING_FIGURES, "ageing_total"), 0.0))
        for lot, value in self._get_open_lots(as_of, company).items():
            row = rows[lot.service_id]
            row[self._get_ageing_key(lot.valid_until, as_of)] += value
            row["ageing_total"] += value
        currency = company.currency_id
        lines = [
            {"card": card, "partner": card.partner_id, **{key: currency.round(value) for key, value in row.items()}}
            for card, row in rows.items()
        ]
        lines.sort(key=lambda line: (line["partner"].name or "", line["card"].name or ""))
        return lines

    @api.model
    def _get_deferred_ageing(self, as_of, company=None):
        """Open top-ups on as_of by time left before expiry: {expired, 0-30, 31-90, 91-365, later, never:
        {"value", "count"}} (count: the number of lots)."""
        company = company or self.env.company
        self._ensure_own_company(company)
        buckets = {key: {"value": 0.0, "count": 0} for key in AGEING_KEYS}
        keys = {figure: key for key, figure in AGEING_KEYS.items()}
        for lot, value in self._get_open_lots(as_of, company).items():
            bucket = buckets[keys[self._get_ageing_key(lot.valid_until, as_of)]]
            bucket["value"] = company.currency_id.round(bucket["value"] + value)
            bucket["count"] += 1
        return buckets

    # ------------------------------------------------------------------
    # What stands behind a figure
    # ------------------------------------------------------------------
    @api.model
    def _get_entry_move_lines(self, entries, company):
        """The journal items of the deferred revenue account that moved these ledger entries' value (sudo).

        An invoice or credit note moves its own line; the module's entries move theirs, alone or in a batch
        entry of the day (one line pair per card); a document whose price differs from the lots' value adds a
        difference entry of its ledger entry.
        """
        entries = entries.sudo()
        own = entries.filtered(lambda entry: not entry.invoice_line_id)
        moves = own.move_id | own.outflow_application_ids.move_id
        domain = self._get_account_domain(company) & Domain.OR(
            [
                Domain("id", "in", entries.invoice_line_id.ids),
                Domain("move_id.prepaid_entry_id", "in", entries.ids),
                Domain("move_id", "in", moves.ids) & Domain("prepaid_service_id", "in", own.service_id.ids),
            ]
        )
        return self.env["account.move.line"].sudo().search(domain, order="date, id")

    @api.model
    def _get_figure_domain(self, figure, date_from, date_to, company, card=None, unexplained=False):
        """(model, domain) of the records behind one figure of the rollforward or the ageing.

        card: one card's row (None: the company's total); unexplained: the row of the journal items no card
        explains. Movements open the journal items that moved them (their credit - debit is the figure);
        opening, closing and the general ledger the items of the deferred revenue account until that day;
        awaiting recognition the timesheet consumption not yet summarised; an ageing bucket its open top-ups.
        """
        self._ensure_own_company(company)
        Entry = self.env["prepaid.ledger.entry"].sudo()
        scope = Domain("company_id", "=", company.id)
        if card:
            scope &= Domain("service_id", "=", card.id)
        if figure in MOVEMENTS:
            period = scope & Domain("date", ">=", date_from) & Domain("date", "<=", date_to)
            entries = Entry.search(period & self._get_movement_domain(figure))
            return "account.move.line", Domain("id", "in", self._get_entry_move_lines(entries, company).ids)
        if figure in ("opening", "closing", "account_closing"):
            domain = (
                self._get_account_domain(company, before=date_from)
                if figure == "opening"
                else self._get_account_domain(company, date_to=date_to)
            )
            if unexplained:
                domain &= self._get_unexplained_domain(company)
            elif card:
                domain &= Domain("prepaid_service_id", "=", card.id)
            return "account.move.line", domain
        if figure == "awaiting":
            applications = (
                self.env["prepaid.ledger.application"].sudo().search(scope & self._get_awaiting_domain(date_to))
            )
            return "prepaid.ledger.entry", Domain("id", "in", applications.outflow_id.ids)
        if figure in (*AGEING_FIGURES, "ageing_total"):
            lots = [
                lot
                for lot in self._get_open_lots(date_to, company)
                if (not card or lot.service_id == card)
                and figure in ("ageing_total", self._get_ageing_key(lot.valid_until, date_to))
            ]
            return "prepaid.ledger.entry", Domain("id", "in", [lot.id for lot in lots])
        raise ValueError(figure)
