from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import date_utils


class ReportPrepaidStatement(models.AbstractModel):
    """Prepaid Services Statement: what a customer bought, used and has left over a period."""

    _name = "report.prepaid_services.report_prepaid_statement"
    _description = "Prepaid Services Statement"

    @api.model
    def _get_period(self, data):
        today = fields.Date.context_today(self)
        date_from = fields.Date.to_date((data or {}).get("date_from")) or date_utils.start_of(today, "month")
        date_to = fields.Date.to_date((data or {}).get("date_to")) or date_utils.end_of(today, "month")
        return date_from, date_to

    @api.model
    def _get_report_values(self, docids, data=None):
        cards = self.env["prepaid.service"].browse(docids or (data or {}).get("service_ids") or [])
        date_from, date_to = self._get_period(data)
        return {
            "doc_ids": cards.ids,
            "doc_model": "prepaid.service",
            "docs": cards,
            "date_from": date_from,
            "date_to": date_to,
            "statements": self._get_statement_data(cards, date_from, date_to),
        }

    @api.model
    def _get_statement_data(self, cards, date_from, date_to):
        """Opening balance, movements with running balance, closing balance and open top-ups, per card.

        Batched: three queries for any number of cards and entries.
        """
        cards.check_access("read")
        # sudo: the statement names journal entries and timesheets its reader may not open (cards checked above)
        Entry = self.env["prepaid.ledger.entry"].sudo()
        opening = {
            card: (quantity, amount)
            for card, quantity, amount in Entry._read_group(
                [("service_id", "in", cards.ids), ("date", "<", date_from)],
                ["service_id"],
                ["quantity:sum", "amount:sum"],
            )
        }
        entries = Entry.search(
            [("service_id", "in", cards.ids), ("date", ">=", date_from), ("date", "<=", date_to)],
            order="service_id, date, id",
        )
        rows = entries.read(
            [
                "service_id",
                "date",
                "entry_type",
                "name",
                "quantity",
                "amount",
                "move_id",
                "timesheet_id",
                "reversed_entry_id",
            ],
            load="_classic_read",
        )
        move_names = {move.id: move.name for move in entries.move_id}
        labels = dict(Entry._fields["entry_type"]._description_selection(self.env))
        movements = defaultdict(list)
        for row in rows:
            movements[row["service_id"][0]].append(row)
        # what each top-up had left on date_to: its quantity less what outflows dated until then took
        inflows = Entry.search(
            [
                ("service_id", "in", cards.ids),
                ("is_inflow", "=", True),
                ("date", "<=", date_to),
                ("reversal_entry_ids", "=", False),
            ],
            order="service_id, valid_until, date, id",
        )
        consumed = {
            inflow.id: (quantity, amount)
            for inflow, quantity, amount in self.env["prepaid.ledger.application"]._read_group(
                [("inflow_id", "in", inflows.ids), ("date", "<=", date_to)],
                ["inflow_id"],
                ["quantity:sum", "amount:sum"],
            )
        }
        open_inflows = defaultdict(list)
        for inflow in inflows:
            used_quantity, used_amount = consumed.get(inflow.id, (0.0, 0.0))
            left = inflow.quantity - used_quantity
            if left > 1e-6:
                open_inflows[inflow.service_id.id].append(
                    {"entry": inflow, "quantity": left, "amount": inflow.amount - used_amount}
                )

        result = {}
        for card in cards:
            quantity, amount = opening.get(card, (0.0, 0.0))
            lines = []
            balance_quantity, balance_amount = quantity, amount
            for row in movements.get(card.id, []):
                balance_quantity += row["quantity"]
                balance_amount += row["amount"]
                document = move_names[row["move_id"][0]] if row["move_id"] else ""
                if not document and row["timesheet_id"]:
                    document = self.env._("Timesheet %s", row["timesheet_id"][1])
                lines.append(
                    {
                        "date": row["date"],
                        "type": labels.get(row["entry_type"], row["entry_type"])
                        + (self.env._(" (reversal)") if row["reversed_entry_id"] else ""),
                        "document": document,
                        "description": row["name"] or "",
                        "in": row["quantity"] if row["quantity"] > 0 else 0.0,
                        "out": -row["quantity"] if row["quantity"] < 0 else 0.0,
                        "amount": row["amount"],
                        "balance": balance_quantity,
                        "balance_amount": balance_amount,
                    }
                )
            result[card.id] = {
                "opening": quantity,
                "opening_amount": amount,
                "lines": lines,
                "closing": balance_quantity,
                "closing_amount": balance_amount,
                "total_in": sum(line["in"] for line in lines),
                "total_out": sum(line["out"] for line in lines),
                "open_inflows": open_inflows.get(card.id, []),
                "unit": card._get_unit_label(),
            }
        return result
