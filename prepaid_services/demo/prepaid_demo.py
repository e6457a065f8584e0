from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models


class PrepaidDemo(models.AbstractModel):
    """The demo story, driven through real orders, invoices and timesheets (called from the demo data)."""

    _name = "prepaid.demo"
    _description = "Prepaid Services Demo Story"

    @api.model
    def _create_demo_story(self):
        """Demo: an MSP with three customers, driven through real orders, invoices and timesheets."""
        env = self.env
        company = env.company
        company._prepaid_setup_accounting()
        if not company.prepaid_deferred_account_id:
            return
        today = fields.Date.context_today(self)
        ref = env.ref
        hour = ref("uom.product_uom_hour")
        employee = env["hr.employee"].search([("company_id", "=", company.id)], limit=1) or env["hr.employee"].create(
            {"name": "Alex Tech", "company_id": company.id}
        )
        block, monthly, balance, firewall = (
            ref("prepaid_services.product_prepaid_block_20h"),
            ref("prepaid_services.product_prepaid_monthly_10h"),
            ref("prepaid_services.product_prepaid_balance"),
            ref("prepaid_services.product_demo_firewall"),
        )
        azure, deco, gemini = ref("base.res_partner_12"), ref("base.res_partner_2"), ref("base.res_partner_3")

        # 1. Azure Interior buys a 20-hour block; technicians log time on its managed services project
        order = env["sale.order"].create(
            {"partner_id": azure.id, "order_line": [Command.create({"product_id": block.id})]}
        )
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.invoice_date = today - relativedelta(months=2)
        invoice.action_post()
        card_azure = order.order_line.prepaid_service_id
        card_azure.write({"low_balance_threshold": 4.0, "expiry_warning_days": 30, "date_start": invoice.invoice_date})
        project = env["project.project"].create(
            {"name": "Managed Services - Azure Interior", "partner_id": azure.id, "allow_timesheets": True}
        )
        task = env["project.task"].create({"name": "Helpdesk", "project_id": project.id})
        env["prepaid.service.job"].create({"service_id": card_azure.id, "project_id": project.id})
        card_azure.rate_ids = [Command.create({"name": "After hours", "time_band": "after_hours", "factor": 1.5})]
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

        # 2. Deco Addict: 10 hours a month, unused hours carried over one month (at most 5)
        card_deco = env["prepaid.service"].create(
            {
                "partner_id": deco.id,
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
                "user_id": env.user.id,
            }
        )
        project_deco = env["project.project"].create(
            {"name": "Managed Services - Deco Addict", "partner_id": deco.id, "allow_timesheets": True}
        )
        env["prepaid.service.job"].create({"service_id": card_deco.id, "project_id": project_deco.id})
        self.env["prepaid.service.period"]._cron_periodic_invoicing(today=card_deco.date_start)
        env["account.analytic.line"].create(
            {
                "name": "Network audit",
                "project_id": project_deco.id,
                "employee_id": employee.id,
                "unit_amount": 6.0,
                "date": card_deco.date_start + relativedelta(days=10),
            }
        )
        self.env["prepaid.service.period"]._cron_periodic_invoicing(today=today)
        env["account.analytic.line"].create(
            {
                "name": "Server patching",
                "project_id": project_deco.id,
                "employee_id": employee.id,
                "unit_amount": 4.0,
                "date": today - relativedelta(days=2),
            }
        )

        # 3. Gemini Furniture keeps a money balance and pays equipment with it
        order = env["sale.order"].create(
            {"partner_id": gemini.id, "order_line": [Command.create({"product_id": balance.id, "price_unit": 2000.0})]}
        )
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.invoice_date = today - relativedelta(months=1)
        invoice.action_post()
        card_gemini = order.order_line.prepaid_service_id
        card_gemini.write({"low_balance_threshold": 300.0, "date_start": invoice.invoice_date})
        equipment = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": gemini.id,
                "invoice_date": today - relativedelta(days=7),
                "invoice_line_ids": [Command.create({"product_id": firewall.id, "quantity": 1.0})],
            }
        )
        equipment.action_apply_prepaid_credit()
        equipment.action_post()

        self._create_touch_free_story(employee)

    @api.model
    def _create_touch_free_story(self, employee):
        """Demo of the billing automation: one card with each option, driven through orders and timesheets."""
        env = self.env
        today = fields.Date.context_today(self)
        ref = env.ref
        block, field_service, block_paid = (
            ref("prepaid_services.product_prepaid_block_20h"),
            ref("prepaid_services.product_prepaid_field_service"),
            ref("prepaid_services.product_prepaid_block_10h_paid"),
        )
        wood, ready_mat, jackson, lumber = (
            ref("base.res_partner_1"),
            ref("base.res_partner_4"),
            ref("base.res_partner_10"),
            ref("base.res_partner_18"),
        )

        def sell(partner, product, on_date, price=None):
            line = {"product_id": product.id}
            if price is not None:
                line["price_unit"] = price
            order = env["sale.order"].create({"partner_id": partner.id, "order_line": [Command.create(line)]})
            order.action_confirm()
            invoice = order._create_invoices()
            invoice.invoice_date = on_date
            invoice.action_post()
            card = order.order_line.prepaid_service_id
            card.date_start = on_date
            return card, invoice

        def project_for(partner, name, card):
            project = env["project.project"].create(
                {"name": name, "partner_id": partner.id, "allow_timesheets": True}
            )
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

        # 4. Wood Corner: field service from a money prepayment that pays by itself (automatic settlement) and
        # invoices each round when its task is done (consumption invoice per task)
        card_wood, _invoice = sell(wood, field_service, today - relativedelta(months=1), price=1500.0)
        card_wood.write({"hourly_rate": 85.0, "description": "Field service prepayment"})
        project = project_for(wood, "Field Service - Wood Corner", card_wood)
        for days, hours, name in ((20, 2.0, "Round 1: printers and Wi-Fi"), (6, 1.5, "Round 2: new workstation")):
            task = env["project.task"].create({"name": name, "project_id": project.id})
            log(project, task, hours, name, today - relativedelta(days=days))
            task.state = "1_done"
        env["project.task"].create({"name": "Round 3: server room visit", "project_id": project.id})
        router = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": wood.id,
                "invoice_date": today - relativedelta(days=3),
                "invoice_line_ids": [
                    Command.create({"product_id": ref("prepaid_services.product_demo_firewall").id, "quantity": 1.0})
                ],
            }
        )
        router.action_post()  # paid from the prepayment, no button

        # 5. Ready Mat: the HaloPSA pattern, a block of hours whose month of work is invoiced once the month ends
        card_ready, _invoice = sell(ready_mat, block, (today - relativedelta(months=2)).replace(day=1))
        card_ready.write({"consumption_invoicing": "period", "description": "Support block - monthly invoices"})
        project = project_for(ready_mat, "Managed Services - Ready Mat", card_ready)
        task = env["project.task"].create({"name": "Helpdesk", "project_id": project.id})
        last_month = (today - relativedelta(months=1)).replace(day=1)
        for day, hours, name in ((2, 1.5, "Mailbox migration"), (9, 2.0, "Backup restore test"), (23, 0.75, "VPN")):
            log(project, task, hours, name, last_month + relativedelta(days=day - 1))
        log(project, task, 1.0, "Printer setup", today.replace(day=1))  # this month's: invoiced next month
        env["prepaid.consumption.invoice"]._cron_invoice_consumption(today=today)

        # 6. The Jackson Group: usable once paid, one block paid and one awaiting payment
        card_jackson, paid = sell(jackson, block_paid, today - relativedelta(days=40))
        env["account.payment.register"].with_context(active_model="account.move", active_ids=paid.ids).create(
            {"payment_date": today - relativedelta(days=35)}
        )._create_payments()
        project = project_for(jackson, "Managed Services - The Jackson Group", card_jackson)
        log(project, False, 3.0, "Firewall update", today - relativedelta(days=20))
        order = env["sale.order"].create(
            {
                "partner_id": jackson.id,
                "order_line": [Command.create({"product_id": block_paid.id, "prepaid_service_id": card_jackson.id})],
            }
        )
        order.action_confirm()
        unpaid = order._create_invoices()
        unpaid.invoice_date = today - relativedelta(days=2)
        unpaid.action_post()  # its 10 hours wait for the payment

        # 7. Lumber Inc: an automatic top-up, a quotation for the next block when 4 hours are left
        card_lumber, _invoice = sell(lumber, block, today - relativedelta(months=2))
        card_lumber.write(
            {
                "low_balance_threshold": 4.0,
                "auto_topup": True,
                "auto_topup_product_id": block.id,
                "auto_topup_quantity": 1.0,
                "auto_topup_mode": "quotation",
            }
        )
        project = project_for(lumber, "Managed Services - Lumber Inc", card_lumber)
        for days, hours, name in ((50, 6.0, "Office move"), (30, 7.5, "Server upgrade"), (4, 3.0, "Audit")):
            log(project, False, hours, name, today - relativedelta(days=days))
