import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";
import tourUtils from "@sale/js/tours/tour_utils";

/* An account manager sells a 10-hour block: quotation, confirm, invoice, post; the customer's card
   shows the 10 hours. The Python test checks the card, the receipt and the invoice's journal lines. */
registry.category("web_tour.tours").add("prepaid_services_sell_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        ...tourUtils.createNewSalesOrder(),
        ...tourUtils.selectCustomer("partner_a"),
        ...tourUtils.addProduct("10-hour support block"),
        {
            content: "The line is priced from the product",
            trigger: ".o_field_cell[name=price_subtotal]:contains(1,000.00)",
        },
        {
            content: "The Prepaid Service column is optional and hidden until asked for",
            trigger: "div[name=order_line] .o_list_table:not(:has(th[data-name=prepaid_service_id]))",
        },
        {
            content: "Open the optional columns of the lines",
            trigger: "div[name=order_line] .o_optional_columns_dropdown_toggle",
            run: "click",
        },
        {
            content: "Show the Prepaid Service column",
            trigger: ".o-dropdown-item input[name=prepaid_service_id]",
            run: "click",
        },
        {
            content: "The line of a prepaid product offers to top up an existing card",
            trigger: ".o_data_row .o_field_widget[name=prepaid_service_id]",
        },
        {
            content: "Close the optional columns",
            trigger: "div[name=order_line] .o_optional_columns_dropdown_toggle",
            run: "click",
        },
        { content: "Confirm the order", trigger: "button[name=action_confirm]:enabled", run: "click" },
        { trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains(Sales Order)" },
        { content: "Create the invoice", trigger: "button#create_invoice", run: "click" },
        { trigger: ".modal button#create_invoice_open", run: "click" },
        {
            content: "The draft invoice opens",
            trigger: ".o_form_view .o_field_widget[name=move_type]:contains(Customer Invoice)",
        },
        { trigger: ".o_statusbar_status .o_arrow_button_current[data-value=draft]" },
        { content: "Post the invoice", trigger: "button[name=action_post]:contains(Confirm)", run: "click" },
        { trigger: ".o_statusbar_status .o_arrow_button_current[data-value=posted]" },
        {
            content: "Open Sales > Prepaid Services",
            trigger: ".o_main_navbar [data-menu-xmlid='prepaid_services.menu_prepaid_services_root']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='prepaid_services.menu_prepaid_service']",
            run: "click",
        },
        {
            content: "The customer's card holds the 10 hours sold",
            trigger: ".o_data_row:contains(partner_a) .o_data_cell[name=quantity_outstanding]:contains(10.00)",
        },
    ],
});
