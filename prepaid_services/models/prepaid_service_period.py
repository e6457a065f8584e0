from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from .utils import clean_env, service_scope


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
    sale_line_id = fields.Many2one(
        "sale.order.line",
        string="Sold on",
        readonly=True,
        index="btree_not_null",
        help="Order line that bills this period: the first period of a card sold on an order is its order's "
        "invoice, never the scheduled action's.",
    )
    overage_quantity = fields.Float(digits="Product Unit", readonly=True, help="Overage billed on this invoice.")
    closed = fields.Boolean(readonly=True, help="Period-end rules (carry-over cap) have been applied.")

    _unique_period = models.Constraint(
        "UNIQUE(service_id, date_start)", "A period of a prepaid service can only be invoiced once."
    )

    @api.model
    def _create_opening_periods(self, vals_list):
        """First periods of periodic cards opened by a sale: the document that sold the card bills it.

        vals_list: service_id with sale_line_id (the order's invoice bills the period) or invoice_id (an invoice
        made by hand did). The period starts on the card's start date; the card's Next Period follows it, so
        the scheduled action bills the second period next and never the first.
        """
        cards = self.env["prepaid.service"].sudo().browse([vals["service_id"] for vals in vals_list])
        with service_scope():
            periods = (
                clean_env(self.env)["prepaid.service.period"]
                .sudo()
                .create(
                    [
                        {**vals, "date_start": card.date_start, "date_end": card._get_period_end(card.date_start)}
                        for vals, card in zip(vals_list, cards, strict=True)
                    ]
                )
            )
            for period in periods:
                period.service_id.next_period_start = period.date_end + relativedelta(days=1)
        return self.browse(periods.ids)

    def _get_opening_line_vals(self, quantity):
        """Invoice line vals by which the document that sold the card bills this first period, crediting quantity.

        Its credit lapses or carries over like every later period's (see _prepare_period_invoice_vals).
        """
        self.ensure_one()
        return {
            "prepaid_period_id": self.id,
            "prepaid_quantity": quantity,
            "prepaid_valid_until": self.service_id._get_period_valid_until(self.date_end),
        }


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
