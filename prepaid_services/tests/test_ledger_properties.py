import os
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import PrepaidTimesheetCommon

# What users do to the documents of one customer, in any order: sell, log, correct and delete time, credit,
# reset and repost, pay with credit and give it back, let time pass, expire, lock a month.
STEPS = st.one_of(
    st.tuples(st.just("sell"), st.integers(1, 3), st.sampled_from([900.0, 1000.0, 1250.0])),
    st.tuples(st.just("log"), st.sampled_from([0.25, 1.0, 2.5, 4.0, 7.0])),
    st.tuples(st.just("edit"), st.integers(0, 5), st.sampled_from([0.5, 3.0, 9.0])),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(st.just("refund"), st.integers(0, 3), st.sampled_from([0.25, 0.5, 1.0])),
    st.tuples(st.just("reset"), st.integers(0, 3)),
    st.tuples(st.just("pay"), st.sampled_from([40.0, 150.0, 600.0])),
    st.tuples(st.just("give_back"), st.integers(0, 3), st.sampled_from([0.5, 1.0])),
    st.tuples(st.just("reset_credit_note"), st.integers(0, 3)),
    st.tuples(st.just("wait"), st.sampled_from([1, 12, 40])),
    st.tuples(st.just("expire")),
    st.tuples(st.just("lock")),
)


@tagged("post_install", "-at_install")
class TestLedgerProperties(PrepaidTimesheetCommon):
    """Whatever users do and in whatever order, after every step the deferred revenue account equals the
    open lots (plus what awaits recognition) and the stored balances equal a recomputation from the ledger."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.expiring_block = cls._create_product(
            name="10 h block, 30 days",
            type="service",
            invoice_policy="order",
            lst_price=1000.0,
            prepaid_ok=True,
            prepaid_service_type="quantity",
            prepaid_quantity=10.0,
            prepaid_uom_id=cls.uom_hour.id,
            prepaid_validity_interval=30,
            prepaid_validity_unit="days",
            taxes_id=[Command.clear()],
        )
        cls.equipment = cls._create_product(name="Router", lst_price=100.0, taxes_id=[Command.clear()])
        # the money card is in euros, whose rate moves every month: credit used and given back at other rates
        cls.eur = cls.setup_other_currency(
            "EUR", rates=[("2026-01-01", 2.0), ("2026-02-01", 1.5), ("2026-03-01", 1.0), ("2026-04-01", 0.8)]
        )

    def _step(self, state, step):
        kind, *args = step
        today = state["today"]
        with freeze_time(today):
            if kind == "sell":
                card, invoice = self._sell(
                    self.expiring_block, args[1], qty=args[0], card=state["hours"], on_date=today.isoformat()
                )
                if not state["hours"]:
                    state["hours"] = card
                    self._assign(card)
                state["topups"].append(invoice)
            elif kind == "log" and state["hours"]:
                state["timesheets"].append(self._log(args[0], on_date=today.isoformat()))
            elif kind == "edit" and state["timesheets"]:
                state["timesheets"][args[0] % len(state["timesheets"])].unit_amount = args[1]
            elif kind == "delete" and state["timesheets"]:
                state["timesheets"].pop(args[0] % len(state["timesheets"])).unlink()
            elif kind == "refund" and state["topups"]:
                invoice = state["topups"][args[0] % len(state["topups"])]
                if invoice.state == "posted":
                    credit_note = self._reverse_invoice(invoice, date=today.isoformat())
                    for line in credit_note.invoice_line_ids:
                        line.quantity *= args[1]
                    credit_note.action_post()
            elif kind == "reset" and state["topups"]:
                invoice = state["topups"][args[0] % len(state["topups"])]
                if invoice.state == "posted":
                    invoice.button_draft()
                    invoice.action_post()
            elif kind == "pay":
                if not state["money"]:
                    state["money"], _invoice = self._sell(
                        self.balance_product, 500.0, on_date=today.isoformat(), currency=self.eur
                    )
                invoice = self._create_invoice(
                    invoice_date=today.isoformat(),
                    currency_id=self.eur.id,
                    invoice_line_ids=[self._prepare_invoice_line(product_id=self.equipment, price_unit=args[0])],
                )
                self._apply_credit(invoice)
                invoice.action_post()
                state["paid"].append(invoice)
            elif kind == "give_back" and state["paid"]:
                invoice = state["paid"][args[0] % len(state["paid"])]
                credit_note = self._reverse_invoice(invoice, date=today.isoformat())
                for line in credit_note.invoice_line_ids:
                    line.price_unit *= args[1]
                credit_note.action_post()
                state["credit_notes"].append(credit_note)
            elif kind == "reset_credit_note" and state["credit_notes"]:
                credit_note = state["credit_notes"][args[0] % len(state["credit_notes"])]
                if credit_note.state == "posted":
                    credit_note.button_draft()
            elif kind == "wait":
                state["today"] = today + timedelta(days=args[0])
            elif kind == "expire":
                self.env["prepaid.ledger.entry"]._cron_expire_residuals()
            elif kind == "lock":
                self.company.sudo().fiscalyear_lock_date = today - timedelta(days=today.day)

    def _check(self, state, done):
        cards = state["hours"] | state["money"]
        cards.invalidate_recordset()
        self.assertEqual(
            self.env["prepaid.deferred.revenue.check"]._get_balance_differences(cards),
            {},
            f"stored balances differ after {done}",
        )
        self.assertEqual(
            self.env["prepaid.service"]._get_deferred_revenue_differences(self.company),
            {},
            f"deferred revenue does not tie after {done}",
        )

    @settings(
        max_examples=int(os.environ.get("PREPAID_HYPOTHESIS_EXAMPLES", 12)),
        deadline=None,
        derandomize=not os.environ.get("PREPAID_HYPOTHESIS_RANDOM"),
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=st.lists(STEPS, min_size=3, max_size=9))
    def test_deferred_revenue_equals_open_lots_after_every_step(self, steps):
        Card = self.env["prepaid.service"]
        with self.env.cr.savepoint() as savepoint:
            state = {
                "today": date(2026, 1, 5),
                "hours": Card,
                "money": Card,
                "topups": [],
                "timesheets": [],
                "paid": [],
                "credit_notes": [],
            }
            done = []
            for step in steps:
                try:
                    self._step(state, step)
                except UserError:
                    done.append((*step, "refused"))  # a refusal must leave nothing half-written either
                else:
                    done.append(step)
                self._check(state, done)
            savepoint.close(rollback=True)  # the next example starts from the same fixtures
