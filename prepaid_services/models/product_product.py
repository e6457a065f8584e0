from odoo import models
from odoo.exceptions import UserError


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _get_prepaid_uom(self):
        """Unit of the quantity a sale of this product credits."""
        self.ensure_one()
        return self.prepaid_uom_id or self.uom_id

    def _get_quantity_in_own_uom(self, quantity, uom):
        """quantity, counted in uom, in this product's own unit (unrounded): what an order or invoice line sold."""
        self.ensure_one()
        if uom and uom != self.uom_id:
            return uom._compute_quantity(quantity, self.uom_id, round=False)
        return quantity

    def _prepaid_new_card(self, currency):
        """The card a sale of this product in currency would open, unsaved: its type, unit and currency, for what
        the order or invoice says before the card exists."""
        self.ensure_one()
        uom = self._get_prepaid_uom()
        return self.env["prepaid.service"].new(
            {"service_type": self.prepaid_service_type, "uom_id": uom.id, "currency_id": currency.id}
        )

    def _ensure_prepaid_uom_convertible(self, card):
        """Refuse to credit a quantity card in a unit that does not convert to the card's unit."""
        self.ensure_one()
        if card.service_type != "quantity" or self.prepaid_service_type != "quantity":
            return
        credited = self._get_prepaid_uom()
        if credited and card.uom_id and credited != card.uom_id and not credited._has_common_reference(card.uom_id):
            raise UserError(
                self.env._(
                    "%(product)s credits %(unit)s but the prepaid service %(card)s counts %(card_unit)s, and "
                    "%(unit)s cannot be converted into %(card_unit)s. Top up %(card)s with a product that credits "
                    "%(card_unit)s or a unit convertible to it (such as Days for Hours), or sell %(product)s on a "
                    "new card (leave the prepaid service empty).",
                    product=self.display_name,
                    unit=credited.name,
                    card=card.display_name,
                    card_unit=card.uom_id.name,
                )
            )

    def _get_prepaid_quantity(self, quantity, uom, card=None):
        """Units a prepaid service is credited for quantity (in uom) of this product sold.

        In the card's unit when a quantity card is given (a 1-day product credits 8 hours on an hours card).
        """
        self.ensure_one()
        if uom and uom != self.uom_id:
            quantity = uom._compute_quantity(quantity, self.uom_id)
        # a unit of a periodic product is one period's allowance, whichever period it pays
        quantity *= self.prepaid_period_allowance if self.prepaid_accrual == "periodic" else self.prepaid_quantity
        if card and card.service_type == "quantity" and self.prepaid_service_type == "quantity":
            self._ensure_prepaid_uom_convertible(card)
            credited = self._get_prepaid_uom()
            if credited and card.uom_id and credited != card.uom_id:
                quantity = credited._compute_quantity(quantity, card.uom_id, round=False)
        return quantity
