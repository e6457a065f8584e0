import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

/* A technician logs time on a project assigned to a card, from My Timesheets or from a task; the card
   shows the hours left. The Python tests check the usage entry and its recognition journal entry. */

function checkCardBalance(quantity) {
    return [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        {
            trigger: ".o_main_navbar [data-menu-xmlid='prepaid_services.menu_prepaid_services_root']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='prepaid_services.menu_prepaid_service']",
            run: "click",
        },
        {
            content: `The card has ${quantity} hours left`,
            trigger: `.o_data_row:contains(partner_a) .o_data_cell[name=quantity_outstanding]:contains(${quantity})`,
        },
    ];
}

registry.category("web_tour.tours").add("prepaid_services_my_timesheets_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("hr_timesheet.timesheet_menu_root", "Open the Timesheets app"),
        { content: "My Timesheets: add a line", trigger: ".o_list_view .o_list_button_add", run: "click" },
        { trigger: ".o_selected_row .o_field_widget[name=project_id] input", run: "edit Managed services" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Managed services)", run: "click" },
        { trigger: ".o_selected_row .o_field_widget[name=task_id] input", run: "edit Mail server" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Mail server)", run: "click" },
        { trigger: ".o_selected_row .o_field_widget[name=name] input", run: "edit Mail server upgrade" },
        { trigger: ".o_selected_row .o_field_widget[name=unit_amount] input", run: "edit 03:00" },
        { trigger: ".o_list_button_save", run: "click" },
        {
            content: "The line is saved",
            trigger: ".o_list_view:not(:has(.o_selected_row)) .o_data_row:contains(Mail server upgrade)",
        },
        ...checkCardBalance("7.00"),
    ],
});

registry.category("web_tour.tours").add("prepaid_services_task_timesheet_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("project.menu_main_pm", "Open the Project app"),
        { content: "Open the project", trigger: ".o_kanban_record:contains(Managed services)", run: "click" },
        {
            content: "Open the task",
            trigger: ".o_kanban_group:contains(In Progress) .o_kanban_record:contains(Backups)",
            run: "click",
        },
        { trigger: ".o_form_view .o_field_widget[name=name]:has(textarea, input)" },
        { content: "Timesheets tab", trigger: ".o_notebook .nav-link:contains(Timesheets)", run: "click" },
        {
            trigger: ".o_field_widget[name=timesheet_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=timesheet_ids] .o_selected_row .o_field_widget[name=name] input",
            run: "edit Backup restore test",
        },
        {
            trigger: ".o_field_widget[name=timesheet_ids] .o_selected_row .o_field_widget[name=unit_amount] input",
            run: "edit 01:30",
        },
        { content: "Save the task", trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
        {
            trigger: ".o_field_widget[name=timesheet_ids] .o_data_row:contains(Backup restore test)",
        },
        ...checkCardBalance("8.50"),
    ],
});
