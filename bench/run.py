#!/usr/bin/env python3
"""What prepaid_services costs over plain Odoo, measured in one run.

Builds its own database (a copy of a template when one is given and exists, else an empty one),
installs prepaid_services (which brings sale_timesheet), generates data in-process through the
ORM and measures each flow against plain Odoo in the same run: same machine, same database,
same moment. Prints a table and, as the very last line, a machine-readable summary:
``BENCH {...json...}``. The database is dropped at the end, also on failure.

    python3 bench/run.py [--template ps_tmpl] [--keep] [--scale 0.1] [--only timesheets,expiry]
                         [--profile PHASE]

Phases: timesheets, invoices, expiry, statement, cardlist.
--profile PHASE runs cProfile around the measured part of PHASE (timesheets_batch, timesheets_batch_daily,
timesheets_single, timesheets_single_daily, invoices, expiry, statement, cardlist) and prints the hot spots.
"""

import argparse
import json
import os
import signal
import sys
import time
import traceback

# bench/ is not a package: its modules import one another by name, whatever the current directory
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fixtures import build_fixtures
from harness import T0, Bench, create_database, drop_database, log, odoo_args
from phases import (
    phase_cardlist,
    phase_expiry,
    phase_invoices,
    phase_statement,
    phase_timesheets,
    phase_timesheets_check,
)

DEFAULT_TEMPLATE = os.environ.get("BENCH_TEMPLATE", "ps_tmpl")


PHASES = ("timesheets", "invoices", "expiry", "statement", "cardlist")


def run(db, args):
    import odoo
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(odoo_args(db), setup_logging=True)
    registry = Registry(db)
    scale = args.scale
    size = lambda n: max(int(n * scale), 10)  # noqa: E731
    only = set(args.only.split(",")) if args.only else set(PHASES)
    flows = tuple(f for f in ("batch", "single") if {"timesheets", f"timesheets_{f}"} & only)
    if flows:
        only.add("timesheets")
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        bench = Bench(env, profile=args.profile)
        fx = build_fixtures(env)
        cr.commit()
        log("fixtures ready")
        steps = [
            ("timesheets", lambda: (phase_timesheets_check(bench, fx), phase_timesheets(bench, fx, size(2000), flows))),
            ("invoices", lambda: phase_invoices(bench, fx, size(500))),
            ("expiry", lambda: phase_expiry(bench, fx, (size(1000), size(10000)))),
            ("statement", lambda: phase_statement(bench, fx, size(10000))),
            ("cardlist", lambda: phase_cardlist(bench, fx, size(10000))),
        ]
        for name, step in steps:
            if name not in only:
                continue
            log(f"--- {name}")
            start = time.perf_counter()
            try:
                step()
                cr.commit()
            except Exception as exc:
                cr.rollback()
                traceback.print_exc()
                bench.errors[name] = f"{type(exc).__name__}: {exc}"
                bench.row(f"{name}: FAILED ({type(exc).__name__})", "-", "-", "-", "-", False)
            bench.results[f"{name}_phase_s"] = round(time.perf_counter() - start, 1)
    return bench


def print_table(rows):
    header = ("what", "plain Odoo", "prepaid_services", "ratio / per card", "target", "")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [header, tuple("-" * w for w in widths), *rows]
    for row in lines:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--template",
        default=DEFAULT_TEMPLATE,
        help="copy this database when it exists (sale_timesheet installed); '' for none "
        "(default: $BENCH_TEMPLATE or ps_tmpl)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--db", help="benchmark database name (default: a unique one)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the data sizes (quick runs only)")
    parser.add_argument(
        "--only",
        help=f"comma-separated phases among {', '.join(PHASES)} "
        "(timesheets_batch, timesheets_single: one of the two timesheet flows)",
    )
    parser.add_argument("--profile", help="cProfile the measured part of this phase and print the hot spots")
    args = parser.parse_args()

    db = args.db or f"prepaid_bench_{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}"

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    bench = None
    failure = None
    origin = None
    try:
        origin = create_database(db, args.template)
        bench = run(db, args)
    except BaseException as exc:
        failure = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, KeyboardInterrupt):
            traceback.print_exc()
    finally:
        if not args.keep:
            drop_database(db)
        else:
            log(f"database {db} kept")

    rows = bench.rows if bench else []
    results = dict(bench.results) if bench else {}
    errors = dict(bench.errors) if bench else {}
    if failure:
        errors["run"] = failure
    results["database"] = origin
    results["scale"] = args.scale
    results["total_s"] = round(time.perf_counter() - T0, 1)
    if errors:
        results["errors"] = errors
    print()
    print(f"prepaid_services benchmarks (sizes x{args.scale:g}, {results['total_s']:.0f} s in all, {origin})")
    print_table(rows)
    print("BENCH " + json.dumps(results, sort_keys=True, default=str), flush=True)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
