from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    prepaid_service_count = fields.Integer(
        compute="_compute_prepaid_service_count",
        string="Prepaid Services",
        groups="prepaid_services.group_prepaid_user",
    )

    def _compute_prepaid_service_count(self):
        commercial = self.commercial_partner_id
        counts = dict(
            self.env["prepaid.service"]._read_group(
                [("commercial_partner_id", "in", commercial.ids), ("closed", "=", False)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.prepaid_service_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_prepaid_services(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("prepaid_services.action_prepaid_service")
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.id, "search_default_filter_open": 1}
        return action

    def action_new_prepaid_service(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "prepaid.service",
            "view_mode": "form",
            "target": "current",
            "context": {"default_partner_id": self.id},
        }
