from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import content_disposition, request

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PrepaidRollforwardController(http.Controller):
    """The rollforward and ageing as an XLSX workbook, named as its PDF."""

    @http.route("/prepaid_services/rollforward/<int:wizard_id>/xlsx", type="http", auth="user")
    def rollforward_xlsx(self, wizard_id, **kw):
        wizard = request.env["prepaid.rollforward.wizard"].browse(wizard_id).exists()
        if not wizard:
            raise NotFound()
        Report = request.env["report.prepaid_services.report_prepaid_rollforward"]
        # with the user's own rights: only the prepaid managers who ran the rollforward read it
        content = Report._get_xlsx_content(wizard)
        headers = [
            ("Content-Type", XLSX_MIMETYPE),
            ("Content-Length", len(content)),
            ("Content-Disposition", content_disposition(f"{Report._get_report_filename(wizard)}.xlsx")),
        ]
        return request.make_response(content, headers=headers)
