from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import PrepaidCommon


@tagged("post_install", "-at_install")
class TestServiceJobs(PrepaidCommon):
    """Assigned jobs tie projects to one customer's cards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.project = (
            cls.env["project.project"]
            .sudo()
            .create({"name": "Managed services", "partner_id": cls.customer.id, "company_id": cls.company.id})
        )

    def test_job_count_on_card(self):
        card = self._create_card()
        other = self.env["project.project"].sudo().create({"name": "Other", "company_id": self.company.id})
        self.env["prepaid.service.job"].create(
            [{"service_id": card.id, "project_id": self.project.id}, {"service_id": card.id, "project_id": other.id}]
        )
        self.assertEqual(card.job_count, 2)

    def _shared_project(self):
        """A project of no customer in particular (internal support desk): the only kind two customers' cards
        could ever both be assigned to."""
        return self.env["project.project"].create({"name": "Support desk", "company_id": self.company.id})

    def test_project_of_a_customer_only_draws_on_that_customers_cards(self):
        card_b = self._create_card(partner_id=self.partner_b.id)
        with self.assertRaisesRegex(ValidationError, "only pays that customer's work"):
            self.env["prepaid.service.job"].create({"service_id": card_b.id, "project_id": self.project.id})

    def test_project_cannot_serve_open_cards_of_two_customers(self):
        self.project = self._shared_project()
        card_a = self._create_card()
        card_a_bis = self._create_card()
        card_b = self._create_card(partner_id=self.partner_b.id)
        self.env["prepaid.service.job"].create({"service_id": card_a.id, "project_id": self.project.id})
        # a second card of the same customer may share the project
        self.env["prepaid.service.job"].create({"service_id": card_a_bis.id, "project_id": self.project.id})
        with self.assertRaisesRegex(ValidationError, "already assigned to an open prepaid service of another"):
            self.env["prepaid.service.job"].create({"service_id": card_b.id, "project_id": self.project.id})

    def test_closed_card_frees_its_project_for_another_customer(self):
        self.project = self._shared_project()
        card_a = self._create_card()
        card_b = self._create_card(partner_id=self.partner_b.id)
        self.env["prepaid.service.job"].create({"service_id": card_a.id, "project_id": self.project.id})
        self._close_card(card_a)
        job = self.env["prepaid.service.job"].create({"service_id": card_b.id, "project_id": self.project.id})
        self.assertEqual(card_b.job_ids, job)

    def test_rate_rules_are_read_only_on_the_form_for_non_managers(self):
        card = self._create_card()
        self.env["prepaid.service.rate"].create({"service_id": card.id, "name": "After hours", "factor": 1.5})
        user = new_test_user(
            self.env,
            login="prepaid_plain_user",
            groups="prepaid_services.group_prepaid_user,sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with Form(card.with_user(user)) as form:
            self.assertFalse(form.can_edit_pricing)
            with self.assertRaisesRegex(AssertionError, "'rate_ids' is not editable"):
                form.rate_ids.new()
            form.description = "users may still edit the card"
        self.assertEqual(card.description, "users may still edit the card")
        # a manager edits the rules from the same form
        with Form(card) as form:
            self.assertTrue(form.can_edit_pricing)
            with form.rate_ids.new() as rule:
                rule.name = "Weekend"
                rule.factor = 2.0
        self.assertEqual(card.rate_ids.sorted("id").mapped("name"), ["After hours", "Weekend"])
