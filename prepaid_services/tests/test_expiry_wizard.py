from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import PrepaidHttpCommon


@tagged("post_install", "-at_install")
class TestExpiryWizardOverRpc(PrepaidHttpCommon):
    """Expire Residuals posts what the server finds expirable today, whatever lines or date a client sends."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        start = cls.today - relativedelta(months=6)
        cls.card = cls._create_card(date_start=start)
        cls.lapsed = cls._credit(cls.card, 2, 200.0, start, valid_until=cls.today - relativedelta(days=10))
        cls.lot_2030 = cls._credit(cls.card, 3, 300.0, start, valid_until=date(2030, 12, 31))
        cls.no_expiry = cls._credit(cls.card, 4, 400.0, start)
        cls.other_card = cls._create_card(date_start=start)
        cls.other_lapsed = cls._credit(cls.other_card, 5, 500.0, start, valid_until=cls.today - relativedelta(days=3))

    def _wizard(self, role, cards, inflows, **vals):
        return self.rpc(
            role,
            "prepaid.expiry.wizard",
            "create",
            {
                "service_ids": [Command.set(cards.ids)],
                "line_ids": [Command.create({"inflow_id": inflow.id, "quantity": 99.0}) for inflow in inflows],
                **vals,
            },
        )

    def test_only_what_is_expirable_today_on_the_wizards_cards_expires(self):
        wizard_id = self._wizard(
            "prepaid_manager",
            self.card,
            self.lapsed | self.lot_2030 | self.no_expiry | self.other_lapsed,
            date="2099-01-01",
        )
        shown = self.rpc("prepaid_manager", "prepaid.expiry.wizard", "read", [wizard_id], ["date"])[0]
        self.assertEqual(shown["date"], fields.Date.to_string(self.today), "the date is the server's")
        self.rpc("prepaid_manager", "prepaid.expiry.wizard", "action_confirm", [wizard_id])

        expired = self.env["prepaid.ledger.entry"].search([("entry_type", "=", "expiry")])
        self.assertEqual(expired.service_id, self.card)
        self.assertEqual((expired.quantity, expired.value), (-2.0, -200.0))
        for lot, left in ((self.lapsed, 0.0), (self.lot_2030, 3.0), (self.no_expiry, 4.0), (self.other_lapsed, 5.0)):
            self.assertEqual(lot.remaining_quantity, left, lot.name)
        self.assertBalancesMatchLedger(self.card | self.other_card)
        self.assertDeferredRevenueTies()

    def test_lines_for_nothing_expirable_expire_nothing(self):
        wizard_id = self._wizard("prepaid_manager", self.card, self.lot_2030 | self.no_expiry)
        error = self.assertRpcRefused("prepaid_manager", "prepaid.expiry.wizard", "action_confirm", [wizard_id])
        self.assertIn("Nothing has expired", error.message)
        self.assertEqual(self.card.quantity_outstanding, 9.0)

    def test_no_card_selected_is_not_every_card(self):
        wizard_id = self._wizard("prepaid_manager", self.card.browse(), self.lapsed | self.other_lapsed)
        error = self.assertRpcRefused("prepaid_manager", "prepaid.expiry.wizard", "action_confirm", [wizard_id])
        self.assertIn("Select the prepaid services", error.message)
        self.assertFalse(self.env["prepaid.ledger.entry"].search_count([("entry_type", "=", "expiry")]))

    def test_timesheet_user_cannot_expire_residuals(self):
        self.assertRpcRefused(
            "timesheet", "prepaid.expiry.wizard", "create", {"service_ids": [Command.set(self.card.ids)]}
        )
        self.assertRpcRefused("timesheet", "prepaid.service", "action_expire_residuals", self.card.ids)
        wizard_id = self._wizard("prepaid_manager", self.card, self.lapsed)
        self.assertRpcRefused("timesheet", "prepaid.expiry.wizard", "action_confirm", [wizard_id])
        self.assertEqual(self.lapsed.remaining_quantity, 2.0)
