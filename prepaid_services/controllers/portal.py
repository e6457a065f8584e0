from werkzeug.exceptions import BadRequest, NotFound

from odoo import fields, http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.tools.misc import format_date


class PrepaidPortal(CustomerPortal):
    """Customers see their own prepaid services, their history, and download their statement."""

    def _prepaid_domain(self):
        partner = request.env.user.partner_id
        return [("commercial_partner_id", "=", partner.commercial_partner_id.id)]

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "prepaid_count" in counters:
            Card = request.env["prepaid.service"]
            values["prepaid_count"] = Card.search_count(self._prepaid_domain()) if Card.has_access("read") else 0
        return values

    def _prepaid_get_card(self, card_id):
        """The customer's own card, or 404 (another customer's card is not found either)."""
        try:
            return self._document_check_access("prepaid.service", card_id)
        except (AccessError, MissingError):
            raise NotFound() from None

    def _prepaid_get_statement_period(self, date_from, date_to):
        """The statement's dates from the URL; a value that is not a date is the client's error (400)."""
        env = request.env
        dates = []
        for label, value in ((env._("start"), date_from), (env._("end"), date_to)):
            try:
                dates.append(fields.Date.to_date(value) if value else False)
            except ValueError:
                raise BadRequest(
                    env._(
                        "The %(label)s date of the statement, %(value)s, is not a date: give it as YYYY-MM-DD, "
                        "e.g. %(example)s.",
                        label=label,
                        value=value,
                        example=fields.Date.to_string(fields.Date.context_today(env.user)),
                    )
                ) from None
        for label, value in ((env._("start"), dates[0]), (env._("end"), dates[1])):
            if value and not 1900 <= value.year <= 9998:
                raise BadRequest(
                    env._(
                        "The %(label)s date of the statement, %(value)s, is out of range: give a date between "
                        "1900 and 9998.",
                        label=label,
                        value=value.isoformat(),
                    )
                )
        if dates[0] and dates[1] and dates[1] < dates[0]:
            raise BadRequest(
                env._(
                    "The statement period ends (%(end)s) before it starts (%(start)s): swap the dates.",
                    start=format_date(env, dates[0]),
                    end=format_date(env, dates[1]),
                )
            )
        return dates

    @http.route(["/my/prepaid", "/my/prepaid/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_prepaid(self, page=1, **kw):
        Card = request.env["prepaid.service"]
        domain = self._prepaid_domain()
        count = Card.search_count(domain)
        pager = portal_pager(url="/my/prepaid", total=count, page=page, step=self._items_per_page)
        cards = Card.search(
            domain, order="closed, date_start desc, id desc", limit=self._items_per_page, offset=pager["offset"]
        )
        values = self._prepare_portal_layout_values()
        # the search above ran as the customer (record rules); units and currencies are read as superuser
        values.update({"cards": cards.sudo(), "pager": pager, "page_name": "prepaid", "default_url": "/my/prepaid"})
        return request.render("prepaid_services.portal_my_prepaid", values)

    @http.route("/my/prepaid/<int:card_id>", type="http", auth="user", website=True)
    def portal_prepaid_card(self, card_id, **kw):
        card = self._prepaid_get_card(card_id)
        entries = request.env["prepaid.ledger.entry"].search(
            [("service_id", "=", card.id)], order="date desc, id desc", limit=50
        )
        open_inflows = request.env["prepaid.ledger.entry"].search(
            request.env["prepaid.ledger.entry"]._get_open_inflow_domain(card),
            order="valid_until, date",
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "card": card,  # as superuser already: _document_check_access returns it so
                "entries": entries,
                "open_inflows": open_inflows,
                "page_name": "prepaid_card",
                "today": fields.Date.context_today(card),
            }
        )
        return request.render("prepaid_services.portal_prepaid_card", values)

    @http.route("/my/prepaid/<int:card_id>/statement", type="http", auth="user", website=True)
    def portal_prepaid_statement(self, card_id, date_from=None, date_to=None, **kw):
        card = self._prepaid_get_card(card_id)
        date_from, date_to = self._prepaid_get_statement_period(date_from, date_to)
        data = {
            "date_from": date_from and fields.Date.to_string(date_from),
            "date_to": date_to and fields.Date.to_string(date_to),
        }
        # sudo: the customer's own card (checked above); a portal user cannot render a report itself. On the paper
        # of the card's company, as the back office prints it for a user of that company.
        Report = request.env["ir.actions.report"].sudo().with_company(card.company_id)
        report_ref = "prepaid_services.action_report_prepaid_statement"
        content, report_type = Report._render_qweb_pdf(report_ref, card.ids, data=data)
        content_type = "application/pdf" if report_type == "pdf" else "text/html"
        # the name the back office gives the same statement
        name = request.env["report.prepaid_services.report_prepaid_statement"]._get_report_filename(card, data)
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", len(content)),
            ("Content-Disposition", http.content_disposition(f"{name}.{report_type}")),
        ]
        return request.make_response(content, headers=headers)
