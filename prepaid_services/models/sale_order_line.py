from odoo import api, fields, models
from odoo.exceptions import UserError

from .utils import clean_env


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    prepaid_ok = fields.Boolean(related="product_id.prepaid_ok")
    prepaid_service_id = fields.Many2one(
        "prepaid.service",
        copy=False,
        index="btree_not_null",
        check_company=True,
        domain="[('commercial_partner_id', '=', commercial_partner_id), ('closed', '=', False)]",
        help="Card this line tops up. Empty: confirming the order opens a new card.",
    )
    commercial_partner_id = fields.Many2one(related="order_id.partner_id.commercial_partner_id")

    @api.depends("product_id", "company_id")
    def _compute_tax_ids(self):
        res = super()._compute_tax_ids()
        for line in self:
            if line.product_id.prepaid_ok and line.company_id.prepaid_tax_timing == "consumption":
                line.tax_ids = False
        return res

    def _prepaid_open_cards(self):
        """Open a card for each prepaid line without one; check the cards chosen by hand."""
        new_lines = self.filtered(lambda line: line.product_id.prepaid_ok and not line.prepaid_service_id)
        for line in self.filtered(lambda line: line.product_id.prepaid_ok and line.prepaid_service_id):
            card = line.prepaid_service_id
            order = line.order_id
            if (
                card.commercial_partner_id != order.partner_id.commercial_partner_id
                or card.company_id != order.company_id
            ):
                raise UserError(
                    self.env._(
                        "The order %(order)s is for %(partner)s of %(company)s, but its line %(line)s tops up the "
                        "prepaid service %(card)s of %(owner)s (%(card_company)s). Choose a card of %(partner)s, or "
                        "leave it empty to open a new one.",
                        order=order.name,
                        partner=order.partner_id.commercial_partner_id.display_name,
                        company=order.company_id.name,
                        line=line.name,
                        card=card.display_name,
                        owner=card.commercial_partner_id.display_name,
                        card_company=card.company_id.name,
                    )
                )
            if card.currency_id != line.order_id.currency_id:
                raise UserError(
                    self.env._(
                        "The prepaid service %(card)s is in %(card_currency)s but the order %(order)s is in "
                        "%(currency)s. Choose a card in the order's currency or leave it empty to open a new one.",
                        card=card.display_name,
                        card_currency=card.currency_id.name,
                        order=line.order_id.name,
                        currency=line.order_id.currency_id.name,
                    )
                )
            if card.closed:
                raise UserError(self.env._("The prepaid service %s is closed: it cannot be topped up.", card.name))
            if card.service_type != line.product_id.prepaid_service_type:
                types = dict(card._fields["service_type"]._description_selection(self.env))
                raise UserError(
                    self.env._(
                        "The product %(product)s credits a prepaid service of type %(type)s; %(card)s is of type "
                        "%(card_type)s. Choose a card of type %(type)s, or leave it empty to open a new one.",
                        product=line.product_id.display_name,
                        type=types[line.product_id.prepaid_service_type],
                        card=card.display_name,
                        card_type=types[card.service_type],
                    )
                )
            line.product_id._ensure_prepaid_uom_convertible(card)
        if not new_lines:
            return
        for line in new_lines:
            line.product_id.product_tmpl_id._ensure_prepaid_periodic_terms(line.order_id.name)
        # the screen's context (default_* of the order form) must not reach the cards; sudo: the card takes its
        # pricing from the product, which only a prepaid manager may set by hand
        cards = (
            clean_env(self.env)["prepaid.service"]
            .sudo()
            .create(
                [
                    {
                        **line.product_id.product_tmpl_id._prepare_prepaid_card_vals(
                            quantity=line._get_prepaid_product_quantity(),
                            currency=line.order_id.currency_id,
                            company=line.company_id,
                            date=line.order_id.date_order.date(),
                        ),
                        "partner_id": line.order_id.partner_id.id,
                        "company_id": line.company_id.id,
                        "currency_id": line.order_id.currency_id.id,
                        "user_id": line.order_id.user_id.id or self.env.user.id,
                        "date_start": line.order_id.date_order.date(),
                    }
                    for line in new_lines
                ]
            )
        )
        for line, card in zip(new_lines, cards, strict=True):
            line.prepaid_service_id = card
            card.message_post_with_source(
                "mail.message_origin_link",
                render_values={"self": card, "origin": line.order_id},
                subtype_xmlid="mail.mt_note",
            )
        # the order's invoice bills the first period of each periodic card it opened
        self.env["prepaid.service.period"]._create_opening_periods(
            [
                {"service_id": card.id, "sale_line_id": line.id}
                for line, card in zip(new_lines, cards, strict=True)
                if card.accrual == "periodic"
            ]
        )

    def _prepaid_get_credited_quantity(self):
        """What this line credits its card with, in the card's unit (its currency for a money balance)."""
        self.ensure_one()
        product = self.product_id
        if (self.prepaid_service_id.service_type or product.prepaid_service_type) == "amount":
            return self.price_subtotal
        card = self.prepaid_service_id
        if (
            card
            and card.uom_id
            and product._get_prepaid_uom()
            and not product._get_prepaid_uom()._has_common_reference(card.uom_id)
        ):
            card = None  # confirming refuses it and says why; meanwhile, the product's own unit
        return product._get_prepaid_quantity(self.product_uom_qty, self.product_uom_id, card=card or None)

    def _prepaid_get_new_card(self):
        """The card confirming this line would open, unsaved: its unit or currency, for what the order says."""
        self.ensure_one()
        return self.product_id._prepaid_new_card(self.order_id.currency_id)

    def _get_prepaid_product_quantity(self, quantity=None):
        """quantity (default: the quantity ordered) in the product's own unit."""
        self.ensure_one()
        quantity = self.product_uom_qty if quantity is None else quantity
        return self.product_id._get_quantity_in_own_uom(quantity, self.product_uom_id)

    def _get_prepaid_opening_period(self):
        """The first period of the periodic card this line opened, while no live invoice bills it."""
        self.ensure_one()
        # sudo: the salesman may not read the period's invoice (made by the scheduler for the card's responsible)
        return self.prepaid_service_id.sudo().period_ids.filtered(
            lambda period: (
                period.sale_line_id == self and (not period.invoice_id or period.invoice_id.state == "cancel")
            )
        )[:1]

    def _prepare_invoice_line(self, **optional_values):
        res = super()._prepare_invoice_line(**optional_values)
        if self.prepaid_service_id:
            res["prepaid_service_id"] = self.prepaid_service_id.id
            period = self._get_prepaid_opening_period()
            if period and res.get("quantity", 0.0) > 0:
                terms = self.product_id.product_tmpl_id._get_prepaid_period_terms(
                    quantity=self._get_prepaid_product_quantity(res["quantity"]),
                    currency=self.order_id.currency_id,
                    company=self.company_id,
                    date=self.order_id.date_order.date(),
                )
                res.update(period._get_opening_line_vals(terms["period_allowance"]))
        return res
