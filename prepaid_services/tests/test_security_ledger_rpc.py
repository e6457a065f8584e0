
from odoo.tests import tagged

from .common import PrepaidHttpCommon


@tagged("post_install", "-at_install")
class TestLedgerCannotBeRewrittenOverRpc(PrepaidHttpCommon):
    """No context key a client sends opens the ledger: balances, lots and links move only by posting."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card, cls.invoice = cls._sell(cls.block_product, 1000.0, on_date="2026-01-10")
        cls._assign(cls.card)
        cls.timesheet = cls._log(2.0, on_date="2026-01-20")
        cls.topup = cls.card.entry_ids.filtered(lambda e: e.entry_type == "receipt")
        cls.usage = cls.card.entry_ids.filtered(lambda e: e.entry_type == "usage")
        cls.key = {"prepaid_ledger_posting": True}

    def test_timesheet_user_cannot_set_card_balances_with_posting_context_key(self):
        self.assertRpcRefused(
            "timesheet", "prepaid.service", "write", self.card.ids, {"quantity_outstanding": 1000.0}, context=self.key
        )
        self.card.invalidate_recordset()
        self.assertEqual(self.card.quantity_outstanding, 8.0)
        self.assertBalancesMatchLedger(self.card)

    def test_manager_cannot_rewrite_lot_remaining_or_usage_value(self):
        for entry, vals in (
            (self.topup, {"remaining_quantity": 50.0, "remaining_value": 5000.0}),
            (self.usage, {"value": 1.0}),
            (self.usage, {"move_id": False}),
        ):
            self.assertRpcRefused("prepaid_manager", "prepaid.ledger.entry", "write", entry.ids, vals, context=self.key)
        self.topup.invalidate_recordset()
        self.assertEqual((self.topup.remaining_quantity, self.topup.remaining_value), (8.0, 800.0))
        self.assertDeferredRevenueTies()
