from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models


class PrepaidDemo(models.AbstractModel):
    """The demo story, driven through real orders, invoices and timesheets (called from the demo data)."""

    _name = "prepaid.demo"
    _description = "Prepaid Services Demo Story"

    @api.model
    def _create_demo_story(self):
        """Demo: an MSP with three customers, driven through real orders, invoices and timesheets.

        The story is told by Mitchell Admin (a real user, not OdooBot): he is the salesperson of the orders
        and the account manager of the cards, and his name is on the chatter.
        """
        ref = self.env.ref
        manager = ref("base.user_admin", raise_if_not_found=False) or self.env.user
        # still as superuser (demo data loads as such), but in the manager's name
        self.env(user=manager)["prepaid.demo"]._run_demo_story(
            customers=(ref("base.res_partner_12"), ref("base.res_partner_2"), ref("base.res_partner_3")),
            products=(
                ref("prepaid_services.product_prepaid_block_20h"),
                ref("prepaid_services.product_prepaid_monthly_10h"),
                ref("prepaid_services.product_prepaid_balance"),
                ref("prepaid_services.product_demo_firewall"),
            ),
        )

    @api.model
    def _run_demo_story(self, customers, products):
        """The story for three customers (a block of hours, a monthly allowance, a money balance) and the
        products (block, monthly allowance, money balance, equipment); the current user manages the cards.

        Returns the three cards (none where the company has no chart of accounts to defer revenue on).
        """
        env = self.env
        company = env.company
        company._prepaid_setup_accounting()
        if not company.prepaid_deferred_account_id:
            return env["prepaid.service"]
        today = fields.Date.context_today(self)
        manager = env.user
        hour = env.ref("uom.product_uom_hour")
        employee = env["hr.employee"].search(
            [("company_id", "=", company.id), ("user_id", "=", manager.id)], limit=1
        ) or env["hr.employee"].search([("company_id", "=", company.id)], limit=1)
        if not employee:
            employee = env["hr.employee"].create({"name": "Alex Tech", "company_id": company.id})
        block, monthly, balance, firewall = products
        hours_customer, monthly_customer, money_customer = customers

        # 1. A first customer buys a 20-hour block; technicians log time on its managed services project
        order = env["sale.order"].create(
            {
                "partner_id": hours_customer.id,
                "user_id": manager.id,
                "order_line": [Command.create({"product_id": block.id})],
            }
        )
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.invoice_date = today - relativedelta(months=2)
        invoice.action_post()
        card_hours = order.order_line.prepaid_service_id
        card_hours.write({"low_balance_threshold": 4.0, "expiry_warning_days": 30, "date_start": invoice.invoice_date})
        project = self._create_demo_project(hours_customer)
        task = env["project.task"].create({"name": "Helpdesk", "project_id": project.id})
        env["prepaid.service.job"].create({"service_id": card_hours.id, "project_id": project.id})
        card_hours.rate_ids = [Command.create({"name": "After hours", "time_band": "after_hours", "factor": 1.5})]
        work = [
            (55, 1.5, "Mail server migration", False),
            (41, 2.0, "Firewall rules review", False),
            (30, 1.0, "Emergency restore", True),
            (12, 3.25, "Workstation upgrades", False),
            (3, 1.0, "Printer driver rollout", False),
        ]
        env["account.analytic.line"].create(
            [
                {
                    "name": name,
                    "project_id": project.id,
                    "task_id": task.id,
                    "employee_id": employee.id,
                    "unit_amount": hours,
                    "date": today - relativedelta(days=days),
                    "prepaid_after_hours": after_hours,
                }
                for days, hours, name, after_hours in work
            ]
        )

        # 2. A second customer: 10 hours a month, unused hours carried over one month (at most 5)
        card_monthly = env["prepaid.service"].create(
            {
                "partner_id": monthly_customer.id,
                "description": "Managed support - 10 h / month",
                "accrual": "periodic",
                "uom_id": hour.id,
                "product_id": monthly.id,
                "period_product_id": monthly.id,
                "period_allowance": 10.0,
                "period_price": 890.0,
                "period_end_behaviour": "carry_over",
                "carry_over_cap_type": "units",
                "carry_over_cap": 5.0,
                "carry_over_periods": 1,
                "overdraw_policy": "negative",
                "date_start": (today - relativedelta(months=2)).replace(day=1),
                "user_id": manager.id,
            }
        )
        project_monthly = self._create_demo_project(monthly_customer)
        env["prepaid.service.job"].create({"service_id": card_monthly.id, "project_id": project_monthly.id})
        self.env["prepaid.service.period"]._cron_periodic_invoicing(today=card_monthly.date_start)
        env["account.analytic.line"].create(
            {
                "name": "Network audit",
                "project_id": project_monthly.id,
                "employee_id": employee.id,
                "unit_amount": 6.0,
                "date": card_monthly.date_start + relativedelta(days=10),
            }
        )
        self.env["prepaid.service.period"]._cron_periodic_invoicing(today=today)
        env["account.analytic.line"].create(
            {
                "name": "Server patching",
                "project_id": project_monthly.id,
                "employee_id": employee.id,
                "unit_amount": 4.0,
                "date": today - relativedelta(days=2),
            }
        )

        # 3. A third customer keeps a money balance and pays equipment with it
        order = env["sale.order"].create(
            {
                "partner_id": money_customer.id,
                "user_id": manager.id,
                "order_line": [Command.create({"product_id": balance.id, "price_unit": 2000.0})],
            }
        )
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.invoice_date = today - relativedelta(months=1)
        invoice.action_post()
        card_money = order.order_line.prepaid_service_id
        card_money.write({"low_balance_threshold": 300.0, "date_start": invoice.invoice_date})
        equipment = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": money_customer.id,
                "invoice_user_id": manager.id,
                "invoice_date": today - relativedelta(days=7),
                "invoice_line_ids": [Command.create({"product_id": firewall.id, "quantity": 1.0})],
            }
        )
        credit = equipment.action_apply_prepaid_credit()
        env[credit["res_model"]].browse(credit["res_id"]).action_confirm()
        equipment.action_post()
        return card_hours | card_monthly | card_money

    @api.model
    def _create_demo_project(self, customer):
        """The managed services project of a customer, named after that customer."""
        return self.env["project.project"].create(
            {
                "name": self.env._("Managed Services - %s", customer.name),
                "partner_id": customer.id,
                "allow_timesheets": True,
                "user_id": self.env.user.id,
            }
        )
