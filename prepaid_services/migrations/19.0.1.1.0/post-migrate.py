"""Scheduled actions moved to the models that own what they create (their data is noupdate)."""

from odoo import SUPERUSER_ID, api

MOVED_CRONS = {
    "prepaid_services.ir_cron_expire_residuals": ("prepaid.ledger.entry", "model._cron_expire_residuals()"),
    "prepaid_services.ir_cron_post_daily_recognition": (
        "prepaid.ledger.application",
        "model._cron_post_daily_recognition()",
    ),
    "prepaid_services.ir_cron_periodic_invoicing": ("prepaid.service.period", "model._cron_periodic_invoicing()"),
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, (model, code) in MOVED_CRONS.items():
        cron = env.ref(xmlid, raise_if_not_found=False)
        if cron:
            cron.write({"model_id": env["ir.model"]._get_id(model), "code": code})
