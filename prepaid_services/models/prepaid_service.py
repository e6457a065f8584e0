import logging

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.misc import format_amount, format_date, formatLang

from .utils import BALANCE_FIELDS, in_service_scope, service_scope

# What the posting service reads again once it holds a card's lock: what another transaction may have moved
LOCKED_FIELDS = BALANCE_FIELDS | {"closed", "low_balance_alerted"}

_logger = logging.getLogger(__name__)

# Written only by the module's own code (posting service, alerts): never by a client, whatever it sends
SERVICE_ONLY_FIELDS = BALANCE_FIELDS | {"low_balance_alerted", "expiry_alerted_date"}


class PrepaidService(models.Model):
    """A customer's prepaid account: what was bought in advance and is still owed."""

    _name = "prepaid.service"
    _description = "Prepaid Service"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "prepaid.recurring.mixin",
        "prepaid.alert.mixin",
        "prepaid.closing.mixin",
        "prepaid.pricing.mixin",
        "prepaid.automation.mixin",
        "prepaid.document.mixin",
    ]
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
    job_count = fields.Integer(string="Assigned Jobs Count", compute="_compute_job_count")
    entry_ids = fields.One2many("prepaid.ledger.entry", "service_id", string="Ledger Entries")
    entry_count = fields.Integer(compute="_compute_entry_count", string="Ledger Entries Count")

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
    value_awaiting_recognition = fields.Monetary(
        currency_field="company_currency_id",
        compute="_compute_value_awaiting_recognition",
        groups="base.group_user",
        string="Awaiting Recognition",
        help="Value of the consumption already off the card whose revenue the grouped recognition has not posted yet "
        "(the nightly scheduled action, or Recognise Now): it is still on the deferred revenue account.",
    )
    next_expiry_date = fields.Date(readonly=True, copy=False, help="Earliest expiry among the open top-ups.")
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

    def _compute_value_awaiting_recognition(self):
        Application = self.env["prepaid.ledger.application"]
        # sudo: a card's readers see its pending recognition, as they see its deferred revenue
        awaiting = dict(
            Application.sudo()._read_group(
                [*Application._get_awaiting_recognition_domain(), ("service_id", "in", self.ids)],
                ["service_id"],
                ["value:sum"],
            )
        )
        for card in self:
            card.value_awaiting_recognition = awaiting.get(card.sudo(), 0.0)

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

    def _ensure_no_entries(self, field_names):
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
            blocked = service_only if self._may_set_pricing() else service_only | self._get_pricing_fields()
            # context defaults are client input too; removing keys takes a whole new context
            context = {k: v for k, v in self.env.context.items() if k.removeprefix("default_") not in blocked}
            cards = self.with_context(context)  # pylint: disable=context-overridden
            cards._ensure_pricing_rights(vals_list, creating=True)
        for vals in vals_list:
            # the number comes from the sequence only, whatever a client sends
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            vals["name"] = sequence.with_company(company).next_by_code("prepaid.service")
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
        self._ensure_client_may_write(vals)
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
            changed._ensure_no_entries(locked)
        if "partner_id" in vals:
            # another contact of the same customer is fine; another customer would take the history along
            partner = self.env["res.partner"].browse(vals["partner_id"])
            self.filtered(lambda c: c.commercial_partner_id != partner.commercial_partner_id)._ensure_no_entries(
                ["partner_id"]
            )
        return super().write(vals)

    def _ensure_client_may_write(self, vals):
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
        self._ensure_pricing_rights(vals)

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
        # sudo: whoever opens a card gets its analytic account, without analytic accounting rights
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

    def _lock_for_update(self):
        """Row lock so that two transactions cannot consume the same balance at once.

        What another transaction may have changed before we got the lock (balances, alert flags, closed) is read
        again in the same statement, so the posting works on the figures it holds the lock on.
        """
        if not self.ids:
            return
        fnames = sorted(LOCKED_FIELDS)
        self.invalidate_recordset(fnames)
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM prepaid_service WHERE id IN %s ORDER BY id FOR UPDATE",
                SQL(", ").join(SQL.identifier(fname) for fname in fnames),
                tuple(self.ids),
            )
        )
        rows = self.env.cr.fetchall()
        records = self.browse([row[0] for row in rows])
        # the cache holds column values as the database returns them, as the ORM's own fetch stores them
        for index, fname in enumerate(fnames, start=1):
            self._fields[fname]._insert_cache(records, [row[index] for row in rows])

    def _get_accounting_date(self, date):
        """The date a ledger entry and its journal entry share: the first open day when date is locked.

        One rule for both, so that a locked month's ledger and general ledger never change.
        """
        self.ensure_one()
        # sudo: a technician logging time reads no journals, but the lock dates of its journal apply to its work.
        # The module's journal is a miscellaneous one (its domain): the fiscal year and hard lock dates apply, as
        # _get_violated_lock_dates() finds for such a journal, without reading the journal for each entry.
        company = self.company_id.sudo()
        lock_dates = sorted(
            company._get_lock_date_violations(date, fiscalyear=True, sale=False, purchase=False, tax=False, hard=True)
        )
        return lock_dates[-1][0] + relativedelta(days=1) if lock_dates else date

    def _get_balance_rounding(self, fname):
        """Rounding a stored balance is kept at: company currency, card currency, or the card's unit."""
        self.ensure_one()
        if fname == "value_outstanding":
            return self.company_currency_id.rounding
        if fname.startswith("amount_"):
            return self.currency_id.rounding
        return self._get_unit_rounding()

    def _sorted_for_drawdown(self, day):
        """The order in which cards of a customer pay for the same work or invoice: the one expiring first,
        then by priority (lower first), then the oldest card."""
        return self.sorted(lambda c: (not c.next_expiry_date, c.next_expiry_date or day, c.priority, c.id))

    def _get_unit_label(self):
        """What the card counts in: its currency for a money balance, else its unit of measure."""
        self.ensure_one()
        return self.currency_id.name if self.service_type == "amount" else self.uom_id.name

    def _get_unit_rounding(self):
        self.ensure_one()
        if self.service_type == "amount":
            return self.currency_id.rounding
        return self.uom_id.rounding or 0.01

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
    def _get_deferred_revenue_differences(self, companies=None):
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

    def action_recognise_now(self):
        """Button and server action: post now the grouped recognition these cards' consumption awaits (what the
        nightly scheduled action would post), up to today.

        For those who keep the books (prepaid services managers, invoicing users); checked here, as every public
        method is an RPC endpoint. Posts only what the ledger already holds: nothing a client sends sets an amount.
        """
        user = self.env.user
        if not (
            self.env.su
            or user.has_group("prepaid_services.group_prepaid_manager")
            or user.has_group("account.group_account_invoice")
        ):
            raise AccessError(
                self.env._("Only prepaid services managers and invoicing users can post the recognition of revenue.")
            )
        self.check_access("read")
        moves = self.env["prepaid.ledger.application"]._recognise_pending(self)
        if not moves:
            message = self.env._("Nothing awaits recognition: the revenue of this consumption is already posted.")
        else:
            message = self.env._(
                "%(count)s journal entries posted: %(value)s recognised as revenue.",
                count=len(moves),
                value=format_amount(self.env, sum(moves.mapped("amount_total_signed")), self.company_currency_id[:1]),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if moves else "info",
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------
    # Expiry
    # ------------------------------------------------------------------

    def action_expire_residuals(self):
        """Server action: preview what expiring the selected cards would post, then post on confirmation."""
        wizard = self.env["prepaid.expiry.wizard"].create({"service_ids": [Command.set(self.ids)]})
        wizard._fill_preview_lines()
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
            self, fields.Date.context_today(self), confirmed=True
        )
        if not invoices:
            raise UserError(
                self.env._(
                    "No period of %(cards)s is due for invoicing today.", cards=", ".join(self.mapped("display_name"))
                )
            )
        return True

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
