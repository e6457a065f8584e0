from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSetupAccounting(TransactionCase):
    """A company's prepaid accounts are the chart's own where it has them; only what it lacks is created."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Prepaid US Co", "country_id": cls.env.ref("base.us").id})
        cls.env.user.company_ids |= cls.company
        cls.ChartTemplate = cls.env["account.chart.template"].with_company(cls.company)
        cls.ChartTemplate.try_loading("generic_coa", company=cls.company, install_demo=False)

    def _accounts(self):
        return (
            self.company.prepaid_deferred_account_id,
            self.company.prepaid_breakage_account_id,
            self.company.prepaid_unclaimed_account_id,
        )

    def _code(self, account):
        return account.with_company(self.company).code

    def _reset(self):
        self.company.sudo().write(
            {
                "prepaid_deferred_account_id": False,
                "prepaid_breakage_account_id": False,
                "prepaid_unclaimed_account_id": False,
            }
        )

    def test_generic_chart_deferred_revenue_is_the_charts(self):
        deferred, breakage, unclaimed = self._accounts()
        self.assertEqual(deferred, self.ChartTemplate.ref("deferred_revenue"))
        self.assertEqual(self._code(deferred), "212000")
        self.assertEqual(deferred.account_type, "liability_current")
        # what the chart lacks is numbered among its own accounts of that kind, not 999xxx
        self.assertEqual(breakage.account_type, "income_other")
        self.assertEqual(self._code(breakage)[:2], "45")
        self.assertEqual(unclaimed.account_type, "liability_current")
        self.assertEqual(self._code(unclaimed)[:3], "212")
        self.assertEqual(len(deferred | breakage | unclaimed), 3)
        for account in (deferred, breakage, unclaimed):
            self.assertFalse(self._code(account).startswith("999"), self._code(account))
        self.assertEqual(self.company.prepaid_journal_id.code, "PREP")

    def test_setup_again_creates_nothing(self):
        before = self._accounts()
        count = self.env["account.account"].search_count([("company_ids", "in", self.company.ids)])
        self._reset()
        self.company._prepaid_setup_accounting()
        self.assertEqual(self._accounts(), before)
        self.assertEqual(self.env["account.account"].search_count([("company_ids", "in", self.company.ids)]), count)

    def test_chart_account_found_by_name(self):
        """A chart that names its account "Unearned Revenue" without the generic xmlid: that account is used."""
        chart_deferred = self.ChartTemplate.ref("deferred_revenue")
        self.env["ir.model.data"].search(
            [("model", "=", "account.account"), ("res_id", "=", chart_deferred.id)]
        ).unlink()
        chart_deferred.name = "Unearned Revenue"
        self._reset()
        self.company._prepaid_setup_accounting()
        self.assertEqual(self.company.prepaid_deferred_account_id, chart_deferred)

    def test_chart_without_deferred_revenue_gets_one_among_its_liabilities(self):
        chart_deferred = self.ChartTemplate.ref("deferred_revenue")
        self.env["ir.model.data"].search(
            [("model", "=", "account.account"), ("res_id", "=", chart_deferred.id)]
        ).unlink()
        chart_deferred.name = "Customer Deposits"
        self._reset()
        self.company.sudo().prepaid_unclaimed_account_id = chart_deferred  # not a candidate any more
        self.company._prepaid_setup_accounting()
        deferred = self.company.prepaid_deferred_account_id
        self.assertNotEqual(deferred, chart_deferred)
        self.assertEqual(deferred.name, "Deferred Revenue - Prepaid Services")
        self.assertEqual(deferred.account_type, "liability_current")
        self.assertFalse(self._code(deferred).startswith("999"), self._code(deferred))
        self.assertEqual(len(self._code(deferred)), 6)

    def test_setup_from_another_company_reads_this_companys_codes(self):
        """The install hook runs in the main company's environment: new codes still follow this company's chart."""
        self.company.prepaid_breakage_account_id.name = "Retired account 1"
        self.company.prepaid_unclaimed_account_id.name = "Retired account 2"
        self._reset()
        self.company.with_company(self.env.ref("base.main_company"))._prepaid_setup_accounting()
        deferred, breakage, unclaimed = self._accounts()
        self.assertEqual(self._code(deferred), "212000")
        self.assertEqual(breakage.name, "Breakage Income - Prepaid Services")
        self.assertEqual(unclaimed.name, "Unclaimed Prepaid Balances")
        for account in (breakage, unclaimed):
            self.assertFalse(self._code(account).startswith("999"), self._code(account))
        self.assertEqual(self._code(unclaimed)[:3], "212")
