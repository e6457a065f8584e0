from odoo import models
from odoo.exceptions import AccessError

from .prepaid_automation_mixin import AUTOMATION_FIELDS
from .utils import in_service_scope

# What a card charges for work and for time, and how it bills and collects (billing automation): one right, the
# prepaid manager's (as its rate rules)
PRICING_FIELDS = (
    frozenset(
        {
            "hourly_rate",
            "overdraw_policy",
            "billable_only",
            "rate_ids",
            "overage_band_ids",
            "validity_interval",
            "validity_unit",
            "period_allowance",
            "period_price",
            "period_product_id",
            "recurrence_interval",
            "recurrence_unit",
            "period_end_behaviour",
            "carry_over_cap_type",
            "carry_over_cap",
            "carry_over_periods",
            "termination_refund",
            "recognition_method",
        }
    )
    | AUTOMATION_FIELDS
)


class PrepaidPricingMixin(models.AbstractModel):
    """Pricing of a card is one right, the prepaid manager's: which fields are pricing and who may set them."""

    _name = "prepaid.pricing.mixin"
    _description = "Prepaid Pricing Rights"

    def _get_pricing_fields(self):
        return PRICING_FIELDS

    def _may_set_pricing(self):
        return self.env.su or in_service_scope() or self.env.user.has_group("prepaid_services.group_prepaid_manager")

    def _ensure_pricing_rights(self, vals, creating=False):
        """Pricing is one right, the prepaid manager's: rates, rate rules, overage, period price and allowance.

        Checked on the server: the form only makes these fields read-only. On create, vals is the list of
        the new cards' vals and values equal to the defaults set nothing.
        """
        if self._may_set_pricing():
            return
        if creating:
            defaults = self.default_get(list(self._get_pricing_fields()))
            changed = {
                f
                for card_vals in vals
                for f in self._get_pricing_fields() & set(card_vals)
                if (card_vals[f] or False) != (defaults.get(f) or False)
            }
        else:
            changed = {
                f
                for f in self._get_pricing_fields() & set(vals)
                if any(card._is_changed_by(f, vals[f]) for card in self)
            }
        if changed:
            raise AccessError(
                self.env._(
                    "Only a prepaid services manager can set the pricing and billing of a prepaid service "
                    "(%(fields)s). Ask a manager to change it.",
                    fields=", ".join(sorted(self._fields[f].string for f in changed)),
                )
            )

    def _is_changed_by(self, fname, value):
        """Whether writing value into fname changes this card (x2many commands always do)."""
        self.ensure_one()
        field = self._fields[fname]
        if field.type in ("one2many", "many2many"):
            return bool(value)
        return field.convert_to_record(field.convert_to_cache(value, self), self) != self[fname]
