from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import date_utils

from ..report.prepaid_rollforward import AGEING_FIGURES, ROLLFORWARD_FIGURES

DRILL_FIGURES = frozenset((*ROLLFORWARD_FIGURES, *AGEING_FIGURES, "ageing_total")) - {"difference"}


class PrepaidRollforwardWizard(models.TransientModel):
    """Contract-liability rollforward and deferred revenue ageing of a company for a period.

    One row per card; every figure opens the journal items behind it; printed as a PDF and exported to XLSX.
    Figures in company currency, signed as they move the liability (credit - debit).
    """

    _name = "prepaid.rollforward.wizard"
    _description = "Deferred Revenue Rollforward"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    account_id = fields.Many2one(related="company_id.prepaid_deferred_account_id", string="Deferred Revenue Account")
    date_from = fields.Date(
        required=True, default=lambda self: date_utils.start_of(fields.Date.context_today(self), "month")
    )
    date_to = fields.Date(
        required=True, default=lambda self: date_utils.end_of(fields.Date.context_today(self), "month")
    )
    # computed as the user (not as superuser, the default of stored computes): the report refuses a company they
    # do not work in; the rows are read by whoever may read the wizard (record rules)
    line_ids = fields.One2many(
        "prepaid.rollforward.line",
        "wizard_id",
        string="Rollforward",
        compute="_compute_line_ids",
        store=True,
        compute_sudo=False,
    )
    ageing_line_ids = fields.One2many(
        "prepaid.rollforward.ageing.line",
        "wizard_id",
        string="Ageing",
        compute="_compute_line_ids",
        store=True,
        compute_sudo=False,
    )
    opening = fields.Monetary(compute="_compute_totals", string="Opening Balance")
    topups = fields.Monetary(compute="_compute_totals", string="Top-ups")
    consumption = fields.Monetary(compute="_compute_totals", string="Revenue Recognised")
    breakage = fields.Monetary(compute="_compute_totals", string="Breakage (Expired)")
    refunds = fields.Monetary(compute="_compute_totals")
    adjustments = fields.Monetary(compute="_compute_totals")
    closing = fields.Monetary(compute="_compute_totals", string="Closing Balance")
    awaiting = fields.Monetary(
        compute="_compute_totals",
        string="Awaiting Recognition",
        help="Timesheet consumption already off the cards whose daily summary entry was not posted by the end of "
        "the period: it is still on the deferred revenue account.",
    )
    account_opening = fields.Monetary(compute="_compute_totals", string="Account at Opening")
    account_closing = fields.Monetary(compute="_compute_totals", string="Account at Closing")
    difference = fields.Monetary(
        compute="_compute_totals",
        help="Deferred revenue account less the ledger's closing and the consumption awaiting recognition.",
    )
    ageing_expired = fields.Monetary(compute="_compute_totals", string="Expired, not yet released")
    ageing_30 = fields.Monetary(compute="_compute_totals", string="Expiring in 0-30 days")
    ageing_90 = fields.Monetary(compute="_compute_totals", string="Expiring in 31-90 days")
    ageing_365 = fields.Monetary(compute="_compute_totals", string="Expiring in 91-365 days")
    ageing_later = fields.Monetary(compute="_compute_totals", string="Expiring later")
    ageing_never = fields.Monetary(compute="_compute_totals", string="No expiry")
    ageing_total = fields.Monetary(compute="_compute_totals", string="Open Top-ups")

    def _compute_display_name(self):
        for wizard in self:
            wizard.display_name = self.env._("Deferred Revenue Rollforward")

    @api.depends("company_id", "date_from", "date_to")
    def _compute_line_ids(self):
        Report = self.env["prepaid.deferred.revenue.report"]
        for wizard in self:
            lines, ageing = [Command.clear()], [Command.clear()]
            if wizard.company_id and wizard.date_from and wizard.date_to and wizard.date_from <= wizard.date_to:
                for row in Report._get_rollforward_lines(wizard.date_from, wizard.date_to, wizard.company_id):
                    lines.append(Command.create(self._prepare_line_vals(row)))
                for row in Report._get_ageing_lines(wizard.date_to, wizard.company_id):
                    ageing.append(Command.create(self._prepare_line_vals(row)))
            wizard.line_ids = lines
            wizard.ageing_line_ids = ageing

    @api.model
    def _prepare_line_vals(self, row):
        return {
            "service_id": row["card"].id,
            "partner_id": row["partner"].id,
            **{key: value for key, value in row.items() if key not in ("card", "partner")},
        }

    @api.depends("line_ids", "ageing_line_ids")
    def _compute_totals(self):
        for wizard in self:
            wizard.update(
                {
                    **{key: sum(wizard.line_ids.mapped(key)) for key in (*ROLLFORWARD_FIGURES, "account_opening")},
                    **{key: sum(wizard.ageing_line_ids.mapped(key)) for key in (*AGEING_FIGURES, "ageing_total")},
                }
            )

    def _ensure_period(self):
        self.ensure_one()
        if self.date_to < self.date_from:
            raise UserError(self.env._("The period ends before it starts: swap the dates."))

    # ------------------------------------------------------------------
    # Documents and drill-down
    # ------------------------------------------------------------------
    def action_print(self):
        self._ensure_period()
        return self.env.ref("prepaid_services.action_report_prepaid_rollforward").report_action(self)

    def action_export_xlsx(self):
        self._ensure_period()
        return {
            "type": "ir.actions.act_url",
            "url": f"/prepaid_services/rollforward/{self.id}/xlsx",
            "target": "download",
        }

    def action_open_figure(self, figure, scope="total", service_id=False):
        """Open what stands behind one figure of the screen: the journal items of a movement, opening, closing or
        the general ledger; the consumption awaiting recognition; the open top-ups of an ageing bucket.

        scope: "total" (the company), "card" (the card service_id) or "unexplained" (the journal items of the
        deferred revenue account no card explains). Everything here is client input, checked as such.
        """
        self._ensure_period()
        if figure not in DRILL_FIGURES or scope not in ("total", "card", "unexplained"):
            raise UserError(self.env._("There is nothing to open behind this figure."))
        card = self.env["prepaid.service"]
        if scope == "card":
            card = card.browse(service_id).exists()
            # sudo: only to say a card of another company is not one of this report's, before any access error
            if len(card) != 1 or card.sudo().company_id != self.company_id:
                raise UserError(self.env._("The prepaid service is not one of %s.", self.company_id.name))
            card.check_access("read")
        model, domain = self.env["prepaid.deferred.revenue.report"]._get_figure_domain(
            figure,
            self.date_from,
            self.date_to,
            self.company_id,
            card=card or None,
            unexplained=scope == "unexplained",
        )
        # journal items as the accounting apps show them: to users with accounting rights (a salesman reads only
        # the items of their own invoices, and would see an incomplete list)
        user = self.env.user
        if model == "account.move.line" and not (
            user.has_group("account.group_account_readonly") or user.has_group("account.group_account_invoice")
        ):
            raise UserError(
                self.env._(
                    "Opening journal items takes the Invoicing or Accounting rights: ask your administrator for them."
                )
            )
        labels = self.env["prepaid.deferred.revenue.report"]._get_figure_labels()
        name = " - ".join(filter(None, [labels[figure], card.name]))
        if model == "account.move.line":
            return {
                "type": "ir.actions.act_window",
                "name": name,
                "res_model": model,
                "domain": list(domain),
                "views": [(self.env.ref("account.view_move_line_tree").id, "list"), (False, "form")],
                "context": {"create": False},
            }
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "domain": list(domain),
            "views": [(False, "list"), (False, "form")],
            "context": {"create": False},
        }


class PrepaidRollforwardLine(models.TransientModel):
    """One card of the rollforward: its movements of the period and how they tie to the general ledger."""

    _name = "prepaid.rollforward.line"
    _description = "Deferred Revenue Rollforward: Card"
    _order = "id"

    wizard_id = fields.Many2one("prepaid.rollforward.wizard", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    service_id = fields.Many2one("prepaid.service", string="Prepaid Service")
    partner_id = fields.Many2one("res.partner", string="Customer")
    scope = fields.Selection(
        [("card", "Card"), ("unexplained", "No card")],
        compute="_compute_scope",
        help="What a figure of the row opens: the card's items, or the items no card explains.",
    )
    opening = fields.Monetary()
    topups = fields.Monetary(string="Top-ups")
    consumption = fields.Monetary(string="Revenue Recognised")
    breakage = fields.Monetary()
    refunds = fields.Monetary()
    adjustments = fields.Monetary()
    closing = fields.Monetary()
    awaiting = fields.Monetary(string="Awaiting Recognition")
    account_opening = fields.Monetary(string="General Ledger at Opening")
    account_closing = fields.Monetary(string="General Ledger")
    difference = fields.Monetary()

    @api.depends("service_id")
    def _compute_scope(self):
        for line in self:
            line.scope = "card" if line.service_id else "unexplained"

    def _compute_display_name(self):
        for line in self:
            line.display_name = line.service_id.display_name or self.env._("Journal items without a prepaid service")


class PrepaidRollforwardAgeingLine(models.TransientModel):
    """One card of the ageing: its top-ups open at the end of the period, by time left before they expire."""

    _name = "prepaid.rollforward.ageing.line"
    _description = "Deferred Revenue Ageing: Card"
    _order = "id"

    wizard_id = fields.Many2one("prepaid.rollforward.wizard", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    service_id = fields.Many2one("prepaid.service", string="Prepaid Service")
    partner_id = fields.Many2one("res.partner", string="Customer")
    scope = fields.Selection([("card", "Card")], default="card")
    ageing_expired = fields.Monetary(string="Expired, Not Yet Released")
    ageing_30 = fields.Monetary(string="0-30 Days")
    ageing_90 = fields.Monetary(string="31-90 Days")
    ageing_365 = fields.Monetary(string="91-365 Days")
    ageing_later = fields.Monetary(string="Later")
    ageing_never = fields.Monetary(string="No Expiry")
    ageing_total = fields.Monetary(string="Total")
