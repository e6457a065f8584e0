from odoo import Command, api, fields, models

from .utils import clean_env


class PrepaidAutoTopup(models.AbstractModel):
    """Automatic top-up: consumption that takes a card to its low-balance threshold sells the next top-up.

    Once per crossing: the card's low-balance flag (prepaid.alert.mixin) says a crossing was handled and is
    re-armed when the balance goes back above the threshold (the top-up itself, once invoiced). The top-up is a
    sales order of the card's top-up product and quantity on the card itself, left as a quotation for the
    account manager, confirmed, or confirmed and invoiced at once; the order's own flow then tops the card up.
    """

    _name = "prepaid.auto.topup"
    _description = "Prepaid Automatic Top-up"

    @api.model
    def _create_topups(self, cards):
        """Top up these cards that just crossed their threshold; returns the orders."""
        cards = cards.filtered(lambda c: c.auto_topup and c.auto_topup_product_id and not c.closed)
        if not cards:
            return self.env["sale.order"]
        results, _failed = cards._run_isolated(
            self._create_orders,
            self.env._("Prepaid: automatic top-up failed"),
            self.env._(
                "The balance of this prepaid service reached its low-balance threshold, but its automatic top-up "
                "could not be created: top it up by hand, or correct the cause below for the next crossing."
            ),
        )
        return self.env["sale.order"].union(*results)

    @api.model
    def _create_orders(self, cards):
        # a clean context: the screen the consumption came from (a timesheet's defaults) must not reach the order;
        # sudo: the technician whose work crossed the threshold needs no sales rights, the card's manager sells
        SaleOrder = clean_env(self.env)["sale.order"].sudo()
        orders = SaleOrder.browse()
        for card in cards:
            orders |= SaleOrder.with_company(card.company_id).create(self._prepare_order_vals(card))
        modes = dict(zip(orders, cards.mapped("auto_topup_mode"), strict=True))
        confirmed = orders.filtered(lambda o: modes[o] != "quotation")
        if confirmed:
            confirmed.action_confirm()
        to_invoice = confirmed.filtered(lambda o: modes[o] == "invoice")
        if to_invoice:
            to_invoice._create_invoices().action_post()
        for card, order in zip(cards, orders, strict=True):
            card.message_post(
                body=self.env._(
                    "Automatic top-up: the balance reached the low-balance threshold; %(order)s tops it up with "
                    "%(quantity)s %(product)s.",
                    order=order.name,
                    quantity=card.auto_topup_quantity,
                    product=card.auto_topup_product_id.display_name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return self.env["sale.order"].browse(orders.ids)

    @api.model
    def _prepare_order_vals(self, card):
        vals = {
            "partner_id": card.partner_id.id,
            "company_id": card.company_id.id,
            "user_id": card.user_id.id,
            "origin": card.name,
            "date_order": fields.Datetime.now(),
            "order_line": [
                Command.create(
                    {
                        "product_id": card.auto_topup_product_id.id,
                        "product_uom_qty": card.auto_topup_quantity,
                        "prepaid_service_id": card.id,
                    }
                )
            ],
        }
        if card.partner_id.property_product_pricelist.currency_id != card.currency_id:
            pricelist = self.env["product.pricelist"].search(
                [
                    *self.env["product.pricelist"]._check_company_domain(card.company_id),
                    ("currency_id", "=", card.currency_id.id),
                ],
                limit=1,
            )
            if pricelist:
                vals["pricelist_id"] = pricelist.id
        return vals
