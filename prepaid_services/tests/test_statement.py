from datetime import date

from odoo.tests import tagged

from .common import PrepaidTimesheetCommon


@tagged("post_install", "-at_install")
class TestStatement(PrepaidTimesheetCommon):
    """The customer statement: opening balance, movements with running balance, closing, open top-ups."""

    def _scenario(self):
        card, _invoice = self._sell(self.block_product, 1000.0, on_date="2026-01-10")
        card.validity_interval = 6
        self._assign(card)
        self._log(3.0, on_date="2026-01-20")
        self._sell(self.block_product, 900.0, card=card, on_date="2026-02-05")
        self._log(2.0, on_date="2026-02-10")
        self._log(8.0, on_date="2026-02-20")
        self._log(1.0, on_date="2026-03-03")
        return card

    def test_statement_runs_from_opening_to_closing_balance(self):
        card = self._scenario()

        data = self.env["report.prepaid_services.report_prepaid_statement"]._get_statement_data(
            card, date(2026, 2, 1), date(2026, 2, 28)
        )[card.id]

        self.assertEqual((data["opening"], data["opening_amount"]), (7.0, 700.0))
        self.assertEqual(
            [(line["type"], line["in"], line["out"], line["balance"]) for line in data["lines"]],
            [("Top-up", 10.0, 0.0, 17.0), ("Usage", 0.0, 2.0, 15.0), ("Usage", 0.0, 8.0, 7.0)],
        )
        self.assertEqual(
            data["lines"][0]["document"],
            card.entry_ids.filtered(lambda e: e.entry_type == "receipt" and e.date == date(2026, 2, 5)).move_id.name,
        )
        # the February block expires (validity set after the first sale), so it is used first
        self.assertEqual([line["amount"] for line in data["lines"]], [900.0, -180.0, -720.0])
        self.assertEqual((data["closing"], data["closing_amount"]), (7.0, 700.0))
        self.assertEqual((data["total_in"], data["total_out"]), (10.0, 10.0))
        self.assertEqual(
            [(i["entry"].date, i["quantity"], i["amount"], i["entry"].valid_until) for i in data["open_inflows"]],
            [(date(2026, 1, 10), 7.0, 700.0, False)],
        )
        self.assertEqual(card.quantity_outstanding, 6.0, "March usage is after the period")

    def test_statement_renders_for_several_cards(self):
        card = self._scenario()
        other, _invoice = self._sell(self.balance_product, 250.0, on_date="2026-02-01")
        wizard = (
            self.env["prepaid.statement.wizard"]
            .with_context(active_model="prepaid.service", active_ids=(card | other).ids)
            .create({"date_from": date(2026, 2, 1), "date_to": date(2026, 2, 28)})
        )
        action = wizard.with_context(discard_logo_check=True).action_print()
        self.assertEqual(action["report_name"], "prepaid_services.report_prepaid_statement")

        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "prepaid_services.action_report_prepaid_statement", (card | other).ids, data=action["data"]
        )
        html = html.decode()
        self.assertIn("Prepaid Services Statement", html)
        self.assertIn(card.name, html)
        self.assertIn(other.name, html)
        self.assertIn("Opening balance", html)
        self.assertIn("Closing balance", html)
        self.assertIn("Open top-ups", html)

    def test_statement_defaults_to_this_month(self):
        wizard = self.env["prepaid.statement.wizard"].create({"service_ids": [(6, 0, self._create_card().ids)]})
        today = date.today()
        self.assertEqual((wizard.date_from.day, wizard.date_from.month), (1, today.month))
        self.assertEqual(wizard.date_to.month, today.month)
