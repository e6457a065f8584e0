from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount

from .account_move import _differs
from .prepaid_ledger_allocator import NO_OPTIONS, PostingOptions
from .utils import bulk_update, in_service_scope

# What ties a journal item to a card's ledger: fixed once the item is posted
PREPAID_LINE_FIELDS = frozenset({"prepaid_service_id", "prepaid_period_id", "prepaid_quantity", "prepaid_valid_until"})


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    prepaid_service_id = fields.Many2one(
        "prepaid.service",
        index="btree_not_null",
        check_company=True,
        help="Card whose deferred revenue this line moves.",
    )

    prepaid_period_id = fields.Many2one("prepaid.service.period", index="btree_not_null")
    prepaid_quantity = fields.Float(
        digits="Product Unit", help="Units this line credits or refunds, when not the product's quantity per unit."
    )
    prepaid_valid_until = fields.Date(help="Expiry of the credit this line tops up, when not the card's rule.")

    def write(self, vals):
        if PREPAID_LINE_FIELDS & set(vals) and not in_service_scope():
            posted = self.filtered(
                lambda line: line.parent_state == "posted" and _differs(line, vals, PREPAID_LINE_FIELDS)
            )
            if posted:
                raise UserError(
                    self.env._(
                        "The prepaid service of a posted journal item cannot be changed (%(items)s): its ledger entry "
                        "was posted with it. Reset the document to draft first, or issue a credit note.",
                        items=", ".join(posted.mapped("display_name")),
                    )
                )
        return super().write(vals)

    def _is_prepaid_topup_line(self):
        """A customer invoice or credit note line selling prepaid credit."""
        self.ensure_one()
        return (
            self.display_type == "product"
            and self.move_id.move_type in ("out_invoice", "out_refund")
            and self.product_id.prepaid_ok
        )

    def _is_prepaid_credit_line(self):
        """A customer invoice or credit note line paying with (or giving back) prepaid credit."""
        self.ensure_one()
        return (
            self.display_type == "product"
            and self.move_id.move_type in ("out_invoice", "out_refund")
            and self.prepaid_service_id
            and not self.product_id.prepaid_ok
            and self.account_id == self.company_id.prepaid_deferred_account_id
            # a consumption invoice draws the value of consumption the ledger already holds
            and not self.move_id.prepaid_consumption_service_id
        )

    def _compute_account_id(self):
        res = super()._compute_account_id()
        for line in self:
            if line.display_type == "product" and line.move_id.is_sale_document(include_receipts=True):
                deferred = line.company_id.prepaid_deferred_account_id
                if deferred and (line.product_id.prepaid_ok or (line.prepaid_service_id and not line.product_id)):
                    line.account_id = deferred
        return res

    def _prepaid_origin_usage(self):
        """Usage entries of the invoice lines these credit note lines give credit back to, one per line.

        A credit note may give back all or part of what its invoice used; never more than is left to give back.
        """
        entries = self.env["prepaid.ledger.entry"]
        for line in self:
            origin = line.move_id.reversed_entry_id.line_ids.filtered(
                lambda o, line=line: o.prepaid_service_id == line.prepaid_service_id and o._is_prepaid_credit_line()
            )
            # sudo: what is left to give back counts every usage of the invoice, whatever the user may read
            usages = (
                self.env["prepaid.ledger.entry"]
                .sudo()
                .search(
                    [
                        ("invoice_line_id", "in", origin.ids),
                        ("entry_type", "=", "usage"),
                        ("reversed_entry_id", "=", False),
                    ],
                    order="id",
                )
            )
            back = -line.price_subtotal
            usage = next((u for u in usages if line.currency_id.compare_amounts(u._get_givable(), back) >= 0), None)
            if usage is None:
                raise UserError(
                    self.env._(
                        "The credit note line %(line)s gives back %(back)s of prepaid credit of %(card)s, but its "
                        "invoice has only %(left)s left to give back. Reduce the line to at most that.",
                        line=line.display_name,
                        back=format_amount(self.env, back, line.currency_id),
                        card=line.prepaid_service_id.display_name,
                        left=format_amount(self.env, sum(u._get_givable() for u in usages), line.currency_id),
                    )
                )
            entries |= usage
        return entries

    @api.depends("product_id", "product_uom_id")
    def _compute_tax_ids(self):
        res = super()._compute_tax_ids()
        for line in self:
            if line._is_prepaid_topup_line() and line.company_id.prepaid_tax_timing == "consumption":
                line.tax_ids = False
        return res

    def _prepaid_assign_cards(self):
        """Top-up lines without a card (invoices made by hand) open one per customer and product."""
        missing = self.filtered(lambda line: not line.prepaid_service_id)
        if not missing:
            return
        groups = defaultdict(lambda: self.env["account.move.line"])
        for line in missing:
            if line.move_id.move_type == "out_refund":
                origin = line.move_id.reversed_entry_id.line_ids.filtered(
                    lambda o, line=line: o.product_id == line.product_id and o.prepaid_service_id
                )[:1]
                if origin:
                    line.prepaid_service_id = origin.prepaid_service_id
                    continue
                raise UserError(
                    self.env._(
                        "The credit note line %(line)s takes back prepaid credit: choose the prepaid service it "
                        "refunds.",
                        line=line.display_name,
                    )
                )
            groups[(line.move_id, line.product_id)] |= line
        card_vals = []
        for (move, product), lines in groups.items():
            product.product_tmpl_id._ensure_prepaid_periodic_terms(move.name)
            card_vals.append(
                {
                    **product.product_tmpl_id._prepare_prepaid_card_vals(
                        quantity=sum(line._get_prepaid_product_quantity() for line in lines),
                        currency=move.currency_id,
                        company=move.company_id,
                        date=move.invoice_date or move.date,
                    ),
                    "partner_id": move.partner_id.id,
                    "company_id": move.company_id.id,
                    "currency_id": move.currency_id.id,
                    "date_start": move.invoice_date or move.date,
                    "user_id": move.invoice_user_id.id or self.env.user.id,
                }
            )
        # sudo: the card takes its pricing from the product, which only a prepaid manager may set by hand
        cards = self.env["prepaid.service"].sudo().create(card_vals)
        # Only the link to the card changes (no amount, tax or account, nothing computed from it), and
        # each card was opened in its line's company: one UPDATE for all the lines instead of a posted
        # line's full write, whose dynamic-line sync costs more than the posting itself.
        bulk_update(
            self.env["account.move.line"],
            ["prepaid_service_id"],
            [(line.id, card.id) for lines, card in zip(groups.values(), cards, strict=True) for line in lines],
        )
        # an invoice made by hand that opens a periodic card is its first period's, like an order's invoice
        opened = [
            (lines, card) for lines, card in zip(groups.values(), cards, strict=True) if card.accrual == "periodic"
        ]
        if not opened:
            return
        periods = self.env["prepaid.service.period"]._create_opening_periods(
            [{"service_id": card.id, "invoice_id": lines.move_id.id} for lines, card in opened]
        )
        rows = []
        for (lines, card), period in zip(opened, periods, strict=True):
            for line in lines:
                credit = line.product_id.product_tmpl_id._get_prepaid_period_terms(
                    quantity=line._get_prepaid_product_quantity(),
                    currency=card.currency_id,
                    company=card.company_id,
                    date=card.date_start,
                )["period_allowance"]
                vals = period._get_opening_line_vals(credit)
                rows.append(
                    (line.id, vals["prepaid_period_id"], vals["prepaid_quantity"], vals["prepaid_valid_until"] or None)
                )
        bulk_update(
            self.env["account.move.line"], ["prepaid_period_id", "prepaid_quantity", "prepaid_valid_until"], rows
        )

    def _prepaid_get_new_card(self):
        """The card posting this top-up line would open, unsaved: its unit or currency, for what the invoice says."""
        self.ensure_one()
        return self.product_id._prepaid_new_card(self.move_id.currency_id)

    def _get_prepaid_product_quantity(self):
        """This line's quantity in its product's own unit."""
        self.ensure_one()
        return self.product_id._get_quantity_in_own_uom(self.quantity, self.product_uom_id)

    @api.model
    def _prepaid_settle_document_difference(self, entries, document_lines=None):
        """Post what the document's deferred revenue line and the lots' value disagree on.

        A document moves deferred revenue at its own price and rate; the ledger releases (or gives back)
        the value of the lots. Deferred revenue is non-monetary (IFRIC 22): credit used on an invoice, or
        given back by its credit note, recognises the lots' value, so the difference corrects the revenue
        of the document's lines. Only money going back to the customer (a refund of a top-up) has an
        exchange difference (foreign currency) or a breakage difference (same currency).

        document_lines: the document line of each entry, when it is not the entry's own invoice line
        (a credit note giving back credit reverses the usage of the original invoice's line).
        """
        document_lines = document_lines or [entry.invoice_line_id for entry in entries]
        specs = []
        for entry, line in zip(entries, document_lines, strict=True):
            if not line:
                continue
            company = entry.company_id
            difference = entry.value + line.balance
            if company.currency_id.is_zero(difference):
                continue
            origin = entry.reversed_entry_id or entry
            card = entry.service_id
            if origin.entry_type == "usage":
                split = line.move_id._prepaid_get_revenue_split(difference)
            elif line.currency_id != company.currency_id:
                account = (
                    company.expense_currency_exchange_account_id
                    if difference > 0
                    else company.income_currency_exchange_account_id
                )
                split = [(account, difference)]
            else:
                split = [(company.prepaid_breakage_account_id, difference)]
            for account, part in split:
                specs.append(
                    self.env["account.move"]._prepaid_prepare_journal_entry_vals(
                        card,
                        amount=-part,
                        debit_account=company.prepaid_deferred_account_id,
                        credit_account=account,
                        ref=self.env._("%s (difference with the lots consumed)", entry._get_move_ref()),
                        date=entry.date,
                        analytic_distribution=card._get_analytic_distribution(),
                        entry=entry,
                    )
                )
        if specs:
            self.env["account.move"]._prepaid_create_journal_entries(specs)

    def _prepaid_get_entry_quantity(self, entry_type):
        """What this line moves on its card, in the card's unit (its currency for a money balance), unsigned.

        Without a card yet (a top-up line of a draft invoice made by hand), in the unit of the product sold.
        """
        self.ensure_one()
        card = self.prepaid_service_id
        if entry_type == "usage":
            return -self.price_subtotal
        if self.prepaid_quantity:
            # already in the card's unit; the product must still credit a unit the card can count
            if self.product_id and card:
                self.product_id._ensure_prepaid_uom_convertible(card)
            return self.prepaid_quantity
        if (card.service_type or self.product_id.prepaid_service_type) == "amount":
            return self.price_subtotal
        return self.product_id._get_prepaid_quantity(self.quantity, self.product_uom_id, card=card or None)

    def _prepaid_prepare_entry_vals(self, entry_type):
        self.ensure_one()
        card = self.prepaid_service_id
        move = self.move_id
        sign = 1 if entry_type == "receipt" else -1
        if entry_type == "usage" and card.service_type != "amount":
            raise UserError(
                self.env._(
                    "Only prepaid money balances can pay invoices; %(card)s holds %(unit)s.",
                    card=card.display_name,
                    unit=card.uom_id.name,
                )
            )
        quantity = self._prepaid_get_entry_quantity(entry_type)
        vals = {
            "service_id": card.id,
            "entry_type": entry_type,
            "date": move.date,
            "quantity": sign * quantity,
            "currency_id": move.currency_id.id,
            "invoice_line_id": self.id,
            "move_id": move.id,
            "sale_line_id": self.sale_line_ids[:1].id,
            "product_id": (self.product_id or card.product_id).id,
            "name": self.name or move.name,
        }
        if entry_type == "receipt":
            vals.update(
                amount=self.price_subtotal,
                value=-self.balance,
                awaiting_payment=self.env["prepaid.payment.hold"]._awaits_payment(self),
            )
            if self.prepaid_valid_until or self.prepaid_period_id:
                vals["valid_until"] = self.prepaid_valid_until
            elif self.product_id.prepaid_validity_interval:
                # each lot lasts as long as the product sold says; the card's rule is the fallback
                vals["valid_until"] = self.product_id.product_tmpl_id._get_prepaid_valid_until(move.date)
        options = NO_OPTIONS
        if entry_type == "refund":
            origin = self._prepaid_origin_topup()
            if origin:
                options = PostingOptions(apply_to=origin.id)
                # a line in units of the product cannot always say what is left (0.4375 units of 20 h
                # round to 0.44 = 8.8 h): within one step of the line's rounding, refund exactly what is left
                step = self.product_id._get_prepaid_quantity(
                    10 ** -self.env["decimal.precision"].precision_get("Product Unit"), self.product_uom_id
                )
                excess = quantity - origin.remaining_quantity
                if not self.prepaid_quantity and 0 < excess <= step + 1e-9:
                    vals["quantity"] = -origin.remaining_quantity
        return vals, options

    def _prepaid_origin_topup(self):
        """The top-up lot this credit note line refunds: the one of its own line on the original invoice.

        Lines of the credit note and of the invoice are paired by card, product and price, in order, so that
        each credit note line of a two-line top-up refunds its own lot.
        """
        self.ensure_one()
        # sudo: the refund must find the invoice's every lot, whatever the user may read
        Entry = self.env["prepaid.ledger.entry"].sudo()
        lots = Entry.search(
            [
                ("invoice_line_id", "in", self.move_id.reversed_entry_id.line_ids.ids),
                ("service_id", "=", self.prepaid_service_id.id),
                ("is_inflow", "=", True),
                ("reversal_entry_ids", "=", False),
            ],
            order="id",
        )
        if len(lots) <= 1:
            return lots
        siblings = self.move_id.invoice_line_ids.filtered(
            lambda line: line.prepaid_service_id == self.prepaid_service_id and line.product_id == self.product_id
        ).sorted("sequence")
        candidates = lots.filtered(lambda lot: lot.invoice_line_id.product_id == self.product_id) or lots
        same_price = candidates.filtered(
            lambda lot: not self.currency_id.compare_amounts(lot.invoice_line_id.price_unit, self.price_unit)
        )
        ordered = list(same_price) + [lot for lot in candidates if lot not in same_price]
        same_price_siblings = siblings.filtered(
            lambda line: not self.currency_id.compare_amounts(line.price_unit, self.price_unit)
        )
        position = list(same_price_siblings).index(self) if self in same_price_siblings else 0
        return ordered[min(position, len(ordered) - 1)]
