from odoo import models


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _get_prepaid_quantity(self, quantity, uom):
        """Units a prepaid service is credited for quantity (in uom) of this product sold."""
        self.ensure_one()
        if uom and uom != self.uom_id:
            quantity = uom._compute_quantity(quantity, self.uom_id)
        return quantity * self.prepaid_quantity
