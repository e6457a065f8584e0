from dateutil.relativedelta import relativedelta

from odoo import fields, models

# Guard of the period walk: a hundred years of monthly periods
PERIODIC_MAX_PERIODS = 1200

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

    def _get_due_periods(self, today, periods=None):
        """Periods of this card due for invoicing on today, oldest first, as (start, period) pairs.

        period is a period whose invoice was deleted or cancelled: it is invoiced again (once: its new invoice
        then stands). New periods (period None) start after the last period of the card, whatever Next Period
        says, so that moving it back into invoiced periods bills nothing twice; moving it forward skips periods.
        periods: the card's periods, when the caller read them for a batch.
        """
        self.ensure_one()
        if periods is None:
            # sudo: what is due depends on every period's invoice, which the caller may not read
            periods = self.env["prepaid.service.period"].sudo().search([("service_id", "=", self.id)])
        if any(period.sale_line_id and period.invoice_id.state != "posted" for period in periods):
            # a card sold on an order starts with its order's invoice: nothing is due before it is posted,
            # and that first period is the order's to bill, never this action's
            return []

        def is_due(start, end):
            if self.date_end and start > self.date_end:
                return False
            return start <= today if self.invoice_in_advance else end < today

        due = [
            (period.date_start, period)
            for period in periods.sorted("date_start")
            if (not period.invoice_id or period.invoice_id.state == "cancel")
            and is_due(period.date_start, period.date_end)
        ]
        start = self.next_period_start or self.date_start
        last_end = max(periods.mapped("date_end"), default=None)
        if last_end and start <= last_end:
            start = last_end + relativedelta(days=1)
        for _guard in range(PERIODIC_MAX_PERIODS):
            end = self._get_period_end(start)
            if not is_due(start, end):
                break
            due.append((start, None))
            start = end + relativedelta(days=1)
        return due

    def _get_period_valid_until(self, period_end):
        self.ensure_one()
        if self.period_end_behaviour == "expire":
            return period_end
        if self.period_end_behaviour == "carry_over":
            # to the end of the last period it survives: February's residual lives to March 31, not March 28
            next_start = period_end + relativedelta(days=1)
            return next_start + self._get_period_delta(max(self.carry_over_periods, 0)) - relativedelta(days=1)
        return self.date_end or False
