import json
from urllib.parse import parse_qs, urlsplit

from odoo import http
from odoo.addons.web.controllers.report import ReportController
from odoo.http import content_disposition, request

STATEMENT_URL = "/report/pdf/prepaid_services.report_prepaid_statement"


class PrepaidReportController(ReportController):
    """The statement printed from its period wizard is named as the portal names it.

    A report printed with options (the wizard's period) is named after the report by Odoo (print_report_name
    is only read for a print without options): "Prepaid Services Statement.pdf" for every period and card.
    """

    @http.route()
    def report_download(self, data, context=None, token=None, readonly=True):
        response = super().report_download(data, context=context, token=token, readonly=readonly)
        url, report_type = json.loads(data)[:2]
        parts = urlsplit(url)
        if (
            report_type != "qweb-pdf"
            or parts.path != STATEMENT_URL
            or response.headers.get("Content-Type", "").split(";")[0] != "application/pdf"
        ):
            return response
        options = json.loads(parse_qs(parts.query).get("options", ["{}"])[0])
        # the cards the statement was just rendered for, with the user's own rights
        cards = request.env["prepaid.service"].browse(options.get("service_ids") or []).exists()
        name = request.env["report.prepaid_services.report_prepaid_statement"]._get_report_filename(cards, options)
        response.headers["Content-Disposition"] = content_disposition(f"{name}.pdf")
        return response
