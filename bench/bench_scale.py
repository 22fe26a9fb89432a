#!/usr/bin/env python
"""Benchmark: every staff page of a province that kept five years of dossiers (issue 19).

Creates (or, with ``--reuse``, keeps) the scratch PostgreSQL database ``onecua_bench_scale``
(``bench/scratch.py``), migrates it and fills it in bulk, in SQL on the server (``INSERT …
SELECT`` over ``generate_series``, secondary indexes dropped during the load and rebuilt
after, the way a dump is restored), with a province of two levels (after the 2025 reform: the
provincial People's Committee, its service centre, 20 agencies and 148 communes, each with its
own one-stop counter), ``--dossiers`` dossiers (default 10,000,000) received over the last five
years with ids in time order, 10 % of them open (half of last year's), ~3.8 events each,
applicants with Vietnamese names drawn from the usual distribution (Nguyễn ~ a third), a CCCD
and a phone each.

Then it times, in process (Django test client, the left menu included), median and p95 of
``--runs`` requests each, for a province leader, a commune leader and one agency officer: every
staff list tab, the dashboard and its JSON, the inbox, search (a name typed without
diacritics, a code prefix, a CCCD, a phone), the API list (default order; two filters), a
dossier page and the report page, while a second process receives dossiers at ``--intake-rate``
per second through ``lifecycle.dossier_register``. Each figure is also given as a ratio to a
baseline page measured in the same run (the dossier page's cheapest cousin: a primary-key
lookup rendered as JSON).

Targets: median < 200 ms and p95 < 300 ms per page. Exit status 1 if one is missed.

    .venv/bin/python bench/bench_scale.py [--dossiers 10000000] [--reuse] [--runs 20]
    .venv/bin/python bench/bench_scale.py --dossiers 2000000 --generate-only   # just the data
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scratch import (  # noqa: E402
    database_exists, insert_columns, load_session, recreate_database, scratch_url, secondary_indexes_drop,
    secondary_indexes_restore, setup_django, staged_events_insert,
)

SCRATCH_DB = "onecua_bench_scale"
TZ = "Asia/Ho_Chi_Minh"
AGENCIES, COMMUNES = 20, 148
YEARS_DAYS = 5 * 365 + 1
MEDIAN_TARGET_MS, P95_TARGET_MS = 200.0, 300.0
PASSWORD = "bench-scale-2026"

# Vietnamese names: surnames in rough order of frequency (the first ones are drawn most), middle
# names by sex, given names. The folded form of each is computed by dossiers.search.fold.
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
            "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lương", "Mai", "Đào", "Cao", "Hà", "Tạ", "Kiều"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Hữu", "Quang", "Công", "Thanh", "Văn", "Xuân", "Đình"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Hồng", "Thị", "Thúy", "Minh", "Bích"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương",
         "Kiểm", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Ngọc", "Nhung", "Phong", "Phúc", "Quân",
         "Quỳnh", "Sơn", "Tâm", "Thắng", "Thảo", "Thủy", "Trang", "Trung", "Tuấn", "Tùng", "Vân", "Việt", "Yến",
         "Khánh"]


def say(msg: str) -> None:
    print(msg, flush=True)


# --- the organisation (small: the ORM is fine) ---------------------------------------------------


def seed_org() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import connection

    from dossiers.models import Field, Procedure, StaffProfile, Unit
    from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, role_group_name, roles_sync

    roles_sync()
    User = get_user_model()
    province = Unit.objects.create(code="000.00.00.H25", name="Ủy ban nhân dân tỉnh Phú Thọ", level="province",
                                   kind="people_committee")
    centre = Unit.objects.create(code="000.00.31.H25", name="Trung tâm Phục vụ hành chính công tỉnh", level="province",
                                 kind="service_centre", parent=province)
    agencies = Unit.objects.bulk_create([
        Unit(code=f"000.00.{10 + i:02d}.H25", name=f"Sở số {i + 1}", level="province", kind="agency", parent=province)
        for i in range(AGENCIES)])
    communes = Unit.objects.bulk_create([
        Unit(code=f"000.{1 + i // 90:02d}.{10 + i % 90:02d}.H25", name=f"Ủy ban nhân dân xã số {i + 1}",
             level="commune", kind="people_committee", parent=province) for i in range(COMMUNES)])
    fields = Field.objects.bulk_create([Field(name=f"Lĩnh vực {i + 1}") for i in range(26)])
    times = [1, 2, 3, 5, 7, 10, 15, 20, 30]
    procedures = Procedure.objects.bulk_create(
        [Procedure(code=f"1.{i:06d}", name=f"Thủ tục cấp tỉnh số {i + 1}", field=fields[i // 5],
                   processing_time=times[i % len(times)], time_unit="working_days", resolving_unit=agencies[i // 5])
         for i in range(AGENCIES * 5)]
        + [Procedure(code=f"2.{i:06d}", name=f"Thủ tục cấp xã số {i + 1}", field=fields[20 + i // 10],
                     processing_time=times[i % len(times)], time_unit="working_days", resolving_level="commune")
           for i in range(60)])  # D19: every commune resolves its own
    password = make_password(PASSWORD)
    group = {r: Group.objects.get(name=role_group_name(r)) for r in (LEADER, OFFICER, COUNTER_CLERK)}
    people = []  # (username, unit, role, k)
    for unit in [province] + agencies + communes:
        people.append((f"lead-{unit.code}", unit, LEADER, 0))
    for unit in agencies + communes:
        people += [(f"off-{unit.code}-{k}", unit, OFFICER, k) for k in range(2)]
    for unit in [centre] + communes:
        people.append((f"clerk-{unit.code}", unit, COUNTER_CLERK, 0))
    users = User.objects.bulk_create([
        User(username=name, password=password, first_name=role, last_name=unit.name, email=f"{name}@onecua.test")
        for name, unit, role, _k in people])
    StaffProfile.objects.bulk_create([StaffProfile(user=u, unit=p[1]) for u, p in zip(users, people)])
    Membership = User.groups.through
    Membership.objects.bulk_create([Membership(user_id=u.pk, group_id=group[p[2]].pk) for u, p in zip(users, people)])
    with connection.cursor() as c:
        c.execute("CREATE TABLE bench_unit_map (kind text, idx int, unit_id bigint, receiving_id bigint,"
                  " PRIMARY KEY (kind, idx))")
        c.executemany("INSERT INTO bench_unit_map VALUES (%s, %s, %s, %s)",
                      [("agency", i, u.pk, centre.pk) for i, u in enumerate(agencies)]
                      + [("commune", i, u.pk, u.pk) for i, u in enumerate(communes)])
        c.execute("CREATE TABLE bench_proc (kind text, idx int, procedure_id bigint, n int, PRIMARY KEY (kind, idx))")
        c.executemany("INSERT INTO bench_proc VALUES (%s, %s, %s, %s)",
                      [("agency", i, p.pk, p.processing_time) for i, p in enumerate(procedures[:AGENCIES * 5])]
                      + [("commune", i, p.pk, p.processing_time) for i, p in enumerate(procedures[AGENCIES * 5:])])
        c.execute("CREATE TABLE bench_officer (unit_id bigint, k int, user_id bigint, PRIMARY KEY (unit_id, k))")
        c.executemany("INSERT INTO bench_officer VALUES (%s, %s, %s)",
                      [(p[1].pk, p[3], u.pk) for u, p in zip(users, people) if p[2] == OFFICER])


def _sql_array(values: list[str]) -> str:
    return "(ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "])"


def synthesize(n: int, today: date, *, seed: float = 0.19) -> dict[str, float]:
    """Fill the migrated, empty database with `n` dossiers received over the five years up to
    `today` (yesterday included), their events, and the organisation. Returns timings (s)."""
    from django.db import connection, transaction

    from dossiers.search import fold

    timings: dict[str, float] = {}
    t0 = time.monotonic()
    seed_org()
    first_day = today - timedelta(days=YEARS_DAYS)
    tables = ["dossiers_dossier", "dossiers_dossierevent"]
    with connection.cursor() as c:
        indexes = secondary_indexes_drop(c, tables)
    names = {
        "sur": _sql_array(SURNAMES), "sur_f": _sql_array([fold(s) for s in SURNAMES]),
        "mid_m": _sql_array(MIDDLE_M), "mid_m_f": _sql_array([fold(s) for s in MIDDLE_M]),
        "mid_f": _sql_array(MIDDLE_F), "mid_f_f": _sql_array([fold(s) for s in MIDDLE_F]),
        "giv": _sql_array(GIVEN), "giv_f": _sql_array([fold(s) for s in GIVEN]),
    }
    with transaction.atomic(), connection.cursor() as c:
        load_session(c, seed)
        say(f"  staging {n:,} dossiers …")
        c.execute(f"""
            CREATE UNLOGGED TABLE bench_src AS
            WITH r AS (
                SELECT g AS id, random() r0, random() r1, random() r2, random() r3, random() r5, random() r9,
                       random() r10, random() r11, random() r12, random() rs, random() rm, random() rg, random() rx,
                       DATE '{first_day.isoformat()}' + ((g - 1) * {YEARS_DAYS}::bigint / {n})::int AS day
                FROM generate_series(1, {n}::bigint) g
            ), k AS (
                SELECT r.*, CASE WHEN r0 < 0.35 THEN 'agency' ELSE 'commune' END AS kind,
                       DATE '{today.isoformat()}' - day <= 365 AND r9 < 0.5 AS open,
                       1 + floor(power(rs, 2.2) * {len(SURNAMES)})::int AS si,
                       1 + floor(rm * 10)::int AS mi, 1 + floor(rg * {len(GIVEN)})::int AS gi
                FROM r
            ), b AS (
                SELECT k.*, u.unit_id, u.receiving_id, p.procedure_id, p.n, ru.code AS rcode, o.user_id AS officer_id,
                       ((day + time '07:30' + r5 * interval '9 hours 30 minutes') AT TIME ZONE '{TZ}') AS received_at,
                       day + ceil(p.n * 1.4)::int AS due
                FROM k
                JOIN bench_unit_map u ON u.kind = k.kind
                     AND u.idx = floor(k.r2 * CASE k.kind WHEN 'agency' THEN {AGENCIES} ELSE {COMMUNES} END)::int
                JOIN bench_proc p ON p.kind = k.kind
                     AND p.idx = CASE k.kind WHEN 'agency' THEN u.idx * 5 + floor(k.r1 * 5)::int
                                 ELSE floor(k.r1 * 60)::int END
                JOIN dossiers_unit ru ON ru.id = u.receiving_id
                JOIN bench_officer o ON o.unit_id = u.unit_id AND o.k = k.id % 2
            )
            SELECT b.*,
                   CASE WHEN open THEN CASE WHEN r11 < 0.15 THEN 'received' WHEN r11 < 0.25 THEN 'awaiting_supplement'
                                            ELSE 'in_processing' END
                        WHEN r11 < 0.015 THEN 'withdrawn' WHEN r11 < 0.025 THEN 'refused'
                        WHEN DATE '{today.isoformat()}' - day <= 30 AND r12 < 0.5 THEN 'approved'
                        ELSE 'returned' END AS state,
                   CASE WHEN NOT open THEN least(received_at + (r10 * 1.1 * n * 1.4) * interval '1 day' + interval '1 hour',
                                                 now() - interval '10 minutes') END AS resolved_at,
                   {names['sur']}[si] || ' ' || CASE WHEN rx < 0.5 THEN {names['mid_m']}[mi] ELSE {names['mid_f']}[mi] END
                       || ' ' || {names['giv']}[gi] AS name,
                   {names['sur_f']}[si] || ' ' || CASE WHEN rx < 0.5 THEN {names['mid_m_f']}[mi]
                       ELSE {names['mid_f_f']}[mi] END || ' ' || {names['giv_f']}[gi] AS name_folded,
                   '0' || (900000000 + (id * 7919) % 100000000)::text AS phone,
                   lpad(((id * 104729 + 1000003) % 1000000000000)::text, 12, '0') AS cccd
            FROM b
        """)
        timings["staging"] = time.monotonic() - t0
        say(f"  dossiers … ({timings['staging']:.0f} s)")
        cols, vals = insert_columns(c, "dossiers_dossier", {
            "id": "id",
            "code": "rcode || '-' || to_char(day, 'YYMMDD') || '-' || lpad(id::text, 8, '0')",
            "procedure_id": "procedure_id", "receiving_unit_id": "receiving_id", "resolving_unit_id": "unit_id",
            "current_unit_id": "CASE WHEN open THEN unit_id ELSE receiving_id END",
            "channel": "CASE WHEN r3 < 0.6 THEN 'online' WHEN r3 < 0.97 THEN 'direct' ELSE 'postal' END",
            "return_channel": "'counter'", "state": "state", "on_the_spot": "false",
            "applicant_name": "name", "applicant_name_folded": "name_folded",
            "applicant_id_number": "cccd", "applicant_phone": "phone", "applicant_phone_digits": "phone",
            "applicant_address": "'Phú Thọ'", "documents": "'[]'::jsonb", "copies": "1",
            "submitted_at": "received_at", "received_at": "received_at", "receipt_date": "day",
            "processing_time": "n", "time_unit": "'working_days'", "base_due_date": "due", "due_date": "due",
            "due_at": f"(due + time '17:00') AT TIME ZONE '{TZ}'",
            "paused_at": "CASE WHEN state = 'awaiting_supplement' THEN received_at + interval '1 day' END",
            "paused_on": f"CASE WHEN state = 'awaiting_supplement' THEN "
                         f"((received_at + interval '1 day') AT TIME ZONE '{TZ}')::date END",
            "supplement_count": "CASE WHEN state = 'awaiting_supplement' THEN 1 ELSE 0 END",
            "assigned_to_id": "CASE WHEN state IN ('in_processing', 'awaiting_supplement') THEN officer_id END",
            "resolved_at": "resolved_at", "resolved_on": f"(resolved_at AT TIME ZONE '{TZ}')::date",
            "outcome": "CASE WHEN open THEN '' WHEN state = 'withdrawn' THEN 'withdrawn' "
                       "WHEN state = 'refused' THEN 'refused' ELSE 'approved' END",
            "classification": f"CASE WHEN open THEN '' WHEN (resolved_at AT TIME ZONE '{TZ}')::date < due THEN 'early' "
                              f"WHEN (resolved_at AT TIME ZONE '{TZ}')::date = due THEN 'on_time' ELSE 'late' END",
            "returned_at": "CASE WHEN state = 'returned' THEN resolved_at + interval '1 minute' END",
            "created_at": "received_at", "updated_at": "coalesce(resolved_at, received_at)", "version": "3",
        })
        c.execute(f"INSERT INTO dossiers_dossier ({cols}) SELECT {vals} FROM bench_src")
        timings["dossiers"] = time.monotonic() - t0
        say(f"  events … ({timings['dossiers']:.0f} s)")
        events = [
            # action, from, to, at, condition
            ("'receive'", "''", "'received'", "received_at", "true"),
            ("'assign'", "'received'", "'in_processing'", "received_at + interval '5 minutes'", "state <> 'received'"),
            ("'request-supplement'", "'in_processing'", "'awaiting_supplement'", "received_at + interval '1 day'",
             "state = 'awaiting_supplement'"),
            ("CASE state WHEN 'withdrawn' THEN 'withdraw' WHEN 'refused' THEN 'refuse' ELSE 'approve' END",
             "'in_processing'", "CASE state WHEN 'withdrawn' THEN 'withdrawn' WHEN 'refused' THEN 'refused' "
             "ELSE 'approved' END", "resolved_at", "NOT open"),
            ("'return-result'", "'approved'", "'returned'", "resolved_at + interval '1 minute'", "state = 'returned'"),
        ]
        staged_events_insert(c, [(action, frm, to, at, "due", cond) for action, frm, to, at, cond in events], tables)
    timings["events"] = time.monotonic() - t0
    say(f"  indexes … ({timings['events']:.0f} s)")
    with connection.cursor() as c:
        secondary_indexes_restore(c, indexes, tables)
        c.execute("CREATE TABLE IF NOT EXISTS bench_meta (dossiers bigint, today date)")
        c.execute("DELETE FROM bench_meta")
        c.execute("INSERT INTO bench_meta VALUES (%s, %s)", [n, today])
    # what autovacuum does in production over time: the visibility map current, so that the
    # counts' index-only scans do not visit the table
    with connection.cursor() as c:
        c.execute("VACUUM (ANALYZE) dossiers_dossier")
        c.execute("VACUUM (ANALYZE) dossiers_dossierstep")
    timings["total"] = time.monotonic() - t0
    return timings


def rollups_ensure() -> None:
    """Roll up, as the nightly job does in production, the days the report page reads by
    default (the last ended quarter and the one before it, for the comparison) if they are
    missing, so that the page is timed on roll-ups and not on a direct pass over the history."""
    from reporting.selectors import rollup_missing_days
    from reporting.services import rollup_range
    from reporting.views import default_period

    period = default_period()
    missing = sorted(set(rollup_missing_days(period)) | set(rollup_missing_days(period.previous())))
    if not missing:
        return
    t0 = time.monotonic()
    say(f"  rolling up {missing[0]:%d/%m/%Y} – {missing[-1]:%d/%m/%Y} …")
    results = rollup_range(start=missing[0], end=missing[-1])
    say(f"  rolled up {len(results)} days in {time.monotonic() - t0:.0f} s")


def loaded(n: int) -> bool:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
        if not c.fetchone()[0]:
            return False
        c.execute("SELECT dossiers FROM bench_meta")
        row = c.fetchone()
        return row is not None and row[0] == n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=10_000_000)
    parser.add_argument("--database", default=SCRATCH_DB)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the scratch database; generate only if it does not hold --dossiers dossiers")
    parser.add_argument("--generate-only", action="store_true", help="fill the database, time nothing")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--intake-rate", type=float, default=20.0, help="background intakes per second (0: none)")
    parser.add_argument("--only", default="", help="time only the pages whose label contains this text")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN ANALYZE the left menu's counts (with --only: the slowest queries of those "
                             "pages), time nothing")
    parser.add_argument("--intake-loop", action="store_true", help=argparse.SUPPRESS)  # the background process
    args = parser.parse_args()

    if args.intake_loop:
        intake_loop(scratch_url(args.database), args.intake_rate)
        return 0

    os.environ.setdefault("LOG_LEVEL", "ERROR")
    url = scratch_url(args.database)
    if not (args.reuse and database_exists(url)):
        recreate_database(url)
    setup_django(url)
    from django.core.management import call_command

    say(f"Scratch database: {args.database}")
    call_command("migrate", verbosity=0)
    today = date.today()
    if not loaded(args.dossiers):
        if args.reuse and database_exists(url):
            recreate_database(url)
            from django.db import connection

            connection.close()
            call_command("migrate", verbosity=0)
        timings = synthesize(args.dossiers, today)
        say("  generated in " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    if not args.only or "report" in args.only:
        rollups_ensure()
    say(describe())
    if args.explain and args.only:
        explain_pages(args.only)
    elif args.explain:
        explain_counts()
    if args.generate_only or args.explain:
        return 0
    return 0 if bench_pages(args) else 1


def describe() -> str:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'dossiers_dossier'")
        d = c.fetchone()[0]
        # (a partitioned table, bench_scale_partition.py: the sum of its partitions)
        c.execute("SELECT sum(reltuples)::bigint FROM pg_class WHERE oid = 'dossiers_dossierevent'::regclass AND "
                  "relkind = 'r' OR oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = "
                  "'dossiers_dossierevent'::regclass)")
        e = c.fetchone()[0]
        c.execute("SELECT count(*) FROM dossiers_dossier WHERE state IN "
                  "('submitted', 'received', 'in_processing', 'awaiting_supplement')")
        o = c.fetchone()[0]
        c.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = c.fetchone()[0]
    return f"Data: ~{d:,} dossiers ({o:,} open), ~{e:,} events, database {size}"


# --- timing ---------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def time_get(client, url: str, runs: int) -> tuple[float, float, int]:
    """Median and p95 (ms) of `runs` GETs in process, after one warm-up; the last status."""
    client.get(url)
    times = []
    status = 0
    for _i in range(runs):
        t0 = time.perf_counter()
        status = client.get(url).status_code
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), percentile(times, 95), status


def intake_loop(url: str, rate: float) -> None:
    """The background load: receive dossiers at `rate` per second through the intake service
    until terminated (SIGTERM), then print how many."""
    import random
    import signal

    setup_django(url)
    from django.contrib.auth import get_user_model

    from dossiers.models import Procedure, Unit
    from dossiers.services import lifecycle

    stop = []
    signal.signal(signal.SIGTERM, lambda *_a: stop.append(1))
    communes = list(Unit.objects.filter(level="commune").order_by("code")[:20])
    procs = list(Procedure.objects.filter(code__startswith="2."))
    clerks = {u.staff.unit_id: u for u in get_user_model().objects.filter(username__startswith="clerk-")
              .select_related("staff")}
    rnd = random.Random(7)
    done, t0 = 0, time.monotonic()
    while not stop:
        commune = rnd.choice(communes)
        lifecycle.dossier_register(
            procedure=rnd.choice(procs), receiving_unit=commune, resolving_unit=commune, channel="direct",
            applicant={"name": f"Nguyễn Văn Tải {done}", "id_number": f"{rnd.randrange(10**12):012d}",
                       "phone": f"09{rnd.randrange(10**8):08d}", "address": "Phú Thọ"},
            actor=clerks.get(commune.pk))
        done += 1
        pause = t0 + done / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    elapsed = time.monotonic() - t0
    print(json.dumps({"intakes": done, "seconds": round(elapsed, 1), "rate": round(done / elapsed, 1)}), flush=True)


def explain_counts() -> None:
    """EXPLAIN ANALYZE of every query of the left menu's counts, for the province (whole tree)
    and one commune: each reads the counted states only (``selectors.COUNTED_STATES``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dossiers.models import Unit
    from dossiers.selectors import dossier_counts_by_state

    commune = Unit.objects.filter(level="commune").order_by("code")[5]
    for label, scope in (("province (whole tree)", None), (f"commune {commune.code}", {commune.pk})):
        with CaptureQueriesContext(connection) as ctx:
            dossier_counts_by_state(unit_ids=scope)
        for q in ctx.captured_queries:
            if "COUNT(" not in q["sql"].upper():
                continue
            with connection.cursor() as c:
                c.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + q["sql"])
                say(f"-- {label}\n" + "\n".join(r[0] for r in c.fetchall()))


def bench_plan(only: str = ""):
    """(people, sample dossier, pages): the three users, a dossier of the commune, and every
    page timed, as (label, url)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from dossiers.models import Dossier, Unit

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    User = get_user_model()
    province = Unit.objects.get(code="000.00.00.H25")
    commune = Unit.objects.filter(level="commune").order_by("code")[5]
    agency = Unit.objects.filter(kind="agency").order_by("code")[3]
    people = [
        ("province leader", User.objects.get(username=f"lead-{province.code}")),
        ("commune leader", User.objects.get(username=f"lead-{commune.code}")),
        ("agency officer", User.objects.get(username=f"off-{agency.code}-0")),
    ]
    sample = Dossier.objects.filter(receiving_unit=commune, state="in_processing").order_by("-id").first()
    old = Dossier.objects.filter(receiving_unit=commune).order_by("id").first()
    prefix = sample.code.rsplit("-", 1)[0][:-2]  # unit code and YYMM: a month of the commune's codes
    searches = [("search: name without diacritics", "nguyen van duc"), ("search: name (2)", "tran thi kiem"),
                ("search: two words", "nguyen van"),
                ("search: code prefix", prefix), ("search: CCCD", old.applicant_id_number),
                ("search: phone", old.applicant_phone)]
    pages = [(f"list: {tab}", reverse("dossiers:list", args=[tab]))
             for tab in ("submitted", "processing", "supplement", "result", "returned")]
    pages += [("dashboard", reverse("monitoring:dashboard")), ("dashboard JSON", reverse("monitoring:dashboard_data")),
              ("inbox", reverse("dossiers:inbox"))]
    pages += [(label, f"{reverse('dossiers:search')}?q={q}") for label, q in searches]
    pages += [("API list", "/api/v1/dossiers/"),
              ("API list, 2 filters", "/api/v1/dossiers/?status=in_processing&received_from="
                                      f"{(date.today() - timedelta(days=60)).isoformat()}"),
              ("dossier page", reverse("dossiers:detail", args=[sample.code])),
              ("report page", reverse("reporting:report_quarterly"))]
    if only:
        pages = [p for p in pages if only in p[0]]
    return people, sample, pages


def _page_url(user, label: str, url: str, sample) -> str:
    """The dossier page of a user who cannot see the sample: their latest dossier in processing."""
    from django.urls import reverse

    from dossiers.selectors import dossiers_visible_to

    if label == "dossier page" and not dossiers_visible_to(user).filter(pk=sample.pk).exists():
        return reverse("dossiers:detail", args=[dossiers_visible_to(user).filter(
            state="in_processing").order_by("-id").values_list("code", flat=True).first()])
    return url


def explain_pages(only: str) -> None:
    """EXPLAIN ANALYZE the three slowest queries of each page whose label contains `only`, for
    each user (after a warm-up request): the plans show which index each walks and how many
    rows it reads."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    people, sample, pages = bench_plan(only)
    for who, user in people:
        client = Client()
        client.force_login(user)
        for label, url in pages:
            url = _page_url(user, label, url, sample)
            if client.get(url).status_code == 403:
                continue
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            slow = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]
            for q in slow:
                if not q["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                with connection.cursor() as c:
                    c.execute("EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) " + q["sql"])
                    plan = "\n".join(r[0] for r in c.fetchall())
                say(f"-- {who} · {label} · {float(q['time']) * 1000:.0f} ms\n{q['sql'][:400]}\n{plan}\n")


def bench_pages(args) -> bool:
    """Time every page for the three users; True if every median and p95 is within target."""
    import subprocess

    from django.test import Client

    people, sample, pages = bench_plan(args.only)
    background = None
    if args.intake_rate > 0:
        background = subprocess.Popen([sys.executable, __file__, "--intake-loop", "--database", args.database,
                                       "--intake-rate", str(args.intake_rate)], stdout=subprocess.PIPE, text=True)
        time.sleep(3)
    ok = True
    rows = []
    loads = [os.getloadavg()[0]]
    try:
        base_client = Client()
        base_client.force_login(people[0][1])
        base_url = f"/api/v1/dossiers/{sample.code}/"
        base_med, base_p95, status = time_get(base_client, base_url, args.runs)
        assert status == 200, status
        say(f"Baseline (API detail of one dossier by its code, province leader): median {base_med:.1f} ms, "
            f"p95 {base_p95:.1f} ms")
        for who, user in people:
            client = Client()
            client.force_login(user)
            for label, url in pages:
                url = _page_url(user, label, url, sample)
                if client.get(url).status_code == 403:  # not this role's page (dashboard, report: leaders)
                    continue
                if background is not None and background.poll() is not None:
                    raise RuntimeError("the background intake stopped (its traceback is above)")
                med, p95, status = time_get(client, url, args.runs)
                hit = med < MEDIAN_TARGET_MS and p95 < P95_TARGET_MS
                ok &= hit and status == 200
                rows.append((who, label, med, p95, med / base_med, status, hit))
                loads.append(os.getloadavg()[0])
                say(f"  {who:16} {label:34} median {med:7.1f} ms  p95 {p95:7.1f} ms  ×{med / base_med:5.1f}"
                    f"  {status}{'' if hit else '  ✗'}")
    finally:
        if background is not None:
            background.terminate()
            out, _err = background.communicate(timeout=60)
            say(f"Background intake: {out.strip()}")
    say(f"Load average (1 min) during the run: {min(loads):.1f}–{max(loads):.1f}, median "
        f"{statistics.median(loads):.1f} ({os.cpu_count()} CPUs)")
    met = sum(1 for r in rows if r[6])
    say(f"{met} of {len(rows)} pages within median < {MEDIAN_TARGET_MS:.0f} ms and p95 < {P95_TARGET_MS:.0f} ms")
    return ok


if __name__ == "__main__":
    sys.exit(main())
