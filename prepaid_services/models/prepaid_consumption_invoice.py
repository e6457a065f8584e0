import contextvars
import logging
from collections import defaultdict
from contextlib import contextmanager

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.tools import float_round
from odoo.tools.misc import format_date, formatLang

from .prepaid_recurring_mixin import PERIODIC_MAX_PERIODS
from .utils import bulk_update, clean_env, service_scope

_logger = logging.getLogger(__name__)

# Cards whose consumption invoice waits for the end of the current correction (see _batch); None outside one
_BATCH = contextvars.ContextVar("prepaid_consumption_invoice_batch", default=None)


class PrepaidConsumptionInvoice(models.AbstractModel):
    """Consumption invoices: the work a card paid for, invoiced to the customer as the card's revenue.

    Timesheets consume the card at once (the ledger is always current); their revenue is not recognised by a
    journal entry (prepaid.ledger.entry.consumption_invoiced) but by an invoice at the card's rhythm: one line per
    service at the value of the lots it used, on the service's income account (with its taxes when tax is due on
    consumption), and one line per card drawing the same value from deferred revenue. Covered work totals zero:
    the invoice posts paid by the prepayment. The applications it bills are linked to it, so no recognition
    entry ever takes them too. A timesheet corrected or deleted after its invoice gets a correcting invoice or
    a credit note for the difference, the way an accountant corrects an invoice: never by editing it.

    Consumption not covered by a top-up yet (a card in the red) is billed when a top-up settles it.
    """

    _name = "prepaid.consumption.invoice"
    _description = "Prepaid Consumption Invoices"

    # ------------------------------------------------------------------
    # Triggers
    # ------------------------------------------------------------------
    @api.model
    @contextmanager
    def _batch(self):
        """Postings inside make one consumption invoice per card at the end: a corrected timesheet (the reversal
        of its consumption, then the new one) gets one correcting invoice for the difference."""
        if _BATCH.get() is not None:
            yield
            return
        token = _BATCH.set(set())
        try:
            yield
            card_ids = _BATCH.get()
        finally:
            _BATCH.reset(token)
        if card_ids:
            self._invoice_isolated(self.env["prepaid.service"].browse(sorted(card_ids)))

    @api.model
    def _invoice_after_posting(self, entries):
        """After a posting: cards invoicing after each timesheet, or per done task, invoice what is due now."""
        cards = entries.service_id.filtered(lambda c: c.consumption_invoicing in ("timesheet", "task"))
        if not cards:
            return
        batch = _BATCH.get()
        if batch is not None:
            batch.update(cards.ids)
            return
        self._invoice_isolated(cards)

    @api.model
    def _invoice_completed_tasks(self, tasks):
        """A task marked done (or moved to a folded stage): invoice the work logged on it."""
        # sudo: whoever closes the task, the consumption of its timesheets is invoiced
        applications = (
            self.env["prepaid.ledger.application"]
            .sudo()
            .search(
                [
                    *self._get_pending_domain(),
                    ("outflow_id.timesheet_id.task_id", "in", tasks.ids),
                ]
            )
        )
        cards = applications.service_id.filtered(lambda c: c.consumption_invoicing == "task")
        if cards:
            self._invoice_isolated(cards)

    @api.model
    def _cron_invoice_consumption(self, today=None):
        """Daily: invoice the consumption due by each card's rhythm (ended periods, done tasks, and anything a
        trigger could not invoice), card by card in savepoints."""
        # sudo: the scheduled action invoices every company's cards
        cards = self.env["prepaid.service"].sudo().search([("consumption_invoicing", "!=", "none")])
        cards = self._get_pending_applications(cards).service_id
        invoices = self._invoice_isolated(cards, today=today)
        _logger.info("Prepaid consumption invoices: %s invoices for %s cards", len(invoices), len(cards))
        return invoices

    @api.model
    def _invoice_isolated(self, cards, today=None):
        """Invoice the cards in savepoints: a card that cannot be invoiced keeps its consumption waiting and its
        responsible gets an activity; the work that caused it stays logged."""
        results, _failed = cards._run_isolated(
            lambda batch: self._invoice_consumption(batch, today=today),
            self.env._("Prepaid: consumption invoice failed"),
            self.env._(
                "The consumption invoice of this prepaid service could not be posted: its consumption stays on the "
                "deferred revenue account until it is. The scheduled action tries again every day."
            ),
        )
        return self.env["account.move"].union(*results)

    # ------------------------------------------------------------------
    # What is due
    # ------------------------------------------------------------------
    @api.model
    def _get_pending_domain(self):
        """Applications of consumption that awaits its consumption invoice."""
        return [("move_id", "=", False), ("outflow_id.consumption_invoiced", "=", True)]

    @api.model
    def _get_pending_applications(self, cards):
        # sudo: the invoice bills every application of the card, whatever the user may read
        return (
            self.env["prepaid.ledger.application"]
            .sudo()
            .search([*self._get_pending_domain(), ("service_id", "in", cards.ids)], order="date, id")
        )

    @api.model
    def _get_period_bounds(self, card, day):
        """(start, end) of the card's consumption period that holds day: a periodic card's own periods, else
        calendar months (or the card's recurrence) from the month it started."""
        start = card.date_start if card.accrual == "periodic" else card.date_start.replace(day=1)
        if day < start:
            return start, card._get_period_end(start)
        for _guard in range(PERIODIC_MAX_PERIODS):
            end = card._get_period_end(start)
            if day <= end:
                return start, end
            start = end + relativedelta(days=1)
        return start, card._get_period_end(start)

    @api.model
    def _group_due_applications(self, applications, today, everything=False):
        """{(card, key): (applications, invoice date)} of what the cards' rhythm says is due today."""
        by_source = defaultdict(lambda: applications.browse())
        for app in applications:
            origin = app.outflow_id.reversed_entry_id or app.outflow_id
            # a timesheet's consumption, its corrections and their reversals are invoiced together
            by_source[(app.service_id, origin.timesheet_id.id or origin.id)] |= app
        groups = defaultdict(lambda: [applications.browse(), today])
        for (card, source), apps in by_source.items():
            dates = apps.mapped("date")
            last = min(max(dates), today)
            rhythm = card.consumption_invoicing
            timesheet = (apps.outflow_id.reversed_entry_id | apps.outflow_id).timesheet_id[:1]
            if everything:
                key, day = "all", today
            elif rhythm == "period":
                current_start, _end = self._get_period_bounds(card, today)
                if max(dates) >= current_start:
                    if min(dates) >= current_start:
                        continue  # its period has not ended
                    key, day = "correction", today  # an ended period's work corrected in this one
                else:
                    _start, end = self._get_period_bounds(card, max(dates))
                    key, day = ("period", end), end
            elif rhythm == "task" and timesheet.task_id:
                task = timesheet.task_id
                if not task._prepaid_is_completed():
                    continue
                key, day = ("task", task.id), today
            else:
                key, day = ("timesheet", source), last
            group = groups[(card, key)]
            group[0] |= apps
            group[1] = min(group[1], day) if key != "all" else today
        return groups

    # ------------------------------------------------------------------
    # The invoices
    # ------------------------------------------------------------------
    @api.model
    def _invoice_consumption(self, cards, today=None, everything=False):
        """Create and post the consumption invoices due on these cards; returns them.

        everything: invoice all that waits, whatever the rhythm (the card's Invoice Consumption button).
        """
        today = today or fields.Date.context_today(self)
        applications = self._get_pending_applications(cards)
        if not applications:
            return self.env["account.move"]
        groups = self._group_due_applications(applications, today, everything=everything)
        plans = []
        for (card, _key), (apps, day) in groups.items():
            vals = self._prepare_invoice_vals(card, apps, day)
            plans.append((card, apps, vals))
        if not plans:
            return self.env["account.move"]
        # a clean context: the screen's defaults (default_move_type, default_journal_id...) must not reach the
        # invoices; sudo: the technician who logs the time or closes the task needs no invoicing rights
        Move = clean_env(self.env)["account.move"].sudo()
        with service_scope():
            # one create per company, in the order of the plans
            by_company = defaultdict(list)
            for index, (card, _apps, vals) in enumerate(plans):
                if vals:
                    by_company[card.company_id].append((index, vals))
            created = {}
            for company, items in by_company.items():
                moves = Move.with_company(company).create([vals for _index, vals in items])
                created.update(zip((index for index, _vals in items), moves, strict=True))
            invoices = Move.browse([created[index].id for index in sorted(created)])
            invoices.action_post()
        self._link_applications(plans, invoices)
        self._post_value_differences(plans, invoices)
        return self.env["account.move"].browse(invoices.ids)

    @api.model
    def _link_applications(self, plans, invoices):
        """The applications an invoice billed (and their outflows) point at it: no recognition takes them."""
        app_links, entry_links = [], {}
        invoice_iter = iter(invoices)
        for _card, apps, vals in plans:
            if not vals:
                continue  # corrections that cancel out before any invoice: nothing to bill, kept for the next
            invoice = next(invoice_iter)
            app_links.extend((app.id, invoice.id) for app in apps)
            for outflow in apps.outflow_id.filtered(lambda e: not e.move_id):
                entry_links[outflow.id] = (outflow.id, invoice.id)
        with service_scope():
            bulk_update(self.env["prepaid.ledger.application"], ["move_id"], app_links)
            bulk_update(self.env["prepaid.ledger.entry"], ["move_id"], list(entry_links.values()))

    @api.model
    def _prepare_invoice_vals(self, card, applications, day):
        """The consumption invoice of these applications of card (False when they bill nothing).

        One line per service (outflow) at the value its lots gave it, one line on deferred revenue for the card.
        A correction that gives back more than it bills is a credit note.
        """
        currency = card.currency_id
        company = card.company_id
        partner = card.partner_id
        fiscal_position = self.env["account.fiscal.position"].with_company(company)._get_fiscal_position(partner)
        tax_on_consumption = company.prepaid_tax_timing == "consumption"
        by_outflow = defaultdict(lambda: [0.0, 0.0])  # outflow -> [quantity, amount]
        for app in applications:
            totals = by_outflow[app.outflow_id]
            totals[0] += app.quantity
            totals[1] += app.amount
        # a consumption and its reversal both still waiting cancel out: neither is billed
        for outflow in list(by_outflow):
            origin = outflow.reversed_entry_id
            if origin in by_outflow:
                quantity = by_outflow[origin][0] + by_outflow[outflow][0]
                amount = by_outflow[origin][1] + by_outflow[outflow][1]
                if (
                    currency.is_zero(amount)
                    and float_round(quantity, precision_rounding=card._get_unit_rounding()) == 0
                ):
                    del by_outflow[origin], by_outflow[outflow]
        lines = []
        total = 0.0
        for outflow, (quantity, amount) in sorted(by_outflow.items(), key=lambda item: (item[0].date, item[0].id)):
            amount = currency.round(amount)
            if currency.is_zero(amount):
                continue
            lines.append(
                self._prepare_service_line(card, outflow, quantity, amount, fiscal_position, tax_on_consumption)
            )
            total += amount
        if not lines:
            return False
        total = currency.round(total)
        sign = -1 if total < 0 else 1
        for line in lines:
            line["price_unit"] *= sign
        if not currency.is_zero(total):
            lines.append(
                {
                    "display_type": "product",
                    "name": self.env._(
                        "Paid from prepaid service %(card)s",
                        card=card.display_name,
                    ),
                    "quantity": 1.0,
                    "price_unit": -abs(total),
                    "account_id": company.prepaid_deferred_account_id.id,
                    "tax_ids": [Command.clear()],
                    "prepaid_service_id": card.id,
                }
            )
        return {
            "move_type": "out_refund" if sign < 0 else "out_invoice",
            "partner_id": partner.id,
            "company_id": company.id,
            "currency_id": currency.id,
            "invoice_date": day,
            "invoice_origin": card.name,
            "invoice_user_id": card.user_id.id,
            "fiscal_position_id": fiscal_position.id,
            "prepaid_consumption_service_id": card.id,
            "prepaid_generated": True,
            "narration": self.env._(
                "Work paid from your prepaid service %(card)s. Balance left: %(balance)s.",
                card=card.display_name,
                balance=card._format_balance(card.quantity_outstanding),
            ),
            "invoice_line_ids": [Command.create(vals) for vals in lines],
        }

    @api.model
    def _prepare_service_line(self, card, outflow, quantity, amount, fiscal_position, tax_on_consumption):
        """One service: the work of one timesheet (or its correction), at the value of the lots it used."""
        origin = outflow.reversed_entry_id or outflow
        timesheet = origin.timesheet_id
        product = origin.product_id or card.product_id
        hour = self.env.ref("uom.product_uom_hour")
        if card.service_type == "amount":
            # a money card counts money: the line counts the hours of the timesheet that money paid for
            share = amount / -origin.quantity if origin.quantity else 0.0
            units, uom = (timesheet.unit_amount * share if timesheet else 0.0), hour
        else:
            units, uom = quantity, card.uom_id
        label = self._get_service_label(card, origin, timesheet, units, uom, correction=bool(outflow.reversed_entry_id))
        quantity, price = self._get_quantity_price(card.currency_id, abs(units), abs(amount))
        taxes = self.env["account.tax"]
        if tax_on_consumption and product:
            taxes = product.taxes_id._filter_taxes_by_company(card.company_id)
            taxes = fiscal_position.map_tax(taxes) if fiscal_position else taxes
        vals = {
            "display_type": "product",
            "name": label,
            "quantity": quantity,
            "price_unit": price if amount > 0 else -price,
            "account_id": card._get_income_account(product).id,
            "tax_ids": [Command.set(taxes.ids)],
            "analytic_distribution": card._get_analytic_distribution() or False,
        }
        # the module's top-up products book to deferred revenue: the line names the service by its account only
        if product and not product.prepaid_ok:
            vals["product_id"] = product.id
            if uom and product.uom_id and uom._has_common_reference(product.uom_id):
                vals["product_uom_id"] = uom.id
        elif uom:
            vals["product_uom_id"] = uom.id
        return vals

    @api.model
    def _get_quantity_price(self, currency, units, amount):
        """(quantity, unit price) that bill exactly amount: the units at their average price when that rounds
        to amount, else one unit at amount (the label says the units)."""
        quantity_digits = self.env["decimal.precision"].precision_get("Product Unit")
        price_digits = self.env["decimal.precision"].precision_get("Product Price")
        quantity = float_round(units, precision_digits=quantity_digits)
        if quantity > 0:
            price = float_round(amount / quantity, precision_digits=price_digits)
            if not currency.compare_amounts(currency.round(quantity * price), amount):
                return quantity, price
        return 1.0, amount

    @api.model
    def _get_service_label(self, card, origin, timesheet, units, uom, correction=False):
        units_label = f"{formatLang(self.env, units, dp='Product Unit')} {uom.name}"
        if timesheet:
            what = " - ".join(
                part
                for part in (
                    timesheet.task_id.name or timesheet.project_id.name,
                    timesheet.name if timesheet.name and timesheet.name != "/" else "",
                )
                if part
            )
            label = self.env._(
                "%(date)s %(employee)s: %(what)s (%(units)s)",
                date=format_date(self.env, timesheet.date),
                employee=timesheet.employee_id.name or "",
                what=what,
                units=units_label,
            )
        else:
            label = self.env._(
                "%(date)s: %(what)s (%(units)s)",
                date=format_date(self.env, origin.date),
                what=origin.name or card.display_name,
                units=units_label,
            )
        if correction:
            label = self.env._("Correction of %(label)s", label=label)
        return label

    @api.model
    def _post_value_differences(self, plans, invoices):
        """Deferred revenue is non-monetary (IFRIC 22): revenue is the value of the lots at receipt. Where the
        invoice moved deferred revenue at another value (a foreign currency at today's rate), the difference
        corrects the revenue of its lines, as the credit used on an invoice does."""
        Move = self.env["account.move"]
        specs = []
        invoice_iter = iter(invoices)
        for card, apps, vals in plans:
            if not vals:
                continue
            invoice = next(invoice_iter)
            company = card.company_id
            deferred = company.prepaid_deferred_account_id
            moved = sum(
                line.balance for line in invoice.line_ids if line.account_id == deferred and line.prepaid_service_id
            )
            difference = company.currency_id.round(sum(apps.mapped("value")) - moved)
            if company.currency_id.is_zero(difference):
                continue
            for account, part in invoice._prepaid_get_revenue_split(difference):
                specs.append(
                    Move._prepaid_prepare_journal_entry_vals(
                        card,
                        amount=part,
                        debit_account=deferred,
                        credit_account=account,
                        ref=self.env._("%s (difference with the lots consumed)", invoice.name),
                        date=invoice.date,
                    )
                )
        if specs:
            Move._prepaid_create_journal_entries(specs)
