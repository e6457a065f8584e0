from odoo import models

from .prepaid_payment_hold import PAID_STATES


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    def unlink(self):
        # a payment undone (unreconciled, reset or cancelled): top-ups usable once paid wait for payment again
        invoices = (self.debit_move_id.move_id | self.credit_move_id.move_id).filtered(
            lambda move: move.move_type == "out_invoice" and move.payment_state in PAID_STATES
        )
        res = super().unlink()
        if invoices:
            self.env["prepaid.payment.hold"]._sync_invoices(invoices)
        return res
