from dateutil.relativedelta import relativedelta

from odoo import fields, models

# Recurrence of periodic cards and of the products that open them
RECURRENCE_UNITS = [("month", "Months"), ("quarter", "Quarters"), ("year", "Years")]


class PrepaidRecurringMixin(models.AbstractModel):
    """Recurrence of a periodic prepaid service: every N months, quarters or years."""

    _name = "prepaid.recurring.mixin"
    _description = "Prepaid Recurrence"

    recurrence_interval = fields.Integer(string="Every", default=1)
    recurrence_unit = fields.Selection(RECURRENCE_UNITS, string="Period", default="month")

    def _get_period_delta(self, periods=1):
        self.ensure_one()
        interval = max(self.recurrence_interval, 1) * periods
        if self.recurrence_unit == "year":
            return relativedelta(years=interval)
        if self.recurrence_unit == "quarter":
            return relativedelta(months=3 * interval)
        return relativedelta(months=interval)

    def _get_period_end(self, period_start):
        return period_start + self._get_period_delta() - relativedelta(days=1)
