from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.prepaid_ledger_allocator import PostingOptions


class PrepaidLedgerEntryWizard(models.TransientModel):
    """Create Ledger Entry: a manager's correction, posted as a new adjustment with its reason."""

    _name = "prepaid.ledger.entry.wizard"
    _description = "Create Prepaid Ledger Entry"

    service_id = fields.Many2one("prepaid.service", string="Prepaid Service", required=True)
    company_id = fields.Many2one(related="service_id.company_id")
    currency_id = fields.Many2one(related="service_id.currency_id")
    service_type = fields.Selection(related="service_id.service_type")
    uom_id = fields.Many2one(related="service_id.uom_id")
    direction = fields.Selection(
        [("increase", "Increase the balance"), ("decrease", "Decrease the balance")],
        required=True,
        default="increase",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    quantity = fields.Float(digits="Product Unit", help="Units to add or remove (quantity cards).")
    amount = fields.Monetary(
        help="Amount cards: the money to add or remove. Quantity cards: the value of the units added."
    )
    valued = fields.Boolean(
        default=True,
        help="The added credit carries value: its counterpart is booked against the deferred revenue account "
        "now and the revenue is recognised when it is used. Unvalued credit is a free gift: it recognises nothing.",
    )
    counterpart_account_id = fields.Many2one(
        "account.account",
        check_company=True,
        help="Account that balances the deferred revenue line of the adjustment (e.g. goodwill expense for "
        "added credit, breakage or income for removed credit).",
    )
    reason = fields.Text(required=True)

    @api.onchange("direction", "service_id")
    def _onchange_direction(self):
        if self.direction == "decrease" and not self.counterpart_account_id:
            self.counterpart_account_id = self.company_id.prepaid_breakage_account_id

    def _prepare_entry_vals(self):
        self.ensure_one()
        card = self.service_id
        sign = 1 if self.direction == "increase" else -1
        quantity = self.amount if card.service_type == "amount" else self.quantity
        if quantity <= 0:
            raise UserError(self.env._("Give a positive quantity or amount; the direction says whether it is added."))
        vals = {
            "service_id": card.id,
            "entry_type": "adjustment",
            "date": self.date,
            "quantity": sign * quantity,
            "name": self.reason,
        }
        if sign > 0:
            if self.valued:
                if not self.counterpart_account_id:
                    raise UserError(self.env._("Valued credit needs the counterpart account that pays for it."))
                if card.service_type == "quantity" and self.amount <= 0:
                    raise UserError(self.env._("Give the value of the units added, or untick Valued."))
                vals["amount"] = self.amount
            else:
                vals.update(amount=self.amount if card.service_type == "amount" else 0.0, value=0.0)
        return vals

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("prepaid_services.group_prepaid_manager"):
            raise UserError(self.env._("Only prepaid services managers can create ledger entries."))
        # the posting service checks the manager's write access to the card
        entry = self.env["prepaid.ledger.entry"]._post_entries(
            [self._prepare_entry_vals()], [PostingOptions(counterpart_account=self.counterpart_account_id.id)]
        )
        self.service_id.message_post(
            body=self.env._(
                "Ledger entry: %(direction)s of %(quantity)s, reason: %(reason)s",
                direction=dict(self._fields["direction"]._description_selection(self.env))[self.direction],
                quantity=entry.service_id._format_balance(abs(entry.quantity)),
                reason=self.reason,
            )
        )
        return {"type": "ir.actions.act_window_close"}
