from odoo import models


class ProjectTask(models.Model):
    _inherit = "project.task"

    def write(self, vals):
        if not {"state", "stage_id"} & set(vals):
            return super().write(vals)
        open_tasks = self.filtered(lambda task: not task._prepaid_is_completed())
        res = super().write(vals)
        completed = open_tasks.filtered(lambda task: task._prepaid_is_completed())
        if completed:
            # a completed service: cards that invoice their consumption per task do it now
            self.env["prepaid.consumption.invoice"]._invoice_completed_tasks(completed)
        return res

    def _prepaid_is_completed(self):
        """The work of the task is over: marked done or cancelled, or moved to a folded (closing) stage."""
        self.ensure_one()
        return self.is_closed or bool(self.stage_id.fold)
