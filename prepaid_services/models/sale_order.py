from odoo import api, fields, models

from .utils import service_scope


class SaleOrder(models.Model):
    _inherit = "sale.order"

    prepaid_has_lines = fields.Boolean(
        compute="_compute_prepaid_has_lines",
        string="Has Prepaid Lines",
        help="Technical: the Prepaid Service column of the lines shows only on orders that sell a prepaid product.",
    )

    @api.depends("order_line.product_id.prepaid_ok")
    def _compute_prepaid_has_lines(self):
        for order in self:
            order.prepaid_has_lines = any(order.order_line.product_id.mapped("prepaid_ok"))

    def _action_confirm(self):
        res = super()._action_confirm()
        self.order_line._prepaid_open_cards()
        return res

    def _create_invoices(self, grouped=False, final=False, date=None):
        moves = super()._create_invoices(grouped=grouped, final=final, date=date)
        # the first period of a periodic card sold here is this invoice's, whatever runs the scheduled action
        # sudo: a salesman invoices the order without billing rights (as Odoo does); periods are written by the
        # module only
        lines = moves.sudo().invoice_line_ids.filtered(lambda line: line.prepaid_period_id.sale_line_id)
        with service_scope():
            for line in lines:
                line.prepaid_period_id.invoice_id = line.move_id
        return moves
