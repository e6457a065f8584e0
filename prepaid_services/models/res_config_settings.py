from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    prepaid_deferred_account_id = fields.Many2one(
        related="company_id.prepaid_deferred_account_id", readonly=False, check_company=True
    )
    prepaid_journal_id = fields.Many2one(related="company_id.prepaid_journal_id", readonly=False, check_company=True)
    prepaid_breakage_account_id = fields.Many2one(
        related="company_id.prepaid_breakage_account_id", readonly=False, check_company=True
    )
    prepaid_expiry_to_liability = fields.Boolean(related="company_id.prepaid_expiry_to_liability", readonly=False)
    prepaid_unclaimed_account_id = fields.Many2one(
        related="company_id.prepaid_unclaimed_account_id", readonly=False, check_company=True
    )
    prepaid_tax_timing = fields.Selection(related="company_id.prepaid_tax_timing", readonly=False)
    prepaid_recognition_grouping = fields.Selection(related="company_id.prepaid_recognition_grouping", readonly=False)
    prepaid_auto_analytic = fields.Boolean(related="company_id.prepaid_auto_analytic", readonly=False)
