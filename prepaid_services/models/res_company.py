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
        [("entry", "One entry per consumption"), ("daily", "One summary entry per card and day")],
        string="Recognition Entries",
        default="entry",
        required=True,
        help="Daily summary: revenue recognised from timesheets is posted once a day per card by a scheduled "
        "action, instead of one journal entry per timesheet.",
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
        """Create the prepaid accounts and journal of companies that have a chart of accounts."""
        # sudo (accounts, journal, company): set up with the chart, whoever loads it (install, a new company)
        Account = self.env["account.account"].sudo()
        for company in self:
            if not company.chart_template:
                continue
            account_domain = Account._check_company_domain(company)
            vals = {}

            def new_account(account_type, name, company=company, account_domain=account_domain):
                base = Account.search([*account_domain, ("account_type", "=", account_type)], order="code", limit=1)
                code = Account.with_company(company)._search_new_account_code(base.code or "999000")
                return Account.with_company(company).create(
                    {"name": name, "code": code, "account_type": account_type, "company_ids": [company.id]}
                )

            if not company.prepaid_deferred_account_id:
                vals["prepaid_deferred_account_id"] = new_account(
                    "liability_current", self.env._("Deferred Revenue - Prepaid Services")
                ).id
            if not company.prepaid_breakage_account_id:
                vals["prepaid_breakage_account_id"] = new_account(
                    "income_other", self.env._("Breakage Income - Prepaid Services")
                ).id
            if not company.prepaid_unclaimed_account_id:
                vals["prepaid_unclaimed_account_id"] = new_account(
                    "liability_current", self.env._("Unclaimed Prepaid Balances")
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
