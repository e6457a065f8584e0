from . import prepaid_expiry_wizard, prepaid_ledger_entry_wizard
