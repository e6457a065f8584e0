from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..models.utils import service_scope
from .common import PrepaidHttpCommon


@tagged("post_install", "-at_install")
class TestCardPricingNumberAndFieldsOverRpc(PrepaidHttpCommon):
    """Pricing is the prepaid manager's right, numbers come from the sequence, internal fields stay internal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card, cls.invoice = cls._sell(cls.block_product, 1000.0, on_date="2026-01-10")
        cls.card.note = "<p>Customer is late paying</p>"
        cls.money_card, _invoice = cls._sell(cls.balance_product, 2000.0, on_date="2026-01-10")
        cls.money_card.hourly_rate = 95.0

    def test_non_managers_cannot_change_pricing_over_rpc(self):
        for role, card, vals in (
            ("timesheet", self.money_card, {"hourly_rate": 1.0}),
            ("salesman", self.money_card, {"hourly_rate": 1.0}),
            ("timesheet", self.card, {"overdraw_policy": "negative"}),
            ("salesman", self.card, {"billable_only": True}),
            ("billing", self.card, {"period_price": 1.0, "period_allowance": 500.0}),
            ("salesman", self.card, {"validity_interval": 99, "validity_unit": "years"}),
            ("salesman", self.card, {"rate_ids": [(0, 0, {"name": "Cheap", "factor": 0.1})]}),
        ):
            error = self.assertRpcRefused(role, "prepaid.service", "write", card.ids, vals)
            self.assertIn("Only a prepaid services manager can set the pricing", error.message)
        self.money_card.invalidate_recordset()
        self.assertEqual(self.money_card.hourly_rate, 95.0)
        self.assertEqual(self.card.overdraw_policy, "block")
        self.assertFalse(self.card.billable_only)
        self.assertFalse(self.card.rate_ids)

    def test_non_managers_keep_editing_what_is_not_pricing(self):
        self.rpc("salesman", "prepaid.service", "write", self.card.ids, {"description": "Support 2026"})
        # sending a price unchanged changes nothing and is no pricing act
        self.rpc("timesheet", "prepaid.service", "write", self.money_card.ids, {"hourly_rate": 95.0})
        self.assertEqual(self.card.description, "Support 2026")

    def test_manager_sets_pricing_over_rpc(self):
        self.rpc("prepaid_manager", "prepaid.service", "write", self.money_card.ids, {"hourly_rate": 120.0})
        self.assertEqual(self.money_card.hourly_rate, 120.0)

    def test_non_manager_cannot_create_a_card_with_its_own_pricing(self):
        vals = {"partner_id": self.customer.id, "service_type": "amount", "description": "Cheap card"}
        self.assertRpcRefused("salesman", "prepaid.service", "create", [{**vals, "hourly_rate": 1.0}])
        # a default in the context is client input too: it prices nothing
        card_id = self.rpc("salesman", "prepaid.service", "create", [vals], context={"default_hourly_rate": 1.0})[0]
        self.assertEqual(self.env["prepaid.service"].browse(card_id).hourly_rate, 0.0)

    def test_pricing_is_read_only_on_the_form_for_non_managers(self):
        with Form(self.money_card.with_user(self.role_users["salesman"])) as form:
            self.assertFalse(form.can_edit_pricing)
            for fname in ("hourly_rate", "overdraw_policy", "billable_only", "validity_interval"):
                with self.assertRaisesRegex(AssertionError, f"readonly field '{fname}'"):
                    setattr(form, fname, 1 if fname == "validity_interval" else False)
            form.description = "Editable"
        with Form(self.money_card) as form:
            form.hourly_rate = 110.0
        self.assertEqual(self.money_card.hourly_rate, 110.0)

    def test_card_number_comes_from_the_sequence_only(self):
        card_id = self.rpc(
            "salesman",
            "prepaid.service",
            "create",
            [{"partner_id": self.customer.id, "name": "GIFT-0001", "description": "Named by the client"}],
        )[0]
        card = self.env["prepaid.service"].browse(card_id)
        self.assertTrue(card.name.startswith("PS"), card.name)
        for role in ("salesman", "prepaid_manager"):
            error = self.assertRpcRefused(role, "prepaid.service", "write", card.ids, {"name": self.card.name})
            self.assertIn("comes from its sequence", error.message)
        self.assertTrue(card.name.startswith("PS"))

    def test_card_numbers_are_unique_per_company(self):
        other = self._create_card()
        with (
            self.assertRaisesRegex(Exception, "prepaid_service_name_company_uniq"),
            mute_logger("odoo.sql_db"),
            service_scope(),
        ):
            other.write({"name": self.card.name})
            other.flush_recordset()

    def test_closed_flag_is_not_writable_over_rpc(self):
        for role in ("salesman", "prepaid_manager"):
            error = self.assertRpcRefused(role, "prepaid.service", "write", self.card.ids, {"closed": True})
            self.assertIn("Close button", error.message)
        self.assertFalse(self.card.closed)

    def test_portal_customer_reads_balances_but_not_internal_fields(self):
        card = self.rpc("portal", "prepaid.service", "read", self.card.ids, ["name", "quantity_outstanding"])[0]
        self.assertEqual((card["name"], card["quantity_outstanding"]), (self.card.name, 10.0))
        for fname in ("note", "value_outstanding", "analytic_account_id"):
            self.assertRpcRefused("portal", "prepaid.service", "read", self.card.ids, [fname])
        entry = self.card.entry_ids
        self.assertEqual(
            self.rpc("portal", "prepaid.ledger.entry", "read", entry.ids, ["quantity"])[0]["quantity"], 10.0
        )
        for fname in ("value", "remaining_value", "move_id", "invoice_line_id", "user_id"):
            self.assertRpcRefused("portal", "prepaid.ledger.entry", "read", entry.ids, [fname])
        # the portal pages render the card as before
        response = self.url_open(f"/my/prepaid/{self.card.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.card.name, response.text)
        self.assertNotIn("late paying", response.text)
