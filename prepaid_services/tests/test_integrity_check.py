from datetime import date

from odoo import Command
from odoo.tests import tagged

from .common import PrepaidHttpCommon

CHECK = "prepaid.deferred.revenue.check"
LINE_FIELDS = ["company_id", "account_balance", "open_topups", "awaiting", "difference", "ties"]
ITEM_FIELDS = ["company_id", "kind", "service_id", "reference", "account_balance", "ledger_value", "difference"]


@tagged("post_install", "-at_install")
class TestDeferredRevenueIntegrityCheck(PrepaidHttpCommon):
    """The integrity check covers the whole deferred revenue account and the stored balances, for managers only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card, _invoice = cls._sell(cls.block_product, 1000.0, on_date="2026-01-10")
        cls._use(cls.card, 3, date(2026, 1, 20))

    def _check_over_rpc(self, role="prepaid_manager", context=None):
        """Run the check as a client does; returns (the action, its company lines, its findings)."""
        action = self.rpc(role, "prepaid.service", "action_check_deferred_revenue", self.card.ids, context=context)
        self.assertEqual((action["type"], action["res_model"]), ("ir.actions.act_window", CHECK))
        domain = [("check_id", "=", action["res_id"])]
        lines = self.rpc(role, f"{CHECK}.line", "search_read", domain, LINE_FIELDS, context=context)
        items = self.rpc(role, f"{CHECK}.item", "search_read", domain, ITEM_FIELDS, context=context)
        return action, lines, items

    def _assert_company_line(self, line, account, open_topups, awaiting, difference):
        self.assertEqual(line["company_id"][0], self.company.id)
        self.assertAlmostEqual(line["account_balance"], account, places=2)
        self.assertAlmostEqual(line["open_topups"], open_topups, places=2)
        self.assertAlmostEqual(line["awaiting"], awaiting, places=2)
        self.assertAlmostEqual(line["difference"], difference, places=2)

    def _post_manual_entry(self, amount, company_data=None):
        """A journal entry posted by hand on the deferred revenue account: credit it, debit an expense."""
        company_data = company_data or self.company_data
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": "2026-02-02",
                "journal_id": company_data["default_journal_misc"].id,
                "company_id": company_data["company"].id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": company_data["company"].prepaid_deferred_account_id.id,
                            "credit": amount,
                            "name": "Manual correction",
                        }
                    ),
                    Command.create({"account_id": company_data["default_account_expense"].id, "debit": amount}),
                ],
            }
        )
        move.action_post()
        return move.line_ids.filtered(lambda line: line.credit)

    def test_portal_and_timesheet_users_are_refused_and_learn_nothing(self):
        self._post_manual_entry(50.0)
        checks = self.env[CHECK].sudo().search_count([])
        for role in ("portal", "timesheet"):
            for ids in (self.card.ids, []):
                error = self.assertRpcRefused(role, "prepaid.service", "action_check_deferred_revenue", ids)
                self.assertIn("AccessError", error.name)
                self.assertNotIn(self.card.name, error.message)
                self.assertNotRegex(error.message, r"\d", "no amount, no card number")
            self.assertRpcRefused(role, "prepaid.service", "_get_deferred_revenue_differences", [self.company.id])
            self.assertRpcRefused(role, CHECK, "search_read", [], ["ties"])
            self.assertRpcRefused(role, f"{CHECK}.item", "search_read", [], ITEM_FIELDS)
        self.assertEqual(self.env[CHECK].sudo().search_count([]), checks, "no check ran for them")

    def test_manager_gets_the_report_action_and_everything_ties(self):
        action, lines, items = self._check_over_rpc()
        check = self.rpc("prepaid_manager", CHECK, "read", [action["res_id"]], ["ties"])
        self.assertTrue(check[0]["ties"])
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0]["ties"])
        self._assert_company_line(lines[0], account=700.0, open_topups=700.0, awaiting=0.0, difference=0.0)
        self.assertEqual(items, [])
        self.assertDeferredRevenueTies()

    def test_consumption_awaiting_the_daily_summary_ties_on_its_own_line(self):
        self.company.prepaid_recognition_grouping = "daily"
        self._assign(self.card)
        self._log(2.0, on_date="2026-02-02")

        _action, lines, items = self._check_over_rpc()
        self._assert_company_line(lines[0], account=700.0, open_topups=500.0, awaiting=200.0, difference=0.0)
        self.assertTrue(lines[0]["ties"])
        self.assertEqual(items, [])
        self.assertDeferredRevenueTies()

    def test_manual_entry_on_the_deferred_account_is_an_unexplained_difference(self):
        self.assertDeferredRevenueTies()
        manual_line = self._post_manual_entry(50.0)

        action, lines, items = self._check_over_rpc()
        self.assertFalse(self.rpc("prepaid_manager", CHECK, "read", [action["res_id"]], ["ties"])[0]["ties"])
        self._assert_company_line(lines[0], account=750.0, open_topups=700.0, awaiting=0.0, difference=50.0)
        self.assertFalse(lines[0]["ties"])
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0]["kind"], "journal_item")
        self.assertFalse(items[0]["service_id"])
        self.assertIn(manual_line.move_id.name, items[0]["reference"])
        self.assertAlmostEqual(items[0]["account_balance"], 50.0, places=2)
        self.assertAlmostEqual(items[0]["difference"], 50.0, places=2)
        item = self.env[f"{CHECK}.item"].sudo().search([("check_id", "=", action["res_id"])])
        self.assertEqual(item.move_line_id, manual_line)

        report = self.env["prepaid.service"]._get_deferred_revenue_differences(self.company)
        self.assertEqual(report[self.company]["lines"], manual_line)
        self.assertEqual(report[self.company]["cards"], {})
        with self.assertRaises(AssertionError):
            self.assertDeferredRevenueTies()

    def test_manual_entry_reversed_by_the_accountant_ties_again(self):
        manual_line = self._post_manual_entry(50.0)
        manual_line.move_id._reverse_moves([{"date": date(2026, 2, 3)}], cancel=True)

        action, lines, items = self._check_over_rpc()
        self.assertTrue(self.rpc("prepaid_manager", CHECK, "read", [action["res_id"]], ["ties"])[0]["ties"])
        self._assert_company_line(lines[0], account=700.0, open_topups=700.0, awaiting=0.0, difference=0.0)
        self.assertEqual(items, [])
        self.assertDeferredRevenueTies()

    def test_stored_balance_drift_is_reported(self):
        self.env.flush_all()
        self.env.cr.execute("UPDATE prepaid_service SET quantity_outstanding = 9 WHERE id = %s", [self.card.id])
        self.env.invalidate_all()

        action, lines, items = self._check_over_rpc()
        self.assertFalse(self.rpc("prepaid_manager", CHECK, "read", [action["res_id"]], ["ties"])[0]["ties"])
        self._assert_company_line(lines[0], account=700.0, open_topups=700.0, awaiting=0.0, difference=0.0)
        self.assertFalse(lines[0]["ties"])
        self.assertEqual([(i["kind"], i["service_id"][0]) for i in items], [("stored_balance", self.card.id)])
        self.assertRegex(items[0]["reference"], r"Outstanding: stored 9\.00, ledger 7\.00")

        report = self.env["prepaid.service"]._get_deferred_revenue_differences(self.company)
        self.assertEqual(report[self.company]["balances"], {self.card: {"quantity_outstanding": (9.0, 7.0)}})

    def test_check_covers_only_the_companies_the_manager_works_in(self):
        company_b_data = self.setup_other_company(name="Company B")
        self._post_manual_entry(80.0, company_data=company_b_data)

        _action, lines, items = self._check_over_rpc()
        self.assertEqual([line["company_id"][0] for line in lines], [self.company.id])
        self.assertTrue(lines[0]["ties"])
        self.assertEqual(items, [])
        error = self.assertRpcRefused(
            "prepaid_manager",
            "prepaid.service",
            "action_check_deferred_revenue",
            [],
            context={"allowed_company_ids": [self.company.id, company_b_data["company"].id]},
        )
        self.assertIn("unauthorized or invalid companies", error.message)

    def test_a_manager_reads_only_the_checks_they_ran(self):
        action, _lines, _items = self._check_over_rpc()
        other_manager = self.env["res.users"].create(
            {
                "name": "Other Manager",
                "login": "pp_other_manager",
                "password": "pp_other_manager_pwd",
                "group_ids": [Command.set(self.role_users["prepaid_manager"].group_ids.ids)],
            }
        )
        self.role_users["other_manager"] = other_manager
        self.addCleanup(self.role_users.pop, "other_manager")
        domain = [("check_id", "=", action["res_id"])]
        self.assertEqual(self.rpc("other_manager", f"{CHECK}.line", "search_read", domain, LINE_FIELDS), [])
        self.assertRpcRefused("other_manager", CHECK, "read", [action["res_id"]], ["ties"])
        self.assertRpcRefused("prepaid_manager", f"{CHECK}.item", "create", {"check_id": action["res_id"]})
