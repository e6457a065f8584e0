from markupsafe import Markup

from odoo import api, models
from odoo.tools.misc import format_amount

from .utils import service_scope

PAID_STATES = ("paid", "in_payment")


class PrepaidPaymentHold(models.AbstractModel):
    """Usable once paid: a top-up of a card with the option waits for its invoice to be paid.

    The top-up is posted with its invoice as any other (its value is on deferred revenue, so the account ties
    with the open lots) but nothing draws on it while it awaits payment (prepaid.ledger.entry.awaiting_payment,
    skipped by the allocator). It opens when the invoice is in payment or paid (account.move._invoice_paid_hook,
    whatever registered the payment) and waits again when the payment is undone (account.partial.reconcile
    unlink) before anything used it. A top-up already drawn on stays open: the work it paid for is done and
    recognised, and the invoice is simply due again; the account manager gets an activity to collect it.
    """

    _name = "prepaid.payment.hold"
    _description = "Prepaid Top-ups Usable Once Paid"

    @api.model
    def _awaits_payment(self, line):
        """Whether the top-up of this posted invoice line waits for the invoice's payment."""
        move = line.move_id
        return bool(
            line.prepaid_service_id.pay_before_use
            and move.move_type == "out_invoice"
            and not move.currency_id.is_zero(move.amount_total)
            and move.payment_state not in PAID_STATES
        )

    @api.model
    def _sync_invoices(self, invoices):
        """Open the top-ups of the paid invoices, hold again the unused ones of invoices no longer paid."""
        invoices = invoices.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")
        if not invoices:
            return
        # sudo: the payment is registered by whoever may, the cards' lots follow it
        lots = (
            self.env["prepaid.ledger.entry"]
            .sudo()
            .search(
                [
                    ("invoice_line_id.move_id", "in", invoices.ids),
                    ("entry_type", "=", "receipt"),
                    ("is_inflow", "=", True),
                    ("reversal_entry_ids", "=", False),
                    ("service_id.pay_before_use", "=", True),
                ]
            )
        )
        if not lots:
            return
        paid = lots.filtered(lambda lot: lot.invoice_line_id.move_id.payment_state in PAID_STATES)
        paid.filtered("awaiting_payment")._release_held_lots()
        unpaid = (lots - paid).filtered(lambda lot: not lot.awaiting_payment and lot.remaining_quantity > 0)
        used = unpaid._get_used_topups()
        with service_scope():
            (unpaid - used).write({"awaiting_payment": True})
        if used:
            self._notify_used_unpaid(used)

    @api.model
    def _notify_used_unpaid(self, lots):
        """A payment undone after the top-up paid for work: the invoice is due again, the credit stays usable."""
        summary = self.env._("Prepaid: top-up used but no longer paid")
        for lot in lots:
            card = lot.service_id
            invoice = lot.invoice_line_id.move_id
            card.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=(card.user_id or self.env.user).id,
                summary=summary,
                note=Markup("<p>%s</p>")
                % self.env._(
                    "The payment of %(invoice)s was undone, but its top-up has already paid for work (%(used)s of "
                    "%(total)s). The top-up stays usable and the invoice is due again: collect it from the "
                    "customer.",
                    invoice=invoice.display_name,
                    used=format_amount(self.env, lot.amount - lot.remaining_amount, lot.currency_id),
                    total=format_amount(self.env, lot.amount, lot.currency_id),
                ),
            )
