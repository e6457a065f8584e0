from odoo import api, fields, models
from odoo.tools import date_utils


class PrepaidRollforwardWizard(models.TransientModel):
    """Contract-liability rollforward and deferred revenue ageing for a period, per company."""

    _name = "prepaid.rollforward.wizard"
    _description = "Deferred Revenue Rollforward"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(
        required=True, default=lambda self: date_utils.start_of(fields.Date.context_today(self), "month")
    )
    date_to = fields.Date(
        required=True, default=lambda self: date_utils.end_of(fields.Date.context_today(self), "month")
    )
    opening = fields.Monetary(compute="_compute_report", string="Opening Balance")
    topups = fields.Monetary(compute="_compute_report", string="Top-ups")
    consumption = fields.Monetary(compute="_compute_report", string="Revenue Recognised")
    breakage = fields.Monetary(compute="_compute_report", string="Breakage (Expired)")
    refunds = fields.Monetary(compute="_compute_report")
    closing = fields.Monetary(compute="_compute_report", string="Closing Balance")
    account_opening = fields.Monetary(compute="_compute_report", string="Account at Opening")
    account_closing = fields.Monetary(compute="_compute_report", string="Account at Closing")
    difference = fields.Monetary(compute="_compute_report", help="Deferred revenue account less the ledger's closing.")
    ageing_expired = fields.Monetary(compute="_compute_report", string="Expired, not yet released")
    ageing_30 = fields.Monetary(compute="_compute_report", string="Expiring in 0-30 days")
    ageing_90 = fields.Monetary(compute="_compute_report", string="Expiring in 31-90 days")
    ageing_365 = fields.Monetary(compute="_compute_report", string="Expiring in 91-365 days")
    ageing_later = fields.Monetary(compute="_compute_report", string="Expiring later")
    ageing_never = fields.Monetary(compute="_compute_report", string="No expiry")

    @api.depends("company_id", "date_from", "date_to")
    def _compute_report(self):
        Report = self.env["prepaid.deferred.revenue.report"]
        for wizard in self:
            if not (wizard.company_id and wizard.date_from and wizard.date_to):
                continue
            roll = Report._get_rollforward(wizard.date_from, wizard.date_to, wizard.company_id)
            ageing = Report._get_deferred_ageing(wizard.date_to, wizard.company_id)
            wizard.update(
                {
                    key: roll[key]
                    for key in (
                        "opening",
                        "topups",
                        "consumption",
                        "breakage",
                        "refunds",
                        "closing",
                        "account_opening",
                        "account_closing",
                        "difference",
                    )
                }
            )
            wizard.update(
                {
                    "ageing_expired": ageing["expired"]["value"],
                    "ageing_30": ageing["0-30"]["value"],
                    "ageing_90": ageing["31-90"]["value"],
                    "ageing_365": ageing["91-365"]["value"],
                    "ageing_later": ageing["later"]["value"],
                    "ageing_never": ageing["never"]["value"],
                }
            )
