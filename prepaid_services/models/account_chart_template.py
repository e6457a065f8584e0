from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        """Companies that get a chart of accounts later get their prepaid accounts with it."""
        res = super()._post_load_data(template_code, company, template_data)
        (company or self.env.company)._prepaid_setup_accounting()
        return res
