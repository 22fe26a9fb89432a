#!/usr/bin/env python
"""Benchmark: the deadline sweep and the supervisor dashboard on 1,000,000 open dossiers.

Creates a scratch PostgreSQL database (``--db``, default ``onecua_bench_sweep``, dropped and
re-created each run, dropped at the end unless ``--keep`` or ``--reuse``) on the server of
``BENCH_DATABASE_URL`` / ``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432), migrates it, creates a province (about 130 units,
one leader each, four officers per handling unit, 200 procedures) with the ORM, then bulk-inserts
with SQL (``INSERT … SELECT … generate_series``, not the ORM) N open dossiers with one step each:

====  =========================================================================
 5%   newly overdue (due in the last three working days, never flagged)
 3%   overdue for a while and already flagged by earlier sweeps
 2%   due today, 2% due on the next working day (already warned earlier)
 3%   paused for a supplement, within their deadline
85%   due later
====  =========================================================================

Then, in the same run and on the same data:

1. a hand-written single SQL statement doing the same flagging (a CTE inserting every kind of
   flag with ON CONFLICT DO NOTHING and the outbox rows of the new ones), rolled back;
2. the real ``deadline_sweep()`` (a few ORM-compiled INSERT … SELECT statements), rolled back;
   (1) and (2) alternate ``--repeat`` times and the medians are compared; then the sweep runs
   for real and once more (the idempotent no-op run);
3. the dashboard page (HTML with the left menu's counts and the bell), its JSON refresh and the
   overdue list behind the big number, through Django's test client (server time in process:
   middleware, view, queries, templates, context processors), ``--runs`` requests each (median
   and p95), for the province leader (the whole tree), a district leader (district + 10
   communes) and a unit supervisor (the leader of one Sở, no sub-units).

Targets (issue 5): sweep ≤ 5 s and ≤ 1.5 × the hand-written statement; every page's median
< 300 ms. Exit status 1 if a target is missed. The machine may be shared: the load average is
printed; compare runs made at similar load.

    .venv/bin/python bench/bench_sweep.py [--dossiers 1000000] [--repeat 3] [--runs 20] [--keep] [--explain]
    .venv/bin/python bench/bench_sweep.py --db onecua_mine --reuse --pages-only   # keep the data, time the pages

``--reuse`` keeps the scratch database and, when it already holds the same number of dossiers
loaded the same day, skips the load and the sweep (it ran then) and times only the pages.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from scratch import database_exists, drop_database, recreate_database, scratch_url  # noqa: E402

SCRATCH_DB = "onecua_bench_sweep"
SWEEP_TARGET_S = 5.0
SWEEP_RATIO_TARGET = 1.5
DASHBOARD_TARGET_MS = 300.0


# --- the organisation (small: the ORM is fine) ---------------------------------------------------


def seed_org():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from dossiers.models import Field, Procedure, StaffProfile, Unit
    from dossiers.roles import LEADER, OFFICER, role_group_name, roles_sync

    roles_sync()
    User = get_user_model()
    province = Unit.objects.create(code="000.00.00.H23", name="UBND tỉnh Hòa Bình", level="province", kind="people_committee")
    centre = Unit.objects.create(code="000.00.31.H23", name="Trung tâm Phục vụ hành chính công tỉnh", level="province",
                                 kind="service_centre", parent=province)
    agencies = [Unit.objects.create(code=f"000.00.{10 + i:02d}.H23", name=f"Sở số {i + 1}", level="province",
                                    kind="agency", parent=province) for i in range(20)]
    districts, communes = [], []
    for i in range(10):
        dist = Unit.objects.create(code=f"000.{30 + i:02d}.00.H23", name=f"UBND huyện số {i + 1}", level="district",
                                   kind="people_committee", parent=province)
        districts.append(dist)
        communes += [Unit.objects.create(code=f"000.{30 + i:02d}.{10 + j:02d}.H23", name=f"UBND xã {j + 1} huyện {i + 1}",
                                         level="commune", kind="people_committee", parent=dist) for j in range(10)]
    handling = agencies + districts + communes
    fields = [Field.objects.create(name=f"Lĩnh vực {i + 1}") for i in range(15)]
    procedures = Procedure.objects.bulk_create([
        Procedure(code=f"1.{i:06d}", name=f"Thủ tục hành chính số {i + 1}", field=fields[i % len(fields)],
                  processing_time=5 + i % 10, time_unit="working_days", resolving_unit=handling[i % len(handling)])
        for i in range(200)
    ])
    password = make_password("bench-password")
    leader_group = Group.objects.get(name=role_group_name(LEADER))
    officer_group = Group.objects.get(name=role_group_name(OFFICER))
    users, profiles, memberships = [], [], []
    Membership = User.groups.through
    for unit in [province, centre] + handling:
        users.append((User(username=f"lead-{unit.code}", password=password, first_name="Lãnh đạo", last_name=unit.name,
                           email=f"lead-{unit.pk}@onecua.test"), unit, leader_group))
    for unit in handling:
        for j in range(4):
            users.append((User(username=f"off-{unit.code}-{j}", password=password, first_name="Chuyên viên",
                               last_name=f"{j + 1} {unit.name}", email=f"off-{unit.pk}-{j}@onecua.test"), unit, officer_group))
    created = User.objects.bulk_create([u for u, _unit, _g in users])
    for user, (_u, unit, group) in zip(created, users):
        profiles.append(StaffProfile(user=user, unit=unit))
        memberships.append(Membership(user_id=user.pk, group_id=group.pk))
    StaffProfile.objects.bulk_create(profiles)
    Membership.objects.bulk_create(memberships)
    officers = {}
    for user, (_u, unit, group) in zip(created, users):
        if group == officer_group:
            officers.setdefault(unit.pk, []).append(user.pk)
    return {
        "province": province, "centre": centre, "handling": handling, "districts": districts, "agencies": agencies,
        "procedures": procedures, "officers": officers,
        "leader_root": User.objects.get(username=f"lead-{province.code}"),
        "leader_district": User.objects.get(username=f"lead-{districts[0].code}"),
    }


# --- the dossiers (SQL) --------------------------------------------------------------------------


def seed_dossiers(org, n: int, today: date, cal) -> dict:
    from django.db import connection

    nxt = cal.next_working_day(today)
    recent = []  # the last three working days before today: "newly overdue"
    d = today
    while len(recent) < 3:
        d = cal.previous_working_day(d)
        recent.append(d)
    unit_ids = [u.pk for u in org["handling"]]
    officer_ids = [org["officers"][u][j] for u in unit_ids for j in range(4)]
    proc_ids = [p.pk for p in org["procedures"]]
    params = {
        "n": n, "today": today, "nxt": nxt, "recent": recent, "units": unit_ids, "officers": officer_ids,
        "procs": proc_ids, "centre": org["centre"].pk, "nu": len(unit_ids), "np": len(proc_ids),
    }
    sql = """
    INSERT INTO dossiers_dossier (
        code, channel, return_channel, state, on_the_spot, applicant_name, applicant_id_number, applicant_phone,
        applicant_address, applicant_email, request_content, documents, copies, submitted_at, received_at,
        receipt_date, processing_time, time_unit, base_due_date, due_date, due_at, due_text, paused_at, paused_on,
        supplement_count, appointment_date, apologized_at, apology_reason, outcome, classification, outcome_note,
        created_at, updated_at, version, assigned_to_id, procedure_id, current_unit_id, receiving_unit_id,
        resolving_unit_id)
    SELECT
        'BENCH-' || lpad(g.i::text, 7, '0'),
        CASE WHEN mod(g.i, 5) = 0 THEN 'direct' ELSE 'online' END, 'counter',
        CASE WHEN g.b BETWEEN 12 AND 14 THEN 'awaiting_supplement' WHEN mod(g.i, 10) = 0 THEN 'received' ELSE 'in_processing' END,
        false, 'Nguyễn Văn ' || g.i, lpad(mod(g.i::bigint * 7919, 1000000000000)::text, 12, '0'), '0912' || lpad(mod(g.i, 1000000)::text, 6, '0'),
        'Tổ ' || mod(g.i, 50) || ', phường Phương Lâm, thành phố Hòa Bình, tỉnh Hòa Bình', '',
        'Thủ tục hành chính số ' || (1 + mod(g.i, %(np)s)),
        '[{"name": "Tờ khai", "copies": 1, "originals": 1}, {"name": "Bản sao CCCD", "copies": 1, "originals": 0}]'::jsonb,
        1, g.due - 7, g.due - 7, (g.due - 7)::date, 5, 'working_days', g.due::date, g.due::date,
        (g.due::date + time '17:00') AT TIME ZONE 'Asia/Ho_Chi_Minh',
        'Tiếp nhận ngày ' || to_char(g.due - 7, 'DD/MM/YYYY') || '; 5 ngày làm việc, không tính ngày tiếp nhận; hẹn trả ' || to_char(g.due, 'DD/MM/YYYY') || '.',
        CASE WHEN g.b BETWEEN 12 AND 14 THEN (%(today)s::date - 2)::timestamptz END,
        CASE WHEN g.b BETWEEN 12 AND 14 THEN %(today)s::date - 2 END,
        CASE WHEN g.b BETWEEN 12 AND 14 THEN 1 ELSE 0 END, NULL, NULL, '', '', '', '',
        now(), now(), 1,
        CASE WHEN mod(g.i, 10) = 0 THEN NULL ELSE (%(officers)s::bigint[])[1 + mod(g.i, %(nu)s) * 4 + mod(g.i / 7, 4)] END,
        (%(procs)s::bigint[])[1 + mod(g.i * 7, %(np)s)],
        CASE WHEN mod(g.i, 10) = 0 THEN %(centre)s ELSE (%(units)s::bigint[])[1 + mod(g.i, %(nu)s)] END,
        %(centre)s,
        (%(units)s::bigint[])[1 + mod(g.i, %(nu)s)]
    FROM (
        SELECT s.i, mod(s.i, 100) AS b,
            CASE
                WHEN mod(s.i, 100) < 5 THEN (%(recent)s::date[])[1 + mod(s.i, 3)]
                WHEN mod(s.i, 100) < 8 THEN %(today)s::date - 10 - mod(s.i, 20)
                WHEN mod(s.i, 100) < 10 THEN %(today)s::date
                WHEN mod(s.i, 100) < 12 THEN %(nxt)s::date
                WHEN mod(s.i, 100) < 15 THEN %(today)s::date + 5 + mod(s.i, 10)
                ELSE %(nxt)s::date + 1 + mod(s.i, 25)
            END AS due
        FROM generate_series(1, %(n)s) AS s(i)
    ) AS g
    """
    t0 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        t1 = time.monotonic()
        cur.execute("""
            INSERT INTO dossiers_dossierstep ("order", name, allotted_time, due_date, due_at, state, started_at,
                                              classification, assigned_to_id, dossier_id, unit_id)
            SELECT 1, 'Giải quyết hồ sơ', 5, due_date, due_at,
                   CASE WHEN state = 'received' THEN 'waiting' ELSE 'current' END, received_at, '',
                   assigned_to_id, id, resolving_unit_id
            FROM dossiers_dossier
        """)
        t2 = time.monotonic()
        # Earlier sweeps already flagged the old overdue ones and warned the ones due today / next.
        cur.execute("INSERT INTO monitoring_deadlinesweep (started_at, finished_at, as_of, trigger, counts) "
                    "VALUES (now(), now(), %s, 'bench', '{}') RETURNING id", [today - timedelta(days=1)])
        sweep_id = cur.fetchone()[0]
        cur.execute("""
            INSERT INTO monitoring_deadlineflag (dossier_id, step_id, kind, due_date, sweep_id, flagged_at)
            SELECT id, NULL, k.kind, due_date, %(sweep)s, now() FROM dossiers_dossier
            CROSS JOIN (VALUES ('overdue'), ('due_soon'), ('apology_reminder')) AS k(kind)
            WHERE (k.kind = 'overdue' AND due_date < %(oldest_recent)s AND paused_on IS NULL)
               OR (k.kind = 'due_soon' AND due_date IN (%(today)s, %(nxt)s))
               OR (k.kind = 'apology_reminder' AND due_date = %(nxt)s)
        """, {"sweep": sweep_id, "today": today, "nxt": nxt, "oldest_recent": recent[-1]})
        old_flags = cur.rowcount
        t3 = time.monotonic()
    print(f"  dossiers {t1 - t0:.1f} s, steps {t2 - t1:.1f} s, {old_flags:,} earlier flags {t3 - t2:.1f} s")
    return {"next_working_day": nxt}


# --- the hand-written statement ------------------------------------------------------------------

HANDWRITTEN = """
WITH candidates AS (
    SELECT id AS dossier_id, NULL::bigint AS step_id, 'overdue' AS kind, due_date
      FROM dossiers_dossier
     WHERE state IN ('received', 'in_processing', 'awaiting_supplement') AND due_date <= %(today)s
       AND (due_date < COALESCE(paused_on, %(today)s)
            OR (paused_on IS NULL AND due_date = %(today)s AND time_unit = 'working_hours' AND due_at < %(now)s))
    UNION ALL
    SELECT id, NULL, 'due_soon', due_date FROM dossiers_dossier
     WHERE state IN ('received', 'in_processing', 'awaiting_supplement') AND paused_on IS NULL
       AND due_date BETWEEN %(today)s AND %(nxt)s AND (time_unit <> 'working_hours' OR due_at >= %(now)s)
    UNION ALL
    SELECT id, NULL, 'apology_reminder', due_date FROM dossiers_dossier
     WHERE state IN ('received', 'in_processing', 'awaiting_supplement') AND paused_on IS NULL
       AND apologized_at IS NULL AND due_date > %(today)s AND due_date <= %(nxt)s
    UNION ALL
    SELECT id, NULL, 'appointment_soon', appointment_date FROM dossiers_dossier
     WHERE state IN ('received', 'in_processing', 'awaiting_supplement') AND paused_on IS NULL
       AND due_date <= %(nxt)s AND appointment_date BETWEEN %(today)s AND %(nxt)s
    UNION ALL
    SELECT s.dossier_id, s.id, 'step_overdue', s.due_date
      FROM dossiers_dossierstep s JOIN dossiers_dossier d ON d.id = s.dossier_id
     WHERE s.state = 'current' AND s.due_date <= %(today)s
       AND d.state IN ('received', 'in_processing', 'awaiting_supplement') AND d.paused_on IS NULL
       AND s.due_date < d.due_date
       AND (s.due_date < %(today)s OR (d.time_unit = 'working_hours' AND s.due_at < %(now)s))
    UNION ALL
    SELECT s.dossier_id, s.id, 'step_due_soon', s.due_date
      FROM dossiers_dossierstep s JOIN dossiers_dossier d ON d.id = s.dossier_id
     WHERE s.state = 'current' AND s.due_date BETWEEN %(today)s AND %(nxt)s
       AND d.state IN ('received', 'in_processing', 'awaiting_supplement') AND d.paused_on IS NULL
       AND s.due_date < d.due_date AND (d.time_unit <> 'working_hours' OR s.due_at >= %(now)s)
), new_flags AS (
    INSERT INTO monitoring_deadlineflag (dossier_id, step_id, kind, due_date, sweep_id, flagged_at)
    SELECT dossier_id, step_id, kind, due_date, %(sweep)s, %(now)s FROM candidates ORDER BY dossier_id
    ON CONFLICT DO NOTHING
    RETURNING id, dossier_id
)
INSERT INTO monitoring_outboxmessage (topic, dedupe_key, dossier_id, flag_id, payload, created_at, available_at,
                                      attempts, last_error)
SELECT 'flag', 'flag:' || id, dossier_id, id, '{}', %(now)s, %(now)s, 0, '' FROM new_flags
"""


class Rollback(Exception):
    pass


def run_handwritten(clock) -> tuple[float, int]:
    from django.db import connection, transaction

    from monitoring.models import DeadlineSweep

    t0 = time.monotonic()
    try:
        with transaction.atomic():
            sweep = DeadlineSweep.objects.create(started_at=clock.now, as_of=clock.today, trigger="handwritten")
            with connection.cursor() as cur:
                cur.execute("SET LOCAL jit = off")  # the same session setting as the sweep
                cur.execute(HANDWRITTEN, {"today": clock.today, "nxt": clock.next_working_day, "now": clock.now,
                                          "sweep": sweep.pk})
                inserted = cur.rowcount
            elapsed = time.monotonic() - t0
            raise Rollback
    except Rollback:
        pass
    return elapsed, inserted


def run_sweep(clock, *, keep: bool) -> tuple[float, object]:
    from django.db import transaction

    from monitoring.services.sweep import deadline_sweep

    t0 = time.monotonic()
    if keep:
        result = deadline_sweep(now=clock.now, trigger="bench")
        return time.monotonic() - t0, result
    try:
        with transaction.atomic():
            result = deadline_sweep(now=clock.now, trigger="bench")
            elapsed = time.monotonic() - t0
            raise Rollback
    except Rollback:
        pass
    return elapsed, result


def explain_sweep(clock) -> None:
    from django.db import connection

    from monitoring.services import sweep as sw

    for kind, qs, is_step, date_field in sw._flag_sources(clock):
        select = sw._flag_select(qs, kind=kind, sweep_id=1, at=clock.now, step=is_step, date_field=date_field)
        sql, params = select.query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(r[0] for r in cur.fetchall())
        print(f"--- {kind}\n{plan}\n")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation between the closest ranks."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def time_page(client, url: str, runs: int = 20) -> tuple[list[float], int]:
    """Server time of `runs` requests (in process: middleware, view, queries, template, context
    processors), after one warm-up request; the status of the last one."""
    client.get(url)  # warm-up (connection, templates, calendar)
    times = []
    status = 0
    for _i in range(runs):
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        status = resp.status_code
    return times, status


def timed_ms(fn, runs: int = 5) -> float:
    fn()
    times = []
    for _i in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def page_roles(org) -> list[tuple[str, object]]:
    """Who the pages are timed for: the three kinds of supervisor (leaders)."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    district = org["districts"][0]
    agency = org["agencies"][0]
    return [
        ("province leader (whole tree)", User.objects.get(username=f"lead-{org['province'].code}")),
        (f"district leader ({district.children.count() + 1} units)",
         User.objects.get(username=f"lead-{district.code}")),
        ("unit supervisor (one Sở)", User.objects.get(username=f"lead-{agency.code}")),
    ]


def bench_pages(org, runs: int) -> bool:
    """Time the dashboard page, its JSON and the overdue list per role; True if all < target."""
    from django.test import Client

    from django.core.cache import cache

    from dossiers import selectors as dsel
    from dossiers.selectors import dossier_counts_by_state, dossier_menu_counts, user_unit_ids
    from monitoring.selectors import Clock, dashboard_get

    ok = True
    pages = (("dashboard page", "/theo-doi/"), ("JSON refresh", "/theo-doi/so-lieu.json"),
             ("overdue list", "/theo-doi/qua-han/"))
    print(f"Pages (server time in process, {runs} requests each after one warm-up; median / p95 in ms; "
          f"target < {DASHBOARD_TARGET_MS:.0f} ms):")
    for label, user in page_roles(org):
        client = Client()
        client.force_login(user)
        cells = []
        for name, url in pages:
            times, status = time_page(client, url, runs)
            assert status == 200, (label, url, status)
            med, p95 = statistics.median(times), percentile(times, 95)
            cells.append(f"{name} {med:.0f} / {p95:.0f}")
            ok &= med < DASHBOARD_TARGET_MS
        board_ms = timed_ms(lambda: dashboard_get(user=user, clock=Clock.at()))
        menu_ms = timed_ms(lambda: dossier_menu_counts(user=user))
        others = []
        for slug in ("dang-xu-ly", "den-han-hom-nay", "sap-den-han", "tam-dung"):
            times, status = time_page(client, f"/theo-doi/{slug}/", 5)
            assert status == 200, (label, slug, status)
            others.append(f"{slug} {statistics.median(times):.0f}")
        scope = user_unit_ids(user)
        counted_ms = timed_ms(lambda: dossier_counts_by_state(unit_ids=scope))
        print(f"  {label}: {'; '.join(cells)}")
        print(f"    of which dashboard_get {board_ms:.0f} ms, left-menu counts (dossier_menu_counts, "
              f"on every page) {menu_ms:.0f} ms, their per-state part counted afresh {counted_ms:.0f} ms "
              f"(medians of 5)")
        print(f"    the other lists behind the numbers (median of 5, ms): {', '.join(others)}")
        if sum(dossier_counts_by_state(unit_ids=scope).values()) >= dsel.MENU_COUNTS_CACHE_FROM:
            key = dsel.scope_cache_key(dsel._MENU_COUNTS_KEY, scope)

            def missed():
                cache.delete(key)
                return client.get("/theo-doi/")

            miss_ms = timed_ms(missed)
            print(f"    (this scope's menu counts are cached for {dsel.MENU_COUNTS_CACHE_SECONDS} s: the dashboard "
                  f"page on a cache miss, once per {dsel.MENU_COUNTS_CACHE_SECONDS} s, {miss_ms:.0f} ms, median of 5)")
    return ok


def org_load() -> dict:
    """The organisation of an already loaded scratch database (``--reuse``)."""
    from dossiers.models import Unit

    province = Unit.objects.get(code="000.00.00.H23")
    return {
        "province": province,
        "agencies": list(Unit.objects.filter(parent=province, kind="agency").order_by("code")),
        "districts": list(Unit.objects.filter(parent=province, level="district").order_by("code")),
    }


def loaded_dataset(n: int, today: date) -> bool:
    """Whether the scratch database already holds this run's data set (same size, same day)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
        if not cur.fetchone()[0]:
            return False
        cur.execute("SELECT dossiers, today FROM bench_meta")
        row = cur.fetchone()
    return row is not None and row[0] == n and row[1] == today


def mark_loaded(n: int, today: date) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_meta (dossiers integer, today date)")
        cur.execute("INSERT INTO bench_meta VALUES (%s, %s)", [n, today])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of the two sweeps (medians compared)")
    parser.add_argument("--runs", type=int, default=20, help="requests per page and role (median and p95)")
    parser.add_argument("--db", default=SCRATCH_DB, help=f"name of the scratch database (default {SCRATCH_DB})")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the scratch database if it holds the same data set loaded today (implies --keep); "
                             "then only the pages are timed (the sweep already ran on it)")
    parser.add_argument("--pages-only", action="store_true", help="time the pages, not the sweep")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of every sweep statement")
    args = parser.parse_args()

    name = args.db
    url = scratch_url(name)
    keep = args.keep or args.reuse
    fresh = not (args.reuse and database_exists(url))
    if fresh:
        recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onecua.settings")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["CELERY_BROKER_URL"] = "memory://"  # the sweep's kick goes nowhere: we time the sweep
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from dossiers.selectors import calendar_get
    from monitoring.models import DeadlineFlag, OutboxMessage
    from monitoring.selectors import Clock

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    ok = True
    try:
        print(f"Scratch database {name} on {urlsplit(url).hostname}; {args.dossiers:,} open dossiers")
        call_command("migrate", verbosity=0)
        cal = calendar_get()
        clock = Clock.at(timezone.now(), cal)
        if not fresh and loaded_dataset(args.dossiers, clock.today):
            print("  reusing the data set loaded earlier today (the sweep already ran on it)")
            org = org_load()
            with connection.cursor() as cur:
                cur.execute("ANALYZE")  # new indexes / statistics since the load
            sweep_wanted = False
        else:
            if not fresh:
                connection.close()
                recreate_database(url)
                call_command("migrate", verbosity=0)
            org = seed_org()
            t0 = time.monotonic()
            seed_dossiers(org, args.dossiers, clock.today, cal)
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load
            mark_loaded(args.dossiers, clock.today)
            print(f"Loaded and analysed in {time.monotonic() - t0:.1f} s; today {clock.today:%d/%m/%Y}, "
                  f"next working day {clock.next_working_day:%d/%m/%Y}")
            sweep_wanted = not args.pages_only
        if args.explain:
            explain_sweep(clock)

        if sweep_wanted:
            hand_times, sweep_times = [], []
            hand_rows = sweep_flags = None
            for i in range(args.repeat):
                order = ["hand", "sweep"] if i % 2 == 0 else ["sweep", "hand"]
                for which in order:
                    if which == "hand":
                        elapsed, hand_rows = run_handwritten(clock)
                        hand_times.append(elapsed)
                    else:
                        elapsed, result = run_sweep(clock, keep=False)
                        sweep_times.append(elapsed)
                        sweep_flags = (result.flagged, result.messages)
                print(f"  round {i + 1}: hand-written {hand_times[-1]:.2f} s, sweep {sweep_times[-1]:.2f} s")
            hand, sweep = statistics.median(hand_times), statistics.median(sweep_times)
            final_elapsed, final = run_sweep(clock, keep=True)
            again_elapsed, again = run_sweep(clock, keep=True)
            newly = DeadlineFlag.objects.filter(sweep_id=final.sweep_id).count()
            ratio = sweep / hand if hand else float("inf")
            print(f"Hand-written single statement: median {hand:.2f} s ({hand_rows:,} flags + messages)")
            print(f"deadline_sweep():              median {sweep:.2f} s ({sweep_flags[0]:,} flags, "
                  f"{sweep_flags[1]:,} messages) = {ratio:.2f} × the hand-written statement")
            print(f"Committed sweep {final_elapsed:.2f} s ({final.counts}); second sweep {again_elapsed:.2f} s, "
                  f"{again.flagged} new flags")
            assert hand_rows == sweep_flags[1] == final.messages == newly, "the two sweeps must flag the same dossiers"
            assert again.flagged == 0 and again.messages == 0
            ok &= sweep <= SWEEP_TARGET_S and final_elapsed <= SWEEP_TARGET_S and ratio <= SWEEP_RATIO_TARGET
            print(f"  outbox pending: {OutboxMessage.objects.filter(delivered_at__isnull=True).count():,}")

        ok &= bench_pages(org, args.runs)
        load = os.getloadavg()
        print(f"Load average during the run: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} CPUs "
              "(the machine is shared: figures are noisy)")
        print("TARGETS MET" if ok else "TARGETS MISSED")
    finally:
        connection.close()
        if not keep:
            drop_database(url)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
