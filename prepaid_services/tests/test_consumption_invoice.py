from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from .automation_common import PrepaidAutomationCommon


@tagged("post_install", "-at_install")
class TestConsumptionInvoice(PrepaidAutomationCommon):
    """The work a card paid for is invoiced to the customer: the invoice is the recognition, never both."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_recognition_grouping("entry")
        cls.service_product.taxes_id = [Command.set(cls.tax_sale_a.ids)]

    def _block_card(self, rhythm, price=900.0, **vals):
        """A 10-hour block sold at price (90.00 an hour), consumption invoiced at rhythm (set on the card form)."""
        card, _topup = self._sell(self.block_product, price)
        with Form(card) as form:
            form.consumption_invoicing = rhythm
            form.product_id = self.service_product
            for fname, value in vals.items():
                setattr(form, fname, value)
        self._assign(card)
        return card

    def _run_consumption_cron(self, day):
        with freeze_time(day):
            self.env.ref("prepaid_services.ir_cron_invoice_consumption").ir_actions_server_id.sudo().run()

    def _analytic(self, card):
        return {str(card.analytic_account_id.id): 100}

    def test_halopsa_a_month_of_timesheets_makes_one_invoice_that_nets_to_zero(self):
        self._set_recognition_grouping(self._recognition_groupings()[-1])  # the invoice recognises, whatever this
        card = self._block_card("period")
        self._log_as_technician(1.5, self.task, "2026-02-02", name="Mail server migration")
        self._log_as_technician(2.0, self.task_2, "2026-02-10", name="Backup restore test")
        self._log_as_technician(0.5, self.task, "2026-02-20", name="Spam filter")
        self.assertEqual(card.quantity_outstanding, 6.0, "the ledger moves at once")
        self._run_scheduled_recognition()
        self.assertFalse(self._recognition_entries(card), "no recognition entry: the invoice recognises")
        self.assertDeferredRevenueTies()  # consumption awaiting its invoice is explained
        self._run_consumption_cron("2026-02-27")
        self.assertFalse(self._consumption_invoices(card), "February has not ended")

        self._run_consumption_cron("2026-03-01")
        invoice = self._consumption_invoices(card)
        self.assertEqual(len(invoice), 1, "one invoice for the month")
        self.assertEqual(str(invoice.invoice_date), "2026-02-28", "the revenue belongs to February")
        self.assertEqual(invoice.amount_total, 0.0)
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("paid", 0.0))
        services = invoice.invoice_line_ids.filtered(lambda line: not line.prepaid_service_id)
        self.assertEqual(services.mapped("quantity"), [1.5, 2.0, 0.5], "one line per service, in hours")
        self.assertEqual(services.mapped("price_unit"), [90.0, 90.0, 90.0], "at the value of the lots used")
        self.assertEqual(services.product_id, self.service_product)
        self.assertIn("Mail server migration", services[0].name)
        analytic = self._analytic(card)
        self.assertMoveLines(
            invoice,
            [
                {"account_id": self.receivable_account, "debit": 0.0, "credit": 0.0},
                {"account_id": self.income_account, "debit": 0.0, "credit": 135.0, "analytic_distribution": analytic},
                {"account_id": self.income_account, "debit": 0.0, "credit": 180.0, "analytic_distribution": analytic},
                {"account_id": self.income_account, "debit": 0.0, "credit": 45.0, "analytic_distribution": analytic},
                {"account_id": self.deferred_account, "debit": 360.0, "credit": 0.0},
            ],
        )
        self.assertEqual(self._balance(self.income_account, invoice), -360.0)
        self.assertEqual(self._balance(self.deferred_account, invoice), 360.0, "deferred and income move alike")
        self.assertFalse(invoice.invoice_line_ids.tax_ids, "VAT was charged on the prepayment")
        self._run_consumption_cron("2026-03-02")
        self.assertEqual(self._consumption_invoices(card), invoice, "invoiced once")
        self._run_scheduled_recognition()
        self.assertFalse(self._recognition_entries(card))
        self.assertIn(invoice.name, self._portal_invoice_page(), "the customer sees it on the portal")
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_with_tax_on_consumption_the_tax_is_due(self):
        self.company.prepaid_tax_timing = "consumption"
        card = self._block_card("period")
        topup = card.entry_ids.invoice_line_id.move_id
        self.assertEqual(topup.amount_tax, 0.0, "no VAT on the prepayment")
        self._log_as_technician(2.0, self.task, "2026-02-10")
        self._log_as_technician(2.0, self.task_2, "2026-02-11")
        self._run_consumption_cron("2026-03-01")
        invoice = self._consumption_invoices(card)
        self.assertEqual(invoice.amount_untaxed, 0.0)
        self.assertEqual(invoice.amount_tax, 54.0, "the tax of the work consumed")
        self.assertEqual((invoice.amount_residual, invoice.payment_state), (54.0, "not_paid"), "the tax is due")
        analytic = self._analytic(card)
        self.assertMoveLines(
            invoice,
            [
                {"account_id": self.receivable_account, "debit": 54.0, "credit": 0.0},
                {"account_id": self.tax_account, "debit": 0.0, "credit": 54.0},
                {"account_id": self.income_account, "debit": 0.0, "credit": 180.0, "analytic_distribution": analytic},
                {"account_id": self.income_account, "debit": 0.0, "credit": 180.0, "analytic_distribution": analytic},
                {"account_id": self.deferred_account, "debit": 360.0, "credit": 0.0},
            ],
        )
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_after_each_timesheet_a_correction_gets_a_correcting_invoice_and_a_deletion_a_credit_note(self):
        card = self._block_card("timesheet")
        timesheet = self._log_as_technician(2.0, self.task, "2026-02-02")
        first = self._consumption_invoices(card)
        self.assertEqual((len(first), first.amount_total, first.payment_state), (1, 0.0, "paid"))
        self.assertEqual(first.invoice_date, timesheet.date, "dated as the work")

        # posted invoices are never edited: the technician corrects the timesheet instead
        with self.assertRaisesRegex(UserError, "Correct or delete the timesheet"):
            first.button_draft()
        self.rpc("technician", "account.analytic.line", "write", [timesheet.id], {"unit_amount": 3.0})
        correcting = self._consumption_invoices(card) - first
        self.assertEqual(correcting.move_type, "out_invoice")
        services = correcting.invoice_line_ids.filtered(lambda line: not line.prepaid_service_id)
        self.assertEqual(
            sorted((line.quantity * (1 if line.price_unit > 0 else -1), line.price_subtotal) for line in services),
            [(-2.0, -180.0), (3.0, 270.0)],
        )
        self.assertIn("Correction of", services.filtered(lambda line: line.price_unit < 0).name)
        self.assertMoveLines(
            correcting,
            [
                {"account_id": self.receivable_account, "debit": 0.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 180.0,
                    "credit": 0.0,
                    "analytic_distribution": self._analytic(card),
                },
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 270.0,
                    "analytic_distribution": self._analytic(card),
                },
                {"account_id": self.deferred_account, "debit": 90.0, "credit": 0.0},
            ],
        )
        self.assertEqual(card.quantity_outstanding, 7.0)

        self.rpc("technician", "account.analytic.line", "unlink", [timesheet.id])
        credit_note = self._consumption_invoices(card) - first - correcting
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertMoveLines(
            credit_note,
            [
                {"account_id": self.receivable_account, "debit": 0.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 270.0,
                    "credit": 0.0,
                    "analytic_distribution": self._analytic(card),
                },
                {"account_id": self.deferred_account, "debit": 0.0, "credit": 270.0},
            ],
        )
        self.assertEqual(card.quantity_outstanding, 10.0)
        self.assertEqual(self._balance(self.income_account, first | correcting | credit_note), 0.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_a_correction_before_the_period_is_invoiced_bills_only_the_final_work(self):
        card = self._block_card("period")
        timesheet = self._log_as_technician(2.0, self.task, "2026-02-02")
        self.rpc("technician", "account.analytic.line", "write", [timesheet.id], {"unit_amount": 1.0})
        self._run_consumption_cron("2026-03-01")
        invoice = self._consumption_invoices(card)
        services = invoice.invoice_line_ids.filtered(lambda line: not line.prepaid_service_id)
        self.assertEqual([(line.quantity, line.price_subtotal) for line in services], [(1.0, 90.0)])
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_work_beyond_the_balance_is_invoiced_when_a_top_up_covers_it(self):
        card = self._block_card("timesheet", price=200.0, overdraw_policy="negative")
        card.sudo().write({"validity_interval": 0})
        self._log_as_technician(12.0, self.task, "2026-02-02")
        first = self._consumption_invoices(card)
        services = first.invoice_line_ids.filtered(lambda line: not line.prepaid_service_id)
        self.assertEqual(services.mapped("price_subtotal"), [200.0], "only what the prepayment covered")
        self.assertEqual(card.quantity_outstanding, -2.0)
        self.assertDeferredRevenueTies()

        self._sell(self.block_product, 1000.0, card=card, on_date="2026-02-05")
        self._run_consumption_cron("2026-02-06")
        settled = self._consumption_invoices(card) - first
        self.assertMoveLines(
            settled,
            [
                {"account_id": self.receivable_account, "debit": 0.0, "credit": 0.0},
                {
                    "account_id": self.income_account,
                    "debit": 0.0,
                    "credit": 200.0,
                    "analytic_distribution": self._analytic(card),
                },
                {"account_id": self.deferred_account, "debit": 200.0, "credit": 0.0},
            ],
        )
        self.assertEqual(card.quantity_outstanding, 8.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_a_money_card_invoices_the_hours_at_the_price_it_charged(self):
        card, _topup = self._sell(self.balance_product, 500.0)
        with Form(card) as form:
            form.consumption_invoicing = "timesheet"
            form.hourly_rate = 120.0
            form.product_id = self.service_product
        self._assign(card)
        self._log_as_technician(1.5, self.task, "2026-02-02")
        invoice = self._consumption_invoices(card)
        service = invoice.invoice_line_ids.filtered(lambda line: not line.prepaid_service_id)
        self.assertEqual((service.quantity, service.price_unit, service.product_uom_id), (1.5, 120.0, self.uom_hour))
        self.assertEqual((invoice.amount_total, invoice.payment_state), (0.0, "paid"))
        self.assertEqual(card.amount_outstanding, 320.0)
        self.assertBalancesMatchLedger(card)
        self.assertDeferredRevenueTies()

    def test_only_a_prepaid_manager_invoices_consumption_now(self):
        card = self._block_card("period")
        self._log_as_technician(1.0, self.task, "2026-02-02")
        for role in ("technician", "salesman", "billing", "portal"):
            self.assertRpcRefused(role, "prepaid.service", "action_invoice_consumption", [card.id])
        self.assertFalse(self._consumption_invoices(card))
        self.rpc("prepaid_manager", "prepaid.service", "action_invoice_consumption", [card.id])
        self.assertEqual(len(self._consumption_invoices(card)), 1)
        self.assertDeferredRevenueTies()
