"""What a new user meets: the settings page, the sale order lines, the card form, the ledger analysis, the
expiry preview and the module's icon (issue 17)."""

import struct
from datetime import timedelta
from types import SimpleNamespace

from lxml import etree

from odoo import Command, fields
from odoo.tests import Form, tagged
from odoo.tools import file_path
from odoo.tools.safe_eval import safe_eval

from .common import PrepaidSaleCommon


@tagged("post_install", "-at_install")
class TestUserScreens(PrepaidSaleCommon):
    def _arch(self, model, view_type="form", view_ref=None):
        view_id = self.env.ref(view_ref).id if view_ref else None
        return etree.fromstring(self.env[model].get_view(view_id, view_type)["arch"])

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------
    def test_recognition_entries_setting_is_on_the_settings_page(self):
        arch = self._arch("res.config.settings")
        setting = arch.xpath("//app[@name='prepaid_services']//setting[@id='prepaid_recognition_grouping']")
        self.assertTrue(setting, "the README sends users to this setting: it must be on the page")
        self.assertTrue(setting[0].xpath(".//field[@name='prepaid_recognition_grouping']"))

        settings = self.env["res.config.settings"].create({"prepaid_recognition_grouping": "daily"})
        settings.execute()
        self.assertEqual(self.company.prepaid_recognition_grouping, "daily")
        with Form(self.env["res.config.settings"]) as form:
            self.assertEqual(form.prepaid_recognition_grouping, "daily")
            form.prepaid_recognition_grouping = "entry"
        self.assertEqual(self.company.prepaid_recognition_grouping, "entry")

    # ------------------------------------------------------------------
    # Sale order
    # ------------------------------------------------------------------
    def test_prepaid_service_column_hidden_unless_the_order_sells_prepaid(self):
        arch = self._arch("sale.order")
        (column,) = arch.xpath("//field[@name='order_line']/list/field[@name='prepaid_service_id']")
        self.assertEqual(column.get("optional"), "hide", "hidden until the user asks for it")
        self.assertEqual(column.get("column_invisible"), "not parent.prepaid_has_lines")
        self.assertEqual(column.get("invisible"), "not prepaid_ok", "empty on the lines of other products")
        self.assertTrue(arch.xpath("//field[@name='prepaid_has_lines']"))

        chair = self._create_product(name="Office chair", type="consu", lst_price=120.0)
        with Form(self.env["sale.order"]) as order:
            order.partner_id = self.customer
            with order.order_line.new() as line:
                line.product_id = chair
            self.assertFalse(order.prepaid_has_lines, "a furniture order shows no Prepaid Service column")
            with order.order_line.new() as line:
                line.product_id = self.block_product
            self.assertTrue(order.prepaid_has_lines)

    # ------------------------------------------------------------------
    # Card form
    # ------------------------------------------------------------------
    def test_card_form_status_currency_burn_rate_and_depletion(self):
        arch = self._arch("prepaid.service")
        (status,) = arch.xpath("//header/field[@name='closed']")
        self.assertEqual(status.get("widget"), "prepaid_status", "the card's status is in the status bar")
        # amounts show their currency to users without multi-currency rights too
        self.assertTrue(arch.xpath("//field[@name='currency_id'][not(@groups)]"))
        for fname in ("amount_received", "amount_used", "amount_expired", "amount_refunded", "amount_outstanding"):
            (node,) = arch.xpath(f"//field[@name='{fname}']")
            self.assertEqual(node.get("widget"), "monetary", fname)
        (burn_row,) = arch.xpath("//div[@name='burn_rate']")
        self.assertIn("per 30 days", "".join(burn_row.itertext()))
        self.assertTrue(burn_row.xpath(".//field[@name='uom_id']"), "the burn rate says its unit")
        (depletion,) = arch.xpath("//field[@name='depletion_date']")
        self.assertIn("closed", depletion.get("invisible"))
        self.assertIn("periodic", depletion.get("invisible"))

    def test_job_project_limited_to_the_cards_customer(self):
        arch = self._arch("prepaid.service")
        (project,) = arch.xpath("//field[@name='job_ids']/list/field[@name='project_id']")
        self.assertIn("parent.commercial_partner_id", project.get("domain"))
        other = self.env["res.partner"].create({"name": "Other customer"})
        mine = self.env["project.project"].create({"name": "Mine", "partner_id": self.customer.id})
        theirs = self.env["project.project"].create({"name": "Theirs", "partner_id": other.id})
        internal = self.env["project.project"].create({"name": "Internal"})
        card = self._create_card()
        parent = SimpleNamespace(company_id=card.company_id.id, commercial_partner_id=card.commercial_partner_id.id)
        found = self.env["project.project"].search(safe_eval(project.get("domain"), {"parent": parent}))
        self.assertIn(mine, found)
        self.assertIn(internal, found)
        self.assertNotIn(theirs, found)

        job_arch = self._arch("prepaid.service.job")
        (job_project,) = job_arch.xpath("//field[@name='project_id']")
        self.assertIn("commercial_partner_id', '=', partner_id", job_project.get("domain"))

    # ------------------------------------------------------------------
    # Ledger analysis
    # ------------------------------------------------------------------
    def test_ledger_analysis_does_not_add_hours_to_money(self):
        pivot = self._arch("prepaid.ledger.entry", "pivot")
        self.assertEqual([f.get("name") for f in pivot.xpath("//field[@type='measure']")], ["value"])
        graph = self._arch("prepaid.ledger.entry", "graph")
        self.assertEqual([f.get("name") for f in graph.xpath("//field[@type='measure']")], ["value"])
        ledger_list = self._arch("prepaid.ledger.entry", "list")
        for fname in ("quantity", "amount"):
            (node,) = ledger_list.xpath(f"/list/field[@name='{fname}']")
            self.assertFalse(node.get("sum"), f"{fname} of different units or currencies has no total")
        (value,) = ledger_list.xpath("/list/field[@name='value']")
        self.assertTrue(value.get("sum"))

    # ------------------------------------------------------------------
    # Expire Residuals preview
    # ------------------------------------------------------------------
    def test_expiry_preview_says_when_nothing_is_expirable(self):
        today = fields.Date.context_today(self.env["prepaid.expiry.wizard"])
        card = self._create_card(date_start=today - timedelta(days=60))
        self._credit(card, 5, 500.0, card.date_start, valid_until=today + timedelta(days=30))
        wizard = self.env["prepaid.expiry.wizard"].browse(card.action_expire_residuals()["res_id"])
        self.assertFalse(wizard.line_ids)
        self.assertEqual(
            wizard.empty_message,
            f"Nothing to expire: no top-up of {card.display_name} lapsed before "
            f"{today.strftime('%m/%d/%Y')}. A top-up lapses the day after its last valid day; top-ups without "
            "a validity never do.",
        )
        self.assertEqual(wizard._fields["date"].string, "Expire top-ups that lapsed before")
        arch = self._arch("prepaid.expiry.wizard")
        (alert,) = arch.xpath("//div[hasclass('alert')]")
        self.assertEqual(alert.get("invisible"), "line_ids")
        self.assertTrue(alert.xpath(".//field[@name='empty_message']"))
        self.assertEqual(arch.xpath("//field[@name='line_ids']")[0].get("invisible"), "not line_ids")

        action = (
            self.env.ref("prepaid_services.action_server_expire_residuals")
            .with_context(active_model="prepaid.service", active_ids=card.ids, active_id=card.id)
            .run()
        )
        self.assertEqual(action["context"]["dialog_size"], "extra-large", "wide enough for its columns")
        columns = {f.get("name"): f for f in arch.xpath("//field[@name='line_ids']/list/field")}
        self.assertEqual(columns["debit_account_id"].get("optional"), "hide", "always deferred revenue")
        self.assertEqual(columns["credit_account_id"].get("optional"), "show")

        two = self.env["prepaid.expiry.wizard"].create({"service_ids": [Command.set((card | self._create_card()).ids)]})
        self.assertIn("no top-up of the 2 selected prepaid services lapsed", two.empty_message)

    def test_expiry_toast_counts_top_ups_and_formats_the_value(self):
        today = fields.Date.context_today(self.env["prepaid.expiry.wizard"])
        card = self._create_card(date_start=today - timedelta(days=90))
        self._credit(card, 6, 600.0, card.date_start, valid_until=today - timedelta(days=1))
        wizard = self.env["prepaid.expiry.wizard"].browse(card.action_expire_residuals()["res_id"])
        self.assertTrue(wizard.line_ids)
        self.assertFalse(wizard.empty_message)
        action = wizard.action_confirm()
        self.assertEqual(action["params"]["message"], "1 top-up expired: $\xa0600.00 released to breakage income.")

        card_2 = self._create_card(date_start=today - timedelta(days=90))
        self._credit(card_2, 1, 1000.0, card_2.date_start, valid_until=today - timedelta(days=2))
        self._credit(card_2, 2, 1234.5, card_2.date_start, valid_until=today - timedelta(days=1))
        self.company.prepaid_expiry_to_liability = True
        wizard = self.env["prepaid.expiry.wizard"].browse(card_2.action_expire_residuals()["res_id"])
        action = wizard.action_confirm()
        self.assertEqual(action["params"]["message"], "2 top-ups expired: $\xa02,234.50 moved to unclaimed property.")

    # ------------------------------------------------------------------
    # App description
    # ------------------------------------------------------------------
    def test_module_icon_and_description(self):
        with open(file_path("prepaid_services/static/description/icon.png"), "rb") as icon:
            head = icon.read(24)
        self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
        width, height = struct.unpack(">II", head[16:24])
        self.assertIn((width, height), [(128, 128), (256, 256)])
        module = self.env["ir.module.module"].search([("name", "=", "prepaid_services")])
        self.assertEqual(module.icon, "/prepaid_services/static/description/icon.png")
        with open(file_path("prepaid_services/static/description/index.html"), encoding="utf-8") as index:
            self.assertIn("Prepaid Services", index.read())
        portal_tile = self.env.ref("prepaid_services.portal_my_home_prepaid").arch
        self.assertIn("/prepaid_services/static/description/icon.png", portal_tile)
