from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import PrepaidCommon


@tagged("post_install", "-at_install")
class TestMultiCompany(PrepaidCommon):
    """Record rules keep each company's cards, ledger and jobs to itself."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.user_b = new_test_user(
            cls.env,
            login="prepaid_user_b",
            groups="prepaid_services.group_prepaid_user",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )

    def test_user_of_company_b_cannot_read_company_a_cards(self):
        card = self._create_card()
        self._credit(card, 10, 1000.0, date(2026, 1, 1))
        Card = self.env["prepaid.service"].with_user(self.user_b)
        Entry = self.env["prepaid.ledger.entry"].with_user(self.user_b)

        self.assertFalse(Card.search([("id", "=", card.id)]))
        self.assertFalse(Entry.search([("service_id", "=", card.id)]))
        with self.assertRaises(AccessError):
            card.with_user(self.user_b).read(["quantity_outstanding"])
        with self.assertRaises(AccessError):
            card.entry_ids.with_user(self.user_b).read(["quantity"])

    def test_company_b_gets_its_own_prepaid_accounts(self):
        self.assertTrue(self.company_b.prepaid_deferred_account_id)
        self.assertNotEqual(self.company_b.prepaid_deferred_account_id, self.deferred_account)
        self.assertEqual(self.company_b.prepaid_deferred_account_id.account_type, "liability_current")
        self.assertEqual(self.company_b.prepaid_journal_id.company_id, self.company_b)

    def test_user_can_read_own_company_cards_but_not_write_the_ledger(self):
        card = self._create_card()
        entry = self._credit(card, 10, 1000.0, date(2026, 1, 1))
        user_a = new_test_user(
            self.env,
            login="prepaid_user_a",
            groups="prepaid_services.group_prepaid_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        self.assertEqual(card.with_user(user_a).quantity_outstanding, 10.0)
        with self.assertRaises(AccessError):
            entry.with_user(user_a).check_access("write")
