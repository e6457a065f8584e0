{
    "name": "Prepaid Services",
    "summary": "Sell time, money or tokens in advance, defer the revenue and "
    "recognise it as timesheets, invoices and expiry consume it",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "Prepaid Services Team",
    "website": "https://github.com/prepaid-services/prepaid_services",
    "depends": ["sale_timesheet"],
    "data": [
        "security/prepaid_services_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "wizard/prepaid_ledger_entry_wizard_views.xml",
        "wizard/prepaid_expiry_wizard_views.xml",
        "views/prepaid_ledger_entry_views.xml",
        "views/prepaid_service_views.xml",
        "views/prepaid_service_job_views.xml",
        "views/res_partner_views.xml",
        "views/prepaid_services_menus.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": [
        "demo/prepaid_services_demo.xml",
    ],
    "post_init_hook": "_post_init_hook",
}
