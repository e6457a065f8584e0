from datetime import date

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools.misc import format_amount

from .common import PrepaidHttpCommon

# the context of Timesheets > My Timesheets (hr_timesheet.act_hr_timesheet_line)
TIMESHEETS_ACTION_CONTEXT = {"search_default_week": 1, "is_timesheet": 1, "is_my_timesheets": 1}


@tagged("post_install", "-at_install")
class TestClearMessages(PrepaidHttpCommon):
    """Bad input is refused up front with a message that says what to do, and nothing is half-written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.role_users["product_manager"] = new_test_user(
            cls.env,
            login="pp_product_manager",
            password="pp_product_manager_pwd",
            groups="base.group_user,product.group_product_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.env["hr.employee"].create(
            {"name": "Timesheet User", "user_id": cls.role_users["timesheet"].id, "company_id": cls.company.id}
        )
        cls.card, _invoice = cls._sell(cls.block_product, 1000.0, on_date="2026-01-10")
        cls._assign(cls.card)

    def _counts(self):
        return (
            self.env["prepaid.ledger.entry"].search_count([]),
            self.env["account.move"].search_count([]),
        )

    def _log_as_timesheet_user(self, hours):
        return self.rpc(
            "timesheet",
            "account.analytic.line",
            "create",
            {
                "name": "Mailbox move",
                "project_id": self.project.id,
                "task_id": self.task.id,
                "unit_amount": hours,
                "date": "2026-02-02",
            },
            context=TIMESHEETS_ACTION_CONTEXT,
        )

    def test_negative_timesheet_on_a_prepaid_project_says_what_to_do(self):
        before = self._counts()
        error = self.assertRpcRefused(
            "timesheet",
            "account.analytic.line",
            "create",
            {"project_id": self.project.id, "task_id": self.task.id, "unit_amount": -1.5, "date": "2026-02-02"},
            context=TIMESHEETS_ACTION_CONTEXT,
        )
        self.assertIn("cannot be negative (-01:30)", error.message)
        self.assertIn("edit or delete that timesheet", error.message)
        self.assertEqual(self._counts(), before)
        self.assertFalse(self.env["account.analytic.line"].search([("project_id", "=", self.project.id)]))
        # the same door takes positive work
        self._log_as_timesheet_user(1.5)
        self.assertEqual(self.card.quantity_outstanding, 8.5)

    def test_negative_hourly_rate_is_refused(self):
        money_card, _invoice = self._sell(self.balance_product, 500.0, on_date="2026-01-10")
        error = self.assertRpcRefused(
            "prepaid_manager", "prepaid.service", "write", money_card.ids, {"hourly_rate": -80.0}
        )
        self.assertIn(f"cannot be negative ({format_amount(self.env, -80.0, self.currency)})", error.message)
        self.assertEqual(money_card.hourly_rate, 0.0)

    def test_rate_rule_with_a_negative_price_or_factor_is_refused(self):
        rule_id = self.rpc(
            "prepaid_manager", "prepaid.service.rate", "create", {"service_id": self.card.id, "name": "Night"}
        )
        for vals in ({"price_unit": -5.0}, {"factor": -1.0}):
            error = self.assertRpcRefused("prepaid_manager", "prepaid.service.rate", "write", [rule_id], vals)
            self.assertIn("cannot have a negative factor", error.message)
            self.assertRpcRefused(
                "prepaid_manager", "prepaid.service.rate", "create", {"service_id": self.card.id, **vals}
            )
        rule = self.env["prepaid.service.rate"].browse(rule_id)
        self.assertEqual((rule.price_unit, rule.factor), (0.0, 1.0))

    def test_prepaid_product_crediting_nothing_is_refused(self):
        vals = {
            "name": "Empty block",
            "type": "service",
            "prepaid_ok": True,
            "prepaid_service_type": "quantity",
            "prepaid_quantity": 0.0,
        }
        error = self.assertRpcRefused("product_manager", "product.template", "create", vals)
        self.assertIn("Credited per Unit Sold", error.message)
        self.assertRpcRefused(
            "product_manager",
            "product.template",
            "write",
            self.block_product.product_tmpl_id.ids,
            {"prepaid_quantity": 0.0},
        )
        self.assertEqual(self.block_product.prepaid_quantity, 10.0)
        # a money top-up credits what it is sold for: no quantity needed
        self.rpc("product_manager", "product.template", "create", {**vals, "prepaid_service_type": "amount"})

    def _ledger_entry_wizard(self, card, **vals):
        wizard_id = self.rpc(
            "prepaid_manager",
            "prepaid.ledger.entry.wizard",
            "create",
            {
                "service_id": card.id,
                "direction": "increase",
                "quantity": 1.0,
                "valued": True,
                "counterpart_account_id": self.goodwill_account.id,
                "reason": "Credit",
                **vals,
            },
        )
        return "prepaid.ledger.entry.wizard", "action_confirm", [wizard_id]

    def test_entry_dated_at_the_end_of_the_calendar_is_refused_clearly(self):
        card = self._create_card(validity_interval=12, validity_unit="months")
        before = self._counts()
        error = self.assertRpcRefused(
            "prepaid_manager", *self._ledger_entry_wizard(card, date="9999-12-31", quantity=2.0, amount=200.0)
        )
        self.assertIn("beyond the last date a calendar holds", error.message)
        self.assertIn("12/31/9999", error.message)
        self.assertEqual(self._counts(), before)

    def test_valued_credit_beyond_the_maximum_is_refused_below_it_is_exact(self):
        card = self._create_card()
        before = self._counts()
        error = self.assertRpcRefused("prepaid_manager", *self._ledger_entry_wizard(card, amount=1e13))
        self.assertIn(f"at most {format_amount(self.env, 1e12, self.currency)}", error.message)
        self.assertEqual(self._counts(), before)

        self.rpc("prepaid_manager", *self._ledger_entry_wizard(card, quantity=3.0, amount=999_999_999_999.99))
        entry = card.entry_ids
        self.assertEqual((entry.amount, entry.value), (999_999_999_999.99, 999_999_999_999.99))
        self.assertMoveLines(
            entry.move_id,
            [
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 999_999_999_999.99},
                {
                    "account_id": self.goodwill_account,
                    "debit": 999_999_999_999.99,
                    "credit": 0.0,
                    "analytic_distribution": {str(card.analytic_account_id.id): 100},
                },
            ],
        )
        self.assertEqual(sorted(entry.move_id.line_ids.mapped("balance")), [-999_999_999_999.99, 999_999_999_999.99])
        self._use(card, 1.0, date(2026, 2, 1))
        self.assertBalancesMatchLedger(card)
        self.assertEqual(card.amount_outstanding, 666_666_666_666.66)
        self.assertDeferredRevenueTies()
        # a card cannot grow past the maximum either, top-up by top-up
        error = self.assertRpcRefused("prepaid_manager", *self._ledger_entry_wizard(card, amount=500_000_000_000.0))
        self.assertIn("at most", error.message)

    def test_low_balance_filter_finds_cards_without_any_entry(self):
        empty = self._create_card(low_balance_threshold=2.0)
        topped_up = self._create_card(low_balance_threshold=2.0)
        self._credit(topped_up, 5, 500.0, date(2026, 1, 5))
        found = self.rpc("salesman", "prepaid.service", "search", [("is_low_balance", "=", True)])
        self.assertIn(empty.id, found)
        self.assertNotIn(topped_up.id, found)
        self.assertNotIn(self.card.id, found)
        self.assertTrue(empty.is_low_balance)

    def test_portal_statement_with_a_bad_date_answers_400(self):
        portal = self.role_users["portal"]
        self.authenticate(portal.login, f"{portal.login}_pwd")
        url = f"/my/prepaid/{self.card.id}/statement"
        response = self.url_open(f"{url}?date_from=not-a-date")
        self.assertEqual(response.status_code, 400)
        self.assertIn("not-a-date, is not a date: give it as YYYY-MM-DD", response.text)
        response = self.url_open(f"{url}?date_from=2026-02-01&date_to=2026-01-01")
        self.assertEqual(response.status_code, 400)
        self.assertIn("ends", response.text)
        self.assertEqual(self.url_open(f"{url}?date_from=2026-01-01&date_to=2026-01-31").status_code, 200)
        with self.assertNoLogs("odoo.http", level="WARNING"):
            self.assertEqual(self.url_open("/my/prepaid/999999999").status_code, 404)
