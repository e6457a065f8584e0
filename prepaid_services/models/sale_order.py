from odoo import api, fields, models

from .utils import service_scope


class SaleOrder(models.Model):
    _inherit = "sale.order"

    prepaid_has_lines = fields.Boolean(
        compute="_compute_prepaid_has_lines",
        string="Has Prepaid Lines",
        help="Technical: the Prepaid Service column of the lines shows only on orders that sell a prepaid product.",
    )
    prepaid_service_count = fields.Integer(
        string="Prepaid Services Count",
        compute="_compute_prepaid_service_count",
        groups="prepaid_services.group_prepaid_user",
    )
    prepaid_topup_summary = fields.Char(
        string="Prepaid Top-ups",
        compute="_compute_prepaid_topup_summary",
        groups="prepaid_services.group_prepaid_user",
        help="What this order credits: the cards it tops up, or the cards confirming it opens.",
    )

    @api.depends("order_line.product_id.prepaid_ok")
    def _compute_prepaid_has_lines(self):
        for order in self:
            order.prepaid_has_lines = any(order.order_line.product_id.mapped("prepaid_ok"))

    @api.depends("order_line.prepaid_service_id")
    def _compute_prepaid_service_count(self):
        for order in self:
            order.prepaid_service_count = len(order.order_line.prepaid_service_id)

    @api.depends(
        "order_line.prepaid_service_id",
        "order_line.product_id",
        "order_line.product_uom_qty",
        "order_line.product_uom_id",
        "order_line.price_subtotal",
    )
    def _compute_prepaid_topup_summary(self):
        for order in self:
            descriptions = []
            for card, lines in order.order_line.filtered("prepaid_ok").grouped("prepaid_service_id").items():
                if card:
                    credit = sum(lines.mapped(lambda line: line._prepaid_get_credited_quantity()))
                    descriptions.append(card._describe_credit("topup", credit))
                    continue
                for line in lines:
                    descriptions.append(
                        line._prepaid_get_new_card()._describe_credit("open", line._prepaid_get_credited_quantity())
                    )
            order.prepaid_topup_summary = self.env["prepaid.service"]._join_descriptions(descriptions)

    def action_view_prepaid_services(self):
        """Smart button: the prepaid services this order tops up."""
        self.ensure_one()
        cards = self.order_line.prepaid_service_id
        action = self.env["ir.actions.act_window"]._for_xml_id("prepaid_services.action_prepaid_service")
        action["domain"] = [("id", "in", cards.ids)]
        action["context"] = {"create": False}
        if len(cards) == 1:
            action.update(views=[(False, "form")], view_mode="form", res_id=cards.id)
        return action

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
