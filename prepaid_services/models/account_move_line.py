from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    prepaid_service_id = fields.Many2one(
        "prepaid.service",
        string="Prepaid Service",
        index="btree_not_null",
        copy=False,
        help="Card whose deferred revenue this line moves.",
    )
