import contextvars
from contextlib import contextmanager

from odoo.tools import SQL

# Set while the module's own server code moves the ledger (posting service, closing, period engine).
# A context variable of the running thread, not an Odoo context key: no RPC caller can set it.
_SERVICE_SCOPE = contextvars.ContextVar("prepaid_service_scope", default=0)


@contextmanager
def service_scope():
    """Let the module's server code write what no client may write (balances, links, closed flags)."""
    token = _SERVICE_SCOPE.set(_SERVICE_SCOPE.get() + 1)
    try:
        yield
    finally:
        _SERVICE_SCOPE.reset(token)


def in_service_scope():
    """Whether the caller is the module's own server code (see service_scope)."""
    return _SERVICE_SCOPE.get() > 0


def side_record_context(context):
    """Context for records the module creates on the side (journal entries, credit notes).

    The screen the user is on must not leak into them: no default_* values, and no timesheet mode, in which
    hr_timesheet gives the analytic lines of a journal entry the user's favourite project, making them
    timesheets that consume the card again.
    """
    return {
        key: value
        for key, value in context.items()
        if not key.startswith(("default_", "search_default_")) and key not in ("is_timesheet", "is_my_timesheets")
    }


BALANCE_BUCKETS = ("received", "used", "expired", "refunded")
# Card balances: written only by the posting service (prepaid.ledger.entry._post_entries)
BALANCE_FIELDS = frozenset(
    [f"quantity_{b}" for b in (*BALANCE_BUCKETS, "outstanding")]
    + [f"amount_{b}" for b in (*BALANCE_BUCKETS, "outstanding")]
    + ["value_outstanding", "next_expiry_date"]
)


def bulk_update(model, fnames, rows):
    """One UPDATE for many rows of service-maintained columns, then drop them from the cache.

    The posting service is the only writer of these columns (balances, remaining quantities);
    writing them record by record would cost one query per card in a batch of thousands.
    """
    if not rows:
        return
    model.flush_model(fnames)
    types = {
        "float": "numeric",
        "monetary": "numeric",
        "date": "date",
        "many2one": "integer",
    }
    columns = SQL(", ").join(
        SQL("%s = v.%s::%s", SQL.identifier(f), SQL.identifier(f), SQL(types[model._fields[f].type])) for f in fnames
    )
    names = SQL(", ").join(SQL.identifier(f) for f in ("id", *fnames))
    for start in range(0, len(rows), 1000):
        values = SQL(", ").join(
            SQL("(%s)", SQL(", ").join(SQL("%s", value) for value in row)) for row in rows[start : start + 1000]
        )
        model.env.cr.execute(
            SQL(
                "UPDATE %s AS t SET %s FROM (VALUES %s) AS v(%s) WHERE t.id = v.id",
                SQL.identifier(model._table),
                columns,
                values,
                names,
            )
        )
    model.invalidate_model(fnames)
