from . import prepaid_ledger_entry_wizard
