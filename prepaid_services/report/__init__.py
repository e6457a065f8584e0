from . import prepaid_deferred_revenue, prepaid_rollforward, prepaid_rollforward_export, prepaid_statement
