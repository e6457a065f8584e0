import math

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.misc import format_amount, formatLang


class PrepaidServiceRate(models.Model):
    """How logged work converts into consumption of a card.

    The first rule (by sequence, then the most specific) whose conditions all match a timesheet
    applies; without one, an hour is an hour (quantity cards) or costs the card's hourly rate
    (amount cards).
    """

    _name = "prepaid.service.rate"
    _description = "Prepaid Service Rate Rule"
    _order = "service_id, sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    service_id = fields.Many2one(
        "prepaid.service", string="Prepaid Service", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="service_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="service_id.currency_id")
    service_type = fields.Selection(related="service_id.service_type")
    name = fields.Char(string="Description")
    product_id = fields.Many2one(
        "product.product", string="Service", check_company=True, help="Work sold as this service (sales order item)."
    )
    employee_id = fields.Many2one("hr.employee", check_company=True)
    project_id = fields.Many2one("project.project", check_company=True)
    task_id = fields.Many2one("project.task", check_company=True, domain="[('project_id', '=?', project_id)]")
    time_band = fields.Selection(
        [("any", "Any time"), ("weekend", "Weekend"), ("after_hours", "After hours")],
        default="any",
        required=True,
        help="Weekend: work dated on a Saturday or Sunday. After hours: work the technician flagged as after hours.",
    )
    conversion = fields.Selection(
        [
            ("hours", "Per hour"),
            ("block", "Per started block of minutes"),
            ("task", "Once per task"),
        ],
        default="hours",
        required=True,
        help="Per hour: hours x factor. Per started block: every started block of minutes counts factor units "
        "(one token per 15 minutes). Once per task: the first work logged on a task counts factor units "
        "(one ticket per task), later work on it counts nothing.",
    )
    block_minutes = fields.Integer(default=15)
    factor = fields.Float(
        digits="Product Unit",
        default=1.0,
        help="Quantity cards: units consumed per hour, per block or per task (1.5 for after-hours).",
    )
    price_unit = fields.Monetary(
        string="Price",
        help="Amount cards: price per hour, per block or per task. Empty: the card's hourly rate times the factor.",
    )

    @api.constrains("conversion", "block_minutes", "factor", "price_unit")
    def _check_values(self):
        for rule in self:
            if rule.conversion == "block" and rule.block_minutes <= 0:
                raise ValidationError(self.env._("A block of minutes must last at least one minute."))
            if rule.factor < 0 or rule.currency_id.compare_amounts(rule.price_unit, 0.0) < 0:
                raise ValidationError(
                    self.env._(
                        "The rate rule %(rule)s of %(card)s cannot have a negative factor (%(factor)s) or price "
                        "(%(price)s): work would add credit instead of using it. Enter zero or more.",
                        rule=rule.name or rule.id,
                        card=rule.service_id.display_name,
                        factor=formatLang(self.env, rule.factor, dp="Product Unit"),
                        price=format_amount(self.env, rule.price_unit, rule.currency_id),
                    )
                )

    def _specificity(self):
        return sum(bool(self[f]) for f in ("product_id", "employee_id", "project_id", "task_id")) + (
            self.time_band != "any"
        )

    def _matches(self, timesheet):
        self.ensure_one()
        if self.product_id and timesheet.so_line.product_id != self.product_id:
            return False
        if self.employee_id and timesheet.employee_id != self.employee_id:
            return False
        if self.project_id and timesheet.project_id != self.project_id:
            return False
        if self.task_id and timesheet.task_id != self.task_id:
            return False
        if self.time_band == "weekend" and timesheet.date.weekday() < 5:
            return False
        return not (self.time_band == "after_hours" and not timesheet.prepaid_after_hours)

    def _convert(self, timesheet, hours, first_on_task=True):
        """Units a quantity card consumes and amount an amount card consumes for hours of timesheet."""
        self.ensure_one()
        card = self.service_id
        if self.conversion == "task":
            count = 1.0 if first_on_task else 0.0
        elif self.conversion == "block":
            count = math.ceil(round(hours * 60.0 / self.block_minutes, 6))
        else:
            count = hours
        if card.service_type == "amount":
            price = self.price_unit or self._get_hourly_rate(card, timesheet) * self.factor
            return card.currency_id.round(count * price)
        return count * self.factor

    @api.model
    def _get_hourly_rate(self, card, timesheet):
        """Price of an hour of work on an amount card when no rule prices it."""
        card.ensure_one()
        if card.hourly_rate:
            return card.hourly_rate
        if timesheet.so_line and timesheet.so_line.currency_id == card.currency_id:
            return timesheet.so_line.price_unit
        product = timesheet.so_line.product_id or card.product_id
        return product.currency_id._convert(product.lst_price, card.currency_id, card.company_id, timesheet.date)

    @api.model
    def _get_rate_rule(self, card, timesheet):
        """The card's first rule (by sequence, then the most specific) that matches the timesheet."""
        card.ensure_one()
        rules = card.rate_ids.filtered(lambda r: r._matches(timesheet))
        return rules.sorted(lambda r: (r.sequence, -r._specificity(), r.id))[:1]

    @api.model
    def _get_consumption(self, card, timesheet, hours, first_on_task=True):
        """What hours of timesheet consume on card: units, or money for an amount card."""
        card.ensure_one()
        rule = self._get_rate_rule(card, timesheet)
        if rule:
            return rule._convert(timesheet, hours, first_on_task=first_on_task)
        if card.service_type == "amount":
            return card.currency_id.round(hours * self._get_hourly_rate(card, timesheet))
        # the xmlid lookup is cached; env.ref() would check the record exists, one query per timesheet
        hour = self.env["uom.uom"].browse(self.env["ir.model.data"]._xmlid_to_res_id("uom.product_uom_hour"))
        if card.uom_id != hour and card.uom_id._has_common_reference(hour):
            return hour._compute_quantity(hours, card.uom_id, round=False)
        return hours
