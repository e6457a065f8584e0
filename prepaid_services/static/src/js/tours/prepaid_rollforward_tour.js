import { registry } from "@web/core/registry";

/* An accountant opens the rollforward of this month, clicks the top-ups of a card to see the invoice line
   behind them, comes back, and opens the top-ups still open in the ageing. */
registry.category("web_tour.tours").add("prepaid_services_rollforward_tour", {
    url: "/odoo/action-prepaid_services.action_prepaid_rollforward_wizard",
    steps: () => [
        {
            content: "A row per card, its top-ups a link",
            trigger: ".o_field_widget[name=line_ids] .o_data_row:contains(partner_a) td[name=topups] a:contains(1,000.00)",
            run: "click",
        },
        {
            content: "The journal item of the invoice that topped the card up",
            trigger: ".o_list_view .o_data_row:contains(INV/):contains(1,000.00)",
        },
        { trigger: ".o_breadcrumb:contains(Top-ups)" },
        { content: "Back to the rollforward", trigger: ".o_breadcrumb .o_back_button, .o_breadcrumb a", run: "click" },
        { content: "Ageing tab", trigger: ".o_notebook a:contains(Ageing)", run: "click" },
        {
            content: "The open top-ups of the card",
            trigger: ".o_field_widget[name=ageing_line_ids] .o_data_row:contains(partner_a) td[name=ageing_total] a",
            run: "click",
        },
        { trigger: ".o_list_view .o_data_row:contains(Top-up)" },
    ],
});
