from odoo import api, fields, models
from odoo.exceptions import UserError

from .utils import in_service_scope


class PrepaidLedgerApplication(models.Model):
    """How much of which top-up an outflow consumed: the basis of lot valuation."""

    _name = "prepaid.ledger.application"
    _description = "Prepaid Ledger Application"
    _order = "id"

    outflow_id = fields.Many2one("prepaid.ledger.entry", required=True, index=True, ondelete="restrict", readonly=True)
    inflow_id = fields.Many2one(
        "prepaid.ledger.entry", required=True, index=True, ondelete="restrict", readonly=True, string="Top-up"
    )
    service_id = fields.Many2one(related="outflow_id.service_id", store=True, precompute=True, index=True)
    company_id = fields.Many2one(related="outflow_id.company_id", store=True, precompute=True, index=True)
    currency_id = fields.Many2one(related="outflow_id.currency_id")
    company_currency_id = fields.Many2one(related="outflow_id.company_currency_id")
    date = fields.Date(related="outflow_id.date", store=True, precompute=True)
    valid_until = fields.Date(related="inflow_id.valid_until")
    quantity = fields.Float(digits="Product Unit", readonly=True)
    amount = fields.Monetary(readonly=True)
    value = fields.Monetary(currency_field="company_currency_id", readonly=True)
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True, index="btree_not_null")

    def write(self, vals):
        if in_service_scope() and set(vals) <= {"move_id"}:
            return super().write(vals)
        raise UserError(self.env._("Applications of prepaid ledger entries cannot be modified."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_posted(self):
        raise UserError(self.env._("Applications of prepaid ledger entries cannot be deleted."))
