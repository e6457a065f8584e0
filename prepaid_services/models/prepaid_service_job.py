from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain


class PrepaidServiceJob(models.Model):
    """A project (optionally some of its tasks) whose work draws on a card."""

    _name = "prepaid.service.job"
    _description = "Prepaid Service Assigned Job"
    _order = "service_id, sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    service_id = fields.Many2one(
        "prepaid.service", string="Prepaid Service", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="service_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="service_id.commercial_partner_id", store=True, string="Customer")
    project_id = fields.Many2one("project.project", required=True, index=True, check_company=True, ondelete="cascade")
    task_ids = fields.Many2many(
        "project.task",
        string="Tasks",
        domain="[('project_id', '=', project_id)]",
        help="Only the work on these tasks draws on the card. Empty: the whole project.",
    )
    date_start = fields.Date(string="From", help="Work before this date does not draw on the card.")
    date_end = fields.Date(string="Until", help="Work after this date does not draw on the card.")
    closed = fields.Boolean(related="service_id.closed", store=True)

    _check_dates = models.Constraint(
        "CHECK(date_end IS NULL OR date_start IS NULL OR date_end >= date_start)",
        "An assigned job cannot end before it starts.",
    )

    @api.constrains("project_id", "service_id", "task_ids")
    def _check_project_single_customer(self):
        """A project's work cannot be billed to the prepaid credit of two different customers."""
        if not self:
            return
        for job in self:
            card, project = job.service_id, job.project_id
            if card.company_id != project.company_id and project.company_id:
                raise ValidationError(
                    self.env._(
                        "The project %(project)s belongs to another company than the prepaid service %(card)s: "
                        "assign a project of the card's company.",
                        project=project.display_name,
                        card=card.display_name,
                    )
                )
            customer = project.partner_id.commercial_partner_id
            if customer and customer != card.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "The project %(project)s is %(customer)s's; the prepaid service %(card)s is another "
                        "customer's. A customer's prepaid credit only pays that customer's work: assign one of "
                        "%(customer)s's cards, or a project of the card's customer.",
                        project=project.display_name,
                        customer=customer.display_name,
                        card=card.display_name,
                    )
                )
        projects = self.project_id
        jobs = self.search(Domain("project_id", "in", projects.ids) & Domain("service_id.closed", "=", False))
        by_project = {}
        for job in jobs:
            by_project.setdefault(job.project_id, set()).add(job.partner_id)
        for project, partners in by_project.items():
            if len(partners) > 1:
                raise ValidationError(
                    self.env._(
                        "The project %(project)s is already assigned to an open prepaid service of another "
                        "customer (%(partners)s). Close that card or use another project.",
                        project=project.display_name,
                        partners=", ".join(p.display_name for p in partners),
                    )
                )
        for job in self:
            if job.task_ids.filtered(lambda t, job=job: t.project_id != job.project_id):
                raise ValidationError(
                    self.env._("The tasks of an assigned job must belong to its project %s.", job.project_id.name)
                )

    def _matches(self, project, task, date):
        """Whether work on project/task at date falls under this job."""
        self.ensure_one()
        return (
            self.project_id == project
            and (not self.task_ids or task in self.task_ids)
            and (not self.date_start or date >= self.date_start)
            and (not self.date_end or date <= self.date_end)
        )
