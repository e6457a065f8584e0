from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import formatLang


class ProductTemplate(models.Model):
    _inherit = "product.template"

    prepaid_ok = fields.Boolean(
        string="Prepaid Top-up",
        help="Selling this product credits a prepaid service of the customer. Its invoice lines book to the "
        "deferred revenue account; the revenue goes to this product's income account when the credit is used.",
    )
    prepaid_service_type = fields.Selection(
        [("quantity", "Quantity"), ("amount", "Amount")],
        string="Prepaid Type",
        default="quantity",
        help="Quantity: each unit sold credits a number of units (hours, tickets...). "
        "Amount: the invoiced amount is credited as a money balance.",
    )
    prepaid_quantity = fields.Float(
        string="Credited per Unit Sold",
        digits="Product Unit",
        default=1.0,
        help="Units credited on the prepaid service for each unit of this product sold.",
    )
    prepaid_uom_id = fields.Many2one(
        "uom.uom",
        string="Credited Unit",
        help="Unit of the credited quantity; empty means the product's own unit.",
    )
    prepaid_validity_interval = fields.Integer(
        string="Validity", help="How long the credit of each sale can be used. Empty means unlimited."
    )
    prepaid_validity_unit = fields.Selection(
        [("days", "Days"), ("weeks", "Weeks"), ("months", "Months"), ("years", "Years")],
        string="Validity Unit",
        default="months",
    )
    prepaid_accrual = fields.Selection(
        [("one_time", "One-time"), ("periodic", "Periodic")], string="Accrual", default="one_time"
    )

    @api.constrains("prepaid_ok", "type")
    def _check_prepaid_service(self):
        for template in self:
            if template.prepaid_ok and template.type != "service":
                raise ValidationError(
                    self.env._("The prepaid top-up %s must be a service product.", template.display_name)
                )

    @api.constrains("prepaid_ok", "prepaid_service_type", "prepaid_quantity")
    def _check_prepaid_quantity(self):
        """A top-up credits something: otherwise its invoice fails only when it is posted."""
        for template in self:
            if (
                template.prepaid_ok
                and template.prepaid_service_type == "quantity"
                and float_compare(template.prepaid_quantity, 0.0, precision_digits=6) <= 0
            ):
                raise ValidationError(
                    self.env._(
                        "The prepaid top-up %(product)s credits %(quantity)s units per unit sold: set how many units "
                        "each unit sold credits (Credited per Unit Sold), more than zero.",
                        product=template.display_name,
                        quantity=formatLang(self.env, template.prepaid_quantity, dp="Product Unit"),
                    )
                )

    @api.onchange("prepaid_ok")
    def _onchange_prepaid_ok(self):
        if self.prepaid_ok:
            self.type = "service"
            self.invoice_policy = "order"

    def _get_prepaid_valid_until(self, from_date):
        """Last day the credit of a sale of this product made on from_date can be used (False: unlimited)."""
        self.ensure_one()
        if not self.prepaid_validity_interval:
            return False
        delta = relativedelta(**{self.prepaid_validity_unit or "months": self.prepaid_validity_interval})
        return from_date + delta - relativedelta(days=1)

    def _get_prepaid_card_vals(self):
        """Vals of the prepaid service a sale of this product opens."""
        self.ensure_one()
        product = self.product_variant_id
        return {
            "service_type": self.prepaid_service_type,
            "accrual": self.prepaid_accrual,
            "uom_id": (self.prepaid_uom_id or self.uom_id).id if self.prepaid_service_type == "quantity" else False,
            "validity_interval": self.prepaid_validity_interval,
            "validity_unit": self.prepaid_validity_unit,
            "product_id": product.id,
            "description": self.name,
        }
