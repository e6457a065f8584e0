from . import (
    test_accounting_topup,
    test_alerts_reporting,
    test_concurrency,
    test_expiry,
    test_invoice_credit,
    test_ledger_fifo,
    test_ledger_integrity,
    test_multicompany,
    test_periodic,
    test_service_jobs,
    test_statement,
    test_timesheet_consumption,
)
