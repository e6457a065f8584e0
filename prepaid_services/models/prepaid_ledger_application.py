import logging
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

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
    # Grouped recognition: the daily summary of timesheet consumption
    # ------------------------------------------------------------------
    @api.model
    def _get_awaiting_recognition_domain(self):
        """Applications of timesheet consumption not yet in a daily summary entry."""
        return [
            ("move_id", "=", False),
            ("value", "!=", 0),
            ("outflow_id.entry_type", "=", "usage"),
            ("outflow_id.invoice_line_id", "=", False),
        ]

    @api.model
    def _cron_post_daily_recognition(self, up_to=None):
        """Post one recognition entry per card and day for consumption summarised daily.

        Takes whole days only (before today, or up to the given date), so a day is summarised once.
        A card whose entry cannot be posted (no income account) is skipped with an activity; the others post.
        """
        up_to = up_to or fields.Date.context_today(self) - relativedelta(days=1)
        # sudo (applications, cards): the scheduled action recognises every company's consumption
        Application = self.env["prepaid.ledger.application"].sudo()
        applications = Application.search(
            [*self._get_awaiting_recognition_domain(), ("date", "<=", up_to)], order="service_id, date, id"
        )
        # whatever the setting says today: consumption posted while it said "daily" still awaits its entry
        if not applications:
            return self.env["account.move"]
        app_ids_by_card = defaultdict(list)
        for app in applications:
            app_ids_by_card[app.service_id.id].append(app.id)
        # sudo: the scheduled action recognises every company's cards
        cards = self.env["prepaid.service"].sudo().browse(list(app_ids_by_card))

        def step(batch):
            return self._post_daily_recognition(
                Application.browse([app_id for card in batch for app_id in app_ids_by_card[card.id]])
            )

        results, failed = cards._run_isolated(
            step,
            self.env._("Prepaid: daily revenue recognition failed"),
            self.env._(
                "The daily revenue recognition of this prepaid service could not be posted: its consumption stays "
                "on the deferred revenue account until it is."
            ),
        )
        moves = self.env["account.move"].union(*results)
        _logger.info(
            "Prepaid daily recognition: %s cards recognised in %s journal entries, %s cards skipped",
            len(cards) - len(failed),
            len(moves),
            len(failed),
        )
        return moves

    @api.model
    def _post_daily_recognition(self, applications):
        """Post the daily summary entries of these applications: one per card and day."""
        Application = self.env["prepaid.ledger.application"]
        groups = defaultdict(lambda: defaultdict(float))
        apps_by_key = defaultdict(list)
        for app in applications:
            outflow = app.outflow_id
            entry = outflow.reversed_entry_id or outflow
            key = (app.service_id, app.date)
            income = app.service_id._get_income_account(entry.product_id)
            groups[key][income] += app.value
            apps_by_key[key].append(app.id)
        vals_list = []
        for (card, day), by_account in groups.items():
            company = card.company_id
            deferred = company.prepaid_deferred_account_id
            total = sum(by_account.values())
            vals = self.env["account.move"]._prepaid_prepare_journal_entry_vals(
                card,
                amount=total,
                debit_account=deferred,
                credit_account=next(iter(by_account)),
                ref=self.env._("%(card)s - Usage of %(day)s", card=card.name, day=format_date(self.env, day)),
                date=day,
            )
            if len(by_account) > 1:
                # one deferred line for the day, one income line per service account
                deferred_cmd = vals["line_ids"][0] if total >= 0 else vals["line_ids"][1]
                vals["line_ids"] = [deferred_cmd]
                for account, value in by_account.items():
                    side = self.env["account.move"]._prepaid_prepare_journal_entry_vals(
                        card, amount=value, debit_account=deferred, credit_account=account, ref=vals["ref"], date=day
                    )["line_ids"]
                    vals["line_ids"].append(side[1] if value >= 0 else side[0])
            vals_list.append(vals)
        moves = self.env["account.move"]._prepaid_create_journal_entries(vals_list)
        links = []
        for key, move in zip(groups, moves, strict=True):
            links.extend((app_id, move.id) for app_id in apps_by_key[key])
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
