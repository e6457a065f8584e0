import re

from odoo.tests import tagged

from .common import PrepaidCommon


@tagged("post_install", "-at_install")
class TestScheduledActions(PrepaidCommon):
    """Each scheduled action lives on the model that owns the records it makes, and runs."""

    def test_every_scheduled_action_calls_a_method_of_its_model_and_runs(self):
        crons = self.env["ir.cron"].search(
            [
                (
                    "id",
                    "in",
                    self.env["ir.model.data"]
                    .search([("module", "=", "prepaid_services"), ("model", "=", "ir.cron")])
                    .mapped("res_id"),
                )
            ]
        )
        owners = {}
        for cron in crons:
            method = re.fullmatch(r"model\.(\w+)\(\)", cron.code.strip()).group(1)
            model = self.env[cron.model_id.model]
            self.assertTrue(hasattr(model, method), f"{cron.name}: {cron.model_id.model} has no {method}")
            owners[method] = cron.model_id.model
            cron.ir_actions_server_id.run()  # runs on an empty ledger without error
        self.assertEqual(
            owners,
            {
                "_cron_expire_residuals": "prepaid.ledger.entry",
                "_cron_post_daily_recognition": "prepaid.ledger.application",
                "_cron_check_expiry_alerts": "prepaid.service",
                "_cron_periodic_invoicing": "prepaid.service.period",
                "_cron_invoice_consumption": "prepaid.consumption.invoice",
            },
        )
