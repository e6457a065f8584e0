from . import (
    prepaid_close_wizard,
    prepaid_credit_wizard,
    prepaid_expiry_wizard,
    prepaid_ledger_entry_wizard,
    prepaid_rollforward_wizard,
    prepaid_statement_wizard,
)
