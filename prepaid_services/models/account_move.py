from odoo import fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    prepaid_service_id = fields.Many2one(
        "prepaid.service", string="Prepaid Service", index="btree_not_null", copy=False, readonly=True
    )
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

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))._prepaid_post_topups()
        return posted

    def button_draft(self):
        if not self.env.context.get("prepaid_ledger_posting") and self.filtered("prepaid_entry_id"):
            raise UserError(
                self.env._(
                    "This journal entry was posted by Prepaid Services from a ledger entry: correct it with a new "
                    "ledger entry (Create Ledger Entry) instead of resetting it."
                )
            )
        self._prepaid_unpost()
        return super().button_draft()

    # ------------------------------------------------------------------
    # Top-up invoices and their credit notes
    # ------------------------------------------------------------------
    def _prepaid_post_topups(self):
        lines = self.line_ids.filtered(lambda line: line._is_prepaid_topup_line())
        if not lines:
            return
        lines._prepaid_assign_cards()
        Entry = self.env["prepaid.ledger.entry"]
        receipts = []
        for line in lines.filtered(lambda line: line.move_id.move_type == "out_invoice"):
            receipts.append(line._prepaid_prepare_entry_vals("receipt"))
        refund_lines = lines.filtered(lambda line: line.move_id.move_type == "out_refund")
        refunds = [line._prepaid_prepare_entry_vals("refund") for line in refund_lines]
        Entry._post_entries(receipts)
        refund_entries = Entry._post_entries(refunds)
        refund_entries._prepaid_settle_document_difference()

    def _prepaid_unpost(self):
        """Undo the ledger entries of documents reset to draft or cancelled; refuse if credit was used."""
        posted = self.filtered(lambda m: m.state == "posted")
        if not posted:
            return
        entries = self.env["prepaid.ledger.entry"].sudo().search(
            [
                ("invoice_line_id", "in", posted.line_ids.ids),
                ("reversed_entry_id", "=", False),
                ("reversal_entry_ids", "=", False),
            ]
        )
        if not entries:
            return
        used = entries.filtered(
            lambda e: e.is_inflow
            and (
                e.currency_id.compare_amounts(e.remaining_amount, e.amount)
                or e.company_currency_id.compare_amounts(e.remaining_value, e.value)
            )
        )
        if used:
            raise UserError(
                self.env._(
                    "The top-up of %(card)s on %(move)s has already been used: the invoice cannot be reset to "
                    "draft or cancelled. Issue a credit note for the unused part instead.",
                    card=", ".join(used.service_id.mapped("display_name")),
                    move=", ".join(used.invoice_line_id.move_id.mapped("display_name")),
                )
            )
        # journal entries the module posted beside the document (rate or price differences)
        side_moves = self.env["account.move"].sudo().search(
            [("prepaid_entry_id", "in", entries.ids), ("state", "=", "posted"), ("reversal_move_ids", "=", False)]
        )
        entries._reverse_entries(date=fields.Date.context_today(self))
        if side_moves:
            side_moves.with_context(prepaid_ledger_posting=True)._reverse_moves(
                [{"date": move.date, "ref": self.env._("Reversal of %s", move.ref)} for move in side_moves],
                cancel=True,
            )
