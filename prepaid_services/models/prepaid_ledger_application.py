import logging
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from .account_move import MAX_CARDS_PER_BATCH_ENTRY
from .utils import bulk_update, in_service_scope

_logger = logging.getLogger(__name__)


class PrepaidLedgerApplication(models.Model):
    """How much of which top-up an outflow consumed: the basis of lot valuation."""

    _name = "prepaid.ledger.application"
    _description = "Prepaid Ledger Application"
    _order = "id"

    outflow_id = fields.Many2one("prepaid.ledger.entry", required=True, index=True, ondelete="restrict", readonly=True)
    inflow_id = fields.Many2one(
        "prepaid.ledger.entry", required=True, index=True, ondelete="restrict", readonly=True, string="Top-up"
    )
    service_id = fields.Many2one(related="outflow_id.service_id", store=True, precompute=True, index=True)
    company_id = fields.Many2one(related="outflow_id.company_id", store=True, precompute=True, index=True)
    currency_id = fields.Many2one(related="outflow_id.currency_id")
    company_currency_id = fields.Many2one(related="outflow_id.company_currency_id")
    date = fields.Date(related="outflow_id.date", store=True, precompute=True)
    valid_until = fields.Date(related="inflow_id.valid_until")
    quantity = fields.Float(digits="Product Unit", readonly=True)
    amount = fields.Monetary(readonly=True)
    value = fields.Monetary(currency_field="company_currency_id", readonly=True)
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True, index="btree_not_null")

    def write(self, vals):
        if in_service_scope() and set(vals) <= {"move_id"}:
            return super().write(vals)
        raise UserError(self.env._("Applications of prepaid ledger entries cannot be modified."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_posted(self):
        raise UserError(self.env._("Applications of prepaid ledger entries cannot be deleted."))

    # ------------------------------------------------------------------
    # Grouped recognition: one journal entry per company and day
    # ------------------------------------------------------------------
    @api.model
    def _get_awaiting_recognition_domain(self):
        """Applications of timesheet consumption not yet in a grouped recognition entry."""
        return [
            ("move_id", "=", False),
            ("value", "!=", 0),
            ("outflow_id.entry_type", "=", "usage"),
            ("outflow_id.invoice_line_id", "=", False),
        ]

    @api.model
    def _cron_post_daily_recognition(self, up_to=None):
        """Nightly: post the grouped recognition of every company's consumption up to yesterday (or up_to).

        Takes whole days only, so a day is recognised once. A card whose lines cannot be posted (no income
        account) is skipped with an activity; the others post.
        """
        up_to = up_to or fields.Date.context_today(self) - relativedelta(days=1)
        return self._recognise_pending(up_to=up_to, isolated=True)

    @api.model
    def _recognise_pending(self, cards=None, up_to=None, isolated=False):
        """Post the grouped recognition of the consumption awaiting it, of these cards (None: every card), dated
        up to up_to (default today): one journal entry per company and day. Returns the journal entries.

        isolated: a card that cannot be recognised is skipped with an activity (the scheduled action); else its
        error stops the whole (a user pressing Recognise Now reads it).
        """
        up_to = up_to or fields.Date.context_today(self)
        # sudo (applications, cards): recognition posts what the ledger already holds, for every company asked
        Application = self.env["prepaid.ledger.application"].sudo()
        domain = [
            *self._get_awaiting_recognition_domain(),
            ("date", "<=", up_to),
            # recognised by its card's consumption invoice (prepaid.consumption.invoice), never here
            ("outflow_id.consumption_invoiced", "=", False),
        ]
        if cards is not None:
            domain.append(("service_id", "in", cards.ids))
        # whatever the setting says today: consumption posted while it said "grouped" still awaits its entry
        applications = Application.search(domain, order="service_id, date, id")
        if not applications:
            return self.env["account.move"]
        if not isolated:
            return self._post_daily_recognition(applications)
        app_ids_by_card = defaultdict(list)
        for app in applications:
            app_ids_by_card[app.service_id.id].append(app.id)
        cards = self.env["prepaid.service"].sudo().browse(list(app_ids_by_card))

        def step(batch):
            return self._post_daily_recognition(
                Application.browse([app_id for card in batch for app_id in app_ids_by_card[card.id]])
            )

        results, failed = cards._run_isolated(
            step,
            self.env._("Prepaid: revenue recognition failed"),
            self.env._(
                "The grouped revenue recognition of this prepaid service could not be posted: its consumption stays "
                "on the deferred revenue account until it is."
            ),
        )
        moves = self.env["account.move"].union(*results)
        _logger.info(
            "Prepaid grouped recognition: %s cards recognised in %s journal entries, %s cards skipped",
            len(cards) - len(failed),
            len(moves),
            len(failed),
        )
        return moves

    @api.model
    def _post_daily_recognition(self, applications):
        """Post the grouped recognition of these applications: one journal entry per company and day, one line
        pair per card and income account (the card's partner and analytic account on its lines)."""
        Application = self.env["prepaid.ledger.application"]
        Move = self.env["account.move"]
        values = defaultdict(float)  # (company, day, card, income account) -> value
        app_keys = []
        days, incomes = {}, {}  # what a card's many applications share, read once
        for app in applications:
            outflow = app.outflow_id
            entry = outflow.reversed_entry_id or outflow
            card = app.service_id
            if (card, app.date) not in days:
                days[card, app.date] = card._get_accounting_date(app.date)
            day = days[card, app.date]
            if (card, entry.product_id) not in incomes:
                incomes[card, entry.product_id] = card._get_income_account(entry.product_id)
            income = incomes[card, entry.product_id]
            values[card.company_id, day, card, income] += app.value
            app_keys.append((card.company_id, day, card))
        pairs_by_day = defaultdict(list)  # (company, day, part) -> line pairs; a day of many cards takes parts
        part_of = {}  # (company, day, card) -> part
        cards_in_day = defaultdict(int)
        for (company, day, card, income), value in values.items():
            if (company, day, card) not in part_of:
                part_of[company, day, card] = cards_in_day[company, day] // MAX_CARDS_PER_BATCH_ENTRY
                cards_in_day[company, day] += 1
            pairs_by_day[company, day, part_of[company, day, card]].append(
                (card, income, company.currency_id.round(value))
            )
        app_ids_by_part = defaultdict(list)
        for app, key in zip(applications, app_keys, strict=True):
            app_ids_by_part[(*key[:2], part_of[key])].append(app.id)
        vals_list = []
        for (company, day, _part), pairs in pairs_by_day.items():
            # a day whose consumption was all given back the same day still gets its (zero) entry, so that its
            # applications are recognised once and never wait again
            pairs = [pair for pair in pairs if not company.currency_id.is_zero(pair[2])] or pairs[:1]
            ref = self.env._("Prepaid services: usage of %(day)s", day=format_date(self.env, day))
            pair_vals = [
                Move._prepaid_prepare_journal_entry_vals(
                    card,
                    amount=value,
                    debit_account=company.prepaid_deferred_account_id,
                    credit_account=income,
                    ref=self.env._("%(card)s - Usage of %(day)s", card=card.name, day=format_date(self.env, day)),
                    date=day,
                )
                for card, income, value in pairs
            ]
            # the day's entry: the first pair's journal, company and date, every pair's lines
            vals = dict(
                pair_vals[0],
                ref=ref,
                line_ids=[line for pair in pair_vals for line in pair["line_ids"]],
                partner_id=pair_vals[0]["partner_id"] if len(pairs) == 1 else False,
                prepaid_service_id=pair_vals[0]["prepaid_service_id"] if len(pairs) == 1 else False,
            )
            vals_list.append(vals)
        moves = Move._prepaid_create_journal_entries(vals_list)
        links = []
        for key, move in zip(pairs_by_day, moves, strict=True):
            links.extend((app_id, move.id) for app_id in app_ids_by_part[key])
        bulk_update(Application, ["move_id"], links)
        move_by_app = dict(links)
        bulk_update(
            self.env["prepaid.ledger.entry"],
            ["move_id"],
            list(
                {
                    app.outflow_id.id: (app.outflow_id.id, move_by_app[app.id])
                    for app in applications
                    if not app.outflow_id.move_id
                }.values()
            ),
        )
        return moves
