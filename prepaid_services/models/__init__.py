from . import (
    account_move,
    account_chart_template,
    account_move_line,
    prepaid_ledger_application,
    prepaid_ledger_entry,
    prepaid_service,
    prepaid_service_job,
    res_company,
    res_config_settings,
    res_partner,
)
