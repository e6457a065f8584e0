import { registry } from "@web/core/registry";

/* A service manager selects the cards, runs Expire Residuals, checks the preview (only the lapsed top-up,
   with its accounts) and posts it. The Python test checks the expiry entry and the breakage entry. */
registry.category("web_tour.tours").add("prepaid_services_expiry_tour", {
    url: "/odoo/action-prepaid_services.action_prepaid_service",
    steps: () => [
        { trigger: ".o_data_row:contains(Expiring block)" },
        { trigger: ".o_data_row:contains(Still valid block)" },
        { content: "Select all cards", trigger: "thead .o_list_record_selector input", run: "click" },
        { content: "Action menu", trigger: ".o_cp_action_menus button:has(.fa-cog)", run: "click" },
        { trigger: ".o-dropdown-item:contains(Expire Residuals)", run: "click" },
        {
            content: "The preview lists the lapsed top-up only",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row:contains(Expiring block)",
        },
        {
            trigger: ".modal .o_field_widget[name=line_ids]:not(:has(.o_data_row:contains(Still valid block)))",
        },
        {
            content: "6 hours at 600.00 go from deferred revenue to breakage",
            trigger: ".modal .o_data_row:contains(Expiring block):contains(6.00):contains(600.00):contains(Breakage Income)",
        },
        { trigger: ".modal .o_field_widget[name=total_value]:contains(600.00)" },
        { content: "Post the expiry", trigger: ".modal button[name=action_confirm]", run: "click" },
        { trigger: ".o_notification:contains(1 top-up expired):contains(600.00):contains(released to breakage income)" },
        { trigger: "body:not(:has(.modal))" },
        {
            content: "The lapsed card has nothing left",
            trigger: ".o_data_row:contains(Expiring block) .o_data_cell[name=quantity_outstanding]:contains(0.00)",
        },
    ],
});
