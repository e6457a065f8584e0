import threading
import time

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.addons.prepaid_services.models.prepaid_ledger_allocator import PostingOptions
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.sql_db import Cursor
from odoo.tests import BaseCase, get_db_name, tagged


@tagged("post_install", "-at_install")
class TestConcurrentConsumption(BaseCase):
    """Two transactions consuming one block-policy card at once cannot overdraw it.

    Runs with real, committed transactions on two database connections (a TransactionCase shares
    one), and removes what it committed afterwards.
    """

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            if not isinstance(cr, Cursor):
                self.skipTest("needs real database connections")
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            if not company.prepaid_deferred_account_id:
                self.skipTest("the main company has no chart of accounts")
            partner = env["res.partner"].create({"name": "Concurrent customer"})
            card = env["prepaid.service"].create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "service_type": "quantity",
                    "uom_id": env.ref("uom.product_uom_hour").id,
                    "overdraw_policy": "block",
                }
            )
            expense = env["account.account"].search(
                [*env["account.account"]._check_company_domain(company), ("account_type", "=", "expense")], limit=1
            )
            env["prepaid.ledger.entry"]._post_entries(
                [
                    {
                        "service_id": card.id,
                        "entry_type": "adjustment",
                        "quantity": 5.0,
                        "amount": 500.0,
                    }
                ],
                [PostingOptions(counterpart_account=expense.id)],
            )
            self.card_id, self.partner_id = card.id, partner.id
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT id, analytic_account_id FROM prepaid_service WHERE id = %s", [self.card_id])
            _card, analytic = cr.fetchone()
            cr.execute("SELECT id FROM account_move WHERE prepaid_service_id = %s", [self.card_id])
            move_ids = tuple(r[0] for r in cr.fetchall()) or (0,)
            cr.execute(
                "DELETE FROM account_analytic_line WHERE move_line_id IN "
                "(SELECT id FROM account_move_line WHERE move_id IN %s)",
                [move_ids],
            )
            cr.execute("DELETE FROM account_move_line WHERE move_id IN %s", [move_ids])
            cr.execute("DELETE FROM account_move WHERE id IN %s", [move_ids])
            cr.execute("DELETE FROM prepaid_ledger_application WHERE service_id = %s", [self.card_id])
            cr.execute("DELETE FROM prepaid_ledger_entry WHERE service_id = %s", [self.card_id])
            cr.execute("DELETE FROM mail_message WHERE model = 'prepaid.service' AND res_id = %s", [self.card_id])
            cr.execute("DELETE FROM mail_followers WHERE res_model = 'prepaid.service' AND res_id = %s", [self.card_id])
            cr.execute("DELETE FROM prepaid_service WHERE id = %s", [self.card_id])
            cr.execute("DELETE FROM account_analytic_account WHERE id = %s", [analytic])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.partner_id])

    def _usage_vals(self):
        return [{"service_id": self.card_id, "entry_type": "usage", "quantity": -4.0, "name": "parallel work"}]

    def test_parallel_consumption_of_a_block_card_cannot_overdraw(self):
        b_has_snapshot = threading.Event()
        a_holds_lock = threading.Event()
        outcome = {}

        def second_user():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    # this transaction sees 5 h available, as the first one does
                    outcome["b_saw"] = env["prepaid.service"].browse(self.card_id).quantity_outstanding
                    b_has_snapshot.set()
                    a_holds_lock.wait(10)
                    env["prepaid.ledger.entry"]._post_entries(self._usage_vals())
            except Exception as error:
                outcome["b_error"] = error

        thread = threading.Thread(target=second_user)
        thread.start()
        try:
            self.assertTrue(b_has_snapshot.wait(10))
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["prepaid.ledger.entry"]._post_entries(self._usage_vals())
                a_holds_lock.set()
                # wait until the second transaction is blocked on the card's row lock
                with self.registry.cursor() as probe:
                    for _attempt in range(50):
                        probe.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database()"
                        )
                        if probe.fetchone()[0]:
                            break
                        time.sleep(0.1)
                    else:
                        self.fail("the second transaction never waited for the card's lock")
                # two real transactions are the point of this test
                cr.commit()  # pylint: disable=invalid-commit
        finally:
            a_holds_lock.set()
            thread.join(20)

        self.assertEqual(outcome["b_saw"], 5.0)
        self.assertIsInstance(outcome.get("b_error"), SerializationFailure)

        # Odoo retries a request that failed to serialise: the retry sees the first consumption
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            with self.assertRaisesRegex(UserError, r"only 1\.00 Hours are available, 3\.00 Hours are missing"):
                env["prepaid.ledger.entry"]._post_entries(self._usage_vals())
            card = env["prepaid.service"].browse(self.card_id)
            self.assertEqual(card.quantity_outstanding, 1.0)
            self.assertEqual(len(card.entry_ids.filtered(lambda e: e.entry_type == "usage")), 1)
            self.assertEqual(env["prepaid.deferred.revenue.check"]._get_balance_differences(card), {})
