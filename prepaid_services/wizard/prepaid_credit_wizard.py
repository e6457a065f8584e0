from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount


class PrepaidCreditWizard(models.TransientModel):
    """Apply Prepaid Credit: how much of the customer's money balance pays this draft invoice.

    The lines only show what each card holds; confirming reads the cards and the invoice again on the
    server, so what a client sends as available never counts.
    """

    _name = "prepaid.credit.wizard"
    _description = "Apply Prepaid Credit"

    move_id = fields.Many2one("account.move", string="Invoice", required=True, readonly=True, ondelete="cascade")
    partner_id = fields.Many2one(related="move_id.commercial_partner_id", string="Customer")
    currency_id = fields.Many2one(related="move_id.currency_id")
    line_ids = fields.One2many("prepaid.credit.wizard.line", "wizard_id", string="Cards", readonly=True)
    available = fields.Monetary(
        string="Available Credit", compute="_compute_available", help="What the customer's open cards hold."
    )
    due = fields.Monetary(
        string="Left to Pay",
        compute="_compute_due",
        help="What the invoice's lines still leave to pay before taxes: prepaid credit pays the untaxed amount "
        "(a balance topped up with tax carries that tax along; one topped up without charges it on this invoice).",
    )
    amount = fields.Monetary(
        string="Amount to Apply",
        help="Drawn from the cards in their drawdown order: the one expiring first, then by priority.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard, vals in zip(wizards, vals_list, strict=True):
            cards = wizard.move_id._prepaid_get_available_cards()
            wizard.line_ids = [
                Command.create({"service_id": card.id, "available": available})
                for card, available in wizard.move_id._prepaid_get_card_credit(cards).items()
            ]
            if "amount" not in vals:
                wizard.amount = min(wizard.available, wizard.due)
        return wizards

    @api.depends("line_ids.available")
    def _compute_available(self):
        for wizard in self:
            wizard.available = sum(wizard.line_ids.mapped("available"))

    @api.depends("move_id")
    def _compute_due(self):
        for wizard in self:
            wizard.due = wizard.move_id._prepaid_get_credit_due() if wizard.move_id else 0.0

    def action_confirm(self):
        """Add the credit lines for the amount chosen, checked against what the server reads now."""
        self.ensure_one()
        move = self.move_id
        move.check_access("write")
        move._prepaid_ensure_credit_applicable()
        currency = move.currency_id
        cards = move._prepaid_get_available_cards()
        available = sum(move._prepaid_get_card_credit(cards).values())
        due = move._prepaid_get_credit_due()
        if currency.compare_amounts(self.amount, 0) <= 0:
            raise UserError(
                self.env._(
                    "Give a positive amount of prepaid credit to apply to %(move)s, at most %(maximum)s.",
                    move=move.display_name,
                    maximum=format_amount(self.env, min(available, due), currency),
                )
            )
        if currency.compare_amounts(self.amount, available) > 0:
            raise UserError(
                self.env._(
                    "%(partner)s has %(available)s of prepaid credit to pay %(move)s with, not %(amount)s. "
                    "Apply at most %(available)s.",
                    partner=move.commercial_partner_id.display_name,
                    available=format_amount(self.env, available, currency),
                    move=move.display_name,
                    amount=format_amount(self.env, self.amount, currency),
                )
            )
        if currency.compare_amounts(self.amount, due) > 0:
            raise UserError(
                self.env._(
                    "%(move)s has %(due)s left to pay before taxes, less than the %(amount)s to apply. "
                    "Apply at most %(due)s.",
                    move=move.display_name,
                    due=format_amount(self.env, due, currency),
                    amount=format_amount(self.env, self.amount, currency),
                )
            )
        move._prepaid_add_credit_lines(cards, limit=self.amount)
        return {"type": "ir.actions.act_window_close"}


class PrepaidCreditWizardLine(models.TransientModel):
    _name = "prepaid.credit.wizard.line"
    _description = "Prepaid Credit Available to an Invoice"
    _order = "id"

    wizard_id = fields.Many2one("prepaid.credit.wizard", required=True, ondelete="cascade")
    service_id = fields.Many2one("prepaid.service", string="Prepaid Service", readonly=True)
    next_expiry_date = fields.Date(related="service_id.next_expiry_date", string="Next Expiry")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    available = fields.Monetary(readonly=True, help="What this card can still pay on the invoice.")
