from odoo.tests import tagged

from .common import PrepaidCommon


@tagged("post_install", "-at_install")
class TestDemoStory(PrepaidCommon):
    """The demo reads like a real company's: each project is named after its own customer, and a real user,
    not OdooBot, sells the orders and manages the cards."""

    def _assert_story_reads_true(self, cards, manager):
        self.assertEqual(len(cards), 3)
        odoobot = self.env.ref("base.user_root")
        for card in cards:
            with self.subTest(card=card.name):
                self.assertEqual(card.user_id, manager)
                self.assertNotEqual(card.user_id, odoobot)
                orders = self.env["sale.order.line"].search([("prepaid_service_id", "=", card.id)]).order_id
                self.assertNotIn(odoobot, orders.user_id)
                for project in card.job_ids.project_id:
                    self.assertEqual(project.partner_id, card.partner_id)
                    self.assertIn(card.partner_id.name, project.name)
                    others = (cards.partner_id - card.partner_id).mapped("name")
                    self.assertFalse([name for name in others if name in project.name], project.name)
        self.assertEqual(len(cards.job_ids.project_id), 2, "the block and the monthly allowance have a project")

    def test_demo_story_names_projects_after_their_customer_and_a_real_user_manages_the_cards(self):
        manager = self._create_demo_manager("pp_demo_manager")
        hour = self.uom_hour
        block = self._create_topup_product(
            "Support block - 20 hours",
            1900.0,
            prepaid_quantity=20.0,
            prepaid_uom_id=hour.id,
            prepaid_validity_interval=12,
        )
        monthly = self._create_topup_product(
            "Managed support - 10 hours a month",
            890.0,
            prepaid_quantity=10.0,
            prepaid_uom_id=hour.id,
            prepaid_accrual="periodic",
            prepaid_overdraw_policy="negative",
        )
        balance = self._create_topup_product("Prepaid service credit", 1.0, prepaid_service_type="amount")
        firewall = self._create_product(name="Firewall appliance", type="consu", lst_price=640.0)
        customers = self.partner_a | self.partner_b | self.env["res.partner"].create({"name": "Third Customer"})

        # as the demo data loads it: as superuser, in the manager's name
        cards = self.env(user=manager, su=True)["prepaid.demo"]._run_demo_story(
            customers=tuple(customers), products=(block, monthly, balance, firewall)
        )

        self.assertEqual(cards.partner_id, customers)
        self._assert_story_reads_true(cards, manager)
        self.assertDeferredRevenueTies()

    def test_installed_demo_data_names_projects_after_their_customer(self):
        """Where the module was installed with demo data (make demo), the data itself reads true."""
        product = self.env.ref("prepaid_services.product_prepaid_block_20h", raise_if_not_found=False)
        if not product:
            self.skipTest("the module was installed without demo data")
        products = (
            product
            | self.env.ref("prepaid_services.product_prepaid_monthly_10h")
            | self.env.ref("prepaid_services.product_prepaid_balance")
        )
        # sudo: the demo company is not the test's
        cards = self.env["prepaid.service"].sudo().search([("product_id", "in", products.ids)], order="id", limit=3)
        self._assert_story_reads_true(cards, self.env.ref("base.user_admin"))
