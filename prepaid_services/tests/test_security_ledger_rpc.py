from datetime import date

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

    def test_posting_context_key_does_not_let_a_client_create_ledger_entries(self):
        vals = {"service_id": self.card.id, "entry_type": "receipt", "bucket": "received", "quantity": 100.0}
        for role in ("timesheet", "prepaid_manager", "accountant"):
            self.assertRpcRefused(role, "prepaid.ledger.entry", "create", [vals], context=self.key)
        self.assertEqual(len(self.card.entry_ids), 2)

    def test_application_links_to_journal_entries_are_not_writable(self):
        application = self.usage.outflow_application_ids
        self.assertRpcRefused(
            "prepaid_manager", "prepaid.ledger.application", "write", application.ids, {"move_id": False}
        )
        self.assertEqual(application.move_id, self.usage.move_id)


@tagged("post_install", "-at_install")
class TestModuleJournalEntriesChangeOnlyThroughTheLedger(PrepaidHttpCommon):
    """Recognition, breakage and adjustment entries cannot be reset, reversed or cancelled behind the ledger."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card = cls._create_card()
        cls.card_2 = cls._create_card()
        cls._credit(cls.card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 1, 31))
        cls._credit(cls.card_2, 5, 400.0, date(2026, 1, 1), valid_until=date(2026, 1, 31))
        cls.usage = cls._use(cls.card, 2, date(2026, 1, 10))
        # one batched breakage entry for both cards: it has no single ledger entry of its own
        cls.expiries = cls.env["prepaid.ledger.entry"]._expire_residuals(cls.card | cls.card_2, today=date(2026, 2, 1))
        cls.breakage = cls.expiries.move_id
        cls.key = {"prepaid_ledger_posting": True}

    def test_fixture_has_one_batched_breakage_entry(self):
        self.assertEqual(len(self.breakage), 1)
        self.assertFalse(self.breakage.prepaid_entry_id, "a batch entry belongs to no single ledger entry")
        self.assertMoveLines(
            self.breakage,
            [
                {"account_id": self.deferred_account, "debit": 800.0, "credit": 0.0, "partner_id": self.customer.id},
                {"account_id": self.deferred_account, "debit": 400.0, "credit": 0.0, "partner_id": self.customer.id},
                {
                    "account_id": self.breakage_account,
                    "debit": 0.0,
                    "credit": 800.0,
                    "partner_id": self.customer.id,
                    "analytic_distribution": self.card._get_analytic_distribution() or False,
                },
                {
                    "account_id": self.breakage_account,
                    "debit": 0.0,
                    "credit": 400.0,
                    "partner_id": self.customer.id,
                    "analytic_distribution": self.card_2._get_analytic_distribution() or False,
                },
            ],
        )

    def test_reset_to_draft_refused_even_with_the_posting_context_key(self):
        for move in (self.usage.move_id, self.breakage):
            error = self.assertRpcRefused("accountant", "account.move", "button_draft", move.ids, context=self.key)
            self.assertIn("Create Ledger Entry", error.message)
            self.assertEqual(move.state, "posted")
        self.assertDeferredRevenueTies()

    def test_reverse_entry_wizard_refused(self):
        wizard_id = self.rpc(
            "accountant",
            "account.move.reversal",
            "create",
            [{"move_ids": [(6, 0, self.breakage.ids)], "journal_id": self.breakage.journal_id.id}],
            context={"active_model": "account.move", "active_ids": self.breakage.ids},
        )[0]
        self.assertRpcRefused(
            "accountant",
            "account.move.reversal",
            "refund_moves",
            [wizard_id],
            context={"active_model": "account.move", "active_ids": self.breakage.ids},
        )
        self.assertFalse(self.breakage.reversal_move_ids)
        self.assertDeferredRevenueTies()

    def test_cancel_refused(self):
        self.assertRpcRefused("accountant", "account.move", "button_cancel", self.usage.move_id.ids)
        self.assertEqual(self.usage.move_id.state, "posted")

    def test_card_of_a_posted_journal_item_cannot_be_changed(self):
        line = self.usage.move_id.line_ids.filtered(lambda line: line.account_id == self.deferred_account)
        self.assertRpcRefused(
            "accountant", "account.move.line", "write", line.ids, {"prepaid_service_id": self.card_2.id}
        )
        self.assertRpcRefused(
            "accountant", "account.move", "write", self.breakage.ids, {"prepaid_generated": False}, context=self.key
        )
        self.assertEqual(line.prepaid_service_id, self.card)
        self.assertDeferredRevenueTies()

    def test_daily_summary_entry_cannot_be_reset(self):
        self.company.prepaid_recognition_grouping = "daily"
        self._assign(self.card_2)
        card = self._create_card()
        self._credit(card, 10, 1000.0, date(2026, 2, 1))
        self._assign(
            card, project=self.env["project.project"].create({"name": "Daily", "partner_id": self.customer.id})
        )
        self.env["account.analytic.line"].create(
            {
                "name": "Work",
                "project_id": card.job_ids.project_id.id,
                "employee_id": self.employee.id,
                "unit_amount": 3.0,
                "date": "2026-02-02",
            }
        )
        summary = self.env["prepaid.ledger.application"]._cron_post_daily_recognition(up_to=date(2026, 2, 3))
        self.assertEqual(len(summary), 1)
        self.assertMoveLines(
            summary,
            [
                {"account_id": self.deferred_account, "debit": 300.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 300.0,
                    "analytic_distribution": card._get_analytic_distribution() or False,
                },
            ],
        )
        self.assertRpcRefused("accountant", "account.move", "button_draft", summary.ids, context=self.key)
        self.assertEqual(summary.state, "posted")
        self.assertDeferredRevenueTies()
