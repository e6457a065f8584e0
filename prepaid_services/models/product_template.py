from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import formatLang

from .prepaid_automation_mixin import AUTO_TOPUP_MODES, CONSUMPTION_INVOICING
from .prepaid_recurring_mixin import RECURRENCE_UNITS
from .utils import in_service_scope

# The billing automation a product gives the cards it opens: money flows, so a prepaid manager's to set
PRODUCT_AUTOMATION_FIELDS = frozenset(
    {
        "prepaid_consumption_invoicing",
        "prepaid_auto_settle",
        "prepaid_pay_before_use",
        "prepaid_auto_topup",
        "prepaid_auto_topup_mode",
    }
)


class ProductTemplate(models.Model):
    _inherit = "product.template"

    prepaid_ok = fields.Boolean(
        string="Prepaid Top-up",
        help="Selling this product credits a prepaid service of the customer. Its invoice lines book to the "
        "deferred revenue account; the revenue goes to this product's income account when the credit is used.",
    )
    prepaid_service_type = fields.Selection(
        [("quantity", "Quantity"), ("amount", "Amount")],
        string="Prepaid Type",
        default="quantity",
        help="Quantity: each unit sold credits a number of units (hours, tickets...). "
        "Amount: the invoiced amount is credited as a money balance.",
    )
    prepaid_quantity = fields.Float(
        string="Credited per Unit Sold",
        digits="Product Unit",
        default=1.0,
        help="Units credited on the prepaid service for each unit of this product sold.",
    )
    prepaid_uom_id = fields.Many2one(
        "uom.uom",
        string="Credited Unit",
        help="Unit of the credited quantity; empty means the product's own unit.",
    )
    prepaid_validity_interval = fields.Integer(
        string="Validity", help="How long the credit of each sale can be used. Empty means unlimited."
    )
    prepaid_validity_unit = fields.Selection(
        [("days", "Days"), ("weeks", "Weeks"), ("months", "Months"), ("years", "Years")],
        string="Validity Unit",
        default="months",
    )
    prepaid_accrual = fields.Selection(
        [("one_time", "One-time"), ("periodic", "Periodic")], string="Accrual", default="one_time"
    )
    # What a periodic card opened by a sale of this product repeats every period (see _prepare_prepaid_card_vals)
    prepaid_recurrence_interval = fields.Integer(string="Invoiced Every", default=1)
    prepaid_recurrence_unit = fields.Selection(RECURRENCE_UNITS, string="Recurrence", default="month")
    prepaid_period_allowance = fields.Float(
        string="Allowance per Period",
        digits="Product Unit",
        compute="_compute_prepaid_period_allowance",
        store=True,
        readonly=False,
        help="Units (quantity cards) or money (amount cards) each unit sold credits per period; the sale's own "
        "invoice credits the first period. Set from the quantity credited per unit sold (from the sales price for "
        "money cards) whenever that changes.",
    )
    prepaid_period_price = fields.Float(
        string="Price per Period",
        digits="Product Price",
        compute="_compute_prepaid_period_price",
        store=True,
        readonly=False,
        help="Price of each later period's invoice, per unit sold; the sale's own invoice bills the first period "
        "at the sale's price. Set from the sales price whenever that changes.",
    )
    prepaid_period_end_behaviour = fields.Selection(
        [("expire", "Expire unused"), ("carry_over", "Carry over"), ("accumulate", "Accumulate")],
        string="Unused at Period End",
        default="expire",
        help="Expire unused: what is left lapses at period end (breakage). Carry over: what is left, up to the "
        "cap, survives the given number of periods. Accumulate: it stays until the card ends.",
    )
    prepaid_carry_over_cap_type = fields.Selection(
        [("none", "No cap"), ("units", "Units"), ("percent", "% of the allowance")],
        string="Carry-over Cap",
        default="none",
    )
    prepaid_carry_over_cap = fields.Float(string="Carry-over Cap Value", digits="Product Unit")
    prepaid_carry_over_periods = fields.Integer(string="Carried Residual Survives (periods)", default=1)
    prepaid_overdraw_policy = fields.Selection(
        [("block", "Block"), ("negative", "Allow negative balance"), ("invoice", "Invoice the overage")],
        string="Overdraw",
        default="block",
        help="Block: consumption beyond the balance is refused. Allow negative balance: the shortfall is settled "
        "first by the next top-up. Invoice the overage: the shortfall is billed on the next period's invoice.",
    )

    # Billing automation of the cards a sale of this product opens (see prepaid.automation.mixin)
    prepaid_consumption_invoicing = fields.Selection(
        CONSUMPTION_INVOICING,
        string="Consumption Invoices",
        default="none",
        help="The cards this product opens invoice the work they pay for (instead of a recognition journal "
        "entry): after each timesheet, when its task is done, or once per period.",
    )
    prepaid_auto_settle = fields.Boolean(
        string="Pay Invoices Automatically",
        help="Money balances: the cards this product opens pay the customer's invoices by themselves when they "
        "are posted.",
    )
    prepaid_pay_before_use = fields.Boolean(
        string="Usable Once Paid",
        help="The credit of the cards this product opens can be used once its invoice is paid.",
    )
    prepaid_auto_topup = fields.Boolean(
        string="Automatic Top-up",
        help="The cards this product opens sell one more of it when consumption takes them to their low-balance "
        "threshold (set on the card).",
    )
    prepaid_auto_topup_mode = fields.Selection(AUTO_TOPUP_MODES, string="Top-up As", default="quotation")

    @api.model_create_multi
    def create(self, vals_list):
        defaults = self.default_get(list(PRODUCT_AUTOMATION_FIELDS))
        for vals in vals_list:
            # values equal to the defaults (all off) turn nothing on
            self._ensure_prepaid_automation_rights(
                {f for f in PRODUCT_AUTOMATION_FIELDS & set(vals) if (vals[f] or False) != (defaults.get(f) or False)}
            )
        return super().create(vals_list)

    def write(self, vals):
        changed = {f for f in PRODUCT_AUTOMATION_FIELDS & set(vals) if any(template[f] != vals[f] for template in self)}
        self._ensure_prepaid_automation_rights(changed)
        return super().write(vals)

    def _ensure_prepaid_automation_rights(self, fnames):
        """Billing automation moves money without a click: only a prepaid manager sets it, whatever the screen."""
        if not fnames or self.env.su or in_service_scope():
            return
        if self.env.user.has_group("prepaid_services.group_prepaid_manager"):
            return
        raise AccessError(
            self.env._(
                "Only a prepaid services manager can set the billing automation of a prepaid product (%(fields)s). "
                "Ask a manager to change it.",
                fields=", ".join(sorted(self._fields[f].string for f in fnames)),
            )
        )

    @api.depends("prepaid_service_type", "prepaid_quantity", "list_price")
    def _compute_prepaid_period_allowance(self):
        # follows what a unit sold credits (the sales price, for money) until typed otherwise after it; not the
        # price per period: its constraint would read this allowance before it is computed
        for template in self:
            if template.prepaid_service_type == "amount":
                template.prepaid_period_allowance = template.list_price
            else:
                template.prepaid_period_allowance = template.prepaid_quantity

    @api.depends("list_price")
    def _compute_prepaid_period_price(self):
        # follows the sales price until typed otherwise after it
        for template in self:
            template.prepaid_period_price = template.list_price

    @api.constrains("prepaid_ok", "type")
    def _check_prepaid_service(self):
        for template in self:
            if template.prepaid_ok and template.type != "service":
                raise ValidationError(
                    self.env._("The prepaid top-up %s must be a service product.", template.display_name)
                )

    @api.constrains("prepaid_ok", "prepaid_service_type", "prepaid_quantity")
    def _check_prepaid_quantity(self):
        """A top-up credits something: otherwise its invoice fails only when it is posted."""
        for template in self:
            if (
                template.prepaid_ok
                and template.prepaid_service_type == "quantity"
                and float_compare(template.prepaid_quantity, 0.0, precision_digits=6) <= 0
            ):
                raise ValidationError(
                    self.env._(
                        "The prepaid top-up %(product)s credits %(quantity)s units per unit sold: set how many units "
                        "each unit sold credits (Credited per Unit Sold), more than zero.",
                        product=template.display_name,
                        quantity=formatLang(self.env, template.prepaid_quantity, dp="Product Unit"),
                    )
                )

    @api.constrains(
        "prepaid_ok",
        "prepaid_accrual",
        "prepaid_recurrence_interval",
        "prepaid_period_allowance",
        "prepaid_period_price",
        "prepaid_carry_over_cap",
        "prepaid_carry_over_periods",
    )
    def _check_prepaid_periodic_terms(self):
        for template in self:
            problem = template._get_prepaid_periodic_problem()
            if problem:
                raise ValidationError(problem)

    def _get_prepaid_periodic_problem(self):
        """What a periodic prepaid product lacks for its card to be invoiced every period (False: nothing)."""
        self.ensure_one()
        if not (self.prepaid_ok and self.prepaid_accrual == "periodic"):
            return False
        missing = []
        if self.prepaid_recurrence_interval < 1:
            missing.append(self.env._("a recurrence of at least one month, quarter or year"))
        if self.prepaid_period_allowance <= 0:
            missing.append(self.env._("an allowance per period above zero"))
        if self.prepaid_period_price <= 0:
            missing.append(self.env._("a price per period above zero"))
        if self.prepaid_carry_over_cap < 0 or self.prepaid_carry_over_periods < 0:
            missing.append(self.env._("a carry-over cap and duration that are not negative"))
        if not missing:
            return False
        return self.env._(
            "The periodic prepaid product %(product)s needs %(missing)s: its card is invoiced every period with "
            "them. Set them in the product's Prepaid Top-up section.",
            product=self.display_name,
            missing=", ".join(missing),
        )

    def _ensure_prepaid_periodic_terms(self, document):
        """Refuse to open a card from document (an order, an invoice) for a periodic product that lacks its terms."""
        for template in self:
            problem = template._get_prepaid_periodic_problem()
            if problem:
                raise UserError(
                    self.env._(
                        "No prepaid service can be opened from %(document)s. %(problem)s",
                        document=document,
                        problem=problem,
                    )
                )

    @api.onchange("prepaid_ok")
    def _onchange_prepaid_ok(self):
        if self.prepaid_ok:
            self.type = "service"
            self.invoice_policy = "order"

    def _get_prepaid_valid_until(self, from_date):
        """Last day the credit of a sale of this product made on from_date can be used (False: unlimited)."""
        self.ensure_one()
        if not self.prepaid_validity_interval:
            return False
        delta = relativedelta(**{self.prepaid_validity_unit or "months": self.prepaid_validity_interval})
        return from_date + delta - relativedelta(days=1)

    def _get_prepaid_period_terms(self, quantity=1.0, currency=None, company=None, date=None):
        """Allowance and price per period of a sale of quantity (in the product's unit) of this periodic product.

        In the card's unit; money (the price, the allowance of a money card) in currency on date.
        """
        self.ensure_one()
        price = self.prepaid_period_price * quantity
        allowance = self.prepaid_period_allowance * quantity
        currency = currency or self.currency_id
        if currency != self.currency_id:
            company = company or self.env.company
            date = date or fields.Date.context_today(self)
            price = self.currency_id._convert(price, currency, company, date)
            if self.prepaid_service_type == "amount":
                allowance = self.currency_id._convert(allowance, currency, company, date)
        if self.prepaid_service_type == "amount":
            allowance = currency.round(allowance)
        return {"period_allowance": allowance, "period_price": currency.round(price)}

    def _prepare_prepaid_card_vals(self, quantity=1.0, currency=None, company=None, date=None):
        """Vals of the prepaid service a sale of quantity (in the product's unit) of this product opens.

        A periodic card gets its terms here: every period repeats what the sale bought (allowance and price
        per period times quantity); prices, and the allowance of a money card, in currency on date.
        """
        self.ensure_one()
        product = self.product_variant_id
        vals = {
            "service_type": self.prepaid_service_type,
            "accrual": self.prepaid_accrual,
            "uom_id": (self.prepaid_uom_id or self.uom_id).id if self.prepaid_service_type == "quantity" else False,
            "validity_interval": self.prepaid_validity_interval,
            "validity_unit": self.prepaid_validity_unit,
            "product_id": product.id,
            "description": self.name,
            "consumption_invoicing": self.prepaid_consumption_invoicing or "none",
            "auto_settle": self.prepaid_auto_settle and self.prepaid_service_type == "amount",
            "pay_before_use": self.prepaid_pay_before_use,
            "auto_topup": self.prepaid_auto_topup,
            "auto_topup_product_id": product.id if self.prepaid_auto_topup else False,
            "auto_topup_quantity": quantity if self.prepaid_auto_topup and quantity > 0 else 1.0,
            "auto_topup_mode": self.prepaid_auto_topup_mode or "quotation",
        }
        if self.prepaid_accrual != "periodic":
            return vals
        vals.update(
            {
                **self._get_prepaid_period_terms(quantity, currency, company, date),
                "period_product_id": product.id,
                "recurrence_interval": self.prepaid_recurrence_interval,
                "recurrence_unit": self.prepaid_recurrence_unit,
                "period_end_behaviour": self.prepaid_period_end_behaviour,
                "carry_over_cap_type": self.prepaid_carry_over_cap_type,
                "carry_over_cap": self.prepaid_carry_over_cap,
                "carry_over_periods": self.prepaid_carry_over_periods,
                "overdraw_policy": self.prepaid_overdraw_policy,
            }
        )
        return vals
