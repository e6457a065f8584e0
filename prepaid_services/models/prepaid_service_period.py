from odoo import fields, models


class PrepaidServicePeriod(models.Model):
    """One invoiced period of a periodic card: created once, whatever runs the scheduled action."""

    _name = "prepaid.service.period"
    _description = "Prepaid Service Period"
    _order = "service_id, date_start"
    _check_company_auto = True

    service_id = fields.Many2one("prepaid.service", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="service_id.company_id", store=True, index=True)
    date_start = fields.Date(required=True, readonly=True)
    date_end = fields.Date(required=True, readonly=True)
    invoice_id = fields.Many2one("account.move", readonly=True, index="btree_not_null")
    overage_quantity = fields.Float(digits="Product Unit", readonly=True, help="Overage billed on this invoice.")
    closed = fields.Boolean(readonly=True, help="Period-end rules (carry-over cap) have been applied.")

    _unique_period = models.Constraint(
        "UNIQUE(service_id, date_start)", "A period of a prepaid service can only be invoiced once."
    )


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
