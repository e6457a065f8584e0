from datetime import timedelta

from odoo import Command
from odoo.tests import freeze_time, tagged
from odoo.tools.misc import format_amount

from .common import PrepaidHttpCommon, RpcError

# the context of Timesheets > My Timesheets (hr_timesheet.act_hr_timesheet_line)
TIMESHEETS_ACTION_CONTEXT = {"search_default_week": 1, "is_timesheet": 1, "is_my_timesheets": 1}


@tagged("post_install", "-at_install")
class TestFormattedMessages(PrepaidHttpCommon):
    """Messages, chatter posts, mails and portal pages say figures as Odoo shows them in the reader's language:
    units with their precision and name, amounts with their currency, dates in the language's format."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["hr.employee"].create(
            {"name": "Timesheet User", "user_id": cls.role_users["timesheet"].id, "company_id": cls.company.id}
        )
        cls.customer.email = "customer@example.com"
        cls.card, _invoice = cls._sell(cls.block_product, 1000.0, on_date="2026-01-10")
        cls._assign(cls.card)

    def _log_as_timesheet_user(self, hours, on_date, lang="en_US"):
        self.role_users["timesheet"].lang = lang
        return self.rpc(
            "timesheet",
            "account.analytic.line",
            "create",
            {
                "name": "Mailbox move",
                "project_id": self.project.id,
                "task_id": self.task.id,
                "unit_amount": hours,
                "date": on_date,
            },
            context={**TIMESHEETS_ACTION_CONTEXT, "lang": lang},
        )

    def test_timesheet_before_the_card_starts_says_the_dates_as_the_user_reads_them(self):
        error = self.assertRpcRefused(
            "timesheet",
            "account.analytic.line",
            "create",
            {"project_id": self.project.id, "task_id": self.task.id, "unit_amount": 1.0, "date": "2026-01-05"},
            context=TIMESHEETS_ACTION_CONTEXT,
        )
        self.assertIn("starts on 01/10/2026; this timesheet is dated 01/05/2026", error.message)
        self.assertNotIn("2026-01", error.message)

    def test_refusal_says_units_in_the_format_of_the_users_language(self):
        self._log_as_timesheet_user(9.95, "2026-02-02")
        with self.assertRaises(RpcError) as refused:
            self._log_as_timesheet_user(0.1, "2026-02-03", lang="fr_FR")
        message = refused.exception.message
        # French decimals (the words may be translated): 0,10 asked, 0,05 left and missing
        self.assertIn(f"0,10 {self.uom_hour.with_context(lang='fr_FR').name}", message)
        self.assertEqual(message.count("0,05 "), 2, message)
        self.assertNotIn("0.0499", message)

    def test_manual_ledger_entry_posts_the_quantity_formatted_in_the_chatter(self):
        action = self.rpc("prepaid_manager", "prepaid.service", "action_create_ledger_entry", self.card.ids)
        wizard_id = self.rpc(
            "prepaid_manager",
            action["res_model"],
            "create",
            {"direction": "increase", "quantity": 2.0, "valued": False, "reason": "Goodwill"},
            context=action["context"],
        )
        self.rpc("prepaid_manager", action["res_model"], "action_confirm", [wizard_id])
        bodies = self.card.message_ids.mapped("body")
        self.assertTrue(any("Increase the balance of 2.00 Hours, reason: Goodwill" in body for body in bodies), bodies)

    def test_low_balance_mail_says_the_balance_with_its_unit(self):
        self.card.low_balance_threshold = 2.0
        self._log_as_timesheet_user(8.5, "2026-02-02")
        mail = self.card.message_ids.filtered(lambda m: "running low" in (m.subject or ""))
        self.assertEqual(len(mail), 1)
        self.assertIn("1.50 Hours", mail.body)
        self.assertNotIn("1.5 ", mail.body)

    def test_expiring_mail_says_the_date_in_the_customers_format(self):
        product = self._create_product(
            name="Prepaid balance valid a month",
            type="service",
            invoice_policy="order",
            prepaid_ok=True,
            prepaid_service_type="amount",
            prepaid_validity_interval=1,
            prepaid_validity_unit="months",
        )
        card, _invoice = self._sell(product, 500.0, on_date="2026-01-10")
        card.expiry_warning_days = 30
        self.customer.lang = "fr_FR"
        expiry = card.next_expiry_date
        self.assertTrue(expiry)
        with freeze_time(expiry - timedelta(days=10)):
            self.env["prepaid.service"]._cron_check_expiry_alerts()
        mail = card.message_ids.filtered(lambda m: "expires soon" in (m.subject or ""))
        self.assertEqual(len(mail), 1)
        self.assertIn(expiry.strftime("%d/%m/%Y"), mail.body)
        self.assertNotIn(expiry.isoformat(), mail.body)

    def test_portal_shows_balances_with_their_unit_and_currency(self):
        money_card, _invoice = self._sell(self.balance_product, 1234.5, on_date="2026-01-10")
        self._log_as_timesheet_user(2.5, "2026-02-02")
        self.authenticate("pp_portal", "pp_portal_pwd")
        listing = self.url_open("/my/prepaid").text
        self.assertIn("7.50 Hours", listing)
        self.assertIn(format_amount(self.env, 1234.5, self.currency), listing)
        page = self.url_open(f"/my/prepaid/{self.card.id}").text
        self.assertIn("7.50 Hours", page)
        self.assertIn("-2.50 Hours", page)
        self.assertIn("10.00 Hours", page)
        self.assertTrue(money_card)

    def test_top_up_of_a_card_of_another_type_names_both_types(self):
        money_card, _invoice = self._sell(self.balance_product, 500.0, on_date="2026-01-10")
        order_id = self.rpc(
            "salesman",
            "sale.order",
            "create",
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.block_product.id, "product_uom_qty": 1, "prepaid_service_id": money_card.id}
                    )
                ],
            },
        )
        error = self.assertRpcRefused("salesman", "sale.order", "action_confirm", [order_id])
        self.assertIn("credits a prepaid service of type Quantity", error.message)
        self.assertIn(f"{money_card.display_name} is of type Amount", error.message)
