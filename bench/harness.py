"""The benchmark's measuring kit: the clock and log, the throw-away database, Bench and its profiling.

Imported by run.py, fixtures.py and phases.py (bench/ is on sys.path: run.py puts it there).
"""

import collections
import contextlib
import cProfile
import io
import os
import pstats
import re
import statistics
import subprocess
import sys
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE = "prepaid_services"
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
