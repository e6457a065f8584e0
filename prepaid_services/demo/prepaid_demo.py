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
        self.env(user=manager)["prepaid.demo"]._run_touch_free_story(
            customers=(
                ref("base.res_partner_1"),
                ref("base.res_partner_4"),
                ref("base.res_partner_10"),
                ref("base.res_partner_18"),
            ),
            products=(
                ref("prepaid_services.product_prepaid_field_service"),
                ref("prepaid_services.product_prepaid_block_20h"),
                ref("prepaid_services.product_prepaid_block_10h_paid"),
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

    @api.model
    def _run_touch_free_story(self, customers, products):
        """Billing automation, one card with each option, driven through orders, timesheets and payments: field
        service paid by itself and invoiced per round, monthly consumption invoices, a top-up usable once paid,
        an automatic top-up. customers: four; products: field-service prepayment (money, automatic settlement,
        consumption invoice per task), hours block, hours block usable once paid, equipment.

        Returns the four cards (none where the company has no chart of accounts to defer revenue on).
        """
        env = self.env
        if not env.company.prepaid_deferred_account_id:
            return env["prepaid.service"]
        today = fields.Date.context_today(self)
        manager = env.user
        field_customer, monthly_customer, paying_customer, topup_customer = customers
        field_service, block, block_paid, equipment = products
        employee = env["hr.employee"].search(
            [("company_id", "=", env.company.id), ("user_id", "=", manager.id)], limit=1
        ) or env["hr.employee"].search([("company_id", "=", env.company.id)], limit=1)
        if not employee:
            employee = env["hr.employee"].create({"name": "Alex Tech", "company_id": env.company.id})

        def sell(customer, product, on_date, price=None, card=None):
            line = {"product_id": product.id}
            if price is not None:
                line["price_unit"] = price
            if card:
                line["prepaid_service_id"] = card.id
            order = env["sale.order"].create(
                {"partner_id": customer.id, "user_id": manager.id, "order_line": [Command.create(line)]}
            )
            order.action_confirm()
            invoice = order._create_invoices()
            invoice.invoice_date = on_date
            invoice.action_post()
            card = order.order_line.prepaid_service_id
            card.date_start = min(card.date_start, on_date)  # the story's past: the card runs from its first sale
            return card, invoice

        def project_for(customer, card):
            project = self._create_demo_project(customer)
            env["prepaid.service.job"].create({"service_id": card.id, "project_id": project.id})
            return project

        def log(project, task, hours, name, on_date):
            return env["account.analytic.line"].create(
                {
                    "name": name,
                    "project_id": project.id,
                    "task_id": task.id if task else False,
                    "employee_id": employee.id,
                    "unit_amount": hours,
                    "date": on_date,
                }
            )

        # 4. Field service from a money prepayment that pays the customer's invoices by itself (automatic
        # settlement) and invoices each round when its task is done (consumption invoice per task)
        card_field, _invoice = sell(field_customer, field_service, today - relativedelta(months=1), price=1500.0)
        card_field.write({"hourly_rate": 85.0})
        project = project_for(field_customer, card_field)
        for days, hours, name in ((20, 2.0, "Round 1: printers and Wi-Fi"), (6, 1.5, "Round 2: new workstation")):
            task = env["project.task"].create({"name": name, "project_id": project.id})
            log(project, task, hours, name, today - relativedelta(days=days))
            task.state = "1_done"  # the round is done: its consumption invoice posts, paid from the prepayment
        env["project.task"].create({"name": "Round 3: server room visit", "project_id": project.id})
        router = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": field_customer.id,
                "invoice_user_id": manager.id,
                "invoice_date": today - relativedelta(days=3),
                "invoice_line_ids": [Command.create({"product_id": equipment.id, "quantity": 1.0})],
            }
        )
        router.action_post()  # paid from the prepayment, no button

        # 5. The HaloPSA pattern: a block of hours whose month of work is invoiced once the month has ended
        card_monthly, _invoice = sell(monthly_customer, block, (today - relativedelta(months=2)).replace(day=1))
        card_monthly.write({"consumption_invoicing": "period", "description": "Support block - monthly invoices"})
        project = project_for(monthly_customer, card_monthly)
        task = env["project.task"].create({"name": "Helpdesk", "project_id": project.id})
        last_month = (today - relativedelta(months=1)).replace(day=1)
        for day, hours, name in ((2, 1.5, "Mailbox migration"), (9, 2.0, "Backup restore test"), (23, 0.75, "VPN")):
            log(project, task, hours, name, last_month + relativedelta(days=day - 1))
        log(project, task, 1.0, "Printer setup", today.replace(day=1))  # this month's: invoiced next month
        env["prepaid.consumption.invoice"]._cron_invoice_consumption(today=today)

        # 6. Usable once paid: one block paid and used, one waiting for its payment
        card_paid, paid = sell(paying_customer, block_paid, today - relativedelta(days=40))
        env["account.payment.register"].with_context(active_model="account.move", active_ids=paid.ids).create(
            {"payment_date": today - relativedelta(days=35)}
        )._create_payments()
        project = project_for(paying_customer, card_paid)
        log(project, False, 3.0, "Firewall update", today - relativedelta(days=20))
        sell(paying_customer, block_paid, today - relativedelta(days=2), card=card_paid)  # its hours await payment

        # 7. An automatic top-up: a quotation for the next block when 4 hours are left
        card_topup, _invoice = sell(topup_customer, block, today - relativedelta(months=2))
        card_topup.write(
            {
                "low_balance_threshold": 4.0,
                "auto_topup": True,
                "auto_topup_product_id": block.id,
                "auto_topup_quantity": 1.0,
                "auto_topup_mode": "quotation",
            }
        )
        project = project_for(topup_customer, card_topup)
        for days, hours, name in ((50, 6.0, "Office move"), (30, 7.5, "Server upgrade"), (4, 3.0, "Audit")):
            log(project, False, hours, name, today - relativedelta(days=days))
        return card_field | card_monthly | card_paid | card_topup
