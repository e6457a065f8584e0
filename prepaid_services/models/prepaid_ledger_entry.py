import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL, float_compare, float_is_zero, float_round
from odoo.tools.misc import format_amount, format_date

from .prepaid_ledger_allocator import NO_OPTIONS, PostingOptions, PrepaidLedgerAllocator
from .utils import clean_env, in_service_scope, service_scope

_logger = logging.getLogger(__name__)

# Largest figure a card holds, in steps of its rounding: 1,000,000,000,000.00 in a two-decimal currency.
# Odoo's float_round (currency.round, monetary fields, journal items) adds one step to a figure of more than
# 2^49 (about 5.6 x 10^14) steps each time it rounds it, so larger figures cannot stay exact.
MAX_ROUNDING_STEPS = 10**14

ENTRY_TYPES = [
    ("receipt", "Top-up"),
    ("adjustment", "Adjustment"),
    ("usage", "Usage"),
    ("expiry", "Expiry"),
    ("refund", "Refund"),
]
BUCKETS = [
    ("received", "Received"),
    ("used", "Used"),
    ("expired", "Expired"),
    ("refunded", "Refunded"),
]
# Fields the posting service maintains after an entry is created: how much of an inflow is still
# open, how much of an outflow is still unapplied, and the value the applications gave an outflow.
SERVICE_FIELDS = frozenset(
    {
        "remaining_quantity",
        "remaining_amount",
        "remaining_value",
        "pending_quantity",
        "amount",
        "value",
        "move_id",
        "awaiting_payment",
    }
)


class PrepaidLedgerEntry(models.Model):
    """One immutable movement on a card; corrections are new entries."""

    _name = "prepaid.ledger.entry"
    _description = "Prepaid Ledger Entry"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "name"

    service_id = fields.Many2one(
        "prepaid.service",
        string="Prepaid Service",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        readonly=True,
    )
    company_id = fields.Many2one(related="service_id.company_id", store=True, precompute=True, index=True)
    currency_id = fields.Many2one(related="service_id.currency_id", store=True, precompute=True)
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    partner_id = fields.Many2one(
        related="service_id.commercial_partner_id", store=True, precompute=True, index=True, string="Customer"
    )
    service_type = fields.Selection(related="service_id.service_type", string="Card Type")
    uom_id = fields.Many2one(related="service_id.uom_id")
    date = fields.Date(required=True, index=True, readonly=True, default=fields.Date.context_today)
    entry_type = fields.Selection(ENTRY_TYPES, string="Type", required=True, readonly=True, index=True)
    bucket = fields.Selection(
        BUCKETS,
        required=True,
        readonly=True,
        index=True,
        help="Which balance of the card the entry moves: reversals move the balance of what they reverse.",
    )
    is_inflow = fields.Boolean(string="Inflow", readonly=True, index=True)
    name = fields.Char(string="Description", readonly=True)
    quantity = fields.Float(
        digits="Product Unit",
        readonly=True,
        help="Units credited (positive) or consumed (negative). On an amount card, money in the card currency.",
    )
    amount = fields.Monetary(
        readonly=True,
        aggregator="sum",
        help="Card-currency amount: the price paid for an inflow, the price of the lots consumed for an outflow.",
    )
    value = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        groups="base.group_user",
        help="Company-currency value moved on the deferred revenue account, at the rate of the top-ups consumed.",
    )
    unit_amount = fields.Float(
        string="Unit Value",
        digits="Product Price",
        readonly=True,
        aggregator=None,
        help="Card-currency amount per unit of this top-up.",
    )
    remaining_quantity = fields.Float(digits="Product Unit", readonly=True, string="Remaining")
    remaining_amount = fields.Monetary(readonly=True)
    remaining_value = fields.Monetary(currency_field="company_currency_id", readonly=True, groups="base.group_user")
    pending_quantity = fields.Float(
        digits="Product Unit",
        readonly=True,
        string="Unsettled",
        help="Part of a consumption that no top-up covered yet (negative balance); the next top-up settles it.",
    )
    valid_until = fields.Date(readonly=True, index=True, help="Last day this top-up can be used.")
    product_id = fields.Many2one("product.product", readonly=True, check_company=True)
    move_id = fields.Many2one(
        "account.move", string="Journal Entry", readonly=True, index="btree_not_null", groups="base.group_user"
    )
    invoice_line_id = fields.Many2one(
        "account.move.line", readonly=True, index="btree_not_null", groups="base.group_user"
    )
    sale_line_id = fields.Many2one("sale.order.line", string="Sales Order Line", readonly=True)
    timesheet_id = fields.Many2one("account.analytic.line", readonly=True, index="btree_not_null")
    project_id = fields.Many2one("project.project", readonly=True, index="btree_not_null")
    employee_id = fields.Many2one("hr.employee", readonly=True)
    reversed_entry_id = fields.Many2one(
        "prepaid.ledger.entry", string="Reversal of", readonly=True, index="btree_not_null"
    )
    reversal_entry_ids = fields.One2many("prepaid.ledger.entry", "reversed_entry_id", string="Reversals")
    user_id = fields.Many2one(
        "res.users", string="Posted by", readonly=True, default=lambda self: self.env.user, groups="base.group_user"
    )
    consumption_invoiced = fields.Boolean(
        readonly=True,
        help="Consumption recognised by a consumption invoice of its card (prepaid.consumption.invoice), not by a "
        "recognition journal entry.",
    )
    awaiting_payment = fields.Boolean(
        readonly=True,
        help="Top-up of a card usable once paid whose invoice is not paid yet: nothing draws on it until it is "
        "(prepaid.payment.hold).",
    )
    outflow_application_ids = fields.One2many("prepaid.ledger.application", "outflow_id", string="Consumed Top-ups")
    inflow_application_ids = fields.One2many("prepaid.ledger.application", "inflow_id", string="Consumed by")

    # ------------------------------------------------------------------
    # Immutability
    # ------------------------------------------------------------------
    def write(self, vals):
        if in_service_scope() and set(vals) <= SERVICE_FIELDS:
            return super().write(vals)
        raise UserError(
            self.env._(
                "Posted prepaid ledger entries cannot be modified. "
                "To correct one, create a new entry (Create Ledger Entry) or reverse the document that made it."
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_posted(self):
        raise UserError(
            self.env._(
                "Prepaid ledger entries cannot be deleted. "
                "To correct one, create a new entry (Create Ledger Entry) or reverse the document that made it."
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not in_service_scope():
            raise UserError(
                self.env._("Prepaid ledger entries are created by documents or by the Create Ledger Entry wizard.")
            )
        return super().create(vals_list)

    def _check_company(self, fnames=None):
        # An entry's company is its card's (a related field): checking the card against it proves nothing. The
        # product's company is read in one narrow query: the generic check reads the whole product and its template
        # and evaluates a company domain for each consumption, about a third of what a timesheet costs.
        if fnames is None or "company_id" in fnames:
            fnames = list(self._fields)
        if "product_id" in fnames:
            self._check_product_company()
        fnames = [fname for fname in fnames if fname not in ("company_id", "product_id", "service_id")]
        return super()._check_company(fnames)

    def _check_product_company(self):
        products = self.product_id
        if not products:
            return
        self.env.cr.execute(
            SQL(
                """SELECT product.id, template.company_id
                     FROM product_product product
                     JOIN product_template template ON template.id = product.product_tmpl_id
                    WHERE product.id IN %s AND template.company_id IS NOT NULL""",
                tuple(products.ids),
            )
        )
        company_by_product = dict(self.env.cr.fetchall())
        wrong = self.filtered(lambda e: company_by_product.get(e.product_id.id, e.company_id.id) != e.company_id.id)
        if wrong:
            raise UserError(
                self.env._(
                    "The product %(product)s belongs to another company than the prepaid service %(card)s.",
                    product=wrong[0].product_id.sudo().display_name,
                    card=wrong[0].service_id.display_name,
                )
            )

    @api.depends("name", "entry_type", "service_id")
    def _compute_display_name(self):
        labels = dict(self._fields["entry_type"]._description_selection(self.env))
        for entry in self:
            entry.display_name = f"{entry.service_id.name or ''} {labels.get(entry.entry_type, '')} {entry.name or ''}"

    # ------------------------------------------------------------------
    # The posting service
    # ------------------------------------------------------------------
    @api.model
    def _post_entries(self, vals_list, options=None):
        """Post ledger entries: the one place that applies outflows to inflows and moves balances.

        Every flow (invoices, timesheets, expiry, periods, the manual wizard) comes through here:
        it locks the cards, checks the input, creates the entries, applies outflows to open
        inflows (earliest expiry first, then oldest), settles negative balances with new inflows,
        updates the cards' stored balances and posts the journal entries that move value.

        vals_list: the entries' own values; options: a PostingOptions per entry (same order), saying how to
        apply it (to one lot only, against which account, what is left of a lot, a value only, a part).
        Returns the new entries.
        """
        if not vals_list:
            return self.browse()
        # All or nothing, even for a caller that catches the error; in a clean context, so that nothing
        # of the caller's screen (default_* keys, is_timesheet...) reaches the entries and journal entries.
        with service_scope(), self.env.cr.savepoint():
            entries = self.with_env(clean_env(self.env))._post_entries_atomic(
                vals_list, options or [NO_OPTIONS] * len(vals_list)
            )
        # cards that invoice their consumption after each service bill it now (prepaid.consumption.invoice)
        self.env["prepaid.consumption.invoice"]._invoice_after_posting(entries)
        return self.browse(entries.ids)

    @api.model
    def _post_entries_atomic(self, vals_list, options):
        Card = self.env["prepaid.service"]
        cards = Card.browse({vals["service_id"] for vals in vals_list})
        # Another transaction may have moved the balances before we got the lock: the lock reads them again
        cards._lock_for_update()
        self.env["prepaid.ledger.entry"].invalidate_model(
            ["remaining_quantity", "remaining_amount", "remaining_value", "pending_quantity", "amount", "value"]
        )

        posting_info = []
        create_vals = []
        cards_by_id = {card.id: card for card in cards}
        targets = self.browse([info.apply_to for info in options if info.expire_remaining])
        remaining_by_id = {target.id: target.remaining_quantity for target in targets}
        for vals, info in zip(vals_list, options, strict=True):
            vals = dict(vals)
            if info.expire_remaining:
                # what is left once we hold the lock, not what a caller saw before
                remaining = remaining_by_id[info.apply_to]
                if remaining <= 0:
                    continue
                vals["quantity"] = -remaining
            card = cards_by_id[vals["service_id"]]
            self._prepare_posting_vals(card, vals, value_only=bool(info.value_only), partial=info.partial)
            posting_info.append(info)
            create_vals.append(vals)
        cards.check_access("write")
        if not create_vals:
            return self.browse()
        # the card's write access was checked above; entries are never created by users directly
        entries = self.sudo().create(create_vals)

        # sudo: the allocator writes lots, applications and balances, which no user may write
        allocator = PrepaidLedgerAllocator(self.sudo().env, cards.sudo())
        for entry, info in zip(entries, posting_info, strict=True):
            allocator.apply(entry, info)
        allocator.settle_pending(entries)
        allocator.write_back()
        self.env["account.move"]._prepaid_create_value_moves(entries, allocator, posting_info)
        # alerts fire on consumption only: a refund or a closing expiry is no reason to ask for a top-up
        consumed = entries.filtered(lambda e: e.entry_type == "usage" and not e.reversed_entry_id).service_id
        cards._send_low_balance_alerts(consumed)  # allocator.write_back()'s bulk_update dropped the old balances
        return entries

    def _release_held_lots(self):
        """Open these top-ups awaiting payment (their invoice is paid): consumption that drove their cards
        negative meanwhile is settled by them first, as by a new top-up."""
        lots = self.filtered("awaiting_payment")
        if not lots:
            return
        with service_scope(), self.env.cr.savepoint():
            cards = lots.service_id
            cards._lock_for_update()
            # sudo: only the posting service writes lots and balances
            lots = lots.sudo().with_env(clean_env(self.sudo().env))
            lots.write({"awaiting_payment": False})
            allocator = PrepaidLedgerAllocator(lots.env, cards.sudo())
            allocator.settle_pending(lots)
            allocator.write_back()
            lots.env["account.move"]._prepaid_create_value_moves(lots, allocator, [NO_OPTIONS] * len(lots))

    @api.model
    def _ensure_within_balance_limit(self, card, fname, value):
        """Refuse a figure beyond what Odoo rounds exactly (MAX_ROUNDING_STEPS) instead of letting it drift.

        fname says the figure's unit: value* in company currency, amount* in the card currency, else the
        card's unit (money on an amount card).
        """
        card.ensure_one()
        currency = (
            card.company_currency_id
            if fname.startswith(("value", "remaining_value"))
            else card.currency_id
            if fname.startswith(("amount", "remaining_amount"))
            else None
        )
        rounding = currency.rounding if currency else card._get_unit_rounding()
        if abs(value) <= MAX_ROUNDING_STEPS * rounding:
            return
        maximum = MAX_ROUNDING_STEPS * rounding
        raise UserError(
            self.env._(
                "%(card)s cannot hold %(figure)s: a prepaid service holds at most %(maximum)s, beyond which amounts "
                "can no longer be rounded exactly. Split the credit over several prepaid services.",
                card=card.display_name,
                figure=format_amount(self.env, value, currency) if currency else card._format_balance(value),
                maximum=format_amount(self.env, maximum, currency) if currency else card._format_balance(maximum),
            )
        )

    @api.model
    def _prepare_posting_vals(self, card, vals, value_only=False, partial=False):
        """Check one entry before it is posted and fill in what derives from the card.

        value_only: a straight-line recognition that releases value of a top-up without using units.
        partial: a reversal of a consumption that gives back only the quantity given (a partial credit note).
        """
        env = self.env
        entry_type = vals.get("entry_type")
        if entry_type not in dict(ENTRY_TYPES):
            raise UserError(env._("Unknown prepaid ledger entry type: %s", entry_type))
        reversed_entry = self.browse(vals.get("reversed_entry_id"))
        if card.closed and not reversed_entry and entry_type != "expiry":
            raise UserError(
                env._(
                    "The prepaid service %(card)s is closed: it accepts no top-up and no consumption. "
                    "Reopen it or use another card.",
                    card=card.display_name,
                )
            )
        date = card._get_accounting_date(fields.Date.to_date(vals.get("date")) or fields.Date.context_today(self))
        vals["date"] = date
        currency = env["res.currency"].browse(vals.pop("currency_id", False))
        if currency and currency != card.currency_id:
            raise UserError(
                env._(
                    "The prepaid service %(card)s is in %(card_currency)s; it cannot take an entry in "
                    "%(currency)s. Use a card in that currency or convert the document.",
                    card=card.display_name,
                    card_currency=card.currency_id.name,
                    currency=currency.name,
                )
            )
        if card.service_type == "amount":
            if (
                "quantity" in vals
                and "amount" in vals
                and card.currency_id.compare_amounts(vals["quantity"], vals["amount"])
            ):
                raise UserError(
                    env._(
                        "The prepaid service %(card)s holds a money balance: give an amount, not a quantity of units.",
                        card=card.display_name,
                    )
                )
            if "quantity" not in vals:
                vals["quantity"] = vals.get("amount", 0.0)
            vals["quantity"] = card.currency_id.round(vals["quantity"])
        quantity = vals.get("quantity", 0.0)
        self._ensure_within_balance_limit(card, "quantity", quantity)
        rounding = card._get_unit_rounding()
        quantity = float_round(quantity, precision_rounding=rounding)
        vals["quantity"] = quantity
        if float_is_zero(quantity, precision_rounding=rounding) and not value_only:
            raise UserError(env._("A prepaid ledger entry needs a quantity or an amount other than zero."))

        if reversed_entry:
            vals.update(
                consumption_invoiced=reversed_entry.consumption_invoiced,
                entry_type=reversed_entry.entry_type,
                bucket=reversed_entry.bucket,
                is_inflow=False,
                quantity=quantity if partial and not reversed_entry.is_inflow else -reversed_entry.quantity,
            )
            if reversed_entry.is_inflow:
                vals.update(amount=-reversed_entry.amount, value=-reversed_entry.value)
            elif card.service_type == "amount":
                vals["amount"] = vals["quantity"] if partial else -reversed_entry.amount
            return vals

        if value_only:
            vals.update(is_inflow=False, bucket="used", quantity=0.0, amount=0.0, value=0.0, pending_quantity=0.0)
            return vals
        if entry_type == "usage" and vals.get("timesheet_id") and card.consumption_invoicing != "none":
            vals["consumption_invoiced"] = True  # its revenue waits for the card's consumption invoice
        inflow = quantity > 0
        allowed_sign = {"receipt": 1, "usage": -1, "expiry": -1, "refund": -1}.get(entry_type)
        if allowed_sign and (1 if inflow else -1) != allowed_sign:
            if entry_type == "receipt":
                raise UserError(
                    env._(
                        "A top-up of %(card)s must add a positive quantity or amount; to take credit back, "
                        "issue a credit note or create a negative adjustment.",
                        card=card.display_name,
                    )
                )
            raise UserError(
                env._(
                    "A %(type)s entry of %(card)s must consume a positive quantity.",
                    type=dict(self._fields["entry_type"]._description_selection(env))[entry_type],
                    card=card.display_name,
                )
            )
        vals["is_inflow"] = inflow
        vals["bucket"] = {"receipt": "received", "usage": "used", "expiry": "expired", "refund": "refunded"}.get(
            entry_type, "received" if inflow else "used"
        )
        if inflow:
            amount = vals.get("amount")
            if amount is None:
                raise UserError(env._("A top-up needs the amount paid for it."))
            if card.currency_id.compare_amounts(amount, 0) < 0:
                raise UserError(env._("A top-up cannot have a negative amount."))
            value = vals.get("value")
            if value is None:
                value = card.currency_id._convert(amount, card.company_currency_id, card.company_id, date)
            self._ensure_within_balance_limit(card, "amount", amount)
            self._ensure_within_balance_limit(card, "value", value)
            vals.update(
                amount=card.currency_id.round(amount),
                value=card.company_currency_id.round(value),
                remaining_quantity=quantity,
                remaining_amount=card.currency_id.round(amount),
                remaining_value=card.company_currency_id.round(value),
                unit_amount=amount / quantity,
            )
            if "valid_until" not in vals:
                vals["valid_until"] = card._get_valid_until(date)
        else:
            vals["amount"] = quantity if card.service_type == "amount" else 0.0
            vals["value"] = 0.0
            vals["pending_quantity"] = 0.0
            vals.pop("valid_until", None)
        return vals

    # ------------------------------------------------------------------
    # Accounting
    # ------------------------------------------------------------------
    def _is_summarised_daily(self):
        """Timesheet consumption whose recognition waits for the daily summary of its card."""
        self.ensure_one()
        entry = self.reversed_entry_id or self
        return (
            self.company_id.prepaid_recognition_grouping == "daily"
            and entry.entry_type == "usage"
            and bool(entry.timesheet_id)
            and not entry.invoice_line_id
        )

    def _needs_value_move(self):
        """Whether the module posts this entry's journal entry (an invoice posts its own)."""
        self.ensure_one()
        if self.invoice_line_id or self.consumption_invoiced:
            return False  # the document (a consumption invoice) moves the value
        if self.reversed_entry_id:
            return self.reversed_entry_id._needs_value_move()
        return self.entry_type in ("usage", "expiry", "adjustment")

    def _ensure_counterpart_account(self, counterpart):
        """A correction moves value between deferred revenue and another account, never onto itself."""
        self.ensure_one()
        if counterpart and counterpart == self.company_id.prepaid_deferred_account_id:
            raise UserError(
                self.env._(
                    "%(account)s is the deferred revenue account itself: a ledger entry of %(card)s balanced "
                    "against it would move the card's value without moving the account. Choose the account that "
                    "pays for the credit (e.g. a goodwill expense) or that receives it (e.g. breakage income).",
                    account=counterpart.display_name,
                    card=self.service_id.display_name,
                )
            )

    def _get_counterpart_account(self, counterpart_account=False):
        """Account that balances the deferred revenue line of this entry's journal entry."""
        self.ensure_one()
        company = self.company_id
        if counterpart_account:
            return counterpart_account
        if self.reversed_entry_id and self.reversed_entry_id.move_id:
            deferred = company.prepaid_deferred_account_id
            # the original's own line pair: a batch journal entry holds the lines of several entries
            lines = self.reversed_entry_id.move_id.line_ids.filtered(
                lambda line: (
                    line.account_id != deferred
                    and line.prepaid_service_id == self.service_id
                    and line.product_id == self.reversed_entry_id.product_id
                )
            )
            if lines:
                return lines[0].account_id
        if self.entry_type == "expiry":
            return company._get_prepaid_expiry_account()
        return self.service_id._get_income_account(self.product_id)

    def _get_givable(self):
        """What of this consumption can still be given back: its amount less the give-backs not undone."""
        self.ensure_one()
        given = self.reversal_entry_ids.filtered(lambda r: not r.reversal_entry_ids)
        return -self.amount - sum(given.mapped("amount"))

    def _get_move_ref(self):
        self.ensure_one()
        labels = dict(self._fields["entry_type"]._description_selection(self.env))
        ref = f"{self.service_id.name} - {labels[self.entry_type]}"
        if self.reversed_entry_id:
            ref = self.env._("Reversal of %s", ref)
        if self.name:
            ref = f"{ref}: {self.name}"
        return ref

    # ------------------------------------------------------------------
    # Expiry of lots past their validity
    # ------------------------------------------------------------------
    @api.model
    def _get_open_inflow_domain(self, cards=None):
        """Top-ups with something left to use, of these cards (None: of every card): the one definition."""
        domain = Domain([("is_inflow", "=", True), ("remaining_quantity", ">", 0)])
        if cards is not None:
            domain &= Domain("service_id", "in", cards.ids)
        return domain

    @api.model
    def _get_expirable_domain(self, cards=None, today=None):
        """Open top-ups past their validity, of these cards (None: of every card)."""
        today = today or fields.Date.context_today(self)
        return self._get_open_inflow_domain(cards) & Domain(
            [
                ("valid_until", "<", today),
                # a card in the red has consumption waiting for these lots: it expires nothing
                ("service_id.quantity_outstanding", ">=", 0),
            ]
        )

    @api.model
    def _get_expirable_inflows(self, cards=None, today=None, limit=None):
        """Open top-ups past their validity, of these cards (None: of every card the caller reads), first to lapse
        first."""
        return self.search(self._get_expirable_domain(cards, today), order="service_id, valid_until, id", limit=limit)

    @api.model
    def _prepare_expiry_vals(self, inflows, date=None, name=None, quantities=None):
        """Expiry entries of these lots, the one shape every expiry takes (lapsed lots, closing, carry-over cap).

        date: when the right lapsed (default: each lot's last valid day, so the breakage belongs to that
        period); quantities: {lot: quantity} to expire (default: what is left when the posting holds the lock).
        Returns the entries' values and their posting options, for _post_entries.
        """
        vals_list, options = [], []
        for inflow in inflows:
            vals = {
                "service_id": inflow.service_id.id,
                "entry_type": "expiry",
                "date": date or inflow.valid_until,
                "product_id": inflow.product_id.id,
                "name": name
                or self.env._(
                    "Expired on %(date)s (%(topup)s)",
                    date=format_date(self.env, inflow.valid_until),
                    topup=inflow.name or "",
                ),
            }
            if quantities is not None:
                vals["quantity"] = -quantities[inflow]
            vals_list.append(vals)
            options.append(PostingOptions(apply_to=inflow.id, expire_remaining=quantities is None))
        return vals_list, options

    @api.model
    def _expire_residuals(self, cards=None, today=None, inflows=None):
        """Expire what is left of open top-ups past their validity; returns the expiry entries.

        inflows: the lots to expire (of cards, or read now when not given).
        """
        if inflows is None:
            inflows = self._get_expirable_inflows(cards, today)
        if not inflows:
            return self.browse()
        entries = self._post_entries(*self._prepare_expiry_vals(inflows))
        bodies = defaultdict(list)
        for entry in entries:
            bodies[entry.service_id.id].append(
                self.env._(
                    "%(balance)s expired on %(date)s (value %(value)s).",
                    balance=entry.service_id._format_balance(-entry.quantity),
                    date=format_date(self.env, entry.date),
                    value=format_amount(self.env, -entry.value, entry.company_currency_id),
                )
            )
        self.env["prepaid.service"].browse(list(bodies))._message_log_batch(
            {card_id: Markup("<br/>").join(lines) for card_id, lines in bodies.items()}
        )
        return entries

    @api.model
    def _cron_expire_residuals(self, batch_size=1000):
        """Daily: expire residuals of every company, in committed batches.

        A card that cannot be expired (its company has no breakage account...) is skipped with an activity
        for its responsible; the other cards and companies expire.
        """
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        # sudo (cards, lots): the scheduled action expires every company's cards
        cards = self.env["prepaid.service"].sudo().with_context(active_test=False)
        Entry = self.sudo()
        today = fields.Date.context_today(self)
        summary = self.env._("Prepaid: expiry failed")
        what = self.env._(
            "The scheduled expiry could not release the lapsed balances of this prepaid service: they stay on the "
            "deferred revenue account until it can."
        )
        # straight-line value is earned before what is left of it can lapse
        straight_line = cards.search([("accrual", "=", "periodic"), ("recognition_method", "!=", "usage")])
        _results, skipped = straight_line._run_isolated(
            lambda batch: self.env["prepaid.service.period"]._recognise_straight_line(batch, today), summary, what
        )
        expired = 0
        for _batch in range(10000):
            domain = self._get_expirable_domain(today=today) & Domain("service_id", "not in", skipped.ids)
            inflows = Entry.search(domain, order="service_id, valid_until, id", limit=batch_size)
            if not inflows:
                break

            def step(batch, inflows=inflows):
                batch_ids = set(batch.ids)
                return self._expire_residuals(batch, inflows=inflows.filtered(lambda i: i.service_id.id in batch_ids))

            results, failed = inflows.service_id._run_isolated(step, summary, what)
            skipped |= failed
            expired += sum(len(entries) for entries in results)
            if in_cron:
                remaining = Entry.search_count(
                    self._get_expirable_domain(today=today) & Domain("service_id", "not in", skipped.ids)
                )
                if not self.env["ir.cron"]._commit_progress(len(inflows), remaining=remaining):
                    break
        _logger.info("Prepaid expiry: %s top-ups expired, %s cards skipped", expired, len(skipped))
        return True

    # ------------------------------------------------------------------
    # Reversal
    # ------------------------------------------------------------------
    def _get_used_topups(self):
        """Top-ups of these entries that something already drew on: they can no longer be undone whole."""
        return self.filtered(
            lambda e: (
                e.is_inflow
                and (
                    float_compare(
                        e.remaining_quantity, e.quantity, precision_rounding=e.service_id._get_unit_rounding()
                    )
                    or e.currency_id.compare_amounts(e.remaining_amount, e.amount)
                    or e.company_currency_id.compare_amounts(e.remaining_value, e.value)
                )
            )
        )

    def _reverse_entries(self, date=False, description=False):
        """Undo entries with new entries that restore exactly what they moved."""
        # a give-back that was itself undone (its credit note reset to draft) no longer reverses its entry
        to_reverse = self.filtered(
            lambda e: not e.reversed_entry_id and not e.reversal_entry_ids.filtered(lambda r: not r.reversal_entry_ids)
        )
        used = to_reverse._get_used_topups()[:1]
        if used:
            raise UserError(
                self.env._(
                    "The top-up %(entry)s of %(card)s has already been used (%(remaining)s of %(quantity)s left): "
                    "it cannot be undone. Issue a credit note for what remains instead.",
                    entry=used.name or format_date(self.env, used.date),
                    card=used.service_id.display_name,
                    remaining=used.service_id._format_balance(used.remaining_quantity),
                    quantity=used.service_id._format_balance(used.quantity),
                )
            )
        return self._post_entries(
            [
                {
                    "service_id": entry.service_id.id,
                    "entry_type": entry.entry_type,
                    "reversed_entry_id": entry.id,
                    "quantity": -entry.quantity,
                    "date": date or fields.Date.context_today(self),
                    "name": description or self.env._("Reversal of %s", entry.name or entry.entry_type),
                    "product_id": entry.product_id.id,
                    "timesheet_id": entry.timesheet_id.id,
                    "project_id": entry.project_id.id,
                    "employee_id": entry.employee_id.id,
                    "sale_line_id": entry.sale_line_id.id,
                    "invoice_line_id": entry.invoice_line_id.id,
                }
                for entry in to_reverse
            ]
        )

    def _undo_restores(self, date, description):
        """Take back credit that a credit note gave back (the credit note is reset to draft or cancelled).

        Each lot gives back exactly what the credit note restored to it; refused when the credit has been
        used since, as a top-up's reset is.
        """
        return self._post_entries(
            [
                {
                    "service_id": restore.service_id.id,
                    "entry_type": restore.entry_type,
                    "reversed_entry_id": restore.id,
                    "quantity": -restore.quantity,
                    "date": date,
                    "name": description,
                    "product_id": restore.product_id.id,
                    "invoice_line_id": restore.invoice_line_id.id,
                }
                for restore in self
            ]
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open_document(self):
        self.ensure_one()
        record = self.move_id or self.invoice_line_id.move_id
        if record:
            return {
                "type": "ir.actions.act_window",
                "res_model": "account.move",
                "res_id": record.id,
                "view_mode": "form",
            }
        return False
