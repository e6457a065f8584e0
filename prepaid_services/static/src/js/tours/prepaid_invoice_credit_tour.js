import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

/* An invoice for equipment is paid with the customer's prepaid money balance: Apply Prepaid Credit asks how
   much (all that is left to pay here) and adds the credit line, the invoice is posted at zero. The Python
   test checks the usage entry, the card's balance and the invoice's journal lines. */
registry.category("web_tour.tours").add("prepaid_services_invoice_credit_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open the Invoicing app"),
        {
            content: "Customers > Invoices",
            trigger: ".o_main_navbar [data-menu-xmlid='account.menu_finance_receivables']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='account.menu_action_move_out_invoice_type']",
            run: "click",
        },
        { content: "New invoice", trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=partner_id] input", run: "edit partner_a" },
        { trigger: ".o-autocomplete--dropdown-item:contains(partner_a)", run: "click" },
        {
            content: "Add a line",
            trigger: ".o_field_widget[name=invoice_line_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=invoice_line_ids] .o_selected_row .o_field_widget[name=product_id] input",
            run: "edit Firewall appliance",
        },
        { trigger: ".o-autocomplete--dropdown-item:contains(Firewall appliance)", run: "click" },
        {
            content: "The line is priced from the product",
            trigger: ".o_field_widget[name=invoice_line_ids] .o_data_row:contains(Firewall appliance) [name=price_subtotal]:contains(102.00)",
        },
        {
            content: "Pay it with the prepaid balance",
            trigger: "button[name=action_apply_prepaid_credit]",
            run: "click",
        },
        {
            content: "The wizard proposes what the card holds, up to what is left to pay",
            trigger: ".modal .o_field_widget[name=amount] input:value(102.00)",
        },
        {
            content: "Each card's available credit with its currency",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row [name=available]:contains(500.00)",
        },
        {
            content: "Apply it",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The credit line draws on the card",
            trigger: ".o_field_widget[name=invoice_line_ids] .o_data_row:contains(Prepaid credit)",
        },
        {
            content: "Nothing left to pay",
            trigger: ".o_field_widget[name=tax_totals]:contains(Total):contains(0.00)",
        },
        { content: "Confirm the invoice", trigger: "button[name=action_post]:contains(Confirm)", run: "click" },
        { trigger: ".o_statusbar_status .o_arrow_button_current[data-value=posted]" },
    ],
});
