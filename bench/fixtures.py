"""The data every phase starts from: a customer, an employee, a plain and a prepaid project, products, a card."""

from datetime import date


def build_fixtures(env):
    from odoo import Command

    quiet = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    company = env.company
    if not company.prepaid_deferred_account_id:
        company._prepaid_setup_accounting()
    if not company.prepaid_deferred_account_id:
        raise RuntimeError("the company has no chart of accounts: prepaid accounts could not be set up")
    hour = env.ref("uom.product_uom_hour")
    customer = env["res.partner"].create({"name": "Bench Customer", "email": False})
    employee = env["hr.employee"].with_context(**quiet).create({"name": "Bench Technician", "hourly_cost": 40.0})
    projects = (
        env["project.project"]
        .with_context(**quiet)
        .create(
            [
                {"name": "Plain project", "partner_id": customer.id, "allow_timesheets": True},
                {"name": "Prepaid project", "partner_id": customer.id, "allow_timesheets": True},
            ]
        )
    )
    plain_project, prepaid_project = projects
    tasks = (
        env["project.task"].with_context(**quiet).create([{"name": "Support", "project_id": p.id} for p in projects])
    )
    # same price, same (default) taxes: only prepaid_ok differs
    service = env["product.product"].create(
        {"name": "Support hour (bench)", "type": "service", "lst_price": 1000.0, "uom_id": hour.id}
    )
    topup = env["product.product"].create(
        {
            "name": "10-hour block (bench)",
            "type": "service",
            "lst_price": 1000.0,
            "invoice_policy": "order",
            "prepaid_ok": True,
            "prepaid_service_type": "quantity",
            "prepaid_quantity": 10.0,
            "prepaid_uom_id": hour.id,
        }
    )
    card = (
        env["prepaid.service"]
        .with_context(**quiet)
        .create(
            {
                "partner_id": customer.id,
                "description": "Bench support block",
                "uom_id": hour.id,
                "product_id": service.id,
                "date_start": date(2020, 1, 1),
            }
        )
    )
    env["prepaid.ledger.entry"]._post_entries(
        [
            {
                "service_id": card.id,
                "entry_type": "receipt",
                "quantity": 1_000_000.0,
                "amount": 100_000_000.0,
                "date": date(2020, 1, 1),
                "name": "Bench balance",
            }
        ]
    )
    env["prepaid.service.job"].create({"service_id": card.id, "project_id": prepaid_project.id})
    return {
        "Command": Command,
        "quiet": quiet,
        "hour": hour,
        "customer": customer,
        "employee": employee,
        "plain": (plain_project, tasks[0]),
        "prepaid": (prepaid_project, tasks[1]),
        "service": service,
        "topup": topup,
        "card": card,
    }


def make_cards(env, fx, count, quiet=True):
    """Cards in one batch (creation messages off: fixtures, not measured)."""
    Card = env["prepaid.service"].with_context(**fx["quiet"]) if quiet else env["prepaid.service"]
    cards = Card.create(
        [
            {
                "partner_id": fx["customer"].id,
                "description": "Bench card",
                "uom_id": fx["hour"].id,
                "product_id": fx["service"].id,
                "date_start": date(2020, 1, 1),
            }
            for _i in range(count)
        ]
    )
    return env["prepaid.service"].browse(cards.ids)
