from odoo import api, fields, models
from odoo.tools import date_utils


class ReportPrepaidStatement(models.AbstractModel):
    """Prepaid Services Statement: what a customer bought, used and has left over a period."""

    _name = "report.prepaid_services.report_prepaid_statement"
    _description = "Prepaid Services Statement"

    @api.model
    def _get_period(self, data):
        today = fields.Date.context_today(self)
        date_from = fields.Date.to_date((data or {}).get("date_from")) or date_utils.start_of(today, "month")
        date_to = fields.Date.to_date((data or {}).get("date_to")) or date_utils.end_of(today, "month")
        return date_from, date_to

    @api.model
    def _get_report_values(self, docids, data=None):
        cards = self.env["prepaid.service"].browse(docids or (data or {}).get("service_ids") or [])
        date_from, date_to = self._get_period(data)
        return {
            "doc_ids": cards.ids,
            "doc_model": "prepaid.service",
            "docs": cards,
            "date_from": date_from,
            "date_to": date_to,
            "statements": cards._get_statement_data(date_from, date_to),
        }
