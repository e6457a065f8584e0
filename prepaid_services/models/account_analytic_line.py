from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, float_is_zero
from odoo.tools.misc import format_date, format_duration

# Editing these on a timesheet corrects its consumption; nothing else re-links past work.
PREPAID_TRIGGER_FIELDS = frozenset(
    {"unit_amount", "date", "project_id", "task_id", "employee_id", "prepaid_after_hours"}
)


class AccountAnalyticLine(models.Model):
    _inherit = "account.analytic.line"

    prepaid_after_hours = fields.Boolean(
        string="After Hours", help="Work done outside business hours: after-hours rate rules of prepaid services apply."
    )
    prepaid_entry_ids = fields.One2many(
        "prepaid.ledger.entry", "timesheet_id", string="Prepaid Ledger Entries", readonly=True
    )
    prepaid_service_ids = fields.Many2many(
        "prepaid.service", compute="_compute_prepaid_service_ids", string="Paid from Prepaid Services"
    )

    def _compute_prepaid_service_ids(self):
        active = self._prepaid_active_entries()
        for line in self:
            line.prepaid_service_ids = active.filtered(lambda e, line=line: e.timesheet_id == line).service_id

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get("default_project_id") and not any(vals.get("project_id") for vals in vals_list):
            return super().create(vals_list)  # no work on a project: nothing to consume
        # a timesheet and its consumption are written or refused together, even for a caller that catches the error
        with self.env.cr.savepoint():
            lines = super().create(vals_list)
            lines._prepaid_sync_consumption(new=True)
        return lines

    def write(self, vals):
        if not PREPAID_TRIGGER_FIELDS & set(vals):
            return super().write(vals)
        # a refused correction leaves neither the new values nor the reversal of the old consumption
        with self.env.cr.savepoint():
            res = super().write(vals)
            self._prepaid_sync_consumption()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_reverse_prepaid_consumption(self):
        entries = self._prepaid_active_entries()
        if entries:
            entries._reverse_entries(date=fields.Date.context_today(self), description=self.env._("Timesheet deleted"))

    # ------------------------------------------------------------------
    # Consumption
    # ------------------------------------------------------------------
    def _prepaid_active_entries(self):
        """Usage entries of these timesheets that no reversal cancelled."""
        if not self.ids:
            return self.env["prepaid.ledger.entry"]
        # sudo: syncing must see every entry of these timesheets, or it would post their consumption twice
        return (
            self.env["prepaid.ledger.entry"]
            .sudo()
            .search(
                [
                    ("timesheet_id", "in", self.ids),
                    ("reversed_entry_id", "=", False),
                    ("reversal_entry_ids", "=", False),
                ]
            )
        )

    def _prepaid_sync_consumption(self, new=False):
        """Bring the ledger in line with the timesheets: reverse what changed, post what is due.

        An analytic line born of a journal item (move_line_id) is never work, whatever project a screen's
        defaults gave it: it does not consume a card. new: the timesheets were just created (no ledger yet).
        """
        if new:
            # nothing to compare with: post what they consume (the common path, kept free of reads)
            to_post = [vals for wanted in self._prepaid_get_consumption().values() for vals in wanted]
            if to_post:
                self.env["prepaid.ledger.entry"]._post_entries(to_post)
            return
        timesheets = self.filtered(lambda t: (t.project_id and not t.move_line_id) or t.prepaid_entry_ids)
        if not timesheets:
            return
        current = defaultdict(lambda: self.env["prepaid.ledger.entry"])
        for entry in timesheets._prepaid_active_entries():
            current[entry.timesheet_id] |= entry
        desired = timesheets._prepaid_get_consumption()
        to_reverse = self.env["prepaid.ledger.entry"]
        to_post = []
        Card = self.env["prepaid.service"]
        for timesheet in timesheets:
            entries = current.get(timesheet, self.env["prepaid.ledger.entry"])
            wanted = desired.get(timesheet, [])
            have = sorted((e.service_id.id, round(-e.quantity, 6), e.date, e.product_id.id) for e in entries)
            want = sorted(
                (
                    v["service_id"],
                    round(-v["quantity"], 6),
                    Card.browse(v["service_id"])._get_accounting_date(v["date"]),
                    v["product_id"],
                )
                for v in wanted
            )
            if have != want:
                to_reverse |= entries
                to_post.extend(wanted)
        # a correction (reversal and new consumption) gets one consumption invoice for the difference
        with self.env["prepaid.consumption.invoice"]._batch():
            if to_reverse:
                to_reverse._reverse_entries(
                    date=fields.Date.context_today(self), description=self.env._("Timesheet corrected")
                )
            if to_post:
                self.env["prepaid.ledger.entry"]._post_entries(to_post)

    def _prepaid_get_consumption(self):
        """Usage vals per timesheet: which cards its work draws on, for how much."""
        result = {}
        timesheets = self.filtered(
            lambda t: t.project_id and not t.move_line_id and not float_is_zero(t.unit_amount, precision_digits=6)
        )
        if not timesheets:
            return result
        # sudo: every job of the project, whatever companies the user has open: a card of another company is
        # refused (_prepaid_get_cards), never silently skipped
        jobs = (
            self.env["prepaid.service.job"]
            .sudo()
            .search_fetch(
                [("project_id", "in", timesheets.project_id.ids), ("service_id.closed", "=", False)],
                ["service_id", "project_id", "date_start", "date_end"],
            )
        )
        if not jobs:
            return result
        charged_tasks = timesheets._prepaid_charged_tasks(jobs.service_id)
        Rate = self.env["prepaid.service.rate"]
        planned = defaultdict(float)  # card -> consumption planned in this batch
        for timesheet in timesheets.sorted(lambda t: (t.date, t.id)):
            cards = timesheet._prepaid_get_cards(jobs)
            if not cards:
                continue
            timesheet._prepaid_ensure_positive()
            hours = timesheet.unit_amount
            vals_list = []
            for index, card in enumerate(cards):
                last = index == len(cards) - 1
                first_on_task = (card.id, timesheet.task_id.id) not in charged_tasks
                units = Rate._get_consumption(card, timesheet, hours, first_on_task=first_on_task)
                rounding = card._get_unit_rounding()
                if float_is_zero(units, precision_rounding=rounding):
                    break
                available = card._get_available_balance() - planned[card]  # not top-ups awaiting payment
                take = units
                if not last and float_compare(units, available, precision_rounding=rounding) > 0:
                    if float_compare(available, 0.0, precision_rounding=rounding) <= 0:
                        continue
                    take = available
                vals_list.append(timesheet._prepaid_prepare_usage_vals(card, take))
                planned[card] += take
                if timesheet.task_id:
                    charged_tasks.add((card.id, timesheet.task_id.id))
                if take == units:
                    break
                hours *= 1 - take / units
            result[timesheet] = vals_list
        return result

    def _prepaid_charged_tasks(self, cards):
        """(card, task) pairs already charged by other timesheets, for once-per-task rules.

        One query over distinct pairs, whatever the history of the task; none at all when no card
        has a once-per-task rule.
        """
        tasks = self.task_id
        cards = cards.filtered(lambda c: "task" in c.rate_ids.mapped("conversion"))
        if not tasks or not cards:
            return set()
        Entry = self.env["prepaid.ledger.entry"]
        Entry.flush_model(["service_id", "timesheet_id", "reversed_entry_id"])
        self.flush_model(["task_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT entry.service_id, line.task_id
                  FROM prepaid_ledger_entry entry
                  JOIN account_analytic_line line ON line.id = entry.timesheet_id
                 WHERE entry.service_id IN %(cards)s
                   AND line.task_id IN %(tasks)s
                   AND entry.timesheet_id NOT IN %(lines)s
                   AND entry.reversed_entry_id IS NULL
                   AND NOT EXISTS (SELECT 1 FROM prepaid_ledger_entry reversal
                                    WHERE reversal.reversed_entry_id = entry.id)
                """,
                cards=tuple(cards.ids),
                tasks=tuple(tasks.ids),
                lines=tuple(self.ids) or (0,),
            )
        )
        return set(self.env.cr.fetchall())

    def _prepaid_ensure_positive(self):
        """Work drawn on a card is positive: a negative timesheet would hand credit back without a document."""
        self.ensure_one()
        if self.unit_amount < 0:
            raise UserError(
                self.env._(
                    "Time logged on %(project)s is paid by a prepaid service, so it cannot be negative "
                    "(%(duration)s). To correct time logged before, edit or delete that timesheet; to give the "
                    "customer credit back, ask a prepaid services manager for a ledger entry.",
                    project=self.project_id.display_name,
                    duration=format_duration(self.unit_amount),
                )
            )

    def _prepaid_get_cards(self, jobs):
        """Cards this timesheet draws on, in drawdown order: expiring first, then priority."""
        self.ensure_one()
        matching = jobs.filtered(lambda j: j._matches(self.project_id, self.task_id, self.date))
        cards = matching.service_id
        if not cards:
            return cards
        wrong_company = cards.filtered(lambda c: c.company_id != self.company_id)
        if wrong_company:
            raise UserError(
                self.env._(
                    "The project %(project)s draws on the prepaid service %(card)s of %(company)s, but this "
                    "timesheet belongs to %(ts_company)s. Log the time in the card's company or reassign the job.",
                    project=self.project_id.display_name,
                    card=wrong_company[0].display_name,
                    company=wrong_company[0].company_id.name,
                    ts_company=self.company_id.name,
                )
            )
        in_period = cards.filtered(lambda c: c.date_start <= self.date and (not c.date_end or self.date <= c.date_end))
        if not in_period:
            card = cards[0]
            figures = {
                "card": card.display_name,
                "project": self.project_id.display_name,
                "start": format_date(self.env, card.date_start),
                "end": format_date(self.env, card.date_end),
                "date": format_date(self.env, self.date),
            }
            if card.date_end:
                message = self.env._(
                    "The prepaid service %(card)s that pays for %(project)s runs from %(start)s to %(end)s; "
                    "this timesheet is dated %(date)s. Extend the card, assign another one, or close it.",
                    **figures,
                )
            else:
                message = self.env._(
                    "The prepaid service %(card)s that pays for %(project)s starts on %(start)s; this timesheet "
                    "is dated %(date)s. Correct the timesheet's date or the card's start date, or assign another "
                    "card.",
                    **figures,
                )
            raise UserError(message)
        if self.timesheet_invoice_type == "non_billable":
            in_period = in_period.filtered(lambda c: not c.billable_only)
        return in_period._sorted_for_drawdown(self.date)

    def _prepaid_prepare_usage_vals(self, card, quantity):
        self.ensure_one()
        return {
            "service_id": card.id,
            "entry_type": "usage",
            "date": self.date,
            "quantity": -quantity,
            "timesheet_id": self.id,
            "project_id": self.project_id.id,
            "employee_id": self.employee_id.id,
            "sale_line_id": self.so_line.id,
            "product_id": (self.so_line.product_id or card.product_id).id,
            "name": self.name if self.name and self.name != "/" else self.project_id.name,
        }
