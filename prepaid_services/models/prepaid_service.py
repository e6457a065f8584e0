import logging
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import float_compare
from odoo.tools.misc import format_amount, format_date, formatLang

from .utils import BALANCE_BUCKETS, BALANCE_FIELDS, clean_env, in_service_scope, service_scope

_logger = logging.getLogger(__name__)

# Written only by the module's own code (posting service, alerts): never by a client, whatever it sends
SERVICE_ONLY_FIELDS = BALANCE_FIELDS | {"low_balance_alerted", "expiry_alerted_date"}
# Largest figure a card holds, in steps of its rounding: 1,000,000,000,000.00 in a two-decimal currency.
# Odoo's float_round (currency.round, monetary fields, journal items) adds one step to a figure of more than
# 2^49 (about 5.6 x 10^14) steps each time it rounds it, so larger figures cannot stay exact.
MAX_ROUNDING_STEPS = 10**14

# What a card charges for work and for time: one right, the prepaid manager's (as its rate rules)
PRICING_FIELDS = frozenset(
    {
        "hourly_rate",
        "overdraw_policy",
        "billable_only",
        "rate_ids",
        "overage_band_ids",
        "validity_interval",
        "validity_unit",
        "period_allowance",
        "period_price",
        "period_product_id",
        "recurrence_interval",
        "recurrence_unit",
        "period_end_behaviour",
        "carry_over_cap_type",
        "carry_over_cap",
        "carry_over_periods",
        "termination_refund",
        "recognition_method",
    }
)


class PrepaidService(models.Model):
    """A customer's prepaid account: what was bought in advance and is still owed."""

    _name = "prepaid.service"
    _description = "Prepaid Service"
    _inherit = ["mail.thread", "mail.activity.mixin", "prepaid.recurring.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Number",
        required=True,
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    description = fields.Char(tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True, string="Commercial Entity"
    )
    user_id = fields.Many2one(
        "res.users",
        string="Account Manager",
        default=lambda self: self.env.user,
        tracking=True,
        help="Receives the activities when the card runs low or expires soon.",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        tracking=True,
        default=lambda self: self.env.company.currency_id,
        help="Currency of the card: top-up invoices and usage must be in this currency.",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency", store=True, precompute=True
    )
    service_type = fields.Selection(
        [("quantity", "Quantity"), ("amount", "Amount")],
        string="Type",
        required=True,
        default="quantity",
        tracking=True,
        help="Quantity: units (hours, days, tickets, tokens) are credited and consumed. "
        "Amount: a money balance is credited and consumed.",
    )
    accrual = fields.Selection(
        [("one_time", "One-time"), ("periodic", "Periodic")],
        required=True,
        default="one_time",
        tracking=True,
        help="One-time: bought once and topped up by hand or by selling more. "
        "Periodic: topped up every period by a recurring invoice.",
    )
    uom_id = fields.Many2one(
        "uom.uom",
        string="Unit",
        default=lambda self: self.env.ref("uom.product_uom_hour", raise_if_not_found=False),
        help="Unit in which a quantity card is credited and consumed.",
    )
    product_id = fields.Many2one(
        "product.product",
        string="Service Product",
        check_company=True,
        domain=[("type", "=", "service")],
        help="Service whose income account receives the revenue recognised when the card is "
        "consumed, unless the consumption names another product.",
    )
    date_start = fields.Date(string="Start Date", required=True, default=fields.Date.context_today, tracking=True)
    date_end = fields.Date(string="End Date", tracking=True)
    closed = fields.Boolean(
        tracking=True,
        copy=False,
        readonly=True,
        help="A closed card accepts no top-up and no consumption. Set by the Close and Reopen buttons only.",
    )
    validity_interval = fields.Integer(
        string="Validity",
        help="How long each new top-up can be used. Empty means unlimited.",
    )
    validity_unit = fields.Selection(
        [("days", "Days"), ("weeks", "Weeks"), ("months", "Months"), ("years", "Years")],
        default="months",
    )
    overdraw_policy = fields.Selection(
        [("block", "Block"), ("negative", "Allow negative balance"), ("invoice", "Invoice the overage")],
        required=True,
        default="block",
        tracking=True,
        help="Block: consumption beyond the balance is refused. "
        "Allow negative balance: the shortfall is settled first by the next top-up. "
        "Invoice the overage (periodic cards): the shortfall is billed on the next period's invoice at the "
        "overage band prices.",
    )
    # Periodic cards
    period_allowance = fields.Float(
        string="Allowance per Period",
        digits="Product Unit",
        help="Units (quantity cards) or money (amount cards) credited by each period's invoice.",
    )
    period_price = fields.Monetary(string="Price per Period")
    period_product_id = fields.Many2one(
        "product.product",
        string="Invoiced Product",
        check_company=True,
        domain=[("prepaid_ok", "=", True)],
        help="Prepaid top-up product on the period invoices; its income account receives the recognised revenue.",
    )
    next_period_start = fields.Date(
        string="Next Period", copy=False, help="Start of the next period to invoice. Empty: the card's start date."
    )
    invoice_in_advance = fields.Boolean(
        default=True, help="Invoice each period when it starts; otherwise when it ends."
    )
    period_auto_post = fields.Boolean(string="Post Invoices", default=True)
    period_end_behaviour = fields.Selection(
        [("expire", "Expire unused"), ("carry_over", "Carry over"), ("accumulate", "Accumulate")],
        string="Unused at Period End",
        default="expire",
        help="Expire unused: what is left lapses at period end (breakage). Carry over: what is left, up to the "
        "cap, survives the given number of periods. Accumulate: it stays until the card ends.",
    )
    carry_over_cap_type = fields.Selection(
        [("none", "No cap"), ("units", "Units"), ("percent", "% of the allowance")], default="none"
    )
    carry_over_cap = fields.Float(digits="Product Unit")
    carry_over_periods = fields.Integer(string="Carried Residual Survives (periods)", default=1)
    termination_refund = fields.Boolean(
        string="Refund Unused on Early Termination",
        help="What the Close wizard proposes for a card closed before its end: refund the unused balance with a "
        "credit note; otherwise expire it.",
    )
    recognition_method = fields.Selection(
        [
            ("usage", "On usage"),
            ("period_end", "Straight-line: at period end"),
            ("monthly", "Straight-line: evenly per month"),
        ],
        default="usage",
        required=True,
        help="On usage: revenue follows the units consumed. Straight-line (fixed-fee periodic cards): each "
        "period's value is recognised at its end, or evenly per month across a multi-month period, "
        "whatever is used; units still count for the balance.",
    )
    period_ids = fields.One2many("prepaid.service.period", "service_id", string="Periods")
    overage_band_ids = fields.One2many("prepaid.service.overage.band", "service_id", string="Overage Bands")
    priority = fields.Integer(
        default=10,
        help="When several cards of a customer can pay for the same work, lower numbers are drawn first "
        "(after the ones expiring first).",
    )
    analytic_account_id = fields.Many2one(
        "account.analytic.account",
        check_company=True,
        copy=False,
        groups="base.group_user",
        help="Analytic account of the revenue recognised and the residuals expired on this card.",
    )
    note = fields.Html(groups="base.group_user")
    hourly_rate = fields.Monetary(
        help="Amount cards: price of an hour of work when no rate rule applies. "
        "Empty: the price of the sales order item of the timesheet, else of the service product.",
    )
    billable_only = fields.Boolean(
        string="Billable Work Only", help="Only billable timesheets draw on this card; non-billable work is free."
    )
    rate_ids = fields.One2many("prepaid.service.rate", "service_id", string="Rate Rules")
    can_edit_pricing = fields.Boolean(
        compute="_compute_can_edit_pricing",
        help="Rates, rate rules, overage, period price and allowance, validity: only prepaid managers may change them.",
    )

    job_ids = fields.One2many("prepaid.service.job", "service_id", string="Assigned Jobs")
    job_count = fields.Integer(string="No. of Jobs assigned", compute="_compute_job_count")
    entry_ids = fields.One2many("prepaid.ledger.entry", "service_id", string="Ledger Entries")
    entry_count = fields.Integer(compute="_compute_entry_count", string="No. of Ledger Entries")

    # Balances: written only by prepaid.ledger.entry._post_entries()
    quantity_received = fields.Float(digits="Product Unit", readonly=True, copy=False)
    quantity_used = fields.Float(digits="Product Unit", readonly=True, copy=False)
    quantity_expired = fields.Float(digits="Product Unit", readonly=True, copy=False)
    quantity_refunded = fields.Float(digits="Product Unit", readonly=True, copy=False)
    quantity_outstanding = fields.Float(digits="Product Unit", readonly=True, copy=False, string="Outstanding")
    amount_received = fields.Monetary(readonly=True, copy=False)
    amount_used = fields.Monetary(readonly=True, copy=False)
    amount_expired = fields.Monetary(readonly=True, copy=False)
    amount_refunded = fields.Monetary(readonly=True, copy=False)
    amount_outstanding = fields.Monetary(readonly=True, copy=False, string="Outstanding Amount")
    value_outstanding = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        copy=False,
        groups="base.group_user",
        string="Deferred Revenue",
        help="Company-currency value of the open top-ups: what this card holds on the deferred revenue account.",
    )
    next_expiry_date = fields.Date(readonly=True, copy=False, help="Earliest expiry among the open top-ups.")
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

    _check_dates = models.Constraint(
        "CHECK(date_end IS NULL OR date_end >= date_start)",
        "The end date of a prepaid service cannot be before its start date.",
    )
    _name_company_uniq = models.Constraint(
        "UNIQUE(company_id, name)",
        "Two prepaid services of a company cannot have the same number.",
    )
    _check_validity_interval = models.Constraint(
        "CHECK(validity_interval IS NULL OR validity_interval >= 0)",
        "The validity of a prepaid service cannot be negative.",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends_context("uid")
    def _compute_can_edit_pricing(self):
        self.can_edit_pricing = self.env.user.has_group("prepaid_services.group_prepaid_manager")

    def _compute_job_count(self):
        counts = dict(
            self.env["prepaid.service.job"]._read_group([("service_id", "in", self.ids)], ["service_id"], ["__count"])
        )
        for card in self:
            card.job_count = counts.get(card, 0)

    def _compute_entry_count(self):
        counts = dict(
            self.env["prepaid.ledger.entry"]._read_group([("service_id", "in", self.ids)], ["service_id"], ["__count"])
        )
        for card in self:
            card.entry_count = counts.get(card, 0)

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
            self.env["prepaid.ledger.entry"]
            .sudo()
            ._read_group(
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

    @api.depends("name", "description", "partner_id")
    def _compute_display_name(self):
        for card in self:
            parts = [card.name or ""]
            if card.description:
                parts.append(card.description)
            card.display_name = " - ".join(parts)

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("carry_over_cap", "carry_over_periods", "period_allowance", "period_price")
    def _check_periodic_values(self):
        for card in self:
            if min(card.carry_over_cap, card.carry_over_periods, card.period_allowance, card.period_price) < 0:
                raise ValidationError(
                    self.env._("The allowance, price and carry-over rules of %s cannot be negative.", card.name)
                )

    @api.constrains("hourly_rate")
    def _check_hourly_rate(self):
        for card in self:
            if card.currency_id.compare_amounts(card.hourly_rate, 0.0) < 0:
                raise ValidationError(
                    self.env._(
                        "The hourly rate of %(card)s cannot be negative (%(rate)s): every timesheet on it would "
                        "fail. Enter a positive rate, or leave it empty to use the price of the service.",
                        card=card.display_name,
                        rate=format_amount(self.env, card.hourly_rate, card.currency_id),
                    )
                )

    @api.constrains("service_type", "uom_id")
    def _check_uom(self):
        for card in self:
            if card.service_type == "quantity" and not card.uom_id:
                raise ValidationError(self.env._("The quantity card %(card)s needs a unit of measure.", card=card.name))

    def _check_no_entries(self, field_names):
        """Fields that give entries their meaning cannot change once the card has a ledger."""
        cards = self.filtered("entry_ids")
        if cards:
            raise UserError(
                self.env._(
                    "You cannot change %(fields)s of %(cards)s: it already has ledger entries. "
                    "Create a new prepaid service instead.",
                    fields=", ".join(self._fields[f].string for f in field_names),
                    cards=", ".join(cards.mapped("name")),
                )
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        sequence = self.env["ir.sequence"]
        cards = self
        if not in_service_scope():
            # a new card starts empty and open: balances, alerts and the closed flag move by the ledger and the
            # Close button only, whatever the client's vals or context defaults say
            service_only = SERVICE_ONLY_FIELDS | {"closed"}
            vals_list = [{k: v for k, v in vals.items() if k not in service_only} for vals in vals_list]
            blocked = service_only if self._may_set_pricing() else service_only | PRICING_FIELDS
            # context defaults are client input too; removing keys takes a whole new context
            context = {k: v for k, v in self.env.context.items() if k.removeprefix("default_") not in blocked}
            cards = self.with_context(context)  # pylint: disable=context-overridden
            cards._check_pricing_rights(vals_list, creating=True)
        for vals in vals_list:
            # the number comes from the sequence only, whatever a client sends
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            vals["name"] = sequence.with_company(company).sudo().next_by_code("prepaid.service")
            if not vals["name"]:
                raise UserError(
                    self.env._(
                        "The numbering sequence of prepaid services (code prepaid.service) is missing for "
                        "%(company)s. Restore it in Settings > Technical > Sequences.",
                        company=company.name,
                    )
                )
        cards = super(PrepaidService, cards).create(vals_list)
        cards._create_analytic_accounts()
        return cards.with_env(self.env)

    def write(self, vals):
        self._check_client_write(vals)
        service_only = set(vals) & SERVICE_ONLY_FIELDS
        if service_only and not in_service_scope():
            raise UserError(
                self.env._(
                    "The balances of a prepaid service are moved by ledger entries only (%s). "
                    "Post a top-up, a consumption or a Create Ledger Entry adjustment instead.",
                    ", ".join(self._fields[f].string for f in sorted(service_only)),
                )
            )
        locked = [f for f in ("service_type", "currency_id", "company_id", "uom_id") if f in vals]
        if locked:
            changed = self.filtered(
                lambda c: any((c[f].id if isinstance(c[f], models.BaseModel) else c[f]) != vals[f] for f in locked)
            )
            changed._check_no_entries(locked)
        if "partner_id" in vals:
            # another contact of the same customer is fine; another customer would take the history along
            partner = self.env["res.partner"].browse(vals["partner_id"])
            self.filtered(lambda c: c.commercial_partner_id != partner.commercial_partner_id)._check_no_entries(
                ["partner_id"]
            )
        return super().write(vals)

    def _check_client_write(self, vals):
        """What no client may write: the number, the closed flag (Close and Reopen set it), pricing."""
        if in_service_scope():
            return
        if "closed" in vals:
            raise UserError(
                self.env._(
                    "Close a prepaid service with its Close button and reopen it with Reopen: they settle "
                    "its open balance first."
                )
            )
        if "name" in vals and any(card.name != vals["name"] for card in self):
            raise UserError(
                self.env._(
                    "The number of a prepaid service comes from its sequence and cannot be changed. "
                    "Use the Description to name it."
                )
            )
        self._check_pricing_rights(vals)

    def _may_set_pricing(self):
        return self.env.su or in_service_scope() or self.env.user.has_group("prepaid_services.group_prepaid_manager")

    def _check_pricing_rights(self, vals, creating=False):
        """Pricing is one right, the prepaid manager's: rates, rate rules, overage, period price and allowance.

        Checked on the server: the form only makes these fields read-only. On create, vals is the list of
        the new cards' vals and values equal to the defaults set nothing.
        """
        if self._may_set_pricing():
            return
        if creating:
            defaults = self.default_get(list(PRICING_FIELDS))
            changed = {
                f
                for card_vals in vals
                for f in PRICING_FIELDS & set(card_vals)
                if (card_vals[f] or False) != (defaults.get(f) or False)
            }
        else:
            changed = {f for f in PRICING_FIELDS & set(vals) if any(card._is_changed_by(f, vals[f]) for card in self)}
        if changed:
            raise AccessError(
                self.env._(
                    "Only a prepaid services manager can set the pricing of a prepaid service (%(fields)s). "
                    "Ask a manager to change it.",
                    fields=", ".join(sorted(self._fields[f].string for f in changed)),
                )
            )

    def _is_changed_by(self, fname, value):
        """Whether writing value into fname changes this card (x2many commands always do)."""
        self.ensure_one()
        field = self._fields[fname]
        if field.type in ("one2many", "many2many"):
            return bool(value)
        return field.convert_to_record(field.convert_to_cache(value, self), self) != self[fname]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_entries(self):
        if self.filtered("entry_ids"):
            raise UserError(self.env._("A prepaid service with ledger entries cannot be deleted; close it instead."))

    def _create_analytic_accounts(self):
        """Give each new card its own analytic account when its company asks for it."""
        cards = self.filtered(lambda c: not c.analytic_account_id and c.company_id.prepaid_auto_analytic)
        if not cards:
            return
        plan, _other = self.env["account.analytic.plan"]._get_all_plans()
        if not plan:
            return
        accounts = (
            self.env["account.analytic.account"]
            .sudo()
            .create(
                [
                    {
                        "name": f"{card.name} - {card.partner_id.display_name}",
                        "plan_id": plan.id,
                        "partner_id": card.commercial_partner_id.id,
                        "company_id": card.company_id.id,
                    }
                    for card in cards
                ]
            )
        )
        for card, account in zip(cards, accounts, strict=True):
            card.analytic_account_id = account

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _get_valid_until(self, from_date):
        """Expiry date of a top-up made on from_date, per the card's validity rule."""
        self.ensure_one()
        if not self.validity_interval:
            return False
        delta = relativedelta(**{self.validity_unit or "months": self.validity_interval})
        try:
            return from_date + delta - relativedelta(days=1)
        except (ValueError, OverflowError):
            raise UserError(
                self.env._(
                    "A top-up of %(card)s dated %(date)s would be valid for %(validity)s %(unit)s, beyond the last "
                    "date a calendar holds (31 December 9999). Check the date of the entry.",
                    card=self.display_name,
                    date=format_date(self.env, from_date),
                    validity=self.validity_interval,
                    unit=dict(self._fields["validity_unit"]._description_selection(self.env)).get(
                        self.validity_unit or "months"
                    ),
                )
            ) from None

    def _check_balance_limit(self, fname, value):
        """Refuse a figure beyond what Odoo rounds exactly (MAX_ROUNDING_STEPS) instead of letting it drift.

        fname says the figure's unit: value* in company currency, amount* in the card currency, else the
        card's unit (money on an amount card).
        """
        self.ensure_one()
        currency = (
            self.company_currency_id
            if fname.startswith(("value", "remaining_value"))
            else self.currency_id
            if fname.startswith(("amount", "remaining_amount"))
            else None
        )
        rounding = currency.rounding if currency else self._get_unit_rounding()
        if abs(value) <= MAX_ROUNDING_STEPS * rounding:
            return
        maximum = MAX_ROUNDING_STEPS * rounding
        raise UserError(
            self.env._(
                "%(card)s cannot hold %(figure)s: a prepaid service holds at most %(maximum)s, beyond which amounts "
                "can no longer be rounded exactly. Split the credit over several prepaid services.",
                card=self.display_name,
                figure=format_amount(self.env, value, currency) if currency else self._format_balance(value),
                maximum=format_amount(self.env, maximum, currency) if currency else self._format_balance(maximum),
            )
        )

    def _get_hourly_rate(self, timesheet):
        self.ensure_one()
        if self.hourly_rate:
            return self.hourly_rate
        if timesheet.so_line and timesheet.so_line.currency_id == self.currency_id:
            return timesheet.so_line.price_unit
        product = timesheet.so_line.product_id or self.product_id
        return product.currency_id._convert(product.lst_price, self.currency_id, self.company_id, timesheet.date)

    def _get_rate_rule(self, timesheet):
        self.ensure_one()
        rules = self.rate_ids.filtered(lambda r: r._matches(timesheet))
        return rules.sorted(lambda r: (r.sequence, -r._specificity(), r.id))[:1]

    def _get_consumption(self, timesheet, hours, first_on_task=True):
        """What hours of timesheet consume on this card: units, or money for an amount card."""
        self.ensure_one()
        rule = self._get_rate_rule(timesheet)
        if rule:
            return rule._convert(timesheet, hours, first_on_task=first_on_task)
        if self.service_type == "amount":
            return self.currency_id.round(hours * self._get_hourly_rate(timesheet))
        # the xmlid lookup is cached; env.ref() would check the record exists, one query per timesheet
        hour = self.env["uom.uom"].browse(self.env["ir.model.data"]._xmlid_to_res_id("uom.product_uom_hour"))
        if self.uom_id != hour and self.uom_id._has_common_reference(hour):
            return hour._compute_quantity(hours, self.uom_id, round=False)
        return hours

    def _lock_for_update(self):
        """Row lock so that two transactions cannot consume the same balance at once."""
        if self.ids:
            self.env.cr.execute(
                "SELECT id FROM prepaid_service WHERE id IN %s ORDER BY id FOR UPDATE", [tuple(self.ids)]
            )

    def _get_accounting_date(self, date):
        """The date a ledger entry and its journal entry share: the first open day when date is locked.

        One rule for both, so that a locked month's ledger and general ledger never change.
        """
        self.ensure_one()
        # sudo: a technician logging time reads no journals, but the lock dates of its journal apply to its work
        company = self.company_id.sudo()
        lock_dates = company._get_violated_lock_dates(date, False, company.prepaid_journal_id)
        return lock_dates[-1][0] + relativedelta(days=1) if lock_dates else date

    def _get_unit_rounding(self):
        self.ensure_one()
        if self.service_type == "amount":
            return self.currency_id.rounding
        return self.uom_id.rounding or 0.01

    def _get_ledger_balances(self):
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
            for card in self
        }
        groups = Entry._read_group(
            [("service_id", "in", self.ids)],
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
            [("service_id", "in", self.ids), ("remaining_quantity", ">", 0), ("valid_until", "!=", False)],
            ["service_id"],
            ["valid_until:min"],
        )
        for card, valid_until in expiries:
            result[card.id]["next_expiry_date"] = valid_until
        return result

    def _get_balance_rounding(self, fname):
        """Rounding a stored balance is kept at: company currency, card currency, or the card's unit."""
        self.ensure_one()
        if fname == "value_outstanding":
            return self.company_currency_id.rounding
        if fname.startswith("amount_"):
            return self.currency_id.rounding
        return self._get_unit_rounding()

    def _get_balance_differences(self):
        """Cards whose stored balances differ from the ledger: {card: {field: (stored, ledger)}}."""
        differences = {}
        ledger = self._get_ledger_balances()
        for card in self:
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

    # ------------------------------------------------------------------
    # Accounting
    # ------------------------------------------------------------------
    def _get_income_account(self, product=False):
        """Income account of the consumed service, mapped by the customer's fiscal position."""
        self.ensure_one()
        company = self.company_id
        product = (product or self.product_id).with_company(company)
        account = product and product.product_tmpl_id._get_product_accounts()["income"]
        account = account or company.income_account_id
        if not account:
            raise UserError(
                self.env._(
                    "No income account for the revenue of %(card)s: set one on its service product or "
                    "on the company %(company)s.",
                    card=self.display_name,
                    company=company.name,
                )
            )
        fiscal_position = (
            self.env["account.fiscal.position"].with_company(company)._get_fiscal_position(self.partner_id)
        )
        return fiscal_position.map_account(account) if fiscal_position else account

    def _get_analytic_distribution(self):
        self.ensure_one()
        return {str(self.analytic_account_id.id): 100} if self.analytic_account_id else {}

    @api.model
    def _check_deferred_revenue(self, companies=None):
        """Integrity check: the companies whose deferred revenue does not tie, with what explains it.

        See prepaid.deferred.revenue.check._get_check_values(); empty when everything ties.
        """
        return self.env["prepaid.deferred.revenue.check"]._get_differences(companies or self.env.companies)

    def action_check_deferred_revenue(self):
        """Server action and menu: the deferred revenue integrity check of the companies the user works in.

        The check reads the whole deferred revenue account (the company's total, every customer's cards);
        like every public method it is an RPC endpoint, so it checks the caller itself.
        """
        if not (self.env.su or self.env.user.has_group("prepaid_services.group_prepaid_manager")):
            raise AccessError(self.env._("Only prepaid services managers can check the deferred revenue."))
        companies = (self.company_id & self.env.companies) or self.env.companies
        return self.env["prepaid.deferred.revenue.check"]._action_check(companies)

    # ------------------------------------------------------------------
    # Expiry
    # ------------------------------------------------------------------

    def action_expire_residuals(self):
        """Server action: preview what expiring the selected cards would post, then post on confirmation."""
        wizard = self.env["prepaid.expiry.wizard"].create({"service_ids": [Command.set(self.ids)]})
        wizard._compute_preview()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Expire Residuals"),
            "res_model": "prepaid.expiry.wizard",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    # ------------------------------------------------------------------
    # Periodic invoicing
    # ------------------------------------------------------------------

    def action_invoice_due_periods(self):
        """Invoice every period due today, however many: a manager confirms a catch-up the scheduled action held."""
        if not self.env.user.has_group("prepaid_services.group_prepaid_manager"):
            raise AccessError(self.env._("Only a Prepaid Services manager can invoice the due periods of a card."))
        self.check_access("write")
        for card in self:
            if card.accrual != "periodic" or card.closed:
                raise UserError(
                    self.env._(
                        "%(card)s is not an open periodic prepaid service: it has no periods to invoice.",
                        card=card.display_name,
                    )
                )
            if not card.period_product_id:
                raise UserError(
                    self.env._(
                        "Set the invoiced product of %(card)s before invoicing its periods.", card=card.display_name
                    )
                )
        invoices, _held = self.env["prepaid.service.period"]._invoice_due_periods(
            self.sudo(), fields.Date.context_today(self), confirmed=True
        )
        if not invoices:
            raise UserError(
                self.env._(
                    "No period of %(cards)s is due for invoicing today.", cards=", ".join(self.mapped("display_name"))
                )
            )
        return True

    # ------------------------------------------------------------------
    # Closing
    # ------------------------------------------------------------------
    def _get_open_balance(self):
        """What closing this card leaves open, read from the ledger now (never from a client's figures).

        lots: open top-ups (lapsed: those past their validity, which the expiry run releases on their own date);
        quantity/amount: what they hold; pending: consumption beyond the balance that no top-up settled;
        early: a periodic card closed before its end, whose invoicing stops.
        """
        self.ensure_one()
        today = fields.Date.context_today(self)
        Entry = self.env["prepaid.ledger.entry"].sudo()
        lots = Entry.search(
            [("service_id", "=", self.id), ("is_inflow", "=", True), ("remaining_quantity", ">", 0)],
            order="valid_until, date, id",
        )
        lapsed = lots.filtered(lambda lot: lot.valid_until and lot.valid_until < today)
        pending = Entry.search([("service_id", "=", self.id), ("pending_quantity", ">", 0)])
        return {
            "lots": lots,
            "lapsed": lapsed,
            "quantity": sum(lots.mapped("remaining_quantity")),
            "amount": sum(lots.mapped("remaining_amount")),
            "lapsed_quantity": sum(lapsed.mapped("remaining_quantity")),
            "lapsed_amount": sum(lapsed.mapped("remaining_amount")),
            "pending": sum(pending.mapped("pending_quantity")),
            "early": self.accrual == "periodic" and (not self.date_end or self.date_end > today),
        }

    def _format_balance(self, quantity, amount=None):
        """A balance as Odoo shows it: '20.50 Hours worth $1,947.50', or '$1,947.50' on a money card."""
        self.ensure_one()
        if self.service_type == "amount":
            return format_amount(self.env, quantity, self.currency_id)
        units = f"{formatLang(self.env, quantity, dp='Product Unit')} {self.uom_id.name}"
        if amount is None:
            return units
        return self.env._(
            "%(units)s worth %(amount)s", units=units, amount=format_amount(self.env, amount, self.currency_id)
        )

    def _has_financial_close(self, balance):
        """Closing moves money: an open balance to expire, refund or leave to lapse, an unsettled
        shortfall, or a periodic card whose invoicing stops before its end."""
        rounding = self._get_unit_rounding()
        return (
            bool(balance["lots"])
            or float_compare(balance["pending"], 0.0, precision_rounding=rounding) > 0
            or balance["early"]
        )

    def _check_close_rights(self, balance):
        """Closing with a financial effect is a prepaid manager's act; any prepaid user closes an empty card."""
        self.ensure_one()
        if self.env.su or self.env.user.has_group("prepaid_services.group_prepaid_manager"):
            return
        if self._has_financial_close(balance):
            raise AccessError(
                self.env._(
                    "Closing %(card)s has a financial effect (%(reasons)s): only a prepaid services manager can "
                    "close it. Ask a manager to close it.",
                    card=self.display_name,
                    reasons="; ".join(self._get_close_reasons(balance)),
                )
            )

    def _get_close_reasons(self, balance):
        self.ensure_one()
        reasons = []
        if balance["lots"]:
            reasons.append(self.env._("%s still open", self._format_balance(balance["quantity"], balance["amount"])))
        if float_compare(balance["pending"], 0.0, precision_rounding=self._get_unit_rounding()) > 0:
            reasons.append(
                self.env._("%s used beyond the balance and not settled", self._format_balance(balance["pending"]))
            )
        if balance["early"]:
            reasons.append(self.env._("its periodic invoicing stops before the end of the contract"))
        return reasons

    def _get_refund_product(self, lots):
        """Prepaid top-up product of the termination credit note: its line books to deferred revenue."""
        self.ensure_one()
        return (self.period_product_id | lots.product_id | self.product_id).filtered("prepaid_ok")[:1]

    def _close(self, disposal=False):
        """Close cards and dispose of their open balance: expire it now, refund it by credit note, or keep it.

        disposal: "expire", "refund" or "keep" (the lots stay and the expiry run releases them on their date).
        Lots already past their validity expire on their own date first. The caller checks the rights.
        """
        today = fields.Date.context_today(self)
        self._lock_for_update()
        self.invalidate_recordset()
        for card in self:
            message = False
            if disposal in ("expire", "refund"):
                self.env["prepaid.ledger.entry"]._expire_residuals(card, today)
                balance = card._get_open_balance()
                if balance["lots"]:
                    released = card._format_balance(balance["quantity"], balance["amount"])
                    if disposal == "expire":
                        card._expire_open_lots(balance["lots"], today)
                        message = self.env._("Closed: %s expired (breakage).", released)
                    else:
                        refund = card._refund_open_lots(balance["lots"], today)
                        message = self.env._(
                            "Closed: %(balance)s refunded by %(refund)s.", balance=released, refund=refund.name
                        )
            elif disposal == "keep":
                message = self.env._("Closed: the open top-ups stay and expire on their own dates.")
            if message:
                card.message_post(body=message)
        with service_scope():
            self.write({"closed": True})

    def _expire_open_lots(self, lots, date):
        self.ensure_one()
        return self.env["prepaid.ledger.entry"]._post_entries(
            [
                {
                    "service_id": self.id,
                    "entry_type": "expiry",
                    "date": date,
                    "apply_to_entry_id": lot.id,
                    "expire_remaining": True,
                    "product_id": lot.product_id.id,
                    "name": self.env._("Expired on closing"),
                }
                for lot in lots
            ]
        )

    def _refund_open_lots(self, lots, date):
        """Credit note of what the open lots hold; posting it takes them back (refund entries)."""
        self.ensure_one()
        product = self._get_refund_product(lots)
        if not product:
            raise UserError(
                self.env._(
                    "%(card)s has no prepaid top-up product to refund its balance with: set its Invoiced Product, "
                    "or choose to expire the balance.",
                    card=self.display_name,
                )
            )
        # sudo: a prepaid manager closes the card without invoicing rights; the screen's context stays out
        refund = (
            clean_env(self.env)["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                    "currency_id": self.currency_id.id,
                    "invoice_date": date,
                    "invoice_origin": self.name,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": self.env._("%s: unused balance refunded on closing", self.name),
                                "quantity": 1.0,
                                "price_unit": sum(lots.mapped("remaining_amount")),
                                "tax_ids": [Command.clear()],
                                "prepaid_service_id": self.id,
                                "prepaid_quantity": sum(lots.mapped("remaining_quantity")),
                            }
                        )
                    ],
                }
            )
        )
        refund.action_post()
        return refund

    # ------------------------------------------------------------------
    # Scheduled actions: one card that fails does not stop the others
    # ------------------------------------------------------------------
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
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "in", self.ids), ("summary", "=", summary)])
        )
        if activities:
            activities.action_feedback(feedback=feedback)

    # ------------------------------------------------------------------
    # Alerts
    # ------------------------------------------------------------------
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

    def _check_low_balance_alerts(self, consumed=None):
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
                rearmed.sudo().write({"low_balance_alerted": False})
            if crossing:
                crossing.sudo().write({"low_balance_alerted": True})
        if crossing:
            crossing.sudo()._send_alert(
                "prepaid_services.mail_template_prepaid_low_balance", self.env._("Prepaid balance running low")
            )

    @api.model
    def _cron_check_expiry_alerts(self):
        """Daily: warn once per expiry date about top-ups expiring within each card's warning days."""
        today = fields.Date.context_today(self)
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
            for card in due:
                card.expiry_alerted_date = card.next_expiry_date
        due._send_alert("prepaid_services.mail_template_prepaid_expiring", self.env._("Prepaid balance expiring soon"))
        return due

    # ------------------------------------------------------------------
    # Rollforward and ageing
    # ------------------------------------------------------------------
    @api.model
    def _get_rollforward(self, date_from, date_to, company=None):
        """Contract liability rollforward (IFRS 15.116) from the ledger, with the deferred revenue account beside it.

        Values in company currency, by ledger entry date: opening, top-ups, consumption, breakage,
        refunds, closing; account_opening and account_closing are the balances of the company's deferred
        revenue account at the same dates.
        """
        company = company or self.env.company
        Entry = self.env["prepaid.ledger.entry"].sudo()
        base = [("company_id", "=", company.id)]
        opening = Entry._read_group([*base, ("date", "<", date_from)], [], ["value:sum"])[0][0]
        moves = dict(
            Entry._read_group([*base, ("date", ">=", date_from), ("date", "<=", date_to)], ["bucket"], ["value:sum"])
        )
        result = {
            "opening": opening,
            "topups": moves.get("received", 0.0),
            "consumption": -moves.get("used", 0.0),
            "breakage": -moves.get("expired", 0.0),
            "refunds": -moves.get("refunded", 0.0),
        }
        result["closing"] = opening + result["topups"] - result["consumption"] - result["breakage"] - result["refunds"]
        Line = self.env["account.move.line"].sudo()
        account = company.prepaid_deferred_account_id
        periods = (("account_opening", ("date", "<", date_from)), ("account_closing", ("date", "<=", date_to)))
        for key, date_domain in periods:
            balance = Line._read_group(
                [
                    ("account_id", "=", account.id),
                    ("parent_state", "=", "posted"),
                    ("company_id", "=", company.id),
                    date_domain,
                ],
                [],
                ["balance:sum"],
            )[0][0]
            result[key] = -balance
        result["difference"] = company.currency_id.round(result["account_closing"] - result["closing"])
        return result

    @api.model
    def _get_deferred_ageing(self, as_of, company=None):
        """Open top-ups by time left before expiry: expired, 0-30, 31-90, 91-365, later, never (value, quantity)."""
        company = company or self.env.company
        buckets = {key: {"value": 0.0, "count": 0} for key in ("expired", "0-30", "31-90", "91-365", "later", "never")}
        inflows = (
            self.env["prepaid.ledger.entry"]
            .sudo()
            .search_read(
                [("company_id", "=", company.id), ("is_inflow", "=", True), ("remaining_value", "!=", 0)],
                ["valid_until", "remaining_value"],
            )
        )
        for inflow in inflows:
            valid_until = inflow["valid_until"]
            if not valid_until:
                key = "never"
            else:
                days = (valid_until - as_of).days
                key = (
                    "expired"
                    if days < 0
                    else "0-30"
                    if days <= 30
                    else "31-90"
                    if days <= 90
                    else "91-365"
                    if days <= 365
                    else "later"
                )
            buckets[key]["value"] += inflow["remaining_value"]
            buckets[key]["count"] += 1
        return buckets

    # ------------------------------------------------------------------
    # Statement
    # ------------------------------------------------------------------
    def _get_statement_data(self, date_from, date_to):
        """Opening balance, movements with running balance, closing balance and open top-ups, per card.

        Batched: three queries for any number of cards and entries.
        """
        Entry = self.env["prepaid.ledger.entry"].sudo()
        opening = {
            card: (quantity, amount)
            for card, quantity, amount in Entry._read_group(
                [("service_id", "in", self.ids), ("date", "<", date_from)],
                ["service_id"],
                ["quantity:sum", "amount:sum"],
            )
        }
        entries = Entry.search(
            [("service_id", "in", self.ids), ("date", ">=", date_from), ("date", "<=", date_to)],
            order="service_id, date, id",
        )
        rows = entries.read(
            [
                "service_id",
                "date",
                "entry_type",
                "name",
                "quantity",
                "amount",
                "move_id",
                "timesheet_id",
                "reversed_entry_id",
            ],
            load="_classic_read",
        )
        move_names = {move.id: move.name for move in entries.move_id}
        labels = dict(Entry._fields["entry_type"]._description_selection(self.env))
        movements = defaultdict(list)
        for row in rows:
            movements[row["service_id"][0]].append(row)
        # what each top-up had left on date_to: its quantity less what outflows dated until then took
        inflows = Entry.search(
            [
                ("service_id", "in", self.ids),
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
                    {"entry": inflow, "quantity": left, "amount": inflow.amount - used_amount}
                )

        result = {}
        for card in self:
            quantity, amount = opening.get(card, (0.0, 0.0))
            lines = []
            balance_quantity, balance_amount = quantity, amount
            for row in movements.get(card.id, []):
                balance_quantity += row["quantity"]
                balance_amount += row["amount"]
                document = move_names[row["move_id"][0]] if row["move_id"] else ""
                if not document and row["timesheet_id"]:
                    document = self.env._("Timesheet %s", row["timesheet_id"][1])
                lines.append(
                    {
                        "date": row["date"],
                        "type": labels.get(row["entry_type"], row["entry_type"])
                        + (self.env._(" (reversal)") if row["reversed_entry_id"] else ""),
                        "document": document,
                        "description": row["name"] or "",
                        "in": row["quantity"] if row["quantity"] > 0 else 0.0,
                        "out": -row["quantity"] if row["quantity"] < 0 else 0.0,
                        "amount": row["amount"],
                        "balance": balance_quantity,
                        "balance_amount": balance_amount,
                    }
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
                "unit": card.currency_id.name if card.service_type == "amount" else card.uom_id.name,
            }
        return result

    # ------------------------------------------------------------------
    # Demo
    # ------------------------------------------------------------------
    @api.model
    def _create_demo_story(self):
        """Demo: an MSP with three customers, driven through real orders, invoices and timesheets."""
        env = self.env
        company = env.company
        company._prepaid_setup_accounting()
        if not company.prepaid_deferred_account_id:
            return
        today = fields.Date.context_today(self)
        ref = env.ref
        hour = ref("uom.product_uom_hour")
        employee = env["hr.employee"].search([("company_id", "=", company.id)], limit=1) or env["hr.employee"].create(
            {"name": "Alex Tech", "company_id": company.id}
        )
        block, monthly, balance, firewall = (
            ref("prepaid_services.product_prepaid_block_20h"),
            ref("prepaid_services.product_prepaid_monthly_10h"),
            ref("prepaid_services.product_prepaid_balance"),
            ref("prepaid_services.product_demo_firewall"),
        )
        azure, deco, gemini = ref("base.res_partner_12"), ref("base.res_partner_2"), ref("base.res_partner_3")

        # 1. Azure Interior buys a 20-hour block; technicians log time on its managed services project
        order = env["sale.order"].create(
            {"partner_id": azure.id, "order_line": [Command.create({"product_id": block.id})]}
        )
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.invoice_date = today - relativedelta(months=2)
        invoice.action_post()
        card_azure = order.order_line.prepaid_service_id
        card_azure.write({"low_balance_threshold": 4.0, "expiry_warning_days": 30, "date_start": invoice.invoice_date})
        project = env["project.project"].create(
            {"name": "Managed Services - Azure Interior", "partner_id": azure.id, "allow_timesheets": True}
        )
        task = env["project.task"].create({"name": "Helpdesk", "project_id": project.id})
        env["prepaid.service.job"].create({"service_id": card_azure.id, "project_id": project.id})
        card_azure.rate_ids = [Command.create({"name": "After hours", "time_band": "after_hours", "factor": 1.5})]
        work = [
            (55, 1.5, "Mail server migration", False),
            (41, 2.0, "Firewall rules review", False),
            (30, 1.0, "Emergency restore", True),
            (12, 3.25, "Workstation upgrades", False),
            (3, 1.0, "Printer driver rollout", False),
        ]
        env["account.analytic.line"].create(
            [
                {
                    "name": name,
                    "project_id": project.id,
                    "task_id": task.id,
                    "employee_id": employee.id,
                    "unit_amount": hours,
                    "date": today - relativedelta(days=days),
                    "prepaid_after_hours": after_hours,
                }
                for days, hours, name, after_hours in work
            ]
        )

        # 2. Deco Addict: 10 hours a month, unused hours carried over one month (at most 5)
        card_deco = self.create(
            {
                "partner_id": deco.id,
                "description": "Managed support - 10 h / month",
                "accrual": "periodic",
                "uom_id": hour.id,
                "product_id": monthly.id,
                "period_product_id": monthly.id,
                "period_allowance": 10.0,
                "period_price": 890.0,
                "period_end_behaviour": "carry_over",
                "carry_over_cap_type": "units",
                "carry_over_cap": 5.0,
                "carry_over_periods": 1,
                "overdraw_policy": "negative",
                "date_start": (today - relativedelta(months=2)).replace(day=1),
                "user_id": env.user.id,
            }
        )
        project_deco = env["project.project"].create(
            {"name": "Managed Services - Deco Addict", "partner_id": deco.id, "allow_timesheets": True}
        )
        env["prepaid.service.job"].create({"service_id": card_deco.id, "project_id": project_deco.id})
        self.env["prepaid.service.period"]._cron_periodic_invoicing(today=card_deco.date_start)
        env["account.analytic.line"].create(
            {
                "name": "Network audit",
                "project_id": project_deco.id,
                "employee_id": employee.id,
                "unit_amount": 6.0,
                "date": card_deco.date_start + relativedelta(days=10),
            }
        )
        self.env["prepaid.service.period"]._cron_periodic_invoicing(today=today)
        env["account.analytic.line"].create(
            {
                "name": "Server patching",
                "project_id": project_deco.id,
                "employee_id": employee.id,
                "unit_amount": 4.0,
                "date": today - relativedelta(days=2),
            }
        )

        # 3. Gemini Furniture keeps a money balance and pays equipment with it
        order = env["sale.order"].create(
            {"partner_id": gemini.id, "order_line": [Command.create({"product_id": balance.id, "price_unit": 2000.0})]}
        )
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.invoice_date = today - relativedelta(months=1)
        invoice.action_post()
        card_gemini = order.order_line.prepaid_service_id
        card_gemini.write({"low_balance_threshold": 300.0, "date_start": invoice.invoice_date})
        equipment = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": gemini.id,
                "invoice_date": today - relativedelta(days=7),
                "invoice_line_ids": [Command.create({"product_id": firewall.id, "quantity": 1.0})],
            }
        )
        equipment.action_apply_prepaid_credit()
        equipment.action_post()

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_close(self):
        """Close button: the Close wizard says what is open and asks what to do with it."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Close %s", self.name),
            "res_model": "prepaid.close.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_service_id": self.id},
        }

    def action_reopen(self):
        if not self.env.user.has_group("prepaid_services.group_prepaid_manager"):
            raise AccessError(
                self.env._("Only a prepaid services manager can reopen a prepaid service. Ask a manager to reopen it.")
            )
        with service_scope():
            self.write({"closed": False})
        self.job_ids._check_project_single_customer()

    def action_view_entries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("prepaid_services.action_prepaid_ledger_entry")
        action["domain"] = [("service_id", "=", self.id)]
        action["context"] = {"default_service_id": self.id}
        return action

    def action_view_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("prepaid_services.action_prepaid_service_job")
        action["domain"] = [("service_id", "=", self.id)]
        action["context"] = {"default_service_id": self.id}
        return action

    def action_create_ledger_entry(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("prepaid_services.action_prepaid_ledger_entry_wizard")
        action["context"] = {"default_service_id": self.id}
        return action
