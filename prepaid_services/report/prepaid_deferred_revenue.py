from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.fields import Domain
from odoo.tools import float_compare, format_date, formatLang

from ..models.utils import BALANCE_BUCKETS

EXPLANATION_KINDS = [
    ("card", "Card: account differs from ledger"),
    ("journal_item", "Journal item without a card"),
    ("stored_balance", "Card: stored balances differ from ledger"),
]


class PrepaidDeferredRevenueCheck(models.TransientModel):
    """Deferred revenue integrity check: each company's whole deferred revenue account against the ledger.

    The figures are computed once, when the check runs, and kept on the record: what the accountant reads
    is what was checked (as Odoo's hash integrity check, account/models/company.py _check_hash_integrity,
    is computed by the company and shown by its report). Reads every card and journal item of the
    account: only prepaid_service.action_check_deferred_revenue, which checks the caller, opens it.
    """

    _name = "prepaid.deferred.revenue.check"
    _description = "Deferred Revenue Integrity Check"
    _order = "id desc"

    checked_on = fields.Datetime(readonly=True, default=fields.Datetime.now)
    ties = fields.Boolean(
        readonly=True,
        help="Every company's deferred revenue account equals its open top-ups plus the consumption awaiting "
        "recognition, no journal item on it lacks a card, and every card's stored balances equal its ledger.",
    )
    line_ids = fields.One2many("prepaid.deferred.revenue.check.line", "check_id", string="Companies", readonly=True)
    item_ids = fields.One2many(
        "prepaid.deferred.revenue.check.item", "check_id", string="What Explains the Differences", readonly=True
    )

    def _compute_display_name(self):
        for check in self:
            check.display_name = self.env._("Deferred Revenue Check")

    # ------------------------------------------------------------------
    # The check
    # ------------------------------------------------------------------
    @api.model
    def _get_check_values(self, companies):
        """Deferred revenue of each company, from the general ledger and from the ledger of the cards.

        Returns {company: {"account": balance (credit - debit) of the whole deferred revenue account,
        "open_topups": remaining value of open inflows, "awaiting": consumption awaiting its daily summary,
        "ledger": open_topups + awaiting, "difference": account - ledger,
        "cards": {card: (account, ledger)} for cards whose journal items on the account differ from their
        ledger value, "lines": journal items on the account that no card of the company explains,
        "balances": {card: {field: (stored, ledger)}} for cards whose stored balances differ from a full
        recomputation of their ledger}}. The differences of "cards" and "lines" add up to "difference".
        """
        # sudo (cards, lots, journal items): the check reads all of the companies' (the caller's own, checked by
        # action_check_deferred_revenue), whatever the manager's accounting rights
        Card = self.env["prepaid.service"].sudo()
        Line = self.env["account.move.line"].sudo()
        cards = Card.with_context(active_test=False).search([("company_id", "in", companies.ids)])
        open_values = dict(
            self.env["prepaid.ledger.entry"]
            .sudo()
            ._read_group(
                [("service_id", "in", cards.ids), ("is_inflow", "=", True)], ["service_id"], ["remaining_value:sum"]
            )
        )
        awaiting = dict(
            self.env["prepaid.ledger.application"]
            .sudo()
            ._read_group(
                [
                    ("service_id", "in", cards.ids),
                    *self.env["prepaid.ledger.application"]._get_awaiting_recognition_domain(),
                ],
                ["service_id"],
                ["value:sum"],
            )
        )
        line_domain = Domain.AND(
            [
                Domain("account_id", "in", companies.prepaid_deferred_account_id.ids),
                Domain("company_id", "in", companies.ids),
                Domain("parent_state", "=", "posted"),
            ]
        )
        gl_balances = defaultdict(float)
        card_balances = defaultdict(float)
        for company, account, card, balance in Line._read_group(
            line_domain, ["company_id", "account_id", "prepaid_service_id"], ["balance:sum"]
        ):
            if account == company.prepaid_deferred_account_id:
                gl_balances[company] -= balance
                if card.company_id == company:
                    card_balances[card] -= balance
        # no card, or a card of another company: nothing in this company's ledger stands behind the item
        foreign_card = Domain.OR(
            Domain("company_id", "=", company.id) & Domain("prepaid_service_id.company_id", "!=", company.id)
            for company in companies
        )
        unexplained = Line.search(
            line_domain & (Domain("prepaid_service_id", "=", False) | foreign_card), order="date, id"
        ).filtered(lambda line: line.account_id == line.company_id.prepaid_deferred_account_id)
        unexplained = self._get_unreversed_lines(unexplained)
        stored_differences = self._get_balance_differences(cards)

        result = {
            company: {
                "account": gl_balances[company],
                "open_topups": 0.0,
                "awaiting": 0.0,
                "cards": {},
                "lines": unexplained.filtered(lambda line, company=company: line.company_id == company),
                "balances": {},
            }
            for company in companies
        }
        for card in cards:
            values = result[card.company_id]
            open_value = open_values.get(card, 0.0)
            awaiting_value = awaiting.get(card, 0.0)
            values["open_topups"] += open_value
            values["awaiting"] += awaiting_value
            account_balance = card_balances.get(card, 0.0)
            ledger_value = open_value + awaiting_value
            if card.company_currency_id.compare_amounts(account_balance, ledger_value):
                values["cards"][card] = (account_balance, ledger_value)
            if card in stored_differences:
                values["balances"][card] = stored_differences[card]
        for company, values in result.items():
            currency = company.currency_id
            values["ledger"] = values["open_topups"] + values["awaiting"]
            values["difference"] = currency.round(values["account"] - values["ledger"])
        return result

    @api.model
    def _get_unreversed_lines(self, lines):
        """The lines, less those of a journal entry and its reversals that cancel out on the account.

        A wrong manual entry reversed by the accountant leaves nothing on the account: not a finding.
        """
        by_origin = defaultdict(lambda: lines.browse())
        for line in lines:
            by_origin[line.move_id.reversed_entry_id or line.move_id] |= line
        cancelled = lines.browse()
        for origin, group in by_origin.items():
            if (
                origin in group.move_id
                and group.move_id != origin
                and group.company_currency_id.is_zero(sum(group.mapped("balance")))
            ):
                cancelled |= group
        return lines - cancelled

    @api.model
    def _get_differences(self, companies):
        """The companies of _get_check_values() that do not tie; empty when everything ties."""
        return {
            company: values
            for company, values in self._get_check_values(companies).items()
            if not self._values_tie(company, values)
        }

    @api.model
    def _values_tie(self, company, values):
        return (
            company.currency_id.is_zero(values["difference"])
            and not values["cards"]
            and not values["lines"]
            and not values["balances"]
        )

    @api.model
    def _action_check(self, companies):
        """Run the check for the companies and open its report.

        The check is written by the server only (users may read their own, not write one), and it names
        journal items whoever runs it: created as superuser, owned by the user who ran it.
        """
        values_by_company = self._get_check_values(companies)
        check = self.sudo().create(  # sudo: only the server writes a check (users read their own)
            {
                "ties": all(self._values_tie(company, values) for company, values in values_by_company.items()),
                "line_ids": [
                    Command.create(self._prepare_line_vals(company, values))
                    for company, values in values_by_company.items()
                ],
                "item_ids": [
                    Command.create(vals)
                    for company, values in values_by_company.items()
                    for vals in self._prepare_item_vals_list(company, values)
                ],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Deferred Revenue Check"),
            "res_model": self._name,
            "res_id": check.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    @api.model
    def _prepare_line_vals(self, company, values):
        return {
            "company_id": company.id,
            "account_id": company.prepaid_deferred_account_id.id,
            "account_balance": values["account"],
            "open_topups": values["open_topups"],
            "awaiting": values["awaiting"],
            "difference": values["difference"],
            "ties": self._values_tie(company, values),
        }

    @api.model
    def _prepare_item_vals_list(self, company, values):
        vals_list = []
        for card, (account_balance, ledger_value) in values["cards"].items():
            vals_list.append(
                {
                    "company_id": company.id,
                    "kind": "card",
                    "service_id": card.id,
                    "partner_id": card.partner_id.id,
                    "account_balance": account_balance,
                    "ledger_value": ledger_value,
                    "difference": company.currency_id.round(account_balance - ledger_value),
                }
            )
        for line in values["lines"]:
            vals_list.append(
                {
                    "company_id": company.id,
                    "kind": "journal_item",
                    "move_line_id": line.id,
                    "service_id": line.prepaid_service_id.id,
                    "partner_id": line.partner_id.id,
                    "date": line.date,
                    "reference": " - ".join(filter(None, [line.move_id.name, line.name])),
                    "account_balance": -line.balance,
                    "difference": -line.balance,
                }
            )
        for card, differences in values["balances"].items():
            vals_list.append(
                {
                    "company_id": company.id,
                    "kind": "stored_balance",
                    "service_id": card.id,
                    "partner_id": card.partner_id.id,
                    "reference": "; ".join(
                        self.env._(
                            "%(field)s: stored %(stored)s, ledger %(ledger)s",
                            field=card._fields[fname]._description_string(self.env),
                            stored=self._format_balance(card, fname, stored),
                            ledger=self._format_balance(card, fname, ledger),
                        )
                        for fname, (stored, ledger) in differences.items()
                    ),
                }
            )
        return vals_list

    @api.model
    def _format_balance(self, card, fname, value):
        field = card._fields[fname]
        if field.type == "monetary":
            return formatLang(self.env, value, currency_obj=card[field.get_currency_field(card)])
        if field.type == "date":
            return format_date(self.env, value) if value else self.env._("none")
        return formatLang(self.env, value, dp="Product Unit")

    # ------------------------------------------------------------------
    # Stored balances against a recomputation from the ledger
    # ------------------------------------------------------------------
    @api.model
    def _get_ledger_balances(self, cards):
        """Balances recomputed from scratch from the ledger, keyed by card id.

        The stored balances are maintained incrementally by the posting service; this is the
        reference they must always equal.
        """
        Entry = self.env["prepaid.ledger.entry"]
        result = {
            card.id: {
                **{f"quantity_{b}": 0.0 for b in BALANCE_BUCKETS},
                **{f"amount_{b}": 0.0 for b in BALANCE_BUCKETS},
                "quantity_outstanding": 0.0,
                "amount_outstanding": 0.0,
                "value_outstanding": 0.0,
                "next_expiry_date": False,
            }
            for card in cards
        }
        groups = Entry._read_group(
            [("service_id", "in", cards.ids)],
            ["service_id", "bucket"],
            ["quantity:sum", "amount:sum", "value:sum"],
        )
        for card, bucket, quantity, amount, value in groups:
            res = result[card.id]
            sign = 1 if bucket == "received" else -1
            res[f"quantity_{bucket}"] += sign * quantity
            res[f"amount_{bucket}"] += sign * amount
            res["quantity_outstanding"] += quantity
            res["amount_outstanding"] += amount
            res["value_outstanding"] += value
        expiries = Entry._read_group(
            Entry._get_open_inflow_domain(cards) & Domain("valid_until", "!=", False),
            ["service_id"],
            ["valid_until:min"],
        )
        for card, valid_until in expiries:
            result[card.id]["next_expiry_date"] = valid_until
        return result

    @api.model
    def _get_balance_differences(self, cards):
        """Cards whose stored balances differ from the ledger: {card: {field: (stored, ledger)}}."""
        differences = {}
        ledger = self._get_ledger_balances(cards)
        for card in cards:
            diff = {}
            for fname, expected in ledger[card.id].items():
                stored = card[fname]
                if fname == "next_expiry_date":
                    if (stored or False) != (expected or False):
                        diff[fname] = (stored, expected)
                # at the precision the balance is kept in: the ledger's float sums of large figures are a
                # fraction of a cent off the exact decimal sum the stored balance holds
                elif float_compare(stored, expected, precision_rounding=card._get_balance_rounding(fname)):
                    diff[fname] = (stored, expected)
            if diff:
                differences[card] = diff
        return differences


class PrepaidDeferredRevenueCheckLine(models.TransientModel):
    """One company of a deferred revenue check."""

    _name = "prepaid.deferred.revenue.check.line"
    _description = "Deferred Revenue Check: Company"
    _order = "id"

    check_id = fields.Many2one("prepaid.deferred.revenue.check", required=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    account_id = fields.Many2one("account.account", string="Deferred Revenue Account", readonly=True)
    account_balance = fields.Monetary(
        readonly=True, help="Balance of the whole deferred revenue account (credit - debit)."
    )
    open_topups = fields.Monetary(
        string="Open Top-ups", readonly=True, help="Company-currency value still open on the top-ups of every card."
    )
    awaiting = fields.Monetary(
        string="Awaiting Recognition",
        readonly=True,
        help="Timesheet consumption already off the cards whose revenue the daily summary has not yet posted: "
        "it is still on the deferred revenue account.",
    )
    difference = fields.Monetary(
        readonly=True, help="Account balance less open top-ups and consumption awaiting recognition."
    )
    ties = fields.Boolean(readonly=True)


class PrepaidDeferredRevenueCheckItem(models.TransientModel):
    """A card or a journal item that explains a difference found by a deferred revenue check."""

    _name = "prepaid.deferred.revenue.check.item"
    _description = "Deferred Revenue Check: Explanation"
    _order = "id"

    check_id = fields.Many2one("prepaid.deferred.revenue.check", required=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(EXPLANATION_KINDS, string="Finding", required=True, readonly=True)
    service_id = fields.Many2one("prepaid.service", string="Prepaid Service", readonly=True)
    partner_id = fields.Many2one("res.partner", readonly=True)
    move_line_id = fields.Many2one(
        "account.move.line",
        string="Journal Item",
        readonly=True,
        groups="account.group_account_readonly,account.group_account_invoice",
    )
    date = fields.Date(readonly=True)
    reference = fields.Char(string="Details", readonly=True)
    account_balance = fields.Monetary(
        string="On the Account", readonly=True, help="Credit - debit of the item or of the card's journal items."
    )
    ledger_value = fields.Monetary(
        string="In the Ledger", readonly=True, help="Open top-ups and consumption awaiting recognition of the card."
    )
    difference = fields.Monetary(readonly=True)

    def action_open_document(self):
        """Open the card or the journal entry the finding is about, with the user's own access rights."""
        self.ensure_one()
        if self.kind == "journal_item":
            return self.move_line_id.move_id.get_formview_action()
        return self.service_id.get_formview_action()
