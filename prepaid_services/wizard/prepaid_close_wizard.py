from odoo import api, fields, models
from odoo.exceptions import UserError

DISPOSALS = [
    ("expire", "Expire it now (breakage)"),
    ("refund", "Refund it by credit note"),
    ("keep", "Keep it: the top-ups expire on their own dates"),
]


class PrepaidCloseWizard(models.TransientModel):
    """Close a card: say what is still open on it and ask what to do with it.

    The figures shown are for the user; confirming reads the balance again on the server and checks
    the rights again, whatever the client sent.
    """

    _name = "prepaid.close.wizard"
    _description = "Close Prepaid Service"

    service_id = fields.Many2one("prepaid.service", string="Prepaid Service", required=True, readonly=True)
    disposal = fields.Selection(
        DISPOSALS,
        string="Open Balance",
        compute="_compute_disposal",
        store=True,
        readonly=False,
        precompute=True,
        help="Expire: the open balance leaves deferred revenue for breakage today. Refund: a credit note gives "
        "the customer its price back. Keep: the top-ups stay on the closed card and the expiry run releases them "
        "on their own dates (top-ups without an expiry date stay until the card is reopened or corrected).",
    )
    has_open_lots = fields.Boolean(compute="_compute_summary")
    open_summary = fields.Text(string="Open on this card", compute="_compute_summary")
    jobs_summary = fields.Text(string="Assigned work", compute="_compute_summary")
    may_close = fields.Boolean(compute="_compute_summary")
    refusal = fields.Text(compute="_compute_summary")

    @api.depends("service_id")
    def _compute_disposal(self):
        for wizard in self:
            card = wizard.service_id
            if card.accrual == "periodic" and card.termination_refund:
                wizard.disposal = "refund"
            elif card.accrual == "periodic":
                wizard.disposal = "expire"
            else:
                wizard.disposal = "keep"

    @api.depends("service_id")
    def _compute_summary(self):
        for wizard in self:
            card = wizard.service_id
            if not card:
                wizard.update(has_open_lots=False, open_summary=False, jobs_summary=False, may_close=False)
                wizard.refusal = False
                continue
            balance = card._get_open_balance()
            lines = card._get_close_reasons(balance) if card._has_financial_close(balance) else []
            if balance["lapsed"]:
                lines.append(
                    self.env._(
                        "Of that, %s is past its expiry date: it expires on its own date whatever you choose.",
                        card._format_balance(balance["lapsed_quantity"], balance["lapsed_amount"]),
                    )
                )
            wizard.open_summary = "\n".join(lines) or self.env._(
                "Nothing is open on this card: closing it moves no money."
            )
            wizard.has_open_lots = bool(balance["lots"])
            projects = card.job_ids.project_id
            wizard.jobs_summary = (
                self.env._(
                    "Timesheets on %s will no longer draw on this card.",
                    ", ".join(projects.mapped("display_name")),
                )
                if projects
                else self.env._("No project is assigned to this card.")
            )
            try:
                card._ensure_close_rights(balance)
                wizard.may_close, wizard.refusal = True, False
            except UserError as error:  # AccessError is one
                wizard.may_close, wizard.refusal = False, str(error)

    def action_confirm(self):
        self.ensure_one()
        card = self.service_id
        card.check_access("write")
        if card.closed:
            raise UserError(self.env._("%s is already closed.", card.display_name))
        balance = card._get_open_balance()  # now, on the server: not the figures the wizard showed
        card._ensure_close_rights(balance)
        disposal = False
        if balance["lots"]:
            disposal = self.disposal
            if disposal not in dict(DISPOSALS):
                raise UserError(
                    self.env._(
                        "%(balance)s is still open on %(card)s: choose whether to expire it, refund it or keep it.",
                        balance=card._format_balance(balance["quantity"], balance["amount"]),
                        card=card.display_name,
                    )
                )
        card._close(disposal)
        return {"type": "ir.actions.act_window_close"}
