from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    prepaid_service_id = fields.Many2one(
        "prepaid.service", string="Prepaid Service", index="btree_not_null", copy=False, readonly=True
    )
