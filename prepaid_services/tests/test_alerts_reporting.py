from datetime import date

from odoo.tests import freeze_time, tagged

from .common import PrepaidSaleCommon


@tagged("post_install", "-at_install")
class TestAlerts(PrepaidSaleCommon):
    """Low-balance and expiring-soon warnings: an activity and a mail, once per crossing."""

    def _alerts(self, card):
        self.env.cr.flush()
        activities = card.activity_ids.filtered(lambda a: "running low" in (a.summary or ""))
        mails = self.env["mail.message"].search(
            [("model", "=", "prepaid.service"), ("res_id", "=", card.id), ("subject", "ilike", "running low")]
        )
        return len(activities), len(mails)

    def test_low_balance_alerts_once_per_crossing(self):
        self.customer.email = "customer@example.com"
        card, _invoice = self._sell(self.block_product, 1000.0)
        card.low_balance_threshold = 3.0
        self._use(card, 6, date(2026, 2, 1))
        self.assertEqual(self._alerts(card), (0, 0), "4 h left: above the threshold")

        self._use(card, 2, date(2026, 2, 2))
        self.assertEqual(self._alerts(card), (1, 1))
        self.assertEqual(card.activity_ids.user_id, card.user_id)
        self._use(card, 1, date(2026, 2, 3))
        self.assertEqual(self._alerts(card), (1, 1), "still low: no second alert")

        self._sell(self.block_product, 1000.0, card=card, on_date="2026-02-10")
        self.assertFalse(card.low_balance_alerted, "topped up: the alert is re-armed")
        self._use(card, 9, date(2026, 2, 11))
        self.assertEqual(self._alerts(card), (2, 2), "a new crossing alerts again")

    def test_expiring_soon_warns_once_per_expiry_date(self):
        self.customer.email = "customer@example.com"
        card = self._create_card(expiry_warning_days=30)
        self._credit(card, 10, 1000.0, date(2026, 1, 1), valid_until=date(2026, 3, 31))
        Card = self.env["prepaid.service"]
        with freeze_time("2026-02-15"):
            self.assertFalse(Card._cron_check_expiry_alerts())
        with freeze_time("2026-03-05"):
            self.assertEqual(Card._cron_check_expiry_alerts(), card)
            self.assertFalse(Card._cron_check_expiry_alerts(), "once per expiry date")
        self.assertEqual(len(card.activity_ids.filtered(lambda a: "expiring" in a.summary)), 1)

    def test_burn_rate_predicts_depletion(self):
        card = self._create_card()
        with freeze_time("2026-04-01"):
            self._credit(card, 100, 10000.0, date(2026, 1, 1))
            self._use(card, 30, date(2026, 3, 1))  # 30 h over the last 90 days: 10 h per 30 days
            card.invalidate_recordset(["burn_rate", "depletion_date"])
            self.assertAlmostEqual(card.burn_rate, 10.0)
            self.assertEqual(card.depletion_date, date(2026, 4, 1) + (date(2026, 10, 28) - date(2026, 4, 1)))


@tagged("post_install", "-at_install")
class TestRollforward(PrepaidSaleCommon):
    """The contract-liability rollforward ties to the deferred revenue account."""

    def test_rollforward_ties_to_the_deferred_revenue_account(self):
        card, _invoice = self._sell(self.block_product, 1000.0, on_date="2026-01-10")
        card.validity_interval = 1
        self._use(card, 2, date(2026, 1, 20))
        _card, invoice = self._sell(self.block_product, 900.0, card=card, on_date="2026-02-03")
        self._use(card, 3, date(2026, 2, 10))
        credit_note = self._reverse_invoice(invoice)
        credit_note.invoice_line_ids.quantity = 0.2  # 2 h back
        credit_note.invoice_date = "2026-02-12"
        credit_note.action_post()
        self.env["prepaid.ledger.entry"]._expire_residuals(
            card, today=date(2026, 3, 10)
        )  # the February block expired on March 2

        roll = self.env["prepaid.deferred.revenue.report"]._get_rollforward(
            date(2026, 2, 1), date(2026, 3, 31), self.company
        )

        self.assertEqual(roll["opening"], 800.0)
        self.assertEqual(roll["topups"], 900.0)
        self.assertEqual(roll["consumption"], 270.0, "3 h of the February block at 90: it expires first")
        self.assertEqual(roll["refunds"], 180.0)
        self.assertEqual(roll["breakage"], 450.0, "5 h left of the February block at 90")
        self.assertEqual(roll["closing"], 800.0)
        self.assertEqual(roll["account_opening"], 800.0)
        self.assertEqual(roll["account_closing"], 800.0)
        self.assertEqual(roll["difference"], 0.0)

        ageing = self.env["prepaid.deferred.revenue.report"]._get_deferred_ageing(date(2026, 3, 31), self.company)
        self.assertEqual(ageing["never"], {"value": 800.0, "count": 1})
        self.assertEqual(sum(b["value"] for b in ageing.values()), roll["closing"])
        self.assertDeferredRevenueTies()
