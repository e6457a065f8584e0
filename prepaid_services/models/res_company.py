from odoo import api, fields, models
from odoo.exceptions import UserError


class ResCompany(models.Model):
    _inherit = "res.company"

    prepaid_deferred_account_id = fields.Many2one(
        "account.account",
        string="Deferred Revenue Account",
        check_company=True,
        domain="[('account_type', '=', 'liability_current')]",
        help="Current liability that holds prepaid top-ups until they are used, expired or refunded.",
    )
    prepaid_journal_id = fields.Many2one(
        "account.journal",
        string="Recognition Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Journal of the recognition, breakage and adjustment entries of prepaid services.",
    )
    prepaid_breakage_account_id = fields.Many2one(
        "account.account",
        string="Breakage Income Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Income account credited when unused prepaid balances expire.",
    )
    prepaid_expiry_to_liability = fields.Boolean(
        string="Expired Balances to Unclaimed Property",
        help="Expired residuals are moved to a liability account (unclaimed property) instead of breakage income.",
    )
    prepaid_unclaimed_account_id = fields.Many2one(
        "account.account",
        string="Unclaimed Property Account",
        check_company=True,
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
    )
    prepaid_tax_timing = fields.Selection(
        [("topup", "On the top-up invoice"), ("consumption", "On consumption")],
        string="Tax Timing",
        default="topup",
        required=True,
        help="On the top-up invoice: tax is charged when the prepayment is invoiced (EU VAT on prepayments). "
        "On consumption: the top-up invoice carries no tax; invoices paid with prepaid credit do.",
    )
    prepaid_recognition_grouping = fields.Selection(
        [("daily", "Grouped: one journal entry per company and day"), ("entry", "One journal entry per consumption")],
        string="Recognition Entries",
        default="daily",
        required=True,
        help="Grouped: the revenue timesheets earn is posted in one journal entry per company and day (one line "
        "pair per card and income account) by the nightly scheduled action, or at once with Recognise Now; card "
        "balances move at once either way. One journal entry per consumption posts an entry with every timesheet.",
    )
    prepaid_auto_analytic = fields.Boolean(
        string="Analytic Account per Prepaid Service",
        default=True,
        help="Create an analytic account for each new prepaid service.",
    )

    def _get_prepaid_expiry_account(self, raise_if_missing=True):
        """Where expired prepaid value goes: unclaimed property (a liability) when the company says so, else
        breakage income. The one rule, for the expiry run and its preview alike."""
        self.ensure_one()
        if self.prepaid_expiry_to_liability and self.prepaid_unclaimed_account_id:
            return self.prepaid_unclaimed_account_id
        if not self.prepaid_breakage_account_id and raise_if_missing:
            raise UserError(
                self.env._(
                    "Set the breakage income account of %(company)s in Settings > Prepaid Services.",
                    company=self.name,
                )
            )
        return self.prepaid_breakage_account_id

    def _prepaid_setup_accounting(self):
        """Give companies that have a chart of accounts their prepaid accounts and journal.

        The chart's own accounts come first: the account its template names as the company's deferred
        revenue (l10n_fr 487, l10n_ch 2301...) or the generic chart's "Deferred Revenue" (212000), then an
        account of the right type whose name says what it is. Only what the chart lacks is created, numbered
        after the chart's accounts of the same kind (not 999xxx).
        """
        # sudo (accounts, journal, company): set up with the chart, whoever loads it (install, a new company)
        Account = self.env["account.account"].sudo()
        ChartTemplate = self.env["account.chart.template"].sudo()
        for company in self:
            if not company.chart_template:
                continue
            accounts = Account.with_company(company)
            account_domain = Account._check_company_domain(company)
            taken = company.prepaid_deferred_account_id | company.prepaid_breakage_account_id
            taken |= company.prepaid_unclaimed_account_id
            vals = {}

            def chart_account(xmlids, account_types, company_fields=(), company=company):
                """The chart's account: the one its template sets in one of company_fields, else one of xmlids."""
                template = ChartTemplate.with_company(company)
                company_data = {}
                if company_fields:
                    company_data = template._get_chart_template_model_data(company.chart_template, "res.company")
                refs = [
                    values[fname] for values in company_data.values() for fname in company_fields if values.get(fname)
                ]
                for xmlid in [*refs, *xmlids]:
                    if not isinstance(xmlid, str):
                        continue
                    account = template.ref(xmlid, raise_if_not_found=False)
                    if (
                        account
                        and account._name == "account.account"
                        and account.account_type in account_types
                        and company in account.company_ids
                    ):
                        return account
                return Account

            def named_account(names, account_types, taken=taken, accounts=accounts, account_domain=account_domain):
                """An account of the chart whose name says what it is, unless already one of the other settings."""
                for name in names:
                    account = accounts.search(
                        [
                            *account_domain,
                            ("account_type", "in", account_types),
                            ("name", "ilike", name),
                            ("id", "not in", taken.ids),
                        ],
                        order="id",
                        limit=1,
                    )
                    if account:
                        return account
                return Account

            def new_account(account_type, name, start=Account, accounts=accounts, account_domain=account_domain):
                """A new account numbered after start, or after the chart's first account of its type."""
                start = start.with_env(accounts.env)  # codes are per company: read the company's
                if not start:
                    siblings = accounts.search([*account_domain, ("account_type", "=", account_type)])
                    start = siblings.sorted(lambda a: (len(a.code or ""), a.code or ""))[:1]
                code = accounts._search_new_account_code(start.code or "999000")
                return accounts.create(
                    {
                        "name": name,
                        "code": code,
                        "account_type": account_type,
                        "company_ids": accounts.env.company.ids,
                    }
                )

            if not company.prepaid_deferred_account_id:
                types = ("liability_current",)
                deferred = (
                    chart_account(["deferred_revenue"], types, company_fields=["deferred_revenue_account_id"])
                    or named_account(
                        [
                            self.env._("Deferred Revenue"),
                            self.env._("Unearned Revenue"),
                            self.env._("Contract Liabilities"),
                            "Deferred Revenue",
                            "Unearned Revenue",
                        ],
                        types,
                    )
                    or new_account("liability_current", self.env._("Deferred Revenue - Prepaid Services"))
                )
                vals["prepaid_deferred_account_id"] = deferred.id
                taken |= deferred
            if not company.prepaid_breakage_account_id:
                types = ("income", "income_other")
                vals["prepaid_breakage_account_id"] = (
                    named_account([self.env._("Breakage"), "Breakage"], types, taken=taken)
                    or new_account(
                        "income_other",
                        self.env._("Breakage Income - Prepaid Services"),
                        start=chart_account(["other_income"], ("income_other",)),
                    )
                ).id
                taken |= Account.browse(vals["prepaid_breakage_account_id"])
            if not company.prepaid_unclaimed_account_id:
                types = ("liability_current", "liability_non_current")
                deferred = company.prepaid_deferred_account_id or Account.browse(vals["prepaid_deferred_account_id"])
                vals["prepaid_unclaimed_account_id"] = (
                    named_account([self.env._("Unclaimed"), "Unclaimed"], types, taken=taken)
                    or new_account("liability_current", self.env._("Unclaimed Prepaid Balances"), start=deferred)
                ).id
            if not company.prepaid_journal_id:
                journal = (
                    self.env["account.journal"]
                    .sudo()
                    .search(
                        [*self.env["account.journal"]._check_company_domain(company), ("code", "=", "PREP")], limit=1
                    )
                )
                vals["prepaid_journal_id"] = (
                    journal
                    or self.env["account.journal"]
                    .sudo()
                    .create(
                        {
                            "name": self.env._("Prepaid Services"),
                            "code": "PREP",
                            "type": "general",
                            "company_id": company.id,
                        }
                    )
                ).id
            company.sudo().write(vals)

    @api.model
    def _prepaid_setup_all_companies(self):
        """Install hook: companies that already have a chart get their prepaid accounts now."""
        self.sudo().search([("chart_template", "!=", False)])._prepaid_setup_accounting()  # sudo: every company
