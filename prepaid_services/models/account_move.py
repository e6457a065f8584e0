from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from .prepaid_ledger_allocator import NO_OPTIONS, PostingOptions
from .utils import bulk_update, clean_env, in_service_scope, service_scope

# Links between documents and the ledger: set by the module's own code only
# Line pairs of one batch journal entry (expiry run, timesheet import): Odoo creates and posts a journal entry of a
# few hundred lines at a steady cost per line, beyond that at a growing one (measured by `make bench`)
MAX_CARDS_PER_BATCH_ENTRY = 100

PREPAID_MOVE_FIELDS = frozenset(
    {"prepaid_service_id", "prepaid_entry_id", "prepaid_generated", "prepaid_consumption_service_id"}
)


def _unzip(pairs):
    """[(vals, options)] -> ([vals], [options]), the two lists _post_entries takes."""
    pairs = list(pairs)
    return [vals for vals, _options in pairs], [options for _vals, options in pairs]


def _differs(record, vals, fnames):
    """Whether vals would change any of fnames on record (relational values compared by id)."""
    for fname in fnames & set(vals):
        current = record[fname]
        if isinstance(current, models.BaseModel):
            current = current.id
        if (current or False) != (vals[fname] or False):
            return True
    return False


class AccountMove(models.Model):
    _inherit = "account.move"

    prepaid_service_id = fields.Many2one("prepaid.service", index="btree_not_null", copy=False, readonly=True)
    prepaid_entry_id = fields.Many2one(
        "prepaid.ledger.entry",
        string="Prepaid Ledger Entry",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="Ledger entry whose value this journal entry moves.",
    )
    prepaid_entry_ids = fields.One2many(
        "prepaid.ledger.entry", "move_id", string="Prepaid Ledger Entries", readonly=True
    )
    prepaid_credit_available = fields.Boolean(
        compute="_compute_prepaid_credit_available",
        help="The customer has an open prepaid money balance in this invoice's company and currency.",
    )
    prepaid_consumption_service_id = fields.Many2one(
        "prepaid.service",
        string="Consumption of",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="Consumption invoice: it bills the work this prepaid service paid for and draws the same value from "
        "deferred revenue (prepaid.consumption.invoice).",
    )
    prepaid_service_count = fields.Integer(
        string="Prepaid Services Count",
        compute="_compute_prepaid_service_count",
        groups="prepaid_services.group_prepaid_user",
    )
    prepaid_topup_summary = fields.Char(
        string="Prepaid Credit",
        compute="_compute_prepaid_topup_summary",
        groups="prepaid_services.group_prepaid_user",
        help="What this document does to prepaid services: the cards it tops up, pays with, or gives back to.",
    )
    prepaid_generated = fields.Boolean(
        string="Posted by Prepaid Services",
        readonly=True,
        copy=False,
        help="Recognition, breakage or adjustment entry posted from the prepaid ledger: only the ledger changes it.",
    )

    @api.depends("line_ids.prepaid_service_id")
    def _compute_prepaid_service_count(self):
        for move in self:
            move.prepaid_service_count = len(move.line_ids.prepaid_service_id)

    @api.depends(
        "move_type",
        "invoice_line_ids.prepaid_service_id",
        "invoice_line_ids.product_id",
        "invoice_line_ids.quantity",
        "invoice_line_ids.price_subtotal",
        "invoice_line_ids.prepaid_quantity",
    )
    def _compute_prepaid_topup_summary(self):
        Card = self.env["prepaid.service"]
        for move in self:
            descriptions = []
            if move.move_type in ("out_invoice", "out_refund"):
                refund = move.move_type == "out_refund"
                effects = defaultdict(float)  # (kind, card) -> figure
                for line in move.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
                    if line.product_id.prepaid_ok:
                        kind = "take_back" if refund else ("topup" if line.prepaid_service_id else "open")
                        try:
                            figure = line._prepaid_get_entry_quantity("receipt")
                        except UserError:
                            continue  # a unit the card cannot count: posting refuses it and says why
                        effects[kind, line.prepaid_service_id or line._prepaid_get_new_card()] += figure
                    elif line.prepaid_service_id:
                        effects["give_back" if refund else "pay", line.prepaid_service_id] += line.price_subtotal
                descriptions = [card._describe_credit(kind, figure) for (kind, card), figure in effects.items()]
            move.prepaid_topup_summary = Card._join_descriptions(descriptions)

    def action_view_prepaid_services(self):
        """Smart button: the prepaid services this document tops up, pays with or moves."""
        self.ensure_one()
        cards = self.line_ids.prepaid_service_id
        action = self.env["ir.actions.act_window"]._for_xml_id("prepaid_services.action_prepaid_service")
        action["domain"] = [("id", "in", cards.ids)]
        action["context"] = {"create": False}
        if len(cards) == 1:
            action.update(views=[(False, "form")], view_mode="form", res_id=cards.id)
        return action

    def write(self, vals):
        if "state" in vals and not in_service_scope():
            self._prepaid_guard_state_write(vals["state"])
        if PREPAID_MOVE_FIELDS & set(vals) and not in_service_scope():
            changed = self.filtered(lambda m: _differs(m, vals, PREPAID_MOVE_FIELDS))
            if changed:
                raise UserError(
                    self.env._("The link between a journal entry and the prepaid ledger cannot be changed.")
                )
        return super().write(vals)

    def _post(self, soft=True):
        if not any(move.move_type in ("out_invoice", "out_refund") for move in self):
            with service_scope():  # Odoo's posting writes the state; a client's write of it is refused
                return super()._post(soft=soft)
        # a document and its ledger are posted or refused together, even for a caller that catches the error
        with self.env.cr.savepoint():
            # the customer's cards that pay by themselves do so before the invoice posts, so it posts paid
            self.env["prepaid.auto.settlement"]._settle_invoices(self)
            self._prepaid_ensure_cards_match()
            with service_scope():
                posted = super()._post(soft=soft)
            posted.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))._prepaid_post_topups()
        return posted

    def _prepaid_guard_state_write(self, state):
        """The state a client writes goes through the ledger as the buttons do: leaving posted undoes the
        document's ledger entries (or is refused), and posting is Confirm's job, which moves the ledger."""
        leaving = self.filtered(lambda m: m.state == "posted" and state != "posted")
        if leaving:
            leaving._prepaid_refuse_if_generated()
            leaving._prepaid_unpost()
        if state == "posted":
            entering = self.filtered(
                lambda m: (
                    m.state != "posted"
                    and (
                        m.prepaid_generated
                        or m.line_ids.filtered(lambda line: line.prepaid_service_id or line.product_id.prepaid_ok)
                    )
                )
            )
            if entering:
                raise UserError(
                    self.env._(
                        "%(moves)s moves prepaid credit: post it with its Confirm button, which moves the cards.",
                        moves=", ".join(entering.mapped("display_name")),
                    )
                )

    def _prepaid_refuse_if_generated(self):
        """Journal entries the ledger posted change only through the ledger: no reset, reverse or cancel."""
        if in_service_scope():
            return
        generated = self.filtered("prepaid_generated")
        consumption = generated.filtered("prepaid_consumption_service_id")
        if consumption:
            raise UserError(
                self.env._(
                    "%(moves)s invoices work paid from a prepaid service: resetting, reversing, cancelling or "
                    "deleting it would leave that work without revenue. Correct or delete the timesheet instead: "
                    "its correcting invoice or credit note follows by itself.",
                    moves=", ".join(consumption.mapped("display_name")),
                )
            )
        if generated:
            raise UserError(
                self.env._(
                    "%(moves)s was posted by Prepaid Services from the ledger: resetting, reversing, cancelling or "
                    "deleting it would leave deferred revenue out of step with the cards. Correct the card with a "
                    "new ledger entry (Create Ledger Entry on the prepaid service) instead.",
                    moves=", ".join(generated.mapped("display_name")),
                )
            )

    @api.depends("prepaid_generated")
    def _compute_show_reset_to_draft_button(self):
        res = super()._compute_show_reset_to_draft_button()
        # the ledger's own documents change only through the ledger: no button that can only refuse
        self.filtered("prepaid_generated").show_reset_to_draft_button = False
        return res

    def button_draft(self):
        self._prepaid_refuse_if_generated()  # early, before Odoo drops the analytic lines; write() unposts the ledger
        return super().button_draft()

    def button_cancel(self):
        self._prepaid_refuse_if_generated()
        return super().button_cancel()

    def _reverse_moves(self, default_values_list=None, cancel=False):
        self._prepaid_refuse_if_generated()
        return super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_prepaid_generated(self):
        self._prepaid_refuse_if_generated()

    def _prepaid_ensure_cards_match(self):
        """Every card on a document belongs to its customer, company and currency, whatever the screen allowed."""
        for line in self.line_ids.filtered("prepaid_service_id"):
            card, move = line.prepaid_service_id, line.move_id
            if move.move_type not in ("out_invoice", "out_refund"):
                continue
            if card.commercial_partner_id != move.commercial_partner_id:
                raise UserError(
                    self.env._(
                        "%(move)s is for %(partner)s, but its line %(line)s uses the prepaid service %(card)s of "
                        "%(owner)s. A customer's prepaid credit only pays that customer's documents: remove the "
                        "line or choose a card of %(partner)s.",
                        move=move.display_name,
                        partner=move.commercial_partner_id.display_name,
                        line=line.name or line.product_id.display_name,
                        card=card.display_name,
                        owner=card.commercial_partner_id.display_name,
                    )
                )
            if card.company_id != move.company_id or card.currency_id != move.currency_id:
                raise UserError(
                    self.env._(
                        "The prepaid service %(card)s is kept by %(company)s in %(currency)s; %(move)s is of "
                        "%(move_company)s in %(move_currency)s. Use a card of the document's company and currency.",
                        card=card.display_name,
                        company=card.company_id.name,
                        currency=card.currency_id.name,
                        move=move.display_name,
                        move_company=move.company_id.name,
                        move_currency=move.currency_id.name,
                    )
                )

    # ------------------------------------------------------------------
    # The one builder of the journal entries the module posts
    # ------------------------------------------------------------------
    @api.model
    def _prepaid_prepare_journal_entry_vals(
        self,
        card,
        amount,
        debit_account,
        credit_account,
        ref,
        date,
        analytic_distribution=None,
        product=False,
        entry=False,
    ):
        """Vals of a journal entry moving amount (company currency) from credit to debit account.

        A negative amount swaps the sides. Both lines name the card so that the deferred revenue
        account can be reconciled against the ledger card by card; the non-deferred line carries
        the analytic distribution.
        """
        card.ensure_one()
        company = card.company_id
        if not debit_account or not credit_account:
            raise UserError(
                self.env._(
                    "Set the deferred revenue account and the recognition journal of %(company)s in "
                    "Settings > Prepaid Services.",
                    company=company.name,
                )
            )
        if amount < 0:
            amount, debit_account, credit_account = -amount, credit_account, debit_account
        deferred = company.prepaid_deferred_account_id
        if analytic_distribution is None:
            analytic_distribution = card._get_analytic_distribution()
        journal = company.prepaid_journal_id or self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "general")], limit=1
        )
        if not journal:
            raise UserError(
                self.env._(
                    "Set the recognition journal of %(company)s in Settings > Prepaid Services.", company=company.name
                )
            )
        date = card._get_accounting_date(date)

        def line(account, debit, credit):
            return Command.create(
                {
                    "account_id": account.id,
                    "name": ref,
                    "debit": debit,
                    "credit": credit,
                    "partner_id": card.commercial_partner_id.id,
                    "prepaid_service_id": card.id,
                    "product_id": product.id if product and account != deferred else False,
                    "analytic_distribution": analytic_distribution if account != deferred else False,
                }
            )

        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "company_id": company.id,
            "date": date,
            "ref": ref,
            "partner_id": card.commercial_partner_id.id,
            "prepaid_service_id": card.id,
            "prepaid_entry_id": entry.id if entry else False,
            "line_ids": [line(debit_account, amount, 0.0), line(credit_account, 0.0, amount)],
        }

    @api.model
    def _prepaid_create_journal_entries(self, vals_list):
        """Create and post journal entries prepared by _prepaid_prepare_journal_entry_vals()."""
        # Entries of the module's own journal: no chatter on creation, nobody to subscribe (as Odoo's own
        # exchange difference entries), which spares Odoo's mail machinery on every consumption.
        # A clean context: the analytic lines Odoo derives from these journal items must not inherit the
        # screen's defaults (is_timesheet, default_project_id...) and become timesheets themselves.
        # sudo: the user who logs time or posts an invoice needs no accounting rights for the entries it causes.
        env = clean_env(self.env)
        with service_scope():
            moves = (
                env["account.move"]
                .sudo()
                .with_context(
                    skip_invoice_sync=True, mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
                )
                .create([{**vals, "prepaid_generated": True} for vals in vals_list])
            )
            moves.action_post()
        return self.env["account.move"].browse(moves.ids)

    @api.model
    def _prepaid_create_value_moves(self, entries, allocator, posting_info):
        """Post the journal entries that move the value the applications of a posting carried."""
        specs = []
        info_by_entry = dict(zip(entries, posting_info, strict=True))
        for entry, value in allocator.value_by_outflow().items():
            if entry.company_currency_id.is_zero(value):
                continue
            if (
                entry.invoice_line_id
                and entry.entry_type == "usage"
                and not entry.reversed_entry_id
                and entry not in entries
            ):
                # credit used on an invoice beyond the balance, settled by a later top-up: its invoice could only
                # defer that revenue, the lots recognise it now
                for account, part in entry.invoice_line_id.move_id._prepaid_get_revenue_split(value):
                    specs.append((entry, part, account))
                continue
            if not entry._needs_value_move():
                continue
            if entry._is_summarised_daily():
                continue
            info = info_by_entry.get(entry, NO_OPTIONS)
            counterpart = self.env["account.account"].browse(info.counterpart_account)
            entry._ensure_counterpart_account(counterpart)
            specs.append((entry, value, entry._get_counterpart_account(counterpart)))
        for entry in entries.filtered(lambda e: e.is_inflow and e._needs_value_move()):
            if entry.company_currency_id.is_zero(entry.value):
                continue
            counterpart = self.env["account.account"].browse(info_by_entry[entry].counterpart_account)
            entry._ensure_counterpart_account(counterpart)
            if not counterpart:
                raise UserError(
                    self.env._(
                        "A valued adjustment of %(card)s needs the account that pays for it.",
                        card=entry.service_id.display_name,
                    )
                )
            # Inflow: the value comes from the counterpart into deferred revenue (a negative outflow)
            specs.append((entry, -entry.value, counterpart))
        if not specs:
            return
        # One journal entry per consumption or adjustment; expiries of a run share one per company and day
        move_vals_list = []
        move_entries = []
        grouped = {}
        line_index = {}  # batch journal entry -> its lines by _line_key, kept along instead of rebuilt
        for entry, value, counterpart in specs:
            deferred = entry.company_id.prepaid_deferred_account_id
            vals = self.env["account.move"]._prepaid_prepare_journal_entry_vals(
                entry.service_id,
                amount=value,
                debit_account=deferred,
                credit_account=counterpart,
                ref=entry._get_move_ref(),
                date=max(entry.date, allocator.settle_date.get(entry, entry.date)),
                product=entry.product_id,
                entry=entry,
            )
            # A batch (an expiry run, a timesheet import) shares one journal entry per company, day and kind;
            # each line pair still names its card and its ledger entry in the label.
            kind = "expiry" if entry.entry_type == "expiry" else "usage" if entry.entry_type == "usage" else None
            if kind and not entry.reversed_entry_id and len(specs) > 1:
                key = (kind, vals["company_id"], vals["journal_id"], vals["date"])
                if key in grouped and len(move_entries[grouped[key]]) >= MAX_CARDS_PER_BATCH_ENTRY:
                    del grouped[key]  # full: the next line pairs open the next journal entry of the day
                if key in grouped:
                    index = grouped[key]
                    _merge_move_lines(move_vals_list[index]["line_ids"], vals["line_ids"], line_index[index])
                    move_vals_list[index].update(prepaid_service_id=False, prepaid_entry_id=False, partner_id=False)
                    move_entries[index].append(entry)
                    continue
                grouped[key] = len(move_vals_list)
                line_index[len(move_vals_list)] = {_line_key(c[2]): c[2] for c in vals["line_ids"]}
                if kind == "expiry":
                    vals["ref"] = self.env._("Expired prepaid balances")
            move_vals_list.append(vals)
            move_entries.append([entry])
        moves = self.env["account.move"]._prepaid_create_journal_entries(move_vals_list)
        links = []
        for entries, move in zip(move_entries, moves, strict=True):
            for entry in entries:
                allocator.link_move(entry, move)
                if not entry.move_id:
                    links.append((entry.id, move.id))
        bulk_update(self.env["prepaid.ledger.entry"], ["move_id"], links)
        allocator.flush_move_links()

    # ------------------------------------------------------------------
    # Top-up invoices and their credit notes
    # ------------------------------------------------------------------
    def _prepaid_post_topups(self):
        """Posting a customer document moves prepaid credit: top-ups, refunds, credit used."""
        Entry = self.env["prepaid.ledger.entry"]
        credit_lines = self.line_ids.filtered(lambda line: line._is_prepaid_credit_line())
        # a credit note of an invoice that paid with prepaid credit gives that credit back
        restored = credit_lines.filtered(lambda line: line.move_id.move_type == "out_refund")
        for credit_note in restored.move_id:
            lines = restored.filtered(lambda line, move=credit_note: line.move_id == move)
            usages = lines._prepaid_origin_usage()
            given_back = Entry._post_entries(
                [
                    {
                        "service_id": usage.service_id.id,
                        "entry_type": "usage",
                        "reversed_entry_id": usage.id,
                        # all or part of the credit the invoice used: what this line gives back
                        "quantity": -line.price_subtotal,
                        "date": credit_note.date,
                        "name": self.env._("Credit note %s", credit_note.name),
                        "product_id": usage.product_id.id,
                        "invoice_line_id": line.id,
                    }
                    for line, usage in zip(lines, usages, strict=True)
                ],
                [PostingOptions(partial=True)] * len(lines),
            )
            # each reversal follows its usage, one usage per credit note line
            self.env["account.move.line"]._prepaid_settle_document_difference(given_back, list(lines))
        usages = Entry._post_entries(
            *_unzip(
                line._prepaid_prepare_entry_vals("usage")
                for line in credit_lines.filtered(lambda line: line.move_id.move_type == "out_invoice")
            )
        )

        lines = self.line_ids.filtered(lambda line: line._is_prepaid_topup_line())
        if lines:
            lines._prepaid_assign_cards()
            Entry._post_entries(
                *_unzip(
                    line._prepaid_prepare_entry_vals("receipt")
                    for line in lines.filtered(lambda line: line.move_id.move_type == "out_invoice")
                )
            )
            usages |= Entry._post_entries(
                *_unzip(
                    line._prepaid_prepare_entry_vals("refund")
                    for line in lines.filtered(lambda line: line.move_id.move_type == "out_refund")
                )
            )
        self.env["account.move.line"]._prepaid_settle_document_difference(usages)

    # ------------------------------------------------------------------
    # Prepaid credit on invoices
    # ------------------------------------------------------------------
    def _prepaid_get_revenue_split(self, amount):
        """[(income account, part)] of amount, pro rata the revenue of this document's paid lines."""
        self.ensure_one()
        currency = self.company_id.currency_id
        by_account = defaultdict(float)
        for line in self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and not line.prepaid_service_id
        ):
            by_account[line.account_id] += line.balance
        total = sum(by_account.values())
        if currency.is_zero(total):
            raise UserError(
                self.env._(
                    "%(move)s pays with prepaid credit but has no line whose revenue the credit pays.",
                    move=self.display_name,
                )
            )
        split, rest = [], amount
        accounts = list(by_account)
        for account in accounts[:-1]:
            part = currency.round(amount * by_account[account] / total)
            split.append((account, part))
            rest -= part
        split.append((accounts[-1], currency.round(rest)))
        return split

    @api.depends("move_type", "state", "commercial_partner_id", "company_id", "currency_id")
    def _compute_prepaid_credit_available(self):
        """Apply Prepaid Credit shows only where it can do something: one read for all the draft invoices."""
        drafts = self.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "draft" and m.commercial_partner_id
        )
        (self - drafts).prepaid_credit_available = False
        if not drafts:
            return
        groups = self.env["prepaid.service"]._read_group(
            [
                ("commercial_partner_id", "in", drafts.commercial_partner_id.ids),
                ("service_type", "=", "amount"),
                ("closed", "=", False),
                ("amount_outstanding", ">", 0),
            ],
            ["commercial_partner_id", "company_id", "currency_id"],
        )
        open_balances = {(partner.id, company.id, currency.id) for partner, company, currency in groups}
        for move in drafts:
            move.prepaid_credit_available = (
                move.commercial_partner_id.id,
                move.company_id.id,
                move.currency_id.id,
            ) in open_balances

    def _prepaid_get_available_cards(self):
        """Open money cards of the customer that can pay this invoice, in drawdown order."""
        self.ensure_one()
        cards = self.env["prepaid.service"].search(
            [
                ("commercial_partner_id", "=", self.commercial_partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("currency_id", "=", self.currency_id.id),
                ("service_type", "=", "amount"),
                ("closed", "=", False),
                ("amount_outstanding", ">", 0),
            ]
        )
        day = self.invoice_date or fields.Date.context_today(self)
        cards = cards.filtered(lambda c: c.date_start <= day and (not c.date_end or day <= c.date_end))
        return cards._sorted_for_drawdown(day)

    def action_apply_prepaid_credit(self):
        """Apply Prepaid Credit: the wizard that asks how much of the customer's money balance pays this invoice."""
        self.ensure_one()
        self._prepaid_ensure_credit_applicable()
        wizard = self.env["prepaid.credit.wizard"].create({"move_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Apply Prepaid Credit"),
            "res_model": "prepaid.credit.wizard",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _prepaid_ensure_credit_applicable(self):
        """Refuse with what to do where prepaid credit cannot pay this invoice."""
        self.ensure_one()
        if self.move_type != "out_invoice" or self.state != "draft":
            raise UserError(self.env._("Prepaid credit can only be applied to draft customer invoices."))
        if not self.company_id.prepaid_deferred_account_id:
            raise UserError(self.env._("Set the deferred revenue account in Settings > Prepaid Services first."))
        if not self._prepaid_get_available_cards():
            raise UserError(
                self.env._(
                    "%(partner)s has no open prepaid money balance in %(currency)s to pay %(move)s with.",
                    partner=self.commercial_partner_id.display_name,
                    currency=self.currency_id.name,
                    move=self.display_name,
                )
            )
        if self.currency_id.compare_amounts(self._prepaid_get_credit_due(), 0) <= 0:
            raise UserError(self.env._("%s is already fully paid with prepaid credit.", self.display_name))

    def _prepaid_get_card_credit(self, cards):
        """{card: what it can still pay on this invoice}: its balance usable now (not top-ups awaiting payment) less
        its credit lines already here."""
        self.ensure_one()
        credit = {}
        for card in cards:
            on_invoice = -sum(
                self.invoice_line_ids.filtered(lambda line, card=card: line.prepaid_service_id == card).mapped(
                    "price_subtotal"
                )
            )
            credit[card] = self.currency_id.round(card._get_available_balance() - on_invoice)
        return credit

    def _prepaid_get_credit_bases(self):
        """{taxes: untaxed amount prepaid credit can still pay}, per tax group of the paid lines.

        Taxes follow the lines they pay when tax was charged on the top-up; otherwise the credit pays
        the untaxed amount and the invoice charges the tax.
        """
        self.ensure_one()
        # top-ups on the invoice are not paid with credit (credit buying itself)
        paid_lines = self.invoice_line_ids.filtered(
            lambda line: (
                line.display_type == "product" and not line.prepaid_service_id and not line.product_id.prepaid_ok
            )
        )
        tax_on_topup = self.company_id.prepaid_tax_timing == "topup"
        bases = defaultdict(float)
        for line in paid_lines:
            bases[line.tax_ids if tax_on_topup else self.env["account.tax"]] += line.price_subtotal
        already = -sum(self.invoice_line_ids.filtered("prepaid_service_id").mapped("price_subtotal"))
        for taxes, base in bases.items():
            used = min(already, base)
            bases[taxes] = base - used
            already -= used
        return bases

    def _prepaid_get_credit_due(self):
        """What prepaid credit can still pay on this invoice, before taxes."""
        self.ensure_one()
        return self.currency_id.round(max(sum(self._prepaid_get_credit_bases().values()), 0.0))

    def _prepaid_add_credit_lines(self, cards, limit=None, raise_if_nothing=True, drawn=None):
        """One credit line per card and tax group, drawing the cards in their order, up to limit (default:
        as far as the cards go).

        drawn: {card: credit other invoices of the same posting drew}, updated here (automatic settlement posts
        a batch at once). Returns whether lines were added.
        """
        self.ensure_one()
        currency = self.currency_id
        drawn = {} if drawn is None else drawn
        available = {
            card: credit - drawn.get(card, 0.0) for card, credit in self._prepaid_get_card_credit(cards).items()
        }
        left = limit
        commands = []
        for taxes, base in self._prepaid_get_credit_bases().items():
            for card in cards:
                if currency.compare_amounts(base, 0) <= 0 or (
                    left is not None and currency.compare_amounts(left, 0) <= 0
                ):
                    break
                amount = currency.round(min(base, available[card], left if left is not None else base))
                if currency.compare_amounts(amount, 0) <= 0:
                    continue
                commands.append(
                    Command.create(
                        {
                            "display_type": "product",
                            "name": self.env._("Prepaid credit %(card)s", card=card.display_name),
                            "quantity": 1.0,
                            "price_unit": -amount,
                            "account_id": self.company_id.prepaid_deferred_account_id.id,
                            "tax_ids": [Command.set(taxes.ids)],
                            "prepaid_service_id": card.id,
                            "analytic_distribution": card._get_analytic_distribution() or False,
                        }
                    )
                )
                available[card] -= amount
                base -= amount
                if left is not None:
                    left -= amount
        for command in commands:
            card = self.env["prepaid.service"].browse(command[2]["prepaid_service_id"])
            drawn[card] = drawn.get(card, 0.0) - command[2]["price_unit"]
        if not commands:
            if not raise_if_nothing:
                return False
            raise UserError(self.env._("%s is already fully paid with prepaid credit.", self.display_name))
        # the screen's defaults (default_discount, default_tax_ids...) must not reach the credit lines
        self.with_env(clean_env(self.env)).write({"invoice_line_ids": commands})
        return True

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        self.env["prepaid.payment.hold"]._sync_invoices(self)  # top-ups usable once paid open now
        return res

    def _prepaid_unpost(self):
        """Undo the ledger entries of documents reset to draft or cancelled; refuse if credit was used."""
        posted = self.filtered(lambda m: m.state == "posted")
        if not posted:
            return
        # sudo: the checks below must see every ledger entry of these documents, whatever the user may read
        Entry = self.env["prepaid.ledger.entry"].sudo()
        entries = Entry.search(
            [
                ("invoice_line_id", "in", posted.line_ids.ids),
                ("reversed_entry_id", "=", False),
                ("reversal_entry_ids", "=", False),
            ]
        )
        # credit a credit note of these documents gave back to the cards
        restores = Entry.search(
            [
                ("invoice_line_id", "in", posted.filtered(lambda m: m.move_type == "out_refund").line_ids.ids),
                ("reversed_entry_id", "!=", False),
                ("reversed_entry_id.is_inflow", "=", False),
                ("reversal_entry_ids", "=", False),
            ]
        )
        given_back = (
            Entry.search(
                [
                    ("invoice_line_id", "in", posted.filtered(lambda m: m.move_type == "out_invoice").line_ids.ids),
                    ("entry_type", "=", "usage"),
                    ("reversed_entry_id", "=", False),
                ]
            )
            .reversal_entry_ids.filtered(lambda r: r.invoice_line_id.move_id.move_type == "out_refund")
            .filtered(lambda r: not r.reversal_entry_ids)
        )
        if given_back:
            raise UserError(
                self.env._(
                    "The prepaid credit used on %(move)s was given back by %(credit_notes)s: reset or cancel that "
                    "credit note first, then this invoice.",
                    move=", ".join(given_back.reversed_entry_id.invoice_line_id.move_id.mapped("display_name")),
                    credit_notes=", ".join(given_back.invoice_line_id.move_id.mapped("display_name")),
                )
            )
        if not entries and not restores:
            return
        used = entries._get_used_topups()
        if used:
            raise UserError(
                self.env._(
                    "The top-up of %(card)s on %(move)s has already been used: the invoice cannot be reset to "
                    "draft or cancelled. Issue a credit note for the unused part instead.",
                    card=", ".join(used.service_id.mapped("display_name")),
                    move=", ".join(used.invoice_line_id.move_id.mapped("display_name")),
                )
            )
        # journal entries the module posted beside the document (rate or price differences); sudo: they are
        # reversed with the document whatever the user's accounting rights
        side_moves = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("prepaid_entry_id", "in", (entries | restores).ids),
                    ("state", "=", "posted"),
                    ("reversal_move_ids", "=", False),
                ]
            )
        )
        entries._reverse_entries(date=fields.Date.context_today(self))
        restores._undo_restores(fields.Date.context_today(self), self.env._("Credit note reset to draft"))
        if side_moves:
            with service_scope():
                side_moves._reverse_moves(
                    [{"date": move.date, "ref": self.env._("Reversal of %s", move.ref)} for move in side_moves],
                    cancel=True,
                )


def _merge_move_lines(commands, new_commands, index):
    """Add line commands to a batch journal entry, one line per card, account, product and side.

    index maps the _line_key of the entry's lines to their vals; it is updated in place.
    """
    for command in new_commands:
        vals = command[2]
        existing = index.get(_line_key(vals))
        if existing:
            existing["debit"] += vals["debit"]
            existing["credit"] += vals["credit"]
            existing["name"] = existing["name"].split(":")[0]  # "<card> - <type>": several entries now
        else:
            commands.append(command)
            index[_line_key(vals)] = vals


def _line_key(vals):
    return (
        vals["account_id"],
        vals.get("prepaid_service_id"),
        vals.get("product_id"),
        bool(vals["debit"]),
        str(vals.get("analytic_distribution") or ""),
    )
