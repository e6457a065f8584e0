from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

# Billing automation of a card: each changes how money flows, so only a prepaid manager sets them (see
# prepaid.pricing.mixin, which protects them with the card's pricing)
AUTOMATION_FIELDS = frozenset(
    {
        "consumption_invoicing",
        "auto_settle",
        "pay_before_use",
        "auto_topup",
        "auto_topup_product_id",
        "auto_topup_quantity",
        "auto_topup_mode",
    }
)
CONSUMPTION_INVOICING = [
    ("none", "No"),
    ("timesheet", "After each timesheet"),
    ("task", "When its task is done"),
    ("period", "Once per period"),
]
AUTO_TOPUP_MODES = [
    ("quotation", "Quotation"),
    ("order", "Confirmed sales order"),
    ("invoice", "Posted invoice"),
]


class PrepaidAutomationMixin(models.AbstractModel):
    """Touch-free work to cash: the options of a card that turn work into revenue and cash without a click.

    The engines live in their own files: prepaid.consumption.invoice, prepaid.auto.settlement,
    prepaid.payment.hold and prepaid.auto.topup.
    """

    _name = "prepaid.automation.mixin"
    _description = "Prepaid Billing Automation"

    consumption_invoicing = fields.Selection(
        CONSUMPTION_INVOICING,
        string="Consumption Invoices",
        default="none",
        required=True,
        tracking=True,
        help="Invoice the work this card pays for, instead of recognising it with a journal entry: one line per "
        "service at its rate on the service's income account, one line drawing the same value from deferred "
        "revenue. Covered work totals zero and shows as paid by the prepayment; with tax on consumption the tax "
        "is due. After each timesheet, when its task is done (timesheets without a task: daily), or once per "
        "period (the card's recurrence, months by default).",
    )
    auto_settle = fields.Boolean(
        string="Pay Invoices Automatically",
        tracking=True,
        help="Money cards: this balance pays the customer's invoices by itself when they are posted (whatever "
        "created them: sales order, timesheet invoicing, subscription), cards drawn in drawdown order.",
    )
    pay_before_use = fields.Boolean(
        string="Usable Once Paid",
        tracking=True,
        help="A top-up can be used only once its invoice is paid. If the payment is undone before anything used "
        "the top-up, it waits for payment again.",
    )
    auto_topup = fields.Boolean(
        string="Automatic Top-up",
        tracking=True,
        help="When consumption takes the balance to the low balance threshold, a top-up is created for the "
        "product and quantity below, once per crossing (again after the balance went back above it).",
    )
    auto_topup_product_id = fields.Many2one(
        "product.product",
        string="Top-up Product",
        check_company=True,
        domain=[("prepaid_ok", "=", True)],
        help="Prepaid top-up product the automatic top-up sells.",
    )
    auto_topup_quantity = fields.Float(string="Top-up Quantity", digits="Product Unit", default=1.0)
    auto_topup_mode = fields.Selection(
        AUTO_TOPUP_MODES,
        string="Top-up As",
        default="quotation",
        required=True,
        help="Quotation: the account manager sends it. Confirmed sales order: invoiced as the order's lines are. "
        "Posted invoice: the top-up is invoiced at once.",
    )
    quantity_awaiting_payment = fields.Float(
        compute="_compute_awaiting_payment",
        digits="Product Unit",
        string="Awaiting Payment",
        help="Part of the outstanding balance whose top-up invoices are not paid yet: it cannot be used until "
        "they are.",
    )

    consumption_invoice_count = fields.Integer(
        compute="_compute_consumption_invoice_count", groups="account.group_account_invoice"
    )

    def _compute_consumption_invoice_count(self):
        counts = dict(
            self.env["account.move"]._read_group(
                [("prepaid_consumption_service_id", "in", self.ids)], ["prepaid_consumption_service_id"], ["__count"]
            )
        )
        for card in self:
            card.consumption_invoice_count = counts.get(card._origin, 0)

    @api.depends("entry_ids.awaiting_payment", "entry_ids.remaining_quantity")
    def _compute_awaiting_payment(self):
        groups = dict(
            self.env["prepaid.ledger.entry"]._read_group(
                [("service_id", "in", self.ids), ("awaiting_payment", "=", True), ("remaining_quantity", ">", 0)],
                ["service_id"],
                ["remaining_quantity:sum"],
            )
        )
        for card in self:
            card.quantity_awaiting_payment = groups.get(card._origin, 0.0)

    @api.constrains("auto_settle", "service_type")
    def _check_auto_settle(self):
        for card in self:
            if card.auto_settle and card.service_type != "amount":
                raise ValidationError(
                    self.env._(
                        "%(card)s holds units, not money: only a money card can pay invoices automatically.",
                        card=card.display_name,
                    )
                )

    @api.constrains("consumption_invoicing", "recognition_method")
    def _check_consumption_invoicing(self):
        for card in self:
            if card.consumption_invoicing != "none" and card.recognition_method != "usage":
                raise ValidationError(
                    self.env._(
                        "%(card)s recognises its revenue straight-line, whatever is used: consumption invoices "
                        "invoice the work used. Choose recognition on usage, or no consumption invoices.",
                        card=card.display_name,
                    )
                )

    @api.constrains("auto_topup", "auto_topup_product_id", "auto_topup_quantity", "service_type")
    def _check_auto_topup(self):
        for card in self:
            if not card.auto_topup:
                continue
            product = card.auto_topup_product_id
            if not product or not product.prepaid_ok or product.prepaid_service_type != card.service_type:
                raise ValidationError(
                    self.env._(
                        "The automatic top-up of %(card)s needs a prepaid top-up product that credits its kind of "
                        "balance: choose the Top-up Product.",
                        card=card.display_name,
                    )
                )
            if card.auto_topup_quantity <= 0:
                raise ValidationError(
                    self.env._("The automatic top-up of %(card)s needs a quantity above zero.", card=card.display_name)
                )

    def _get_available_balance(self):
        """What the card can be drawn on now (money on a money card): the outstanding balance less the top-ups
        awaiting payment. Read afresh: a payment may have opened a top-up since the card was read."""
        self.ensure_one()
        if not self.pay_before_use:
            return self.quantity_outstanding
        self.env["prepaid.ledger.entry"].flush_model(["awaiting_payment", "remaining_quantity"])
        self.invalidate_recordset(["quantity_awaiting_payment"])
        return self.quantity_outstanding - self.quantity_awaiting_payment

    def action_invoice_consumption(self):
        """Consumption Invoices button: invoice now what the cards' rhythm would invoice later."""
        if not self.env.user.has_group("prepaid_services.group_prepaid_manager"):
            raise AccessError(self.env._("Only a Prepaid Services manager can invoice the consumption of a card."))
        self.check_access("write")
        cards = self.filtered(lambda c: c.consumption_invoicing != "none")
        if not cards:
            raise UserError(
                self.env._(
                    "%(cards)s does not invoice its consumption: set Consumption Invoices first.",
                    cards=", ".join(self.mapped("display_name")),
                )
            )
        invoices = self.env["prepaid.consumption.invoice"]._invoice_consumption(cards, everything=True)
        if not invoices:
            raise UserError(
                self.env._(
                    "%(cards)s has no consumption waiting for its invoice.",
                    cards=", ".join(cards.mapped("display_name")),
                )
            )
        return self.action_view_consumption_invoices()

    def action_view_consumption_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("prepaid_consumption_service_id", "=", self.id)]
        action["context"] = {"create": False, "default_move_type": "out_invoice"}
        return action
