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
import collections
import contextlib
import cProfile
import io
import json
import os
import pstats
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE = "prepaid_services"
DEFAULT_TEMPLATE = os.environ.get("BENCH_TEMPLATE", "ps_tmpl")
STATEMENT_REPORT = "prepaid_services.action_report_prepaid_statement"
T0 = time.perf_counter()


def log(message):
    print(f"[{time.perf_counter() - T0:6.1f}s] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# Database
# ----------------------------------------------------------------------------------------------
def odoo_addons_path():
    import odoo.release

    addons = os.path.join(os.path.dirname(os.path.dirname(odoo.release.__file__)), "addons")
    return ",".join(p for p in (addons if os.path.isdir(addons) else "", ROOT) if p)


def odoo_args(db):
    args = [f"--addons-path={odoo_addons_path()}", "-d", db, "--log-level=warn", "--http-interface=127.0.0.1"]
    if os.environ.get("PGUSER"):
        args.append(f"--db_user={os.environ['PGUSER']}")
    return args


def create_database(db, template):
    """createdb from the template when possible, else an empty database; then install the module."""
    origin = "empty database"
    created = False
    if template:
        proc = subprocess.run(["createdb", "-T", template, db], capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            created, origin = True, f"copy of {template}"
        else:
            log(f"no copy of template {template} ({proc.stderr.strip()}): building from an empty database")
    if not created:
        subprocess.run(["createdb", db], check=True)
    log(f"database {db} ({origin}): installing {MODULE} ...")
    subprocess.run(
        [sys.executable, "-m", "odoo", "server", *odoo_args(db), "-i", MODULE, "--stop-after-init"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    state = subprocess.run(
        ["psql", "-X", "-At", "-d", db, "-c", f"select state from ir_module_module where name = '{MODULE}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if state != "installed":
        raise RuntimeError(f"{MODULE} did not install (state: {state!r})")
    log(f"{MODULE} installed")
    return origin


def drop_database(db):
    with contextlib.suppress(Exception):
        import odoo.sql_db
        from odoo.modules.registry import Registry

        Registry.delete(db)
        odoo.sql_db.close_db(db)
    proc = subprocess.run(["dropdb", "--if-exists", "--force", db], capture_output=True, text=True, check=False)
    if proc.returncode:  # PostgreSQL < 13 has no --force
        subprocess.run(["dropdb", "--if-exists", db], check=False)
    log(f"database {db} dropped")


# ----------------------------------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------------------------------
class Bench:
    """Measurements in one transaction; every measured run is rolled back to a savepoint."""

    def __init__(self, env, profile=None):
        self.env = env
        self.cr = env.cr
        self.profile = profile
        self.rows = []  # (what, plain, prepaid, ratio, target, verdict)
        self.results = {}
        self.errors = {}

    def run_once(self, func, keep=False, profile_as=None, commits=False):
        """Seconds and queries of func() (flushed); rolled back unless keep.

        commits: func commits its own work (one transaction per request, as the UI); nothing is rolled back.
        """
        cr = self.cr
        savepoint = None if commits else cr.savepoint()
        profiler = cProfile.Profile() if profile_as and profile_as == self.profile else None
        queries_seen = QueryStats() if profiler else None
        thread = threading.current_thread()
        if queries_seen:
            thread.query_hooks = [queries_seen.hook]
        try:
            queries = cr.sql_log_count
            start = time.perf_counter()
            if profiler:
                profiler.enable()
            result = func()
            cr.flush()
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - start
            queries = cr.sql_log_count - queries
        except BaseException:
            if savepoint is None:
                cr.rollback()
            else:
                savepoint.close(rollback=True)
            raise
        finally:
            if queries_seen:
                del thread.query_hooks
        if savepoint is not None:
            savepoint.close(rollback=not keep)
        if profiler:
            report_profile(profiler, profile_as)
            queries_seen.report(profile_as)
        return seconds, queries, result

    def median(self, func, repeats, profile_as=None):
        times = []
        for index in range(repeats):
            seconds, _queries, _result = self.run_once(func, profile_as=profile_as if index == 0 else None)
            times.append(seconds)
        return statistics.median(times), times

    def row(self, what, plain, prepaid, ratio, target, ok):
        verdict = "-" if ok is None else ("ok" if ok else "MISSED")
        self.rows.append((what, plain, prepaid, ratio, target, verdict))


class QueryStats:
    """Queries of a profiled run by shape, with the module's line that issued them."""

    def __init__(self):
        self.shapes = collections.Counter()
        self.times = collections.Counter()
        self.sites = collections.defaultdict(collections.Counter)

    def hook(self, _cr, query, _params, _start, delay):
        text = query.decode() if isinstance(query, bytes) else str(query)
        shape = re.sub(r"\s+", " ", re.sub(r"\d+", "N", text))[:140]
        self.shapes[shape] += 1
        self.times[shape] += delay
        site = "-"
        for frame in reversed(traceback.extract_stack(limit=60)[:-2]):
            if f"{os.sep}{MODULE}{os.sep}" in frame.filename:
                site = f"{os.path.relpath(frame.filename, ROOT)}:{frame.lineno} {frame.name}"
                break
        self.sites[shape][site] += 1

    def report(self, name):
        total = sum(self.shapes.values())
        print(
            f"\n===== queries of {name}: {total} in all, by shape (count, seconds, issued from) =====", file=sys.stderr
        )
        for shape, count in self.shapes.most_common(25):
            sites = ", ".join(f"{site} x{n}" for site, n in self.sites[shape].most_common(2))
            print(f"{count:7d} {self.times[shape]:7.2f}s  {shape}\n{'':17}<- {sites}", file=sys.stderr)
        sys.stderr.flush()


def report_profile(profiler, name):
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    path = os.path.join("/tmp", f"prepaid_bench_{name}_{os.getpid()}.prof")
    stats.dump_stats(path)
    stats.sort_stats("cumulative").print_stats(60)
    out.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(30)
    print(f"\n===== profile of {name} (cProfile, saved to {path}) =====", file=sys.stderr)
    print(out.getvalue(), file=sys.stderr, flush=True)


def fmt_s(seconds):
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


# ----------------------------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------------------------
def build_fixtures(env):
    from odoo import Command

    quiet = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    company = env.company
    if not company.prepaid_deferred_account_id:
        company._prepaid_setup_accounting()
    if not company.prepaid_deferred_account_id:
        raise RuntimeError("the company has no chart of accounts: prepaid accounts could not be set up")
    hour = env.ref("uom.product_uom_hour")
    customer = env["res.partner"].create({"name": "Bench Customer", "email": False})
    employee = env["hr.employee"].with_context(**quiet).create({"name": "Bench Technician", "hourly_cost": 40.0})
    projects = (
        env["project.project"]
        .with_context(**quiet)
        .create(
            [
                {"name": "Plain project", "partner_id": customer.id, "allow_timesheets": True},
                {"name": "Prepaid project", "partner_id": customer.id, "allow_timesheets": True},
            ]
        )
    )
    plain_project, prepaid_project = projects
    tasks = (
        env["project.task"].with_context(**quiet).create([{"name": "Support", "project_id": p.id} for p in projects])
    )
    # same price, same (default) taxes: only prepaid_ok differs
    service = env["product.product"].create(
        {"name": "Support hour (bench)", "type": "service", "lst_price": 1000.0, "uom_id": hour.id}
    )
    topup = env["product.product"].create(
        {
            "name": "10-hour block (bench)",
            "type": "service",
            "lst_price": 1000.0,
            "invoice_policy": "order",
            "prepaid_ok": True,
            "prepaid_service_type": "quantity",
            "prepaid_quantity": 10.0,
            "prepaid_uom_id": hour.id,
        }
    )
    card = (
        env["prepaid.service"]
        .with_context(**quiet)
        .create(
            {
                "partner_id": customer.id,
                "description": "Bench support block",
                "uom_id": hour.id,
                "product_id": service.id,
                "date_start": date(2020, 1, 1),
            }
        )
    )
    env["prepaid.ledger.entry"]._post_entries(
        [
            {
                "service_id": card.id,
                "entry_type": "receipt",
                "quantity": 1_000_000.0,
                "amount": 100_000_000.0,
                "date": date(2020, 1, 1),
                "name": "Bench balance",
            }
        ]
    )
    env["prepaid.service.job"].create({"service_id": card.id, "project_id": prepaid_project.id})
    return {
        "Command": Command,
        "quiet": quiet,
        "hour": hour,
        "customer": customer,
        "employee": employee,
        "plain": (plain_project, tasks[0]),
        "prepaid": (prepaid_project, tasks[1]),
        "service": service,
        "topup": topup,
        "card": card,
    }


def make_cards(env, fx, count, quiet=True):
    """Cards in one batch (creation messages off: fixtures, not measured)."""
    Card = env["prepaid.service"].with_context(**fx["quiet"]) if quiet else env["prepaid.service"]
    cards = Card.create(
        [
            {
                "partner_id": fx["customer"].id,
                "description": "Bench card",
                "uom_id": fx["hour"].id,
                "product_id": fx["service"].id,
                "date_start": date(2020, 1, 1),
            }
            for _i in range(count)
        ]
    )
    return env["prepaid.service"].browse(cards.ids)


# ----------------------------------------------------------------------------------------------
# Phases
# ----------------------------------------------------------------------------------------------
def phase_timesheets(bench, fx, size, flows=("batch", "single")):
    env = bench.env
    Line = env["account.analytic.line"]
    today = date.today()
    employee = fx["employee"]

    def vals(kind, count):
        project, task = fx[kind]
        return [
            {
                "name": f"Work {i}",
                "project_id": project.id,
                "task_id": task.id,
                "employee_id": employee.id,
                "unit_amount": 0.25 + (i % 8) * 0.25,
                "date": today - timedelta(days=i % 60),
            }
            for i in range(count)
        ]

    def batched(kind, count):
        data = vals(kind, count)
        return lambda: Line.create(data)

    def one_by_one(kind, count):
        data = vals(kind, count)

        def run():
            # as the UI does: one request per timesheet, each committed before the next and each starting
            # with an empty record cache. (In one long transaction, PostgreSQL keeps every version of the
            # card's row and of its top-up's row until the end, which makes each update slower than the
            # last: a cost no user sees.) The timesheets stay: the database is thrown away at the end.
            for v in data:
                Line.create([v])
                env.cr.commit()
                env.invalidate_all()

        return run

    company = env.company

    @contextlib.contextmanager
    def recognition(grouping):
        """Settings > Recognition Entries for the runs inside (committed: one-by-one runs commit)."""
        previous = company.prepaid_recognition_grouping
        company.prepaid_recognition_grouping = grouping
        env.cr.commit()
        try:
            yield
        finally:
            env.cr.rollback()
            company.prepaid_recognition_grouping = previous
            env.cr.commit()

    # warm-up: both flows, both projects
    for kind in ("plain", "prepaid"):
        bench.run_once(batched(kind, 20))
        bench.run_once(one_by_one(kind, 5), commits=True)

    modes = (
        ("entry", "one journal entry per timesheet", ""),
        ("daily", "daily recognition summary", "_daily"),
    )
    for label, factory, repeats, flow in (
        ("batch create", batched, 3, "batch"),
        ("one by one", one_by_one, 1, "single"),
    ):
        if flow not in flows:
            continue
        for grouping, mode_label, suffix in modes:
            key = f"timesheets_{flow}{suffix}"
            # the default mode (one entry per timesheet) at full size; the daily summary one by one on a
            # quarter only, which keeps `make bench` within its 15 minutes (its row says how many)
            count = size if grouping == "entry" or flow == "batch" else max(size // 4, 10)
            times = {"plain": [], "prepaid": []}
            with recognition(grouping):
                commits = flow == "single"
                bench.run_once(factory("prepaid", 5), commits=commits)
                for repeat in range(repeats):  # interleaved, so that drift hits both sides alike
                    for kind in ("plain", "prepaid"):
                        profile_as = key if kind == "prepaid" and repeat == 0 else None
                        seconds, _q, _res = bench.run_once(factory(kind, count), profile_as=profile_as, commits=commits)
                        times[kind].append(seconds)
            plain, prepaid = statistics.median(times["plain"]), statistics.median(times["prepaid"])
            ratio = prepaid / plain
            bench.results[f"{key}_plain_s"] = round(plain, 3)
            bench.results[f"{key}_prepaid_s"] = round(prepaid, 3)
            bench.results[f"{key}_ratio"] = round(ratio, 3)
            note = f", median of {repeats}" if repeats > 1 else ""
            bench.row(
                f"{count:,} timesheets, {label} ({mode_label}{note})",
                fmt_s(plain),
                fmt_s(prepaid),
                f"{ratio:.2f}x",
                "<= 1.15x",
                ratio <= 1.15,
            )
            log(f"timesheets {label}, {mode_label}: plain {plain:.2f} s, prepaid {prepaid:.2f} s, {ratio:.2f}x")

    if "single" in flows:
        # For the diagnosis: what Odoo itself charges for one two-line journal entry, created and posted
        # in its own request, the floor of the per-timesheet recognition mode.
        card = fx["card"]
        deferred = company.prepaid_deferred_account_id
        income = card._get_income_account()
        count = max(size // 10, 10)

        def journal_entries():
            for index in range(count):
                card._create_journal_entries(
                    [card._prepare_journal_entry_vals(10.0, deferred, income, f"Bench {index}", date.today())]
                )
                env.cr.commit()
                env.invalidate_all()

        seconds, _q, _r = bench.run_once(journal_entries, commits=True)
        per_move = seconds / count
        per_timesheet = bench.results["timesheets_single_plain_s"] / size
        bench.results["journal_entry_ms"] = round(per_move * 1000, 2)
        bench.row(
            f"  Odoo: one journal entry, created and posted (x{count})",
            "-",
            f"{per_move * 1000:.1f} ms",
            f"{per_move / per_timesheet:.1f} plain timesheets",
            "(diagnosis)",
            None,
        )


def phase_timesheets_check(bench, fx):
    """The prepaid timesheets must consume the card (else the comparison measures nothing)."""
    env = bench.env
    project, task = fx["prepaid"]

    def run():
        line = env["account.analytic.line"].create(
            {
                "name": "Check",
                "project_id": project.id,
                "task_id": task.id,
                "employee_id": fx["employee"].id,
                "unit_amount": 1.0,
            }
        )
        return len(line.prepaid_entry_ids)

    _s, _q, entries = bench.run_once(run)
    if entries != 1:
        raise RuntimeError(f"a prepaid timesheet made {entries} ledger entries instead of 1")


def phase_invoices(bench, fx, size):
    env = bench.env
    Command = fx["Command"]
    Move = env["account.move"]

    def drafts(product, count):
        return Move.create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": fx["customer"].id,
                    "invoice_date": date.today(),
                    "invoice_line_ids": [
                        Command.create({"product_id": product.id, "quantity": 1.0, "price_unit": 1000.0})
                    ],
                }
                for _i in range(count)
            ]
        )

    log(f"invoices: creating {size} + {size} drafts ...")
    plain_drafts = drafts(fx["service"], size)
    prepaid_drafts = drafts(fx["topup"], size)
    warm = drafts(fx["service"], 10) | drafts(fx["topup"], 10)
    env.cr.commit()
    assert set(plain_drafts.mapped("amount_total")) == set(prepaid_drafts.mapped("amount_total")), "prices differ"
    bench.run_once(lambda: warm.action_post())  # warm-up, rolled back

    def post(invoices):
        def run():
            env.invalidate_all()
            invoices.action_post()

        return run

    def check():
        prepaid_drafts[:2].action_post()
        return prepaid_drafts[:2].line_ids.prepaid_service_id.entry_ids

    _s, _q, receipts = bench.run_once(check)  # the top-ups open cards and post receipts
    if len(receipts) != 2:
        raise RuntimeError(f"2 top-up invoices made {len(receipts)} receipts")

    repeats = 3
    times = {"plain": [], "prepaid": []}
    for repeat in range(repeats):
        for kind, invoices in (("plain", plain_drafts), ("prepaid", prepaid_drafts)):
            profile_as = "invoices" if kind == "prepaid" and repeat == 0 else None
            seconds, _q, _res = bench.run_once(post(invoices), profile_as=profile_as)
            times[kind].append(seconds)
    plain, prepaid = statistics.median(times["plain"]), statistics.median(times["prepaid"])
    ratio = prepaid / plain
    bench.results.update(
        invoices_plain_s=round(plain, 3),
        invoices_prepaid_s=round(prepaid, 3),
        invoices_ratio=round(ratio, 3),
        invoices_mode="batched action_post",
    )
    bench.row(
        f"post {size} invoices, batched action_post (median of {repeats})",
        fmt_s(plain),
        fmt_s(prepaid),
        f"{ratio:.2f}x",
        "<= 1.10x",
        ratio <= 1.10,
    )
    log(f"invoices: plain {plain:.2f} s, prepaid {prepaid:.2f} s, {ratio:.2f}x")


def phase_expiry(bench, fx, sizes):
    env = bench.env
    Entry = env["prepaid.ledger.entry"]
    today = date.today()
    valid_until = today - timedelta(days=10)

    def expiring_cards(count):
        cards = make_cards(env, fx, count)
        Entry._post_entries(
            [
                {
                    "service_id": card.id,
                    "entry_type": "receipt",
                    "quantity": 10.0,
                    "amount": 1000.0,
                    "value": 1000.0,
                    "date": valid_until - timedelta(days=365),
                    "valid_until": valid_until,
                    "name": "Top-up",
                }
                for card in cards
            ]
        )
        return cards

    warm = expiring_cards(20)
    env.cr.commit()
    bench.run_once(lambda: warm._expire_residuals(today=today), keep=True)
    env.cr.commit()

    per_card = {}
    for count in sizes:
        start = time.perf_counter()
        cards = expiring_cards(count)
        env.cr.commit()
        setup = time.perf_counter() - start
        log(f"expiry: {count:,} cards with an expired top-up built in {setup:.1f} s")
        env.invalidate_all()
        cards = env["prepaid.service"].browse(cards.ids)
        seconds, queries, entries = bench.run_once(
            lambda cards=cards: cards._expire_residuals(today=today),
            keep=True,
            profile_as="expiry" if count == max(sizes) else None,
        )
        if len(entries) != count:
            raise RuntimeError(f"expiry of {count} cards made {len(entries)} entries")
        env.cr.commit()
        if count == min(sizes):  # Odoo's per-line cost does not depend on the batch size: measured once
            floor = odoo_journal_entry_floor(bench, entries.move_id)
            bench.results[f"expiry_{count}_odoo_move_ms_per_card"] = round(floor * 1000 / count, 3)
        ms, qpc = seconds * 1000 / count, queries / count
        per_card[count] = (ms, qpc, queries)
        bench.results[f"expiry_{count}_setup_s"] = round(setup, 3)
        bench.results[f"expiry_{count}_s"] = round(seconds, 3)
        bench.results[f"expiry_{count}_ms_per_card"] = round(ms, 3)
        bench.results[f"expiry_{count}_queries"] = queries
        bench.results[f"expiry_{count}_queries_per_card"] = round(qpc, 4)
        log(f"expiry: {count:,} cards in {seconds:.2f} s, {ms:.2f} ms/card, {queries} queries ({qpc:.3f}/card)")
    small, large = min(sizes), max(sizes)
    floor_ms = bench.results[f"expiry_{small}_odoo_move_ms_per_card"]
    # O(1) queries per card: the query count of the large run is not more than proportional
    # (the per-card count does not grow with the number of cards)
    flat = per_card[large][1] <= per_card[small][1] * 1.10 + 0.01
    bench.results["expiry_queries_flat"] = flat
    for count in sizes:
        ms, qpc, queries = per_card[count]
        bench.row(
            f"Expire Residuals, {count:,} cards",
            "-",
            fmt_s(ms * count / 1000),
            f"{ms:.2f} ms/card, {qpc:.3f} q/card ({queries} q)",
            "<= 5 ms/card, O(1) q/card",
            ms <= 5 and flat,
        )
    bench.row(
        f"  Odoo: the same breakage lines in one plain journal entry, {small:,} cards",
        fmt_s(floor_ms * small / 1000),
        "-",
        f"{floor_ms:.2f} ms/card",
        "(diagnosis)",
        None,
    )


def odoo_journal_entry_floor(bench, moves):
    """Seconds plain Odoo takes to create and post journal entries with the same lines (rolled back)."""
    from odoo import Command

    line_fields = ["account_id", "partner_id", "name", "debit", "credit", "analytic_distribution"]
    vals_list = [
        {
            "move_type": "entry",
            "journal_id": move.journal_id.id,
            "date": move.date,
            "ref": move.ref,
            "line_ids": [
                Command.create({f: line[f].id if f.endswith("_id") else line[f] for f in line_fields})
                for line in move.line_ids
            ],
        }
        for move in moves
    ]

    def run():
        bench.env["account.move"].with_context(skip_invoice_sync=True).create(vals_list).action_post()

    seconds, _q, _r = bench.run_once(run)
    return seconds


def phase_statement(bench, fx, size):
    env = bench.env
    report = env.ref(STATEMENT_REPORT, raise_if_not_found=False)
    if not report:
        bench.results["statement_available"] = False
        bench.row("statement: not available", "-", "-", "-", "<= 2 s", None)
        log(f"statement: not available (no report action {STATEMENT_REPORT})")
        return
    Entry = env["prepaid.ledger.entry"]
    today = date.today()
    start = date(2020, 1, 1)
    big, small = make_cards(env, fx, 2)
    # a top-up and size - 1 usages, one a day; zero value: no journal entry per usage (fixture speed)
    for card, count in ((big, size), (small, 20)):
        Entry._post_entries(
            [
                {
                    "service_id": card.id,
                    "entry_type": "receipt",
                    "quantity": 2.0 * count,
                    "amount": 10.0 * count,
                    "value": 0.0,
                    "date": start,
                    "name": "Top-up",
                }
            ]
        )
        Entry._post_entries(
            [
                {
                    "service_id": card.id,
                    "entry_type": "usage",
                    "quantity": -1.0,
                    "name": f"Work {i}",
                    "date": start + timedelta(days=i % max((today - start).days, 1)),
                }
                for i in range(count - 1)
            ]
        )
    env.cr.commit()
    entries = Entry.search_count([("service_id", "=", big.id)])
    data = {"date_from": str(start), "date_to": str(today)}
    Report = env["ir.actions.report"]

    def render(card):
        def run():
            env.invalidate_all()
            html, _kind = Report._render_qweb_html(STATEMENT_REPORT, card.ids, data=dict(data))
            return html

        return run

    bench.run_once(render(small))  # warm-up: template compiled
    _s, _q, html = bench.run_once(render(big))
    if len(html) < entries * 50:
        raise RuntimeError(f"the statement of {entries} entries is only {len(html)} bytes")
    seconds, times = bench.median(render(big), 3, profile_as="statement")
    bench.results.update(
        statement_available=True,
        statement_entries=entries,
        statement_s=round(seconds, 3),
        statement_html_kib=len(html) // 1024,
    )
    bench.row(
        f"statement of a card with {entries:,} entries, HTML (median of 3)",
        "-",
        fmt_s(seconds),
        f"{len(html) // 1024:,} KiB",
        "<= 2 s",
        seconds <= 2.0,
    )
    log(f"statement: {entries} entries in {seconds:.2f} s ({', '.join(f'{t:.2f}' for t in times)})")


def list_view_fields(env, model):
    from lxml import etree

    views = env[model].get_views([(False, "list")])
    arch = etree.fromstring(views["views"]["list"]["arch"])
    names = []
    for node in arch.xpath("./field"):  # the columns (not the fields of inline subviews)
        name = node.get("name")
        if name in env[model]._fields and name not in names:
            names.append(name)
    return names


def phase_cardlist(bench, fx, size):
    env = bench.env
    Card = env["prepaid.service"]
    existing = Card.search_count([])
    if existing < size:
        log(f"card list: creating {size - existing:,} more cards")
        make_cards(env, fx, size - existing)
        env.cr.commit()
    count = Card.search_count([])
    fields = list_view_fields(env, "prepaid.service")

    def read(names):
        def run():
            env.invalidate_all()
            return Card.search_read([], names, limit=80)

        return run

    stored_fields = [f for f in fields if Card._fields[f].store]
    for names in (["name"], fields):  # warm-up
        bench.run_once(read(names))
    repeats = 21
    times = {"name": [], "stored": [], "list": []}
    for repeat in range(repeats):
        for key, names in (("name", ["name"]), ("stored", stored_fields), ("list", fields)):
            profile_as = "cardlist" if key == "list" and repeat == 0 else None
            seconds, _q, _rows = bench.run_once(read(names), profile_as=profile_as)
            times[key].append(seconds)
    name_s, stored_s, list_s = (statistics.median(times[k]) for k in ("name", "stored", "list"))
    _s, list_q, _r = bench.run_once(read(fields))
    _s, name_q, _r = bench.run_once(read(["name"]))
    ratio = list_s / name_s
    bench.results.update(
        cardlist_cards=count,
        cardlist_fields=fields,
        cardlist_name_ms=round(name_s * 1000, 2),
        cardlist_stored_ms=round(stored_s * 1000, 2),
        cardlist_list_ms=round(list_s * 1000, 2),
        cardlist_ratio=round(list_s / stored_s, 3),
        cardlist_ratio_vs_name=round(ratio, 3),
        cardlist_queries=list_q,
        cardlist_name_queries=name_q,
    )
    # "as fast as a stored-field list": the list's own columns, read when all of them are stored
    ratio_stored = list_s / stored_s
    bench.row(
        f"card list, {count:,} cards: search_read 80 rows, {len(fields)} list fields vs the same list's "
        f"{len(stored_fields)} stored columns (median of {repeats})",
        fmt_s(stored_s),
        fmt_s(list_s),
        f"{ratio_stored:.2f}x",
        "<= 1.15x",
        ratio_stored <= 1.15,
    )
    bench.row("  same list vs 'name' only", fmt_s(name_s), fmt_s(list_s), f"{ratio:.2f}x", "(diagnosis)", None)
    log(
        f"card list: name {name_s * 1000:.1f} ms ({name_q} q), stored columns {stored_s * 1000:.1f} ms, "
        f"list {list_s * 1000:.1f} ms ({list_q} q)"
    )


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------
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
