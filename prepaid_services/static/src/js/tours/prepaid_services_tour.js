import { registry } from "@web/core/registry";

/* A service manager opens a card, credits it, assigns a project; a technician logs time on the
   project; the card's balance drops by the hours logged. */
registry.category("web_tour.tours").add("prepaid_services_tour", {
    url: "/odoo/action-prepaid_services.action_prepaid_service",
    steps: () => [
        { trigger: ".o_list_button_add", content: "Create a prepaid service", run: "click" },
        { trigger: ".o_field_widget[name=partner_id] input", run: "edit Tour Customer" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Tour Customer)", run: "click" },
        { trigger: ".o_field_widget[name=description] input", run: "edit Tour support block" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
        { trigger: "button[name=action_create_ledger_entry]", content: "Credit 10 hours", run: "click" },
        { trigger: ".modal .o_field_widget[name=quantity] input", run: "edit 10" },
        { trigger: ".modal .o_field_widget[name=valued] input", run: "click" },
        { trigger: ".modal .o_field_widget[name=reason] textarea", run: "edit Tour opening credit" },
        { trigger: ".modal button[name=action_confirm]", run: "click" },
        { trigger: "body:not(:has(.modal))" },
        { trigger: ".o_field_widget[name=quantity_outstanding]:contains(10.00)" },
        { trigger: ".o_notebook .nav-link:contains(Assigned Jobs)", run: "click" },
        { trigger: ".o_field_widget[name=job_ids] .o_field_x2many_list_row_add a", run: "click" },
        { trigger: ".o_field_widget[name=job_ids] .o_data_row .o_field_widget[name=project_id] input",
          run: "edit Tour Project" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Tour Project)", run: "click" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
        { trigger: "button[name=action_view_jobs]:contains(1)" },
        {
            content: "A technician opens the timesheets",
            trigger: "body",
            run() {
                window.location.href = "/odoo/action-hr_timesheet.act_hr_timesheet_line";
            },
            expectUnloadPage: true,
        },
        { trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_data_row .o_field_widget[name=project_id] input", run: "edit Tour Project" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Tour Project)", run: "click" },
        { trigger: ".o_data_row .o_field_widget[name=name] input", run: "edit Mail server upgrade" },
        { trigger: ".o_data_row .o_field_widget[name=unit_amount] input", run: "edit 02:00" },
        { trigger: ".o_list_button_save", run: "click" },
        { trigger: ".o_list_view:not(:has(.o_selected_row))" },
        {
            content: "Back to the prepaid service",
            trigger: "body",
            run() {
                window.location.href = "/odoo/action-prepaid_services.action_prepaid_service";
            },
            expectUnloadPage: true,
        },
        { trigger: ".o_data_row td:contains(Tour support block)", run: "click" },
        { trigger: ".o_field_widget[name=quantity_outstanding]:contains(8.00)", content: "8 hours left" },
    ],
});
