from collections import defaultdict

from odoo import Command, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount, format_date


class PrepaidExpiryWizard(models.TransientModel):
    """Expire Residuals: shows the entries and journal lines a run would post before posting them."""

    _name = "prepaid.expiry.wizard"
    _description = "Expire Prepaid Residuals"

    service_ids = fields.Many2many("prepaid.service", string="Prepaid Services")
    date = fields.Date(
        string="Expire top-ups that lapsed before",
        compute="_compute_date",
        help="Today on the server: what a client sends does not move it.",
    )
    line_ids = fields.One2many("prepaid.expiry.wizard.line", "wizard_id", string="Residuals to expire")
    total_value = fields.Monetary(compute="_compute_total_value", currency_field="company_currency_id")
    company_currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    empty_message = fields.Char(
        compute="_compute_empty_message", help="What the preview says when nothing on the selected cards has lapsed."
    )

    def _compute_empty_message(self):
        for wizard in self:
            if wizard.line_ids:
                wizard.empty_message = False
                continue
            wizard.empty_message = self.env._(
                "Nothing to expire: no top-up of the %(count)s selected prepaid services lapsed before %(date)s. "
                "A top-up lapses the day after its last valid day; top-ups without a validity never do.",
                count=len(wizard.service_ids),
                date=format_date(self.env, wizard._get_today()),
            )
            if len(wizard.service_ids) == 1:
                wizard.empty_message = self.env._(
                    "Nothing to expire: no top-up of %(card)s lapsed before %(date)s. "
                    "A top-up lapses the day after its last valid day; top-ups without a validity never do.",
                    card=wizard.service_ids.display_name,
                    date=format_date(self.env, wizard._get_today()),
                )

    def _compute_total_value(self):
        for wizard in self:
            wizard.total_value = sum(wizard.line_ids.mapped("value"))

    def _compute_date(self):
        self.date = self._get_today()

    def _get_today(self):
        """Today in the user's own timezone, not in one the client's context names."""
        return fields.Date.context_today(self.with_context(tz=self.env.user.tz or "UTC"))

    def _get_expirable_inflows(self):
        """What the selected cards have to expire today, read now; no card selected expires nothing."""
        self.ensure_one()
        if not self.service_ids:
            return self.env["prepaid.ledger.entry"]
        return self.env["prepaid.ledger.entry"]._get_expirable_inflows(self.service_ids, self._get_today())

    def _fill_preview_lines(self):
        """Fill the lines from the open top-ups past their validity; posts nothing."""
        for wizard in self:
            inflows = wizard._get_expirable_inflows()
            lines = []
            for inflow in inflows:
                company = inflow.company_id
                credit = company._get_prepaid_expiry_account(raise_if_missing=False)
                lines.append(
                    Command.create(
                        {
                            "inflow_id": inflow.id,
                            "quantity": inflow.remaining_quantity,
                            "amount": inflow.remaining_amount,
                            "value": inflow.remaining_value,
                            "debit_account_id": company.prepaid_deferred_account_id.id,
                            "credit_account_id": credit.id,
                        }
                    )
                )
            wizard.line_ids = [Command.clear(), *lines]

    def action_confirm(self):
        """Expire what is expirable today on the wizard's cards among the lines shown, and nothing else.

        The lines are client input: one may name any top-up (one valid until 2030, one without expiry);
        only the intersection with what the server finds expirable now is posted.
        """
        self.ensure_one()
        if not self.env.user.has_group("prepaid_services.group_prepaid_manager"):
            raise AccessError(self.env._("Only a prepaid services manager can expire residuals."))
        if not self.service_ids:
            raise UserError(self.env._("Select the prepaid services whose residuals to expire."))
        inflows = self._get_expirable_inflows() & self.line_ids.inflow_id
        if not inflows:
            raise UserError(
                self.env._(
                    "Nothing has expired on the selected prepaid services. "
                    "Top-ups expire the day after their last valid day."
                )
            )
        entries = self.env["prepaid.ledger.entry"]._expire_residuals(self.service_ids, inflows=inflows)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Expire Residuals"),
                "message": self._get_done_message(entries),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _get_done_message(self, entries):
        """E.g. "1 top-up expired: $600.00 released to breakage income." in the user's language and formats."""
        released = defaultdict(float)  # (currency, to liability) -> value
        for entry in entries:
            company = entry.company_id
            to_liability = bool(company.prepaid_expiry_to_liability and company.prepaid_unclaimed_account_id)
            released[entry.company_currency_id, to_liability] -= entry.value
        parts = []
        for (currency, to_liability), value in released.items():
            amount = format_amount(self.env, value, currency)
            if to_liability:
                parts.append(self.env._("%(amount)s moved to unclaimed property", amount=amount))
            else:
                parts.append(self.env._("%(amount)s released to breakage income", amount=amount))
        if len(entries) == 1:
            return self.env._("1 top-up expired: %(released)s.", released=", ".join(parts))
        return self.env._("%(count)s top-ups expired: %(released)s.", count=len(entries), released=", ".join(parts))


class PrepaidExpiryWizardLine(models.TransientModel):
    _name = "prepaid.expiry.wizard.line"
    _description = "Residual to Expire"

    wizard_id = fields.Many2one("prepaid.expiry.wizard", required=True, ondelete="cascade")
    inflow_id = fields.Many2one("prepaid.ledger.entry", string="Top-up", required=True, readonly=True)
    service_id = fields.Many2one(related="inflow_id.service_id")
    inflow_name = fields.Char(related="inflow_id.name", string="Top-up Description")
    valid_until = fields.Date(related="inflow_id.valid_until")
    uom_id = fields.Many2one(related="inflow_id.uom_id")
    currency_id = fields.Many2one(related="inflow_id.currency_id")
    company_currency_id = fields.Many2one(related="inflow_id.company_currency_id")
    quantity = fields.Float(digits="Product Unit", readonly=True)
    amount = fields.Monetary(readonly=True)
    value = fields.Monetary(currency_field="company_currency_id", readonly=True)
    debit_account_id = fields.Many2one("account.account", string="Debit", readonly=True)
    credit_account_id = fields.Many2one("account.account", string="Credit", readonly=True)
