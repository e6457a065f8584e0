from collections import defaultdict

from odoo import api, models


class PrepaidAutoSettlement(models.AbstractModel):
    """Automatic settlement: a money card that pays its customer's invoices by itself when they post.

    Whatever created the invoice (a sales order, timesheet invoicing, a subscription, a hand-made invoice), the
    cards of its customer that have the option apply their credit before it posts, in drawdown order, through
    the one engine of Apply Prepaid Credit (account.move._prepaid_add_credit_lines): the invoice posts paid
    (residual 0) when the credit covers it, and its posting moves the cards as the button's does.

    Only the invoice itself says which cards may pay: its commercial partner, company and currency, read on
    the server. Nothing the client sends (context, line values) chooses a card of another customer or company.
    """

    _name = "prepaid.auto.settlement"
    _description = "Prepaid Automatic Settlement"

    @api.model
    def _settle_invoices(self, moves):
        """Apply the credit of the auto-settling cards to these draft customer invoices, before they post."""
        invoices = moves.filtered(
            lambda m: (
                m.move_type == "out_invoice"
                and m.state == "draft"
                and not m.prepaid_consumption_service_id  # draws on its card by itself
                and m.commercial_partner_id
                and m.company_id.prepaid_deferred_account_id
            )
        )
        if not invoices:
            return
        cards_by_key = self._get_settling_cards(invoices)
        drawn = {}  # what each card paid on the invoices of this posting before the next
        for invoice in invoices:
            cards = cards_by_key.get((invoice.commercial_partner_id.id, invoice.company_id.id, invoice.currency_id.id))
            if not cards:
                continue
            day = invoice.invoice_date or invoice.date
            cards = cards.filtered(lambda c, day=day: c.date_start <= day and (not c.date_end or day <= c.date_end))
            if cards:
                invoice._prepaid_add_credit_lines(cards._sorted_for_drawdown(day), raise_if_nothing=False, drawn=drawn)

    @api.model
    def _get_settling_cards(self, invoices):
        """{(commercial partner, company, currency): open money cards with automatic settlement}, one search."""
        # sudo: whoever posts the invoice (a billing user without prepaid rights, the scheduler), the customer's
        # own cards pay it; the search is bound to the invoices' own customers, companies and currencies
        cards = (
            self.env["prepaid.service"]
            .sudo()
            .search(
                [
                    ("auto_settle", "=", True),
                    ("commercial_partner_id", "in", invoices.commercial_partner_id.ids),
                    ("company_id", "in", invoices.company_id.ids),
                    ("currency_id", "in", invoices.currency_id.ids),
                    ("service_type", "=", "amount"),
                    ("closed", "=", False),
                    ("amount_outstanding", ">", 0),
                ]
            )
        )
        result = defaultdict(lambda: cards.browse())
        for card in cards:
            result[(card.commercial_partner_id.id, card.company_id.id, card.currency_id.id)] |= card
        return result
