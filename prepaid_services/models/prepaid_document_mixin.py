from odoo import api, fields, models

# Who can open a card's sale orders and invoices (Odoo's own read rights on them)
SALE_READERS = "sales_team.group_sale_salesman,account.group_account_invoice,account.group_account_readonly"
INVOICE_READERS = "sales_team.group_sale_salesman,account.group_account_invoice,account.group_account_readonly"


class PrepaidDocumentMixin(models.AbstractModel):
    """A card's documents: the sale orders that top it up and the invoices that top it up, take credit back
    or pay with it, as smart buttons; and the one way every document says what it does to a card."""

    _name = "prepaid.document.mixin"
    _description = "Prepaid Documents"

    sale_order_count = fields.Integer(
        string="Sales Orders Count", compute="_compute_sale_order_count", groups=SALE_READERS
    )
    invoice_count = fields.Integer(string="Invoices Count", compute="_compute_invoice_count", groups=INVOICE_READERS)

    def _get_invoice_domain(self):
        """Customer invoices and credit notes with a line on these cards: top-ups, credit used, credit taken
        back or given back."""
        return [
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("invoice_line_ids.prepaid_service_id", "in", self.ids),
        ]

    def _compute_sale_order_count(self):
        # what the user may read: a salesman counts the orders he can open
        counts = dict(
            self.env["sale.order.line"]._read_group(
                [("prepaid_service_id", "in", self.ids)], ["prepaid_service_id"], ["order_id:count_distinct"]
            )
        )
        for card in self:
            card.sale_order_count = counts.get(card._origin, 0)

    def _compute_invoice_count(self):
        counts = dict(
            self.env["account.move.line"]._read_group(
                [
                    ("prepaid_service_id", "in", self.ids),
                    ("move_id.move_type", "in", ("out_invoice", "out_refund")),
                    ("display_type", "=", "product"),
                ],
                ["prepaid_service_id"],
                ["move_id:count_distinct"],
            )
        )
        for card in self:
            card.invoice_count = counts.get(card._origin, 0)

    def action_view_sale_orders(self):
        """Smart button: the orders that top up this card."""
        self.ensure_one()
        orders = self.env["sale.order"].search([("order_line.prepaid_service_id", "=", self.id)])
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["context"] = {"create": False}
        return self._action_open(action, orders)

    def action_view_invoices(self):
        """Smart button: the invoices and credit notes that top up this card, take its credit back or pay with it."""
        self.ensure_one()
        invoices = self.env["account.move"].search(self._get_invoice_domain())
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        return self._action_open(action, invoices)

    def _action_open(self, action, records):
        """The records in a list, or the one record in its form, as sale's Invoices button opens them."""
        action["domain"] = [("id", "in", records.ids)]
        action["display_name"] = self.env._("%(documents)s of %(card)s", documents=action["name"], card=self.name)
        if len(records) == 1:
            action["views"] = [(False, "form")]
            action["view_mode"] = "form"
            action["res_id"] = records.id
        return action

    def _describe_credit(self, kind, figure):
        """What a document does to this card, as the document says it.

        kind: topup, pay (an invoice paid with the card's credit), take_back (a credit note of a top-up),
        give_back (a credit note of an invoice paid with credit), or open (a top-up that opens a card when
        confirmed: self is then an unsaved card holding the unit or currency). figure: in the card's unit.
        """
        self.ensure_one()
        figure = self._format_balance(abs(figure))
        if kind == "open":
            return self.env._("Opens a new prepaid service of %(figure)s when confirmed", figure=figure)
        if kind == "pay":
            return self.env._("Pays %(figure)s with the prepaid credit of %(card)s", figure=figure, card=self.name)
        if kind == "take_back":
            return self.env._("Takes back %(figure)s from %(card)s", figure=figure, card=self.name)
        if kind == "give_back":
            return self.env._("Gives back %(figure)s of prepaid credit to %(card)s", figure=figure, card=self.name)
        return self.env._("Tops up %(card)s (%(figure)s)", card=self.name, figure=figure)

    @api.model
    def _join_descriptions(self, descriptions):
        """The sentences a document's banner shows, one per card and effect."""
        return ". ".join(descriptions) + "." if descriptions else False
