from datetime import date

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.prepaid_services.models.prepaid_ledger_allocator import PostingOptions
from odoo.tests import Form, HttpCase, freeze_time, new_test_user, tagged


@tagged("post_install", "-at_install")
class PrepaidCommon(AccountTestInvoicingCommon):
    """Fixtures shared by the prepaid services tests: one company with a chart of accounts,
    the prepaid accounts the module creates for it, a customer, a service product."""

    @classmethod
    def get_default_groups(cls):
        return (
            super().get_default_groups()
            | cls.env.ref("sales_team.group_sale_manager")
            | cls.env.ref("project.group_project_manager")
            | cls.env.ref("hr_timesheet.group_hr_timesheet_approver")
            | cls.env.ref("hr.group_hr_user")
            | cls.env.ref("prepaid_services.group_prepaid_manager")
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        # Most tests follow each consumption to its own journal entry (the setting "One journal entry per
        # consumption"); the default, grouped recognition, is pinned in test_grouped_recognition
        cls.company.prepaid_recognition_grouping = "entry"
        cls.currency = cls.company.currency_id
        cls.deferred_account = cls.company.prepaid_deferred_account_id
        cls.breakage_account = cls.company.prepaid_breakage_account_id
        cls.income_account = cls.company_data["default_account_revenue"]
        cls.goodwill_account = cls.company_data["default_account_expense"]
        cls.uom_hour = cls.env.ref("uom.product_uom_hour")
        cls.service_product = cls._create_product(
            name="Support Hour",
            type="service",
            uom_id=cls.uom_hour.id,
            lst_price=100.0,
            taxes_id=[Command.clear()],
        )
        cls.customer = cls.partner_a
        cls.manager = cls.env.user

    # ------------------------------------------------------------------
    # Builders
    # ------------------------------------------------------------------
    @classmethod
    def _create_demo_manager(cls, login):
        """The user the demo story runs as: a manager of sales, accounting, projects and timesheets."""
        return new_test_user(
            cls.env,
            login=login,
            name="Mitchell Manager",
            groups="base.group_user,sales_team.group_sale_manager,account.group_account_manager,"
            "project.group_project_manager,hr_timesheet.group_hr_timesheet_approver",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    @classmethod
    def _create_topup_product(cls, name, price, **vals):
        """A prepaid service product invoiced on order, as the demo sells them."""
        return cls._create_product(
            name=name, type="service", invoice_policy="order", lst_price=price, prepaid_ok=True, **vals
        )

    @classmethod
    def _create_card(cls, **vals):
        return cls.env["prepaid.service"].create(
            {
                "partner_id": cls.customer.id,
                "description": "Support block",
                "service_type": "quantity",
                "uom_id": cls.uom_hour.id,
                "product_id": cls.service_product.id,
                "date_start": date(2026, 1, 1),
                **vals,
            }
        )

    @classmethod
    def _credit(cls, card, quantity, amount, on_date, valid_until=None):
        """A valued manual credit (goodwill paid by the expense account): an inflow with a journal entry."""
        vals = {
            "service_id": card.id,
            "entry_type": "adjustment",
            "date": on_date,
            "quantity": quantity,
            "amount": amount,
            "name": "Credit",
        }
        if valid_until is not None:
            vals["valid_until"] = valid_until
        return cls.env["prepaid.ledger.entry"]._post_entries(
            [vals], [PostingOptions(counterpart_account=cls.goodwill_account.id)]
        )

    @classmethod
    def _use(cls, card, quantity, on_date, **vals):
        return cls.env["prepaid.ledger.entry"]._post_entries(
            [
                {
                    "service_id": card.id,
                    "entry_type": "usage",
                    "date": on_date,
                    "quantity": -quantity,
                    "name": "Work",
                    **vals,
                }
            ]
        )

    @classmethod
    def _apply_credit(cls, invoice, amount=None):
        """Apply Prepaid Credit through its wizard: the amount it proposes, or the amount given."""
        action = invoice.action_apply_prepaid_credit()
        wizard = invoice.env[action["res_model"]].browse(action["res_id"])
        if amount is not None:
            wizard.amount = amount
        return wizard.action_confirm()

    @classmethod
    def _close_card(cls, card, disposal=None):
        """Close a card through the wizard its Close button opens; disposal: what to do with the open balance."""
        action = card.action_close()
        wizard = Form(card.env[action["res_model"]].with_context(**action["context"]))
        if disposal:
            wizard.disposal = disposal
        return wizard.save().action_confirm()

    # ------------------------------------------------------------------
    # Assertions
    # ------------------------------------------------------------------
    def assertBalancesMatchLedger(self, cards):
        cards.invalidate_recordset()
        self.assertEqual(
            self.env["prepaid.deferred.revenue.check"]._get_balance_differences(cards),
            {},
            "stored balances differ from the ledger",
        )

    def assertDeferredRevenueTies(self, companies=None):
        report = self.env["prepaid.service"]._get_deferred_revenue_differences(companies or self.company)
        self.assertEqual(report, {}, "deferred revenue account does not tie with the open top-ups")

    def assertMoveLines(self, move, expected):
        """Compare a journal entry's lines (account, debit, credit, analytic, partner) regardless of order."""
        self.assertEqual(move.state, "posted")

        def key(vals):
            return (vals["account_id"], round(vals["debit"], 2), round(vals["credit"], 2))

        actual = sorted(
            (
                {
                    "account_id": line.account_id.id,
                    "debit": line.debit,
                    "credit": line.credit,
                    "analytic_distribution": line.analytic_distribution or False,
                    "partner_id": line.partner_id.id,
                }
                for line in move.line_ids
            ),
            key=key,
        )
        expected = sorted(
            (
                {
                    "analytic_distribution": False,
                    "partner_id": move.partner_id.commercial_partner_id.id,
                    **vals,
                    "account_id": vals["account_id"].id if hasattr(vals["account_id"], "id") else vals["account_id"],
                }
                for vals in expected
            ),
            key=key,
        )
        self.assertEqual(len(actual), len(expected), f"{move.name}: {actual}")
        for got, want in zip(actual, expected, strict=True):
            for fname, value in want.items():
                if isinstance(value, float):
                    self.assertAlmostEqual(got[fname], value, places=2, msg=f"{move.name} {fname}: {got}")
                else:
                    self.assertEqual(got[fname], value, f"{move.name} {fname}: {got}")


class PrepaidSaleCommon(PrepaidCommon):
    """Adds prepaid products sold through sale orders and invoiced."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.block_product = cls._create_product(
            name="10-hour support block",
            type="service",
            invoice_policy="order",
            lst_price=1000.0,
            prepaid_ok=True,
            prepaid_service_type="quantity",
            prepaid_quantity=10.0,
            prepaid_uom_id=cls.uom_hour.id,
            taxes_id=[Command.set(cls.tax_sale_a.ids)],
        )
        cls.balance_product = cls._create_product(
            name="Prepaid balance",
            type="service",
            invoice_policy="order",
            lst_price=1.0,
            prepaid_ok=True,
            prepaid_service_type="amount",
            taxes_id=[Command.set(cls.tax_sale_a.ids)],
        )

    @classmethod
    def _sell(cls, product, price, qty=1.0, card=None, on_date="2026-01-10", currency=None, partner=None, company=None):
        """Confirm a sale order of a prepaid product, invoice and post it; return (card, invoice).

        company: sell in that company instead of the main one.
        """
        line = {"product_id": product.id, "product_uom_qty": qty, "price_unit": price}
        if card:
            line["prepaid_service_id"] = card.id
        order_vals = {
            "partner_id": (partner or cls.customer).id,
            "date_order": f"{on_date} 10:00:00",
            "order_line": [Command.create(line)],
        }
        if currency:
            order_vals["pricelist_id"] = (
                cls.env["product.pricelist"]
                .create({"name": f"Pricelist {currency.name}", "currency_id": currency.id})
                .id
            )
        SaleOrder = cls.env["sale.order"]
        if company:
            SaleOrder = SaleOrder.with_company(company)
            order_vals["company_id"] = company.id
        with freeze_time(on_date):
            order = SaleOrder.create(order_vals)
            order.action_confirm()
            invoice = order._create_invoices()
            invoice.invoice_date = on_date
            invoice.action_post()
        return order.order_line.prepaid_service_id, invoice


class PrepaidPeriodicMixin:
    """A monthly allowance product, periodic cards of it and the periodic scheduled action on a given day."""

    @classmethod
    def _create_allowance_product(cls):
        return cls._create_product(
            name="Monthly support allowance",
            type="service",
            invoice_policy="order",
            prepaid_ok=True,
            prepaid_service_type="quantity",
            prepaid_accrual="periodic",
            prepaid_uom_id=cls.uom_hour.id,
            taxes_id=[Command.clear()],
        )

    def _periodic_card(self, **vals):
        return self._create_card(
            **{
                "accrual": "periodic",
                "date_start": date(2026, 1, 1),
                "period_allowance": 10.0,
                "period_price": 1000.0,
                "period_product_id": self.allowance_product.id,
                "product_id": self.allowance_product.id,
                **vals,
            }
        )

    def _run(self, day):
        with freeze_time(day):
            return self.env["prepaid.service.period"]._cron_periodic_invoicing(today=date.fromisoformat(day))


class PrepaidTimesheetCommon(PrepaidSaleCommon):
    """Adds a project assigned to cards, and an employee who logs time on it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.project = cls.env["project.project"].create(
            {
                "name": "Managed services",
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "allow_timesheets": True,
            }
        )
        cls.task = cls.env["project.task"].create({"name": "Mail server", "project_id": cls.project.id})
        cls.task_2 = cls.env["project.task"].create({"name": "Backups", "project_id": cls.project.id})
        cls.employee = cls.env["hr.employee"].create(
            {"name": "Tech One", "company_id": cls.company.id, "hourly_cost": 40.0}
        )
        cls.employee_2 = cls.env["hr.employee"].create(
            {"name": "Tech Two", "company_id": cls.company.id, "hourly_cost": 50.0}
        )

    @classmethod
    def _assign(cls, card, project=None, **vals):
        return cls.env["prepaid.service.job"].create(
            {"service_id": card.id, "project_id": (project or cls.project).id, **vals}
        )

    @classmethod
    def _log(cls, hours, on_date="2026-02-02", task=None, employee=None, **vals):
        return cls.env["account.analytic.line"].create(
            {
                "name": "Work",
                "project_id": cls.project.id,
                "task_id": (task or cls.task).id,
                "employee_id": (employee or cls.employee).id,
                "unit_amount": hours,
                "date": on_date,
                **vals,
            }
        )


class RpcError(Exception):
    """An error answered by the server to a JSON-RPC call: its exception class name and message."""

    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class PrepaidHttpCommon(PrepaidTimesheetCommon, HttpCase):
    """The doors clients use: JSON-RPC calls (/web/dataset/call_kw) as users of each role."""

    ROLES = {
        # a timesheet user is a Prepaid User through the implied groups
        "timesheet": "base.group_user,hr_timesheet.group_hr_timesheet_user",
        "technician": "base.group_user,hr_timesheet.group_hr_timesheet_user,project.group_project_user",
        "salesman": "base.group_user,sales_team.group_sale_salesman",
        "billing": "base.group_user,account.group_account_invoice",
        "accountant": "base.group_user,account.group_account_manager",
        "prepaid_manager": "base.group_user,prepaid_services.group_prepaid_manager,"
        "sales_team.group_sale_salesman,hr_timesheet.group_hr_timesheet_user",
        "portal": "base.group_portal",
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.role_users = {}
        for role, groups in cls.ROLES.items():
            vals = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
            if role == "portal":
                # a contact of the customer: the portal shows the cards of its commercial partner
                contact = cls.env["res.partner"].create({"name": "Customer contact", "parent_id": cls.customer.id})
                vals = {"partner_id": contact.id}
            cls.role_users[role] = new_test_user(
                cls.env, login=f"pp_{role}", password=f"pp_{role}_pwd", groups=groups, **vals
            )

    def rpc(self, role, model, method, *args, context=None, **kwargs):
        """Call model.method(*args, **kwargs) over /web/dataset/call_kw as the user of role.

        Returns the result; raises RpcError with the server's exception name and message.
        """
        user = self.role_users[role]
        if getattr(self, "_rpc_login", None) != user.login:
            self.authenticate(user.login, f"{user.login}_pwd")
            self._rpc_login = user.login
        kwargs = dict(kwargs)
        # as the web client: the user's language and time zone, the companies it works in
        kwargs["context"] = {
            "lang": user.lang,
            "tz": user.tz or "UTC",
            "allowed_company_ids": user.company_ids.ids,
            **(context or {}),
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
            },
        )
        response.raise_for_status()
        payload = response.json()
        if "error" in payload:
            data = payload["error"].get("data", {})
            raise RpcError(data.get("name", ""), data.get("message", payload["error"].get("message", "")))
        return payload.get("result")

    def rpc_apply_credit(self, role, move_id, amount=None):
        """Apply Prepaid Credit as the role does: the button opens the wizard, the amount is typed, Apply."""
        action = self.rpc(role, "account.move", "action_apply_prepaid_credit", [move_id])
        if amount is not None:
            self.rpc(role, action["res_model"], "write", [action["res_id"]], {"amount": amount})
        self.rpc(role, action["res_model"], "action_confirm", [action["res_id"]])
        return action

    def assertRpcRefused(self, role, model, method, *args, context=None, **kwargs):
        """The call is refused with an access or user error; returns the error."""
        with self.assertRaises(RpcError) as caught:
            self.rpc(role, model, method, *args, context=context, **kwargs)
        self.assertRegex(
            caught.exception.name, r"odoo\.exceptions\.(AccessError|UserError|ValidationError|MissingError)"
        )
        return caught.exception
