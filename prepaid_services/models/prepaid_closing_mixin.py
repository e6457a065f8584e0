from odoo import Command, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare

from .utils import clean_env, service_scope


class PrepaidClosingMixin(models.AbstractModel):
    """Closing a card: what it leaves open, who may close it, and what becomes of its open balance
    (expired now, refunded by credit note, or kept until its top-ups lapse)."""

    _name = "prepaid.closing.mixin"
    _description = "Prepaid Closing"

    def _get_open_balance(self):
        """What closing this card leaves open, read from the ledger now (never from a client's figures).

        lots: open top-ups (lapsed: those past their validity, which the expiry run releases on their own date);
        quantity/amount: what they hold; pending: consumption beyond the balance that no top-up settled;
        early: a periodic card closed before its end, whose invoicing stops.
        """
        self.ensure_one()
        today = fields.Date.context_today(self)
        # sudo: the close rights are decided on every open lot of the card, whatever the user may read
        Entry = self.env["prepaid.ledger.entry"].sudo()
        lots = Entry.search(
            Entry._get_open_inflow_domain(self),
            order="valid_until, date, id",
        )
        lapsed = lots.filtered(lambda lot: lot.valid_until and lot.valid_until < today)
        pending = Entry.search([("service_id", "=", self.id), ("pending_quantity", ">", 0)])
        return {
            "lots": lots,
            "lapsed": lapsed,
            "quantity": sum(lots.mapped("remaining_quantity")),
            "amount": sum(lots.mapped("remaining_amount")),
            "lapsed_quantity": sum(lapsed.mapped("remaining_quantity")),
            "lapsed_amount": sum(lapsed.mapped("remaining_amount")),
            "pending": sum(pending.mapped("pending_quantity")),
            "early": self.accrual == "periodic" and (not self.date_end or self.date_end > today),
        }

    def _has_financial_close(self, balance):
        """Closing moves money: an open balance to expire, refund or leave to lapse, an unsettled
        shortfall, or a periodic card whose invoicing stops before its end."""
        rounding = self._get_unit_rounding()
        return (
            bool(balance["lots"])
            or float_compare(balance["pending"], 0.0, precision_rounding=rounding) > 0
            or balance["early"]
        )

    def _ensure_close_rights(self, balance):
        """Closing with a financial effect is a prepaid manager's act; any prepaid user closes an empty card."""
        self.ensure_one()
        if self.env.su or self.env.user.has_group("prepaid_services.group_prepaid_manager"):
            return
        if self._has_financial_close(balance):
            raise AccessError(
                self.env._(
                    "Closing %(card)s has a financial effect (%(reasons)s): only a prepaid services manager can "
                    "close it. Ask a manager to close it.",
                    card=self.display_name,
                    reasons="; ".join(self._get_close_reasons(balance)),
                )
            )

    def _get_close_reasons(self, balance):
        self.ensure_one()
        reasons = []
        if balance["lots"]:
            reasons.append(self.env._("%s still open", self._format_balance(balance["quantity"], balance["amount"])))
        if float_compare(balance["pending"], 0.0, precision_rounding=self._get_unit_rounding()) > 0:
            reasons.append(
                self.env._("%s used beyond the balance and not settled", self._format_balance(balance["pending"]))
            )
        if balance["early"]:
            reasons.append(self.env._("its periodic invoicing stops before the end of the contract"))
        return reasons

    def _get_refund_product(self, lots):
        """Prepaid top-up product of the termination credit note: its line books to deferred revenue."""
        self.ensure_one()
        return (self.period_product_id | lots.product_id | self.product_id).filtered("prepaid_ok")[:1]

    def _close(self, disposal=False):
        """Close cards and dispose of their open balance: expire it now, refund it by credit note, or keep it.

        disposal: "expire", "refund" or "keep" (the lots stay and the expiry run releases them on their date).
        Lots already past their validity expire on their own date first. The caller checks the rights.
        """
        today = fields.Date.context_today(self)
        self._lock_for_update()
        self.invalidate_recordset()
        for card in self:
            message = False
            if disposal in ("expire", "refund"):
                self.env["prepaid.ledger.entry"]._expire_residuals(card, today)
                balance = card._get_open_balance()
                if balance["lots"]:
                    released = card._format_balance(balance["quantity"], balance["amount"])
                    if disposal == "expire":
                        card._expire_open_lots(balance["lots"], today)
                        message = self.env._("Closed: %s expired (breakage).", released)
                    else:
                        refund = card._refund_open_lots(balance["lots"], today)
                        message = self.env._(
                            "Closed: %(balance)s refunded by %(refund)s.", balance=released, refund=refund.name
                        )
            elif disposal == "keep":
                message = self.env._("Closed: the open top-ups stay and expire on their own dates.")
            if message:
                card.message_post(body=message)
        with service_scope():
            self.write({"closed": True})

    def _expire_open_lots(self, lots, date):
        self.ensure_one()
        Entry = self.env["prepaid.ledger.entry"]
        return Entry._post_entries(*Entry._prepare_expiry_vals(lots, date=date, name=self.env._("Expired on closing")))

    def _refund_open_lots(self, lots, date):
        """Credit note of what the open lots hold; posting it takes them back (refund entries)."""
        self.ensure_one()
        product = self._get_refund_product(lots)
        if not product:
            raise UserError(
                self.env._(
                    "%(card)s has no prepaid top-up product to refund its balance with: set its Invoiced Product, "
                    "or choose to expire the balance.",
                    card=self.display_name,
                )
            )
        # sudo: a prepaid manager closes the card without invoicing rights; the screen's context stays out
        refund = (
            clean_env(self.env)["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                    "currency_id": self.currency_id.id,
                    "invoice_date": date,
                    "invoice_origin": self.name,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": self.env._("%s: unused balance refunded on closing", self.name),
                                "quantity": 1.0,
                                "price_unit": sum(lots.mapped("remaining_amount")),
                                "tax_ids": [Command.clear()],
                                "prepaid_service_id": self.id,
                                "prepaid_quantity": sum(lots.mapped("remaining_quantity")),
                            }
                        )
                    ],
                }
            )
        )
        refund.action_post()
        return refund
