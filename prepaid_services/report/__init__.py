from . import prepaid_deferred_revenue, prepaid_statement
