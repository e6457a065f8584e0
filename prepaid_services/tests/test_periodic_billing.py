from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools.misc import format_date

from ..models.utils import service_scope
from .common import PrepaidHttpCommon, PrepaidPeriodicMixin


@tagged("post_install", "-at_install")
class TestPeriodicBilledOnce(PrepaidPeriodicMixin, PrepaidHttpCommon):
    """A period is invoiced once whatever the dates say; a long catch-up waits for a manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.allowance_product = cls._create_allowance_product()
        cls.receivable = cls.company_data["default_account_receivable"]

    def _assert_period_invoice(self, invoice, amount=1000.0):
        self.assertMoveLines(
            invoice,
            [
                {"account_id": self.receivable, "debit": amount, "credit": 0.0},
                {"account_id": self.deferred_account, "debit": 0.0, "credit": amount},
            ],
        )

    def _catch_up_activity(self, card):
        return card.activity_ids.filtered(lambda a: a.summary == "Prepaid: periodic catch-up to confirm")

    # ------------------------------------------------------------------
    # (a) Next Period moved back into an invoiced period
    # ------------------------------------------------------------------
    def test_next_period_moved_back_into_january_does_not_bill_january_twice(self):
        card = self._periodic_card()
        january = self._run("2026-01-01")
        self._assert_period_invoice(january)
        self.assertEqual(card.next_period_start, date(2026, 2, 1))

        # however the date got there (an import, an edit before the field was guarded)
        with service_scope():
            card.next_period_start = date(2026, 1, 15)

        self.assertFalse(self._run("2026-01-20"), "January is invoiced already")
        february = self._run("2026-02-01")

        self.assertEqual(len(february), 1)
        self._assert_period_invoice(february)
        self.assertEqual(
            [(p.date_start, p.date_end) for p in card.period_ids],
            [(date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 28))],
        )
        self.assertEqual(card.period_ids.invoice_id, january | february)
        self.assertEqual(card.next_period_start, date(2026, 3, 1))
        self.assertEqual(card.quantity_received, 20.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    # ------------------------------------------------------------------
    # (b) A catch-up of many periods waits for a manager
    # ------------------------------------------------------------------
    def test_start_date_typo_invoices_nothing_and_asks_a_manager_once(self):
        typo = self._periodic_card(date_start=date(2016, 1, 1))  # meant 2026
        late = self._periodic_card(date_start=date(2025, 11, 1), description="Started in November")

        invoices = self._run("2026-01-15")

        self.assertFalse(typo.period_ids, "120 invoices are not posted in one run")
        self.assertFalse(self.env["account.move"].search([("invoice_origin", "=", typo.name)]))
        self.assertFalse(typo.next_period_start)
        activity = self._catch_up_activity(typo)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, typo.user_id)
        self.assertIn("121 periods are due since 01/01/2016", str(activity.note))
        self.assertIn("manager confirms with Invoice Due Periods", str(activity.note))
        # three periods due at once are still the scheduled action's to invoice
        self.assertEqual(len(invoices), 3)
        self.assertEqual(late.period_ids.invoice_id, invoices)
        for invoice in invoices:
            self._assert_period_invoice(invoice)
        self.assertFalse(self._catch_up_activity(late))

        self.assertFalse(self._run("2026-01-16"))
        self.assertEqual(len(self._catch_up_activity(typo)), 1, "one activity, not one per run")
        self.assertFalse(typo.period_ids)
        self.assertDeferredRevenueTies()

    def test_manager_confirms_a_catch_up_over_rpc_and_a_timesheet_user_cannot(self):
        today = fields.Date.context_today(self.env["prepaid.service"])
        start = today.replace(day=1) - relativedelta(months=5)
        card = self._periodic_card(date_start=start)
        self.assertFalse(self.env["prepaid.service.period"]._cron_periodic_invoicing())
        self.assertEqual(len(self._catch_up_activity(card)), 1)
        self.assertIn(
            f"6 periods are due since {format_date(self.env, start)}", str(self._catch_up_activity(card).note)
        )

        error = self.assertRpcRefused("timesheet", "prepaid.service", "action_invoice_due_periods", card.ids)
        self.assertEqual(error.name, "odoo.exceptions.AccessError")
        self.assertFalse(card.period_ids)

        self.rpc("prepaid_manager", "prepaid.service", "action_invoice_due_periods", card.ids)

        self.assertEqual(card.period_ids.mapped("date_start"), [start + relativedelta(months=n) for n in range(6)])
        invoices = card.period_ids.invoice_id
        self.assertEqual(len(invoices), 6)
        for invoice in invoices:
            self._assert_period_invoice(invoice)
        self.assertEqual(card.next_period_start, start + relativedelta(months=6))
        self.assertEqual(card.quantity_received, 60.0)
        self.assertFalse(self._catch_up_activity(card), "the confirmation closes the activity")
        self.assertFalse(self.env["prepaid.service.period"]._cron_periodic_invoicing(), "nothing twice")
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    # ------------------------------------------------------------------
    # (c) A period whose invoice was deleted or cancelled is invoiced again, once
    # ------------------------------------------------------------------
    def test_period_whose_draft_invoice_was_deleted_is_invoiced_again_once(self):
        card = self._periodic_card(period_auto_post=False)
        draft = self._run("2026-01-01")
        self.assertEqual(draft.state, "draft")
        period = card.period_ids

        self.rpc("billing", "account.move", "unlink", draft.ids)
        self.assertFalse(period.invoice_id)

        again = self._run("2026-01-02")

        self.assertEqual(len(again), 1)
        self.assertEqual(card.period_ids, period, "the same period, not a new one")
        self.assertEqual(period.invoice_id, again)
        self.assertFalse(self._run("2026-01-03"), "invoiced again once")
        self.rpc("billing", "account.move", "action_post", again.ids)
        self._assert_period_invoice(again)
        self.assertEqual(card.quantity_received, 10.0)
        february = self._run("2026-02-01")
        self.assertEqual(february.invoice_line_ids.prepaid_period_id.date_start, date(2026, 2, 1))
        self.assertDeferredRevenueTies()

    def test_period_whose_invoice_was_cancelled_is_invoiced_again_once(self):
        card = self._periodic_card()
        january = self._run("2026-01-01")
        self._assert_period_invoice(january)

        self.rpc("billing", "account.move", "button_draft", january.ids)
        self.rpc("billing", "account.move", "button_cancel", january.ids)
        self.assertEqual(january.state, "cancel")
        self.assertEqual(card.quantity_outstanding, 0.0)

        again = self._run("2026-01-02")

        self.assertEqual(len(again), 1)
        self.assertNotEqual(again, january)
        self._assert_period_invoice(again)
        self.assertEqual(card.period_ids.invoice_id, again)
        self.assertEqual(card.quantity_outstanding, 10.0)
        self.assertFalse(self._run("2026-01-03"), "invoiced again once")
        self.assertEqual(len(card.period_ids), 1)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()
