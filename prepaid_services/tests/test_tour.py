from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestPrepaidTour(HttpCase):
    """In the browser: create a card, credit it, assign a project, log time, see the balance drop."""

    def test_prepaid_services_tour(self):
        customer = self.env["res.partner"].create({"name": "Tour Customer"})
        self.env["project.project"].create(
            {"name": "Tour Project", "partner_id": customer.id, "allow_timesheets": True}
        )
        admin = self.env.ref("base.user_admin")
        if not admin.employee_ids:
            self.env["hr.employee"].create({"name": "Tour Technician", "user_id": admin.id})
        admin.group_ids |= self.env.ref("prepaid_services.group_prepaid_manager")

        self.start_tour("/odoo/action-prepaid_services.action_prepaid_service", "prepaid_services_tour", login="admin")

        card = self.env["prepaid.service"].search([("description", "=", "Tour support block")])
        self.assertEqual(card.quantity_outstanding, 8.0)
        usage = card.entry_ids.filtered(lambda e: e.entry_type == "usage")
        self.assertEqual((usage.quantity, usage.timesheet_id.name), (-2.0, "Mail server upgrade"))
