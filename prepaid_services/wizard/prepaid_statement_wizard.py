from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import date_utils


class PrepaidStatementWizard(models.TransientModel):
    """Print the Prepaid Services Statement of one or many cards over a period."""

    _name = "prepaid.statement.wizard"
    _description = "Prepaid Services Statement"

    service_ids = fields.Many2many("prepaid.service", string="Prepaid Services", required=True)
    date_from = fields.Date(
        required=True, default=lambda self: date_utils.start_of(fields.Date.context_today(self), "month")
    )
    date_to = fields.Date(
        required=True, default=lambda self: date_utils.end_of(fields.Date.context_today(self), "month")
    )

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if self.env.context.get("active_model") == "prepaid.service" and "service_ids" in fields_list:
            res["service_ids"] = [Command.set(self.env.context.get("active_ids", []))]
        return res

    def action_print(self):
        self.ensure_one()
        if self.date_to < self.date_from:
            raise UserError(self.env._("The statement period ends before it starts."))
        action = self.env.ref("prepaid_services.action_report_prepaid_statement").report_action(
            self.service_ids,
            data={
                "date_from": fields.Date.to_string(self.date_from),
                "date_to": fields.Date.to_string(self.date_to),
                "service_ids": self.service_ids.ids,
            },
        )
        if action.get("type") == "ir.actions.report":
            # the dialog closes once the statement is downloaded, as Odoo's label and check wizards do
            action["close_on_report_download"] = True
        return action
