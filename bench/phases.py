"""The measured flows: each phase_* compares prepaid_services with plain Odoo and adds rows to the Bench."""

import contextlib
import statistics
import time
from datetime import date, timedelta

from fixtures import make_cards
from harness import fmt_s, log

STATEMENT_REPORT = "prepaid_services.action_report_prepaid_statement"


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

    # the default first: grouped recognition (one journal entry per company and day, posted at night), then the
    # setting "one journal entry per consumption"
    modes = (
        ("daily", "grouped recognition, the default", "_daily"),
        ("entry", "one journal entry per timesheet, a setting", ""),
    )
    for label, factory, repeats, flow in (
        ("batch create", batched, 3, "batch"),
        ("one by one", one_by_one, 1, "single"),
    ):
        if flow not in flows:
            continue
        for grouping, mode_label, suffix in modes:
            key = f"timesheets_{flow}{suffix}"
            # the default mode (grouped) at full size; one entry per timesheet one by one on a quarter only, which
            # keeps `make bench` within its 15 minutes (its row says how many)
            count = size if grouping == "daily" or flow == "batch" else max(size // 4, 10)
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
            # issue 15's targets are the default's: one by one within 1.15x, batch create within 1.3x
            target = (1.15 if flow == "single" else 1.3) if grouping == "daily" else None
            bench.results[f"{key}_plain_s"] = round(plain, 3)
            bench.results[f"{key}_prepaid_s"] = round(prepaid, 3)
            bench.results[f"{key}_ratio"] = round(ratio, 3)
            note = f", median of {repeats}" if repeats > 1 else ""
            bench.row(
                f"{count:,} timesheets, {label} ({mode_label}{note})",
                fmt_s(plain),
                fmt_s(prepaid),
                f"{ratio:.2f}x",
                f"<= {target:.2f}x" if target else "(setting)",
                ratio <= target if target else None,
            )
            log(f"timesheets {label}, {mode_label}: plain {plain:.2f} s, prepaid {prepaid:.2f} s, {ratio:.2f}x")

    if "single" in flows:
        # For the diagnosis: what Odoo itself charges for one two-line journal entry, created and posted
        # in its own request, the floor of the per-timesheet recognition mode.
        card = fx["card"]
        deferred = company.prepaid_deferred_account_id
        income = card._get_income_account()
        count = max(size // 10, 10)
        Move = env["account.move"]

        def journal_entries():
            for index in range(count):
                Move._prepaid_create_journal_entries(
                    [
                        Move._prepaid_prepare_journal_entry_vals(
                            card, 10.0, deferred, income, f"Bench {index}", date.today()
                        )
                    ]
                )
                env.cr.commit()
                env.invalidate_all()

        seconds, _q, _r = bench.run_once(journal_entries, commits=True)
        per_move = seconds / count
        per_timesheet = bench.results["timesheets_single_daily_plain_s"] / size
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
    bench.run_once(lambda: Entry._expire_residuals(warm, today=today), keep=True)
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
            lambda cards=cards: Entry._expire_residuals(cards, today=today),
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
            f"{ms:.2f} ms/card ({ms / floor_ms:.2f}x Odoo), {qpc:.3f} q/card ({queries} q)",
            "<= 1.2x Odoo, <= 5 ms/card, O(1) q/card",
            ms <= 5 and ms <= 1.2 * floor_ms and flat,
        )
        bench.results[f"expiry_{count}_ratio_to_odoo"] = round(ms / floor_ms, 3)
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
        bench.row("statement: not available", "-", "-", "-", "<= 1 s", None)
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
        "<= 1 s",
        seconds <= 1.0,
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
