import logging
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.fields import Domain
from odoo.tools.misc import format_amount, format_date

from .prepaid_ledger_allocator import PostingOptions
from .utils import bulk_update, clean_env, service_scope

_logger = logging.getLogger(__name__)

# More periods than this due at once is a catch-up (a start date typed 2016 for 2026): a manager confirms it
PERIODIC_CATCH_UP_LIMIT = 3


class PrepaidServicePeriod(models.Model):
    """One invoiced period of a periodic card: created once, whatever runs the scheduled action."""

    _name = "prepaid.service.period"
    _description = "Prepaid Service Period"
    _order = "service_id, date_start"
    _check_company_auto = True

    service_id = fields.Many2one("prepaid.service", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="service_id.company_id", store=True, index=True)
    date_start = fields.Date(required=True, readonly=True)
    date_end = fields.Date(required=True, readonly=True)
    invoice_id = fields.Many2one("account.move", readonly=True, index="btree_not_null")
    sale_line_id = fields.Many2one(
        "sale.order.line",
        string="Sold on",
        readonly=True,
        index="btree_not_null",
        help="Order line that bills this period: the first period of a card sold on an order is its order's "
        "invoice, never the scheduled action's.",
    )
    overage_quantity = fields.Float(digits="Product Unit", readonly=True, help="Overage billed on this invoice.")
    closed = fields.Boolean(readonly=True, help="Period-end rules (carry-over cap) have been applied.")

    _unique_period = models.Constraint(
        "UNIQUE(service_id, date_start)", "A period of a prepaid service can only be invoiced once."
    )

    @api.model
    def _create_opening_periods(self, vals_list):
        """First periods of periodic cards opened by a sale: the document that sold the card bills it.

        vals_list: service_id with sale_line_id (the order's invoice bills the period) or invoice_id (an invoice
        made by hand did). The period starts on the card's start date; the card's Next Period follows it, so
        the scheduled action bills the second period next and never the first.
        """
        cards = self.env["prepaid.service"].browse([vals["service_id"] for vals in vals_list])
        with service_scope():
            # sudo: periods are written by the module only (users only read them)
            periods = (
                clean_env(self.env)["prepaid.service.period"]
                .sudo()
                .create(
                    [
                        {**vals, "date_start": card.date_start, "date_end": card._get_period_end(card.date_start)}
                        for vals, card in zip(vals_list, cards, strict=True)
                    ]
                )
            )
            for period in periods:
                period.service_id.next_period_start = period.date_end + relativedelta(days=1)
        return self.browse(periods.ids)

    def _get_opening_line_vals(self, quantity):
        """Invoice line vals by which the document that sold the card bills this first period, crediting quantity.

        Its credit lapses or carries over like every later period's (see _prepare_period_invoice_vals).
        """
        self.ensure_one()
        return {
            "prepaid_period_id": self.id,
            "prepaid_quantity": quantity,
            "prepaid_valid_until": self.service_id._get_period_valid_until(self.date_end),
        }

    # ------------------------------------------------------------------
    # Invoicing, straight-line recognition and period end: the periodic engine
    # ------------------------------------------------------------------
    def _prepare_invoice_vals(self):
        """The invoice of this period: its allowance, and the overage it bills at the card's band prices."""
        self.ensure_one()
        period, card = self, self.service_id
        product = card.period_product_id
        # the customer reads the invoice: its lines in the customer's language and date format
        env = self.with_context(lang=card.partner_id.lang or self.env.lang).env
        lines = [
            Command.create(
                {
                    "product_id": product.id,
                    "name": env._(
                        "%(card)s: allowance %(start)s - %(end)s",
                        card=card.display_name,
                        start=format_date(env, period.date_start),
                        end=format_date(env, period.date_end),
                    ),
                    "quantity": 1.0,
                    "price_unit": card.period_price,
                    "prepaid_service_id": card.id,
                    "prepaid_period_id": period.id,
                    "prepaid_quantity": card.period_allowance,
                    "prepaid_valid_until": card._get_period_valid_until(period.date_end),
                }
            )
        ]
        if card.overdraw_policy == "invoice" and period.overage_quantity > 0:
            for quantity, price in card.overage_band_ids._get_overage_lines(
                period.overage_quantity, card.period_price / (card.period_allowance or 1.0)
            ):
                lines.append(
                    Command.create(
                        {
                            "product_id": product.id,
                            "name": env._(
                                "%(card)s: overage %(quantity)s at %(price)s",
                                card=card.name,
                                quantity=card.with_env(env)._format_balance(quantity),
                                price=format_amount(env, price, card.currency_id),
                            ),
                            "quantity": quantity,
                            "price_unit": price,
                            "prepaid_service_id": card.id,
                            "prepaid_period_id": period.id,
                            "prepaid_quantity": quantity,
                            # settles the unpaid consumption at once, before any allowance
                            "prepaid_valid_until": period.date_start,
                        }
                    )
                )
        return {
            "move_type": "out_invoice",
            "partner_id": card.partner_id.id,
            "company_id": card.company_id.id,
            "currency_id": card.currency_id.id,
            "invoice_date": period.date_start if card.invoice_in_advance else period.date_end + relativedelta(days=1),
            "invoice_origin": card.name,
            "invoice_user_id": card.user_id.id,
            "invoice_line_ids": lines,
        }

    @api.model
    def _cron_periodic_invoicing(self, today=None):
        """Invoice every due period of every periodic card exactly once; close ended periods.

        Card by card in savepoints: a card whose invoice cannot be posted is rolled back, skipped and given an
        activity; a catch-up of many periods waits for a manager (see _invoice_due_periods).
        """
        today = today or fields.Date.context_today(self)
        # sudo: the scheduled action bills every company's cards
        cards = self.env["prepaid.service"].sudo().search([("accrual", "=", "periodic"), ("closed", "=", False)])

        def step(batch):
            invoices, held = self._invoice_due_periods(batch, today)
            self._recognise_straight_line(batch, today)
            self._close_ended_periods(batch, today)
            return invoices, held

        results, failed = cards._run_isolated(
            step,
            self.env._("Prepaid: periodic invoicing failed"),
            self.env._(
                "The scheduled periodic invoicing could not process this prepaid service (period invoices, "
                "straight-line recognition, period end): nothing of it was posted."
            ),
        )
        invoices = self.env["account.move"].union(*(invoices for invoices, _held in results))
        held = cards.union(*(held for _invoices, held in results))
        _logger.info(
            "Prepaid periodic invoicing: %s cards processed, %s invoices, %s catch-ups awaiting a manager, "
            "%s cards skipped",
            len(cards) - len(failed),
            len(invoices),
            len(held),
            len(failed),
        )
        return invoices

    @api.model
    def _invoice_due_periods(self, cards, today, confirmed=False):
        """Invoice the due periods of these cards in one batch; returns (invoices, cards held back).

        More than PERIODIC_CATCH_UP_LIMIT periods due at once is held back unless confirmed: the card's
        responsible gets an activity and a manager confirms with Invoice Due Periods.
        """
        Period = self.sudo()  # sudo: periods are written by the module only (users only read them)
        # the screen's context must not reach the invoices (language and companies stay); sudo: the scheduler
        # or a prepaid manager bills the period whatever their accounting rights
        Move = clean_env(self.env)["account.move"].sudo()
        cards = cards.filtered(lambda c: c.accrual == "periodic" and not c.closed and c.period_product_id)
        periods = Period.search([("service_id", "in", cards.ids)])
        periods.invoice_id.mapped("state")  # one read for every card's invoices
        period_ids_by_card = defaultdict(list)
        for period in periods:
            period_ids_by_card[period.service_id.id].append(period.id)
        due, held = {}, {}
        for card in cards:
            card_due = card._get_due_periods(today, Period.browse(period_ids_by_card[card.id]))
            if not card_due:
                continue
            if len(card_due) > PERIODIC_CATCH_UP_LIMIT and not confirmed:
                held[card] = card_due
            else:
                due[card] = card_due
        held_cards = cards.browse([card.id for card in held])
        catch_up = self.env._("Prepaid: periodic catch-up to confirm")
        held_cards._schedule_problem_activity(
            catch_up,
            {
                card.id: Markup("<p>%s</p><p>%s</p>")
                % (
                    self.env._(
                        "%(count)s periods are due since %(date)s: the scheduled action invoices at most "
                        "%(limit)s at once and has invoiced none of them.",
                        count=len(card_due),
                        date=format_date(self.env, card_due[0][0]),
                        limit=PERIODIC_CATCH_UP_LIMIT,
                    ),
                    self.env._(
                        "Check the start date and Next Period. If every period is right, a Prepaid Services "
                        "manager confirms with Invoice Due Periods; otherwise correct the dates."
                    ),
                )
                for card, card_due in held.items()
            },
        )
        (cards - held_cards)._close_problem_activities(catch_up, self.env._("No catch-up is waiting any more."))
        if not due:
            return Move.browse(), held_cards

        # overage not billed yet: consumption still unsettled, less what invoices not posted yet carry
        overage_ids = [card.id for card in due if card.overdraw_policy == "invoice"]
        # sudo: the scheduler bills every company's cards (a manager's cards were checked by the caller)
        pending = (
            dict(
                self.env["prepaid.ledger.entry"]
                .sudo()
                ._read_group(
                    [("service_id", "in", overage_ids), ("pending_quantity", ">", 0)],
                    ["service_id"],
                    ["pending_quantity:sum"],
                )
            )
            if overage_ids
            else {}
        )
        new_vals, reused, todo = [], [], []
        for card, card_due in due.items():
            overage = 0.0
            if card.overdraw_policy == "invoice":
                billed = sum(
                    period.overage_quantity
                    for period in Period.browse(period_ids_by_card[card.id])
                    if period.invoice_id.state == "draft"
                )
                overage = max(pending.get(card, 0.0) - billed, 0.0)
            for start, period in card_due:
                if period:
                    reused.append((period, overage))
                    todo.append((card, period))
                else:
                    todo.append((card, len(new_vals)))
                    new_vals.append(
                        {
                            "service_id": card.id,
                            "date_start": start,
                            "date_end": card._get_period_end(start),
                            "overage_quantity": overage,
                        }
                    )
                overage = 0.0  # billed once, on the first invoice
        with service_scope():
            new_periods = Period.create(new_vals)
            for period, overage in reused:
                # its invoice is gone: the new one bills the period, and its period end is applied again
                period.write({"overage_quantity": overage, "closed": False})
        todo = [(card, new_periods[period] if isinstance(period, int) else period) for card, period in todo]
        invoices = Move.create([period._prepare_invoice_vals() for _card, period in todo])
        last_end, to_post, links = {}, [], []
        for (card, period), invoice in zip(todo, invoices, strict=True):
            links.append((period.id, invoice.id))
            if card.period_auto_post:
                to_post.append(invoice.id)
            last_end[card] = max(last_end.get(card, period.date_end), period.date_end)
        # one UPDATE each for the links and the next periods, not a write per period and card
        bulk_update(Period, ["invoice_id"], links)
        bulk_update(
            self.env["prepaid.service"],
            ["next_period_start"],
            [
                (card.id, max(card.next_period_start or card.date_start, end + relativedelta(days=1)))
                for card, end in last_end.items()
                if (card.next_period_start or card.date_start) <= end
            ],
        )
        Move.browse(to_post).action_post()
        return invoices.sudo(self.env.su), held_cards

    @api.model
    def _recognise_straight_line(self, cards, today):
        """Straight-line cards: recognise each period's value at its end, or a slice per ended month."""
        # sudo (lots, periods, slices below): a scheduled action's step, over every company's cards
        Entry = self.env["prepaid.ledger.entry"].sudo()
        periods = (
            self.env["prepaid.service.period"]
            .sudo()
            .search(
                [
                    ("service_id", "in", cards.filtered(lambda c: c.recognition_method != "usage").ids),
                    ("invoice_id.state", "=", "posted"),
                ]
            )
        )
        # one read of the periods' lots with value left, one count of the slices each already recognised
        lots_by_period = defaultdict(lambda: Entry)
        for lot in Entry.search(
            [
                ("invoice_line_id.prepaid_period_id", "in", periods.ids),
                ("is_inflow", "=", True),
                ("remaining_value", ">", 0),
                ("reversal_entry_ids", "=", False),
            ]
        ):
            lots_by_period[lot.invoice_line_id.prepaid_period_id] |= lot
        all_lots = Entry.union(*lots_by_period.values())
        slices_done = dict(
            self.env["prepaid.ledger.application"]
            .sudo()
            ._read_group(
                [
                    ("inflow_id", "in", all_lots.ids),
                    ("outflow_id.entry_type", "=", "usage"),
                    ("outflow_id.quantity", "=", 0),
                ],
                ["inflow_id"],
                ["outflow_id:count_distinct"],
            )
        )
        vals_list, options = [], []
        for period in periods:
            card = period.service_id
            lots = lots_by_period[period]
            if card.recognition_method == "period_end":
                slices = [(period.date_end, 1.0)] if period.date_end < today else []
            else:
                months, start = [], period.date_start
                while start <= period.date_end:
                    months.append(min(start + relativedelta(months=1, days=-1), period.date_end))
                    start += relativedelta(months=1)
                slices = [(end, 1.0 / len(months)) for end in months]
            for lot in lots:
                done = slices_done.get(lot, 0)
                due = [(end, share) for end, share in slices[done:] if end < today]
                for index, (end, share) in enumerate(due):
                    last = done + index + 1 == len(slices)
                    value = lot.value * share
                    vals_list.append(
                        {
                            "service_id": card.id,
                            "entry_type": "usage",
                            "date": end,
                            "quantity": 0.0,
                            "product_id": lot.product_id.id,
                            "name": self.env._("Straight-line recognition to %s", format_date(self.env, end)),
                        }
                    )
                    options.append(
                        PostingOptions(
                            apply_to=lot.id,
                            # the last slice takes what is left, so rounding leaves nothing behind
                            value_only=lot.remaining_value if last else card.company_currency_id.round(value),
                        )
                    )
        if vals_list:
            Entry._post_entries(vals_list, options)

    @api.model
    def _close_ended_periods(self, cards, today):
        """Carry-over cap: what is left of an ended period beyond the cap expires now."""
        # sudo (periods, lots below): a scheduled action's step, over every company's cards; periods are closed
        # by the module only
        periods = (
            self.env["prepaid.service.period"]
            .sudo()
            .search([("service_id", "in", cards.ids), ("closed", "=", False), ("date_end", "<", today)])
        )
        capped = periods.filtered(
            lambda p: p.service_id.period_end_behaviour == "carry_over" and p.service_id.carry_over_cap_type != "none"
        )
        Entry = self.env["prepaid.ledger.entry"].sudo()
        lots_by_period = defaultdict(lambda: Entry)
        if capped:
            # one read for every capped period's open lots
            for lot in Entry.search(
                Entry._get_open_inflow_domain(capped.service_id)
                & Domain("invoice_line_id.prepaid_period_id", "in", capped.ids)
            ):
                lots_by_period[lot.invoice_line_id.prepaid_period_id] |= lot
        vals_list, options = [], []
        for period in capped:
            card = period.service_id
            cap = card.carry_over_cap
            if card.carry_over_cap_type == "percent":
                cap = card.period_allowance * card.carry_over_cap / 100.0
            excess = {
                lot: lot.remaining_quantity - cap
                for lot in lots_by_period[period]
                if lot.valid_until and lot.valid_until > period.date_start and lot.remaining_quantity > cap
            }
            period_vals, period_options = Entry._prepare_expiry_vals(
                list(excess),
                date=period.date_end,
                name=self.env._("Above the carry-over cap of %s", card._format_balance(cap)),
                quantities=excess,
            )
            vals_list += period_vals
            options += period_options
        periods.write({"closed": True})
        if vals_list:
            Entry._post_entries(vals_list, options)
