from datetime import date

from odoo.tests import HttpCase, new_test_user, tagged

from .common import PrepaidSaleCommon


@tagged("post_install", "-at_install")
class TestPortal(PrepaidSaleCommon, HttpCase):
    """Customers see their own cards and statements on the portal, and nobody else's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card_a, _invoice = cls._sell(cls.block_product, 1000.0, on_date="2026-01-10")
        cls.card_b, _invoice = cls._sell(cls.block_product, 900.0, on_date="2026-01-10", partner=cls.partner_b)
        cls._use(cls.card_a, 3, date(2026, 1, 20))
        cls.portal_a = new_test_user(
            cls.env,
            login="portal_a",
            password="portal_a_pwd",
            groups="base.group_portal",
            partner_id=cls.customer.id,
        )

    def test_customer_sees_own_cards_history_and_statement(self):
        self.authenticate("portal_a", "portal_a_pwd")
        response = self.url_open("/my/prepaid")
        self.assertEqual(response.status_code, 200, response.text[:3000])
        self.assertIn(self.card_a.name, response.text)
        self.assertNotIn(self.card_b.name, response.text)

        response = self.url_open(f"/my/prepaid/{self.card_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("7.00", response.text)
        self.assertIn("Statement", response.text)

        response = self.url_open(f"/my/prepaid/{self.card_a.id}/statement?date_from=2026-01-01&date_to=2026-01-31")
        self.assertEqual(response.status_code, 200)
        self.assertIn(response.headers["Content-Type"].split(";")[0], ("application/pdf", "text/html"))
        if response.headers["Content-Type"].startswith("text/html"):
            self.assertIn(self.card_a.name, response.text)
            self.assertIn("Closing balance", response.text)

    def test_customer_cannot_open_another_customers_card_or_statement(self):
        self.authenticate("portal_a", "portal_a_pwd")
        for url in (f"/my/prepaid/{self.card_b.id}", f"/my/prepaid/{self.card_b.id}/statement"):
            response = self.url_open(url)
            self.assertIn(response.status_code, (403, 404), url)
            self.assertNotIn(self.card_b.name, response.text)

    def test_portal_user_reads_only_own_cards_through_the_orm(self):
        Card = self.env["prepaid.service"].with_user(self.portal_a)
        self.assertEqual(Card.search([]), self.card_a)
        self.assertEqual(self.env["prepaid.ledger.entry"].with_user(self.portal_a).search([]).service_id, self.card_a)
