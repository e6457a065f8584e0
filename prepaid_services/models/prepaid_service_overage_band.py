from odoo import fields, models


class PrepaidServiceOverageBand(models.Model):
    """Price per unit of consumption beyond the allowance, by band (first 5 h over at 120, beyond at 150)."""

    _name = "prepaid.service.overage.band"
    _description = "Prepaid Service Overage Band"
    _order = "service_id, quantity_from"

    service_id = fields.Many2one("prepaid.service", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="service_id.company_id", store=True)
    currency_id = fields.Many2one(related="service_id.currency_id")
    quantity_from = fields.Float(string="From (units over)", digits="Product Unit")
    quantity_to = fields.Float(string="To (units over)", digits="Product Unit", help="0: no upper limit.")
    price_unit = fields.Monetary(string="Price per Unit", required=True)

    def _get_overage_lines(self, quantity, default_price):
        """(quantity, price per unit) per band of one card for quantity units consumed beyond the allowance.

        Beyond the last band (or without bands), the last band's price, else default_price.
        """
        lines = []
        rest = quantity
        bands = self.sorted("quantity_from")
        for band in bands:
            if rest <= 0:
                break
            width = (band.quantity_to - band.quantity_from) if band.quantity_to else rest
            take = min(rest, width)
            if take > 0:
                lines.append((take, band.price_unit))
                rest -= take
        if rest > 0:
            lines.append((rest, bands[-1:].price_unit or default_price))
        return lines
