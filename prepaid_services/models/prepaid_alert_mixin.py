import logging
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import float_compare

from .utils import service_scope

_logger = logging.getLogger(__name__)


class PrepaidAlertMixin(models.AbstractModel):
    """What a card tells its account manager and its customer: running low, expiring soon, burn rate and
    predicted depletion, and the activities of scheduled actions that could not process it."""

    _name = "prepaid.alert.mixin"
    _description = "Prepaid Alerts"

    low_balance_threshold = fields.Float(
        digits="Product Unit",
        help="The card counts as running low when its outstanding balance falls to or below this.",
    )
    is_low_balance = fields.Boolean(
        compute="_compute_is_low_balance", search="_search_is_low_balance", string="Low Balance"
    )
    expiry_warning_days = fields.Integer(
        string="Expiry Warning (days)",
        help="Warn the account manager and the customer this many days before a top-up expires. 0: no warning.",
    )
    low_balance_alerted = fields.Boolean(copy=False, readonly=True)
    expiry_alerted_date = fields.Date(
        copy=False, readonly=True, help="Expiry date for which the expiring-soon warning was sent."
    )
    burn_rate = fields.Float(
        compute="_compute_burn_rate",
        digits="Product Unit",
        string="Burn Rate (30 days)",
        help="Average consumption per 30 days over the last 90 days.",
    )
    depletion_date = fields.Date(
        compute="_compute_burn_rate",
        string="Predicted Depletion",
        help="When the outstanding balance runs out at the current burn rate.",
    )

    @api.depends("quantity_outstanding", "low_balance_threshold")
    def _compute_is_low_balance(self):
        for card in self:
            card.is_low_balance = card.low_balance_threshold > 0 and (
                float_compare(card.quantity_outstanding, card.low_balance_threshold, precision_digits=6) <= 0
            )

    def _compute_burn_rate(self):
        today = fields.Date.context_today(self)
        since = today - relativedelta(days=90)
        used = dict(
            self.env["prepaid.ledger.entry"]._read_group(
                [("service_id", "in", self.ids), ("bucket", "=", "used"), ("date", ">", since), ("date", "<=", today)],
                ["service_id"],
                ["quantity:sum"],
            )
        )
        for card in self:
            rate = -used.get(card._origin, 0.0) / 90.0  # per day
            card.burn_rate = rate * 30.0
            if rate > 0 and card.quantity_outstanding > 0:
                card.depletion_date = today + relativedelta(days=int(card.quantity_outstanding / rate))
            else:
                card.depletion_date = False

    def _search_is_low_balance(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        self.env["prepaid.service"].flush_model(["quantity_outstanding", "low_balance_threshold"])
        # a card without any entry has no stored balance yet (NULL): it holds nothing, so it runs low
        self.env.cr.execute(
            "SELECT id FROM prepaid_service WHERE low_balance_threshold > 0 "
            "AND COALESCE(quantity_outstanding, 0) <= low_balance_threshold"
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        positive = (operator == "in") == (True in value)
        return Domain("id", "in" if positive else "not in", ids)

    def _send_alert(self, template_xmlid, summary):
        """Activity for the account manager and a mail to the customer, for each card."""
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        for card in self:
            card.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=(card.user_id or self.env.user).id,
                summary=summary,
            )
            if template and card.partner_id.email:
                card.message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    def _send_low_balance_alerts(self, consumed=None):
        """Alert once when consumption takes a card to its low-balance threshold; re-arm when it is topped up.

        consumed: the cards that were consumed (default: all); only they may alert.
        """
        consumed = self if consumed is None else consumed
        # cards without a threshold and not alerted are done without reading their new balance
        watched = self.filtered(lambda c: c.low_balance_threshold > 0 or c.low_balance_alerted)
        crossing = watched.filtered(
            lambda c: c in consumed and c.is_low_balance and not c.low_balance_alerted and not c.closed
        )
        rearmed = watched.filtered(lambda c: c.low_balance_alerted and not c.is_low_balance)
        with service_scope():
            if rearmed:
                rearmed.write({"low_balance_alerted": False})
            if crossing:
                crossing.write({"low_balance_alerted": True})
        if crossing:
            # sudo: whoever consumed the card, its account manager gets the to-do and the customer the mail
            crossing.sudo()._send_alert(
                "prepaid_services.mail_template_prepaid_low_balance", self.env._("Prepaid balance running low")
            )
            # once per crossing, as the alert: cards with an automatic top-up sell their next one
            self.env["prepaid.auto.topup"]._create_topups(crossing)

    @api.model
    def _cron_check_expiry_alerts(self):
        """Daily: warn once per expiry date about top-ups expiring within each card's warning days."""
        today = fields.Date.context_today(self)
        # sudo: the scheduled action warns about every company's cards
        cards = self.sudo().search(
            [("expiry_warning_days", ">", 0), ("closed", "=", False), ("next_expiry_date", ">=", today)]
        )
        due = cards.filtered(
            lambda c: (
                c.next_expiry_date <= today + relativedelta(days=c.expiry_warning_days)
                and c.expiry_alerted_date != c.next_expiry_date
                and c.quantity_outstanding > 0
            )
        )
        with service_scope():
            for expiry_date, cards in due.grouped("next_expiry_date").items():
                cards.write({"expiry_alerted_date": expiry_date})
        due._send_alert("prepaid_services.mail_template_prepaid_expiring", self.env._("Prepaid balance expiring soon"))
        return due

    def _run_isolated(self, step, summary, what):
        """Run step(cards) for these cards in savepoints; returns (what step returned per batch, failed cards).

        The cards go in one batch; a batch that fails is rolled back, split in two and run again, down to
        the cards at fault, which are skipped with an activity for their responsible (summary: the problem,
        what: what was not done). A card that goes through closes its activity for the same problem.
        """
        results = []
        errors = {}

        def run(batch):
            try:
                with self.env.cr.savepoint():
                    result = step(batch)
            except UserError as error:
                if len(batch) == 1:
                    errors[batch.id] = error.args[0] if error.args else str(error)
                    return
                half = len(batch) // 2
                run(batch[:half])
                run(batch[half:])
            else:
                results.append(result)

        cards = self.sorted(lambda c: (c.company_id.id, c.id))
        if cards:
            run(cards)
        failed = self.browse(list(errors))
        advice = self.env._(
            "Correct the cause above: the next run tries again, and marks this activity done when it goes through."
        )
        failed._schedule_problem_activity(
            summary,
            {
                card_id: Markup("<p>%s</p><p>%s</p><p>%s</p>") % (what, error, advice)
                for card_id, error in errors.items()
            },
        )
        (cards - failed)._close_problem_activities(summary, self.env._("The next run went through."))
        for card_id, error in errors.items():
            _logger.info("Prepaid card %s skipped (%s): %s", card_id, summary, error)
        return results, failed

    def _schedule_problem_activity(self, summary, notes):
        """A to-do about a problem for each card's responsible (or the administrator), once per card and problem.

        notes: {card id: note}. A problem already open on a card gets its note updated, not a second to-do.
        """
        if not self:
            return
        # sudo (cards, activities): the to-do goes to each card's responsible, whoever runs the action
        cards = self.sudo()
        existing = {
            activity.res_id: activity
            for activity in self.env["mail.activity"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "in", self.ids), ("summary", "=", summary)])
        }
        admin = self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user
        groups = defaultdict(list)
        for card in cards:
            note = notes[card.id]
            activity = existing.get(card.id)
            if activity:
                if activity.note != note:
                    activity.note = note
                continue
            groups[((card.user_id or admin).id, note)].append(card.id)
        for (user_id, note), card_ids in groups.items():
            cards.browse(card_ids).activity_schedule(
                "mail.mail_activity_data_todo", summary=summary, note=note, user_id=user_id
            )

    def _close_problem_activities(self, summary, feedback):
        """Mark done the to-dos about a problem these cards no longer have."""
        if not self:
            return
        # sudo: the to-dos are the cards' responsibles', marked done whoever runs the action
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "in", self.ids), ("summary", "=", summary)])
        )
        if activities:
            activities.action_feedback(feedback=feedback)
