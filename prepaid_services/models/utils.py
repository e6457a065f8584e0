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


# The only keys of the user's context that records created on the side (ledger entries, journal
# entries and the analytic lines Odoo derives from them, cards, invoices) keep: no default_*, no
# is_timesheet, no search defaults of the screen the user happens to be on.
CLEAN_CONTEXT_KEYS = ("lang", "tz", "allowed_company_ids")


def clean_env(env):
    """The environment for records the module creates on the side, without the screen's context."""
    return env(context={key: env.context[key] for key in CLEAN_CONTEXT_KEYS if key in env.context})


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
    # what the ORM computes from these columns without storing it (is the card low?) is computed again when read
    registry = model.env.registry
    for field in {dep for fname in fnames for dep in registry.get_dependent_fields(model._fields[fname])}:
        if not field.store:
            model.env[field.model_name].invalidate_model([field.name])
