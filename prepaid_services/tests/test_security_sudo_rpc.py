"""What the module reads as superuser stays within the caller's companies: probed over JSON-RPC.

A user of company A names records of company B; whatever the module reads as superuser to answer must not
bring B's figures back (a refusal or an empty answer both keep the promise).
"""

from datetime import date

from odoo.tests import new_test_user, tagged

from .common import PrepaidHttpCommon, RpcError


@tagged("post_install", "-at_install")
class TestSuperuserReadsStayInTheCallersCompanies(PrepaidHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Hidden Co")["company"]
        cls.partner_hidden = cls.env["res.partner"].create({"name": "Hidden Customer Zeta"})
        cls.card_b, cls.invoice_b = cls._sell(
            cls.block_product, 4321.0, on_date="2026-01-10", partner=cls.partner_hidden, company=cls.company_b
        )
        # a lot of B that lapsed long ago: what an expiry preview or a close summary would show
        cls.lot_b = (
            cls.env["prepaid.ledger.entry"]
            .sudo()
            ._post_entries(
                [
                    {
                        "service_id": cls.card_b.id,
                        "entry_type": "receipt",
                        "date": date(2026, 1, 1),
                        "quantity": 7.0,
                        "amount": 7654.0,
                        "valid_until": date(2026, 1, 31),
                    }
                ]
            )
        )
        # a settings manager reads every company's name and accounts, but works in company A only
        cls.role_users["settings_manager"] = new_test_user(
            cls.env,
            login="pp_settings_manager",
            password="pp_settings_manager_pwd",
            groups="base.group_user,base.group_erp_manager,prepaid_services.group_prepaid_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def test_expiry_preview_of_another_companys_card_shows_nothing_of_it(self):
        try:
            action = self.rpc("prepaid_manager", "prepaid.service", "action_expire_residuals", self.card_b.ids)
        except RpcError:
            return  # refused outright: nothing shown
        lines = self.rpc(
            "prepaid_manager",
            "prepaid.expiry.wizard.line",
            "search_read",
            [("wizard_id", "=", action["res_id"])],
            fields=["quantity", "amount", "value"],
        )
        self.assertFalse(lines, "the expiry preview shows the lapsed lots of a company the user does not work in")
        with self.assertRaises(RpcError):
            self.rpc("prepaid_manager", "prepaid.expiry.wizard", "action_confirm", [action["res_id"]])
        self.assertEqual(self.lot_b.remaining_quantity, 7.0)

    def _rollforward_figures(self, role, company):
        wizard_id = self.rpc(
            role,
            "prepaid.rollforward.wizard",
            "create",
            {"company_id": company.id, "date_from": "2026-01-01", "date_to": "2026-12-31"},
        )
        fnames = ["topups", "closing", "account_closing", "ageing_expired"]
        return self.rpc(role, "prepaid.rollforward.wizard", "read", [wizard_id], fnames)[0]

    def test_rollforward_of_another_company_is_refused(self):
        for role in ("prepaid_manager", "settings_manager"):
            with self.subTest(role=role):
                try:
                    figures = self._rollforward_figures(role, self.company_b)
                except RpcError:
                    continue
                self.fail(f"{role} reads the deferred revenue of a company it does not work in: {figures}")

    def test_rollforward_of_the_own_company_still_reads_every_lot(self):
        self._sell(self.block_product, 1000.0, on_date="2026-01-10")
        figures = self._rollforward_figures("prepaid_manager", self.company)
        self.assertEqual(figures["topups"], 1000.0)
        self.assertEqual(figures["account_closing"], 1000.0)

    def test_statement_of_another_companys_card_is_refused(self):
        user = self.role_users["prepaid_manager"]
        self.authenticate(user.login, f"{user.login}_pwd")
        self._rpc_login = user.login
        response = self.url_open(f"/report/html/prepaid_services.report_prepaid_statement/{self.card_b.id}")
        self.assertNotIn("4,321", response.text)
        self.assertNotIn("7,654", response.text)
        self.assertNotIn("Hidden Customer Zeta", response.text)

    def test_ledger_entry_on_another_companys_card_is_refused(self):
        with self.assertRaises(RpcError):
            wizard_id = self.rpc(
                "prepaid_manager",
                "prepaid.ledger.entry.wizard",
                "create",
                {
                    "service_id": self.card_b.id,
                    "direction": "increase",
                    "quantity": 5.0,
                    "valued": False,
                    "reason": "Gift",
                },
            )
            self.rpc("prepaid_manager", "prepaid.ledger.entry.wizard", "action_confirm", [wizard_id])
        self.assertEqual(len(self.card_b.entry_ids), 2)

    def test_close_summary_of_another_companys_card_shows_nothing_of_it(self):
        try:
            wizard_id = self.rpc("timesheet", "prepaid.close.wizard", "create", {"service_id": self.card_b.id})
            summary = self.rpc("timesheet", "prepaid.close.wizard", "read", [wizard_id], ["open_summary"])
        except RpcError:
            return
        self.assertNotIn("7.00", summary[0]["open_summary"] or "")
