import { registry } from "@web/core/registry";

const PRINT_SUBMENU = ".o-dropdown--menu .o-dropdown--has-parent:has(.fa-print)";
const STATEMENT_ITEM = ".o-dropdown--menu .o_menu_item:contains(Prepaid Services Statement)";

/* From a card: Print > Prepaid Services Statement, keep this month, Print. The dialog closes once the
   statement is downloaded; the Python test checks the statement the server rendered. */
registry.category("web_tour.tours").add("prepaid_services_statement_tour", {
    url: "/odoo/action-prepaid_services.action_prepaid_service",
    steps: () => [
        { content: "Open the card", trigger: ".o_data_row:contains(partner_a) td.o_data_cell", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=quantity_outstanding]:contains(8.00)" },
        { content: "Action menu", trigger: ".o_form_view .o_cp_action_menus button:has(.fa-cog)", run: "click" },
        // one printable action is an item of the menu; several are a Print submenu
        { trigger: `${STATEMENT_ITEM}, ${PRINT_SUBMENU}` },
        { isActive: [PRINT_SUBMENU], trigger: PRINT_SUBMENU, run: "click" },
        { content: "Print > Prepaid Services Statement", trigger: STATEMENT_ITEM, run: "click" },
        {
            content: "The wizard proposes the card (and this month)",
            trigger: ".modal .o_field_widget[name=service_ids] .o_tag:contains(10-hour support block)",
        },
        { content: "Print", trigger: ".modal button[name=action_print]", run: "click" },
        { content: "The statement is downloaded: the dialog closes", trigger: "body:not(:has(.modal))" },
        { trigger: ".o_form_view .o_field_widget[name=quantity_outstanding]:contains(8.00)" },
    ],
});
