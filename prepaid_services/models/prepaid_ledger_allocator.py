"""Applies outflows to open inflows for one posting and writes the result back in batch.

Plain Python used by the posting service (prepaid.ledger.entry._post_entries) only: outflows take from open
top-ups earliest expiry first, then oldest; new top-ups settle consumption that drove a card negative.
"""

from collections import defaultdict
from typing import NamedTuple

from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import float_compare, float_is_zero, float_round

from .utils import BALANCE_FIELDS, bulk_update


class PostingOptions(NamedTuple):
    """How the posting service applies one entry, beside the entry's own values (never stored)."""

    apply_to: int = 0  # the one top-up an outflow applies to (refund of that top-up, expiry of that lot)
    counterpart_account: int = 0  # the account that balances the value of a manual adjustment
    expire_remaining: bool = False  # expire what is left of apply_to once the posting holds the lock
    value_only: float = 0.0  # straight-line recognition: release this value of apply_to without using units
    partial: bool = False  # give back only part of a consumption (a partial credit note)


NO_OPTIONS = PostingOptions()

# What the allocation reads of an open top-up
LOT_FIELDS = [
    "service_id",
    "remaining_quantity",
    "remaining_amount",
    "remaining_value",
    "valid_until",
    "date",
    "currency_id",
    "company_id",
    "awaiting_payment",
]


class PrepaidLedgerAllocator:
    """Applies outflows to inflows for one posting and writes the result back in batch."""

    def __init__(self, env, cards):
        self.env = env
        self.cards = cards
        self.remaining = {}  # inflow -> [quantity, amount, value]
        self.pending = {}  # outflow -> pending quantity
        self.outflow_totals = {}  # outflow -> [amount, value] as before this posting
        self.app_vals = []
        self.new_value = defaultdict(float)  # outflow -> value applied in this posting
        self.settle_date = {}  # outflow -> date its last settlement happened
        self.applications = self.env["prepaid.ledger.application"]
        self._open_loaded = set()
        self._inflows_by_card = defaultdict(list)
        self._new_entry_ids = []
        self._move_links = []
        self._apps_by_outflow = None

    # -- state ---------------------------------------------------------
    def _load_open_inflows(self, card):
        """Open inflows of all the posting's cards, read once (one query for the whole batch)."""
        if card.id in self._open_loaded:
            return
        cards = self.cards.filtered(lambda c: c.id not in self._open_loaded) | card
        self._open_loaded.update(cards.ids)
        Entry = self.env["prepaid.ledger.entry"]
        # one query for the lots and what the allocation reads of them
        inflows = Entry.search_fetch(Entry._get_open_inflow_domain(cards), LOT_FIELDS)
        for inflow in inflows:
            self._register(inflow)

    def _register(self, inflow, remaining=None):
        """Track an inflow's remaining quantity, amount and value for this posting."""
        if inflow not in self.remaining:
            self.remaining[inflow] = remaining or [
                inflow.remaining_quantity,
                inflow.remaining_amount,
                inflow.remaining_value,
            ]
            self._inflows_by_card[inflow.service_id.id].append(inflow)

    @property
    def new_entries(self):
        return self.env["prepaid.ledger.entry"].browse(self._new_entry_ids)

    def _open_inflows(self, card, date, only=None):
        self._load_open_inflows(card)
        rounding = card._get_unit_rounding()
        candidates = [
            inflow
            for inflow in ([only] if only is not None else self._inflows_by_card[card.id])
            if float_compare(self.remaining[inflow][0], 0.0, precision_rounding=rounding) > 0
            and (only is not None or not inflow.valid_until or inflow.valid_until >= date)
            # a top-up usable once paid opens when its invoice is paid (its refund or expiry names it: only)
            and (only is not None or not inflow.awaiting_payment)
        ]
        return sorted(candidates, key=lambda i: (not i.valid_until, i.valid_until or date, i.date, i.id))

    def _track_outflow(self, outflow):
        if outflow not in self.outflow_totals:
            self.outflow_totals[outflow] = [outflow.amount, outflow.value]
            self.pending.setdefault(outflow, outflow.pending_quantity)

    def _add_application(self, outflow, inflow, quantity, amount, value):
        self._track_outflow(outflow)
        self.app_vals.append(
            {
                "outflow_id": outflow.id,
                "inflow_id": inflow.id,
                "quantity": quantity,
                "amount": amount,
                "value": value,
            }
        )
        rem = self.remaining[inflow]
        rem[0] -= quantity
        rem[1] -= amount
        rem[2] -= value
        self.new_value[outflow] += value

    def _take(self, outflow, inflow, quantity):
        card = inflow.service_id
        rem = self.remaining[inflow]
        rounding = card._get_unit_rounding()
        if float_compare(quantity, rem[0], precision_rounding=rounding) >= 0:
            quantity, amount, value = rem
        else:
            amount = card.currency_id.round(rem[1] * quantity / rem[0])
            value = card.company_currency_id.round(rem[2] * quantity / rem[0])
        if outflow.entry_type == "usage" and card.recognition_method != "usage":
            # straight-line cards earn their value with time, not with the units used
            amount = value = 0.0
        self._add_application(outflow, inflow, quantity, amount, value)
        return quantity

    def _give_back(self, entry, original):
        """Undo all or part of a consumption: what no top-up covered first, then each top-up in proportion
        to what it still has out to the consumption (after earlier partial give-backs)."""
        card = entry.service_id
        rounding = card._get_unit_rounding()
        self._load_open_inflows(card)
        self._track_outflow(original)
        part = entry.quantity
        pending = self.pending.get(original, original.pending_quantity)
        from_pending = min(part, pending)
        self.pending[original] = pending - from_pending
        rest = part - from_pending
        if float_compare(rest, 0.0, precision_rounding=rounding) <= 0:
            return
        # what each top-up gave the consumption, less what earlier give-backs (not undone) returned
        entries = original | original.reversal_entry_ids | original.reversal_entry_ids.reversal_entry_ids
        net = defaultdict(lambda: [0.0, 0.0, 0.0])
        for app in entries.outflow_application_ids:
            totals = net[app.inflow_id]
            totals[0] += app.quantity
            totals[1] += app.amount
            totals[2] += app.value
        out = {
            inflow: totals
            for inflow, totals in net.items()
            if float_compare(totals[0], 0, precision_rounding=rounding) > 0
        }
        total = sum(totals[0] for totals in out.values())
        if float_compare(rest, total, precision_rounding=rounding) > 0:
            raise UserError(
                self.env._(
                    "%(entry)s consumed %(total)s of %(card)s that can still be given back; %(part)s cannot be.",
                    entry=original.display_name,
                    total=card._format_balance(total),
                    card=card.display_name,
                    part=card._format_balance(float_round(rest - total, precision_rounding=rounding)),
                )
            )
        inflows = sorted(out, key=lambda i: i.id)
        exact = not float_compare(rest, total, precision_rounding=rounding)
        left = rest
        for index, inflow in enumerate(inflows):
            quantity, amount, value = out[inflow]
            if not exact:
                last = index == len(inflows) - 1
                take = left if last else float_round(rest * quantity / total, precision_rounding=rounding)
                take = min(take, quantity)
                amount = card.currency_id.round(amount * take / quantity)
                value = card.company_currency_id.round(value * take / quantity)
                quantity = take
            left -= quantity
            self._register(inflow)
            self._add_application(entry, inflow, -quantity, -amount, -value)

    def _allocate(self, outflow, quantity, only=None, date=None):
        """Take quantity from open inflows; return what could not be covered."""
        card = outflow.service_id
        rounding = card._get_unit_rounding()
        for inflow in self._open_inflows(card, date or outflow.date, only=only):
            if float_compare(quantity, 0.0, precision_rounding=rounding) <= 0:
                break
            quantity -= self._take(outflow, inflow, min(quantity, self.remaining[inflow][0]))
        return max(float_round(quantity, precision_rounding=rounding), 0.0)

    # -- posting -------------------------------------------------------
    def apply(self, entry, info):
        self._new_entry_ids.append(entry.id)
        card = entry.service_id
        if entry.is_inflow:
            self._load_open_inflows(card)
            self._register(entry)
            return
        self._track_outflow(entry)
        original = entry.reversed_entry_id
        if original and not original.is_inflow and original.reversed_entry_id:
            # Undo a give-back (its credit note is reset): take from each top-up exactly what it got back
            self._load_open_inflows(card)
            self._track_outflow(original)
            rounding = card._get_unit_rounding()
            for app in original.outflow_application_ids:
                self._register(app.inflow_id)
                # undoing a give-back takes from the lot again: only what it still holds
                if float_compare(-app.quantity, self.remaining[app.inflow_id][0], precision_rounding=rounding) > 0:
                    raise UserError(
                        self.env._(
                            "The credit %(card)s got back from %(entry)s has been used since: it cannot be taken "
                            "back. Leave the document posted, or issue a new invoice for the credit.",
                            card=card.display_name,
                            entry=original.display_name,
                        )
                    )
                self._add_application(entry, app.inflow_id, -app.quantity, -app.amount, -app.value)
            return
        if original and not original.is_inflow:
            self._give_back(entry, original)
            return
        if original:
            only = original
            self._load_open_inflows(card)
            self._register(original)
        else:
            only = self.env["prepaid.ledger.entry"].browse(info.apply_to) or None
            if only is not None:
                self._load_open_inflows(card)
                self._register(only)
            if info.value_only:
                rem = self.remaining[only]
                value = min(info.value_only, rem[2])
                amount = card.currency_id.round(rem[1] * value / rem[2]) if rem[2] else 0.0
                if value:
                    self._add_application(entry, only, 0.0, amount, value)
                return
        missing = self._allocate(entry, -entry.quantity, only=only)
        rounding = card._get_unit_rounding()
        if float_is_zero(missing, precision_rounding=rounding):
            return
        # as Odoo shows figures: "0.05 Hours", "$ 12.50", never 0.04999999999999982
        available = card._format_balance(float_round(-entry.quantity - missing, precision_rounding=rounding))
        if entry.entry_type == "refund":
            raise UserError(
                self.env._(
                    "The credit note takes back %(quantity)s of %(card)s, but only %(available)s of that top-up "
                    "remain unused. Refund at most %(available)s.",
                    card=card.display_name,
                    quantity=card._format_balance(-entry.quantity),
                    available=available,
                )
            )
        if only is not None or card.overdraw_policy == "block" or entry.entry_type != "usage":
            figures = {
                "card": card.display_name,
                "partner": card.partner_id.display_name,
                "quantity": card._format_balance(-entry.quantity),
                "available": available,
                "missing": card._format_balance(missing),
            }
            held = sum(
                self.remaining[inflow][0] for inflow in self._inflows_by_card[card.id] if inflow.awaiting_payment
            )
            if held > 0 and entry.entry_type == "usage":
                raise UserError(
                    self.env._(
                        "The prepaid service %(card)s of %(partner)s cannot cover %(quantity)s: only %(available)s "
                        "are available, %(missing)s are missing. %(held)s more are usable once their top-up invoice "
                        "is paid: register its payment, or reduce the consumption.",
                        held=card._format_balance(held),
                        **figures,
                    )
                )
            raise UserError(
                self.env._(
                    "The prepaid service %(card)s of %(partner)s cannot cover %(quantity)s: "
                    "only %(available)s are available, %(missing)s are missing. "
                    "Top up the card or reduce the consumption.",
                    **figures,
                )
            )
        self.pending[entry] = missing

    def settle_pending(self, entries):
        """New inflows first pay off consumption that drove a card negative."""
        cards = (
            entries.filtered("is_inflow").service_id
            | entries.filtered(lambda e: e.reversed_entry_id and not e.reversed_entry_id.is_inflow).service_id
        )
        if not cards:
            return
        outflows = self.env["prepaid.ledger.entry"].search(
            [("service_id", "in", cards.ids), ("pending_quantity", ">", 0)], order="date, id"
        )
        new_pending = [e for e, p in self.pending.items() if p > 0 and e.service_id in cards and e not in outflows]
        for outflow in list(outflows) + new_pending:
            self._track_outflow(outflow)
            pending = self.pending.get(outflow, 0.0)
            if pending <= 0:
                continue
            latest = max(
                (i.date for i in self.new_entries if i.is_inflow and i.service_id == outflow.service_id),
                default=outflow.date,
            )
            missing = self._allocate(outflow, pending, date=outflow.date)
            if missing != pending:
                self.settle_date[outflow] = max(latest, outflow.date)
            self.pending[outflow] = missing

    def write_back(self):
        """Write applications, remaining quantities and card balances in batch."""
        Entry = self.env["prepaid.ledger.entry"]
        if self.app_vals:
            self.applications = self.env["prepaid.ledger.application"].create(self.app_vals)  # self.env is sudo
        value_by_outflow = defaultdict(lambda: [0.0, 0.0])
        for vals in self.app_vals:
            totals = value_by_outflow[vals["outflow_id"]]
            totals[0] += vals["amount"]
            totals[1] += vals["value"]

        deltas = defaultdict(lambda: defaultdict(float))
        for entry in self.new_entries:
            d = deltas[entry.service_id]
            sign = 1 if entry.bucket == "received" else -1
            d[f"quantity_{entry.bucket}"] += sign * entry.quantity
            d["quantity_outstanding"] += entry.quantity
            d[f"amount_{entry.bucket}"] += sign * entry.amount
            d["amount_outstanding"] += entry.amount
            d["value_outstanding"] += entry.value

        outflow_rows = []
        for outflow, (old_amount, old_value) in self.outflow_totals.items():
            applied_amount, applied_value = value_by_outflow.get(outflow.id, (0.0, 0.0))
            vals = {}
            fixed_value = outflow.reversed_entry_id.is_inflow
            if not fixed_value:
                vals["value"] = outflow.company_currency_id.round(old_value - applied_value)
                if outflow.service_type != "amount":
                    vals["amount"] = outflow.currency_id.round(old_amount - applied_amount)
            if outflow in self.pending and float_compare(
                self.pending[outflow], outflow.pending_quantity, precision_digits=6
            ):
                vals["pending_quantity"] = self.pending[outflow]
            vals = {k: v for k, v in vals.items() if float_compare(v, outflow[k], precision_digits=6)}
            if vals:
                d = deltas[outflow.service_id]
                sign = 1 if outflow.bucket == "received" else -1
                if "amount" in vals:
                    d[f"amount_{outflow.bucket}"] += sign * (vals["amount"] - outflow.amount)
                    d["amount_outstanding"] += vals["amount"] - outflow.amount
                if "value" in vals:
                    d["value_outstanding"] += vals["value"] - outflow.value
                outflow_rows.append(
                    (
                        outflow.id,
                        vals.get("amount", outflow.amount),
                        vals.get("value", outflow.value),
                        vals.get("pending_quantity", outflow.pending_quantity),
                    )
                )
        bulk_update(Entry, ["amount", "value", "pending_quantity"], outflow_rows)

        inflow_rows = []
        # the earliest expiry of a card changes only when one of its lots opens or closes: read it only then
        lots_changed = set()
        new_ids = set(self._new_entry_ids)
        for inflow, (quantity, amount, value) in self.remaining.items():
            row = (
                inflow.id,
                quantity,
                inflow.currency_id.round(amount),
                inflow.company_currency_id.round(value),
            )
            if any(
                float_compare(new, inflow[f], precision_digits=6)
                for new, f in zip(row[1:], ("remaining_quantity", "remaining_amount", "remaining_value"), strict=True)
            ):
                inflow_rows.append(row)
            rounding = inflow.service_id._get_unit_rounding()
            is_open = float_compare(quantity, 0.0, precision_rounding=rounding) > 0
            was_open = float_compare(inflow.remaining_quantity, 0.0, precision_rounding=rounding) > 0
            if inflow.id in new_ids or is_open != was_open:
                lots_changed.add(inflow.service_id.id)
        bulk_update(Entry, ["remaining_quantity", "remaining_amount", "remaining_value"], inflow_rows)

        Entry.flush_model()
        touched = self.cards | self.new_entries.service_id
        changed_cards = touched.filtered(lambda c: c.id in lots_changed)
        expiries = (
            dict(
                Entry._read_group(
                    Entry._get_open_inflow_domain(changed_cards) & Domain("valid_until", "!=", False),
                    ["service_id"],
                    ["valid_until:min"],
                )
            )
            if changed_cards
            else {}
        )
        card_fields = sorted(BALANCE_FIELDS - {"next_expiry_date"})
        card_rows = []
        for card in touched:
            d = deltas.get(card, {})
            row = [card.id]
            next_expiry = (expiries.get(card) if card.id in lots_changed else card.next_expiry_date) or None
            changed = (card.next_expiry_date or None) != next_expiry
            for fname in card_fields:
                new = card[fname] + d.get(fname, 0.0)
                if fname.startswith("quantity_"):
                    new = float_round(new, precision_rounding=card._get_unit_rounding())
                elif fname == "value_outstanding":
                    new = card.company_currency_id.round(new)
                else:
                    new = card.currency_id.round(new)
                self.env["prepaid.ledger.entry"]._ensure_within_balance_limit(card, fname, new)
                changed = changed or bool(float_compare(new, card[fname], precision_digits=6))
                row.append(new)
            row.append(next_expiry)
            if changed:
                card_rows.append(tuple(row))
        bulk_update(self.env["prepaid.service"], [*card_fields, "next_expiry_date"], card_rows)

    def value_by_outflow(self):
        result = defaultdict(float)
        for outflow, value in self.new_value.items():
            result[outflow] += value
        return result

    def link_move(self, outflow, move):
        if self._apps_by_outflow is None:
            self._apps_by_outflow = defaultdict(list)
            for app_id, vals in zip(self.applications.ids, self.app_vals, strict=True):
                self._apps_by_outflow[vals["outflow_id"]].append(app_id)
        self._move_links.extend((app_id, move.id) for app_id in self._apps_by_outflow.get(outflow.id, []))

    def flush_move_links(self):
        bulk_update(self.env["prepaid.ledger.application"], ["move_id"], self._move_links)
