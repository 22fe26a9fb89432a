#!/usr/bin/env python
"""Benchmark: the quarterly report at national scale, from roll-ups and straight from the dossiers.

Creates a scratch PostgreSQL database (``onecua_bench_report`` on the server of
``BENCH_DATABASE_URL`` / ``DATABASE_URL``, default postgres://postgres@127.0.0.1:5432; dropped
and re-created each run unless ``--reuse``), migrates it and fills it with synthetic national
data *in SQL* (``INSERT … SELECT … generate_series``, never the ORM): 63 provinces × (20
agencies, 10 districts, 150 communes) ≈ 11,400 resolving units, 300 procedures in 30 fields,
``--dossiers`` dossiers (default 10,000,000) received over 2024 with their events (receipt,
assignment, supplement requests and resumes, resolution, return: ~3.9 per dossier) and pauses.
Classes follow the stored due dates; 3 % of dossiers are never resolved (a backlog).

Then, for regulatory Q2/2024 (15/03 – 14/06/2024):

1. ``manage.py rollup --from 2024-03-14 --to 2024-06-14`` in a child process (its peak
   memory is read from ``getrusage``);
2. the national report from the roll-ups (three runs, the median) and straight from the
   dossiers (two runs, the faster), in this same process, and checks they are identical.

Targets (issue 6): the report from roll-ups in under 1 s and at least 20 times faster than the
direct computation; the roll-up worker under 300 MB. Exit status 1 if a target is missed.

    .venv/bin/python bench/bench_report.py [--dossiers 10000000] [--reuse] [--keep]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from scratch import (  # noqa: E402
    drop_database, insert_columns, load_session, recreate_database, scratch_url, secondary_indexes_drop,
    secondary_indexes_restore, setup_django, staged_events_insert,
)

SCRATCH_DB = "onecua_bench_report"
TZ = "Asia/Ho_Chi_Minh"

PROVINCES = 63
AGENCIES, DISTRICTS, COMMUNES = 20, 10, 150
FIELDS, PROCEDURES = 30, 300
FIRST_DAY, DAYS = date(2024, 1, 1), 366


def say(msg: str) -> None:
    print(msg, flush=True)


# --- synthetic national data -----------------------------------------------------------------------


def _organisation() -> None:
    """Units, fields and procedures (small: the ORM is fine), and two mapping tables for SQL."""
    from django.db import connection

    from dossiers.models import Field, Procedure, Unit

    roots = Unit.objects.bulk_create([
        Unit(code=f"P{p:02d}.UB", name=f"Ủy ban nhân dân tỉnh {p:02d}", level="province", kind="people_committee")
        for p in range(PROVINCES)])
    centres = Unit.objects.bulk_create([
        Unit(code=f"P{p:02d}.TT", name=f"Trung tâm Phục vụ hành chính công tỉnh {p:02d}", level="province",
             kind="service_centre", parent=roots[p]) for p in range(PROVINCES)])
    rows = []  # (level, province, idx, unit, receiving unit)
    for p in range(PROVINCES):
        agencies = Unit.objects.bulk_create([
            Unit(code=f"P{p:02d}.S{i:02d}", name=f"Sở {i:02d} tỉnh {p:02d}", level="province", kind="agency",
                 parent=roots[p]) for i in range(AGENCIES)])
        rows += [("province", p, i, u.pk, centres[p].pk) for i, u in enumerate(agencies)]
        districts = Unit.objects.bulk_create([
            Unit(code=f"P{p:02d}.H{i:02d}", name=f"Ủy ban nhân dân huyện {i:02d} tỉnh {p:02d}", level="district",
                 kind="people_committee", parent=roots[p]) for i in range(DISTRICTS)])
        counters = Unit.objects.bulk_create([
            Unit(code=f"P{p:02d}.H{i:02d}.MC", name=f"Bộ phận một cửa huyện {i:02d} tỉnh {p:02d}", level="district",
                 kind="service_centre", parent=districts[i]) for i in range(DISTRICTS)])
        rows += [("district", p, i, u.pk, counters[i].pk) for i, u in enumerate(districts)]
        communes = Unit.objects.bulk_create([
            Unit(code=f"P{p:02d}.H{i % DISTRICTS:02d}.X{i:03d}", name=f"Ủy ban nhân dân xã {i:03d} tỉnh {p:02d}",
                 level="commune", kind="people_committee", parent=districts[i % DISTRICTS]) for i in range(COMMUNES)])
        rows += [("commune", p, i, u.pk, u.pk) for i, u in enumerate(communes)]
    fields = Field.objects.bulk_create([Field(name=f"Lĩnh vực {i:02d}") for i in range(FIELDS)])
    first_of = {lv: next(r[3] for r in rows if r[0] == lv) for lv in ("province", "district", "commune")}
    times = [1, 2, 3, 5, 7, 10, 15, 20, 30]
    procs = []
    for i in range(PROCEDURES):
        level = "province" if i < 100 else "district" if i < 180 else "commune"
        # Each agency owns 5 procedures of its own field; districts share 8 fields, communes 4
        # (hộ tịch, chứng thực, đất đai, bảo trợ xã hội…), as a real catalogue would.
        field = i // 5 if i < 100 else 20 + (i - 100) // 10 if i < 180 else 26 + (i - 180) // 30
        procs.append(Procedure(code=f"9.{i:06d}", name=f"Thủ tục {i:03d}", field=fields[field],
                               processing_time=times[i % len(times)], time_unit="working_days",
                               resolving_unit_id=first_of[level]))
    procs = Procedure.objects.bulk_create(procs)
    with connection.cursor() as c:
        c.execute("CREATE TABLE bench_unit_map (level text, province int, idx int, unit_id bigint, receiving_id bigint,"
                  " PRIMARY KEY (level, province, idx))")
        c.executemany("INSERT INTO bench_unit_map VALUES (%s, %s, %s, %s, %s)", rows)
        c.execute("CREATE TABLE bench_proc (idx int PRIMARY KEY, procedure_id bigint, level text, n int)")
        c.executemany("INSERT INTO bench_proc VALUES (%s, %s, %s, %s)",
                      [(i, p.pk, "province" if i < 100 else "district" if i < 180 else "commune", p.processing_time)
                       for i, p in enumerate(procs)])


def synthesize(n: int, *, first_day: date = FIRST_DAY, days: int = DAYS, seed: float = 0.42) -> dict[str, float]:
    """Fill the (migrated, empty) database with `n` synthetic dossiers received over `days`
    days from `first_day`; returns timings."""
    from django.db import connection, transaction

    timings = {}
    t0 = time.monotonic()
    _organisation()
    tables = ["dossiers_dossier", "dossiers_dossierevent", "dossiers_dossierpause"]
    with connection.cursor() as c:
        indexes = secondary_indexes_drop(c, tables)
    with transaction.atomic(), connection.cursor() as c:
        load_session(c, seed)
        say(f"  staging {n:,} dossiers …")
        c.execute(f"""
            CREATE UNLOGGED TABLE bench_src AS
            WITH r AS (
                SELECT g, random() r0, random() r1, random() r2, random() r3, random() r4, random() r5, random() r6,
                       random() r7, random() r8, random() r9, random() r10, random() r11, random() r12
                FROM generate_series(1, {n}) g
            ), lv AS (
                -- levels as in Hòa Bình's report: ~30 % province agencies, ~10 % districts, ~60 % communes
                SELECT r.*, CASE WHEN r0 < 0.3 THEN 'province' WHEN r0 < 0.4 THEN 'district' ELSE 'commune' END AS level
                FROM r
            ), lvu AS (
                SELECT lv.*, (g % {PROVINCES}) AS prov,
                       floor(r2 * CASE level WHEN 'province' THEN {AGENCIES} WHEN 'district' THEN {DISTRICTS}
                                   ELSE {COMMUNES} END)::int AS uidx,
                       DATE '{first_day.isoformat()}' + floor(r4 * {days})::int AS day
                FROM lv
            ), base AS (
                SELECT lvu.*, p.procedure_id, p.n
                FROM lvu JOIN bench_proc p ON p.idx = CASE lvu.level
                    WHEN 'province' THEN lvu.uidx * 5 + floor(lvu.r1 * 5)::int
                    WHEN 'district' THEN 100 + floor(lvu.r1 * 80)::int
                    ELSE 180 + floor(lvu.r1 * 120)::int END
            ), t AS (
                SELECT b.*, u.unit_id, u.receiving_id,
                       CASE WHEN r3 < 0.75 THEN 'online' WHEN r3 < 0.95 THEN 'direct' ELSE 'postal' END AS channel,
                       ((b.day + time '07:30' + r5 * interval '9 hours 30 minutes') AT TIME ZONE '{TZ}') AS received_at,
                       b.day + ceil(b.n * 1.4)::int AS base_due,
                       r6 < 0.05 AS p1, r6 < 0.004 AS p2,
                       1 + floor(r8 * 5)::int AS p1_days
                FROM base b JOIN bench_unit_map u ON u.level = b.level AND u.province = b.prov AND u.idx = b.uidx
            ), q AS (
                SELECT t.*,
                       CASE WHEN p1 THEN received_at + (r7 * 0.4 * (base_due - day)) * interval '1 day' END AS p1_start,
                       base_due + CASE WHEN p1 THEN p1_days ELSE 0 END + CASE WHEN p2 THEN 2 ELSE 0 END AS due
                FROM t
            ), e AS (
                SELECT q.*,
                       p1_start + p1_days * interval '1 day' AS p1_end,
                       CASE WHEN p2 THEN p1_start + (p1_days + 1) * interval '1 day' END AS p2_start,
                       CASE WHEN p2 THEN p1_start + (p1_days + 3) * interval '1 day' END AS p2_end
                FROM q
            ), f AS (
                SELECT e.*,
                       CASE WHEN r9 < 0.97 THEN greatest(
                           received_at + (r10 * 1.03) * (((due + time '17:00') AT TIME ZONE '{TZ}') - received_at),
                           coalesce(p2_end, p1_end, received_at) + interval '1 hour') END AS resolved_at
                FROM e
            )
            SELECT f.*, g AS id, (resolved_at AT TIME ZONE '{TZ}')::date AS resolved_on FROM f
        """)
        timings["staging"] = time.monotonic() - t0
        say(f"  dossiers … ({timings['staging']:.0f} s)")
        cols, vals = insert_columns(c, "dossiers_dossier", {
            "id": "id", "code": "'S' || id", "procedure_id": "procedure_id", "receiving_unit_id": "receiving_id",
            "resolving_unit_id": "unit_id", "current_unit_id": "CASE WHEN resolved_at IS NULL THEN unit_id ELSE receiving_id END",
            "channel": "channel", "return_channel": "'counter'",
            "state": "CASE WHEN resolved_at IS NULL THEN 'in_processing' WHEN r11 < 0.015 THEN 'withdrawn' "
                     "WHEN r11 < 0.025 THEN 'refused' WHEN r12 < 0.9 THEN 'returned' ELSE 'approved' END",
            "on_the_spot": "false", "applicant_name": "'Nguyễn Văn ' || (id % 997)", "documents": "'[]'::jsonb",
            "copies": "1", "submitted_at": "received_at", "received_at": "received_at", "receipt_date": "day",
            "processing_time": "n", "time_unit": "'working_days'", "base_due_date": "base_due", "due_date": "due",
            "due_at": f"(due + time '17:00') AT TIME ZONE '{TZ}'",
            "supplement_count": "CASE WHEN p2 THEN 2 WHEN p1 THEN 1 ELSE 0 END",
            "resolved_at": "resolved_at", "resolved_on": "resolved_on",
            "outcome": "CASE WHEN resolved_at IS NULL THEN '' WHEN r11 < 0.015 THEN 'withdrawn' "
                       "WHEN r11 < 0.025 THEN 'refused' ELSE 'approved' END",
            "classification": "CASE WHEN resolved_at IS NULL THEN '' WHEN resolved_on < due THEN 'early' "
                              "WHEN resolved_on = due THEN 'on_time' ELSE 'late' END",
            "returned_at": "CASE WHEN resolved_at IS NOT NULL AND r11 >= 0.025 AND r12 < 0.9 "
                           "THEN resolved_at + interval '1 day' END",
            "created_at": "received_at", "updated_at": "coalesce(resolved_at, received_at)", "version": "3",
        })
        c.execute(f"INSERT INTO dossiers_dossier ({cols}) SELECT {vals} FROM bench_src")
        timings["dossiers"] = time.monotonic() - t0
        say(f"  pauses and events … ({timings['dossiers']:.0f} s)")
        cols, vals = insert_columns(c, "dossiers_dossierpause", {
            "dossier_id": "id", "requested_at": "s", "completed_at": "e", "reason": "'Thiếu giấy tờ'",
            "documents": "''"})
        c.execute(f"INSERT INTO dossiers_dossierpause ({cols}) SELECT {vals} FROM ("
                  "SELECT id, p1_start s, p1_end e FROM bench_src WHERE p1 UNION ALL "
                  "SELECT id, p2_start, p2_end FROM bench_src WHERE p2) x")
        events = [
            # action, from, to, at, due
            ("'receive'", "''", "'received'", "received_at", "base_due", "true"),
            ("'assign'", "'received'", "'in_processing'", "received_at + interval '5 minutes'", "base_due", "true"),
            ("'request-supplement'", "'in_processing'", "'awaiting_supplement'", "p1_start", "base_due", "p1"),
            ("'resume'", "'awaiting_supplement'", "'in_processing'", "p1_end", "due - CASE WHEN p2 THEN 2 ELSE 0 END", "p1"),
            ("'request-supplement'", "'in_processing'", "'awaiting_supplement'", "p2_start",
             "due - 2", "p2"),
            ("'resume'", "'awaiting_supplement'", "'in_processing'", "p2_end", "due", "p2"),
            ("CASE WHEN r11 < 0.015 THEN 'withdraw' WHEN r11 < 0.025 THEN 'refuse' ELSE 'approve' END", "'in_processing'",
             "CASE WHEN r11 < 0.015 THEN 'withdrawn' WHEN r11 < 0.025 THEN 'refused' ELSE 'approved' END",
             "resolved_at", "due", "resolved_at IS NOT NULL"),
            ("'return-result'", "'approved'", "'returned'", "resolved_at + interval '1 day'", "due",
             "resolved_at IS NOT NULL AND r11 >= 0.025 AND r12 < 0.9"),
        ]
        staged_events_insert(c, events, tables)
    timings["events"] = time.monotonic() - t0
    say(f"  indexes … ({timings['events']:.0f} s)")
    with connection.cursor() as c:
        secondary_indexes_restore(c, indexes, tables)
    timings["total"] = time.monotonic() - t0
    return timings


def counts() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM dossiers_dossier")
        d = c.fetchone()[0]
        c.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'dossiers_dossierevent'")
        e = c.fetchone()[0]
    return d, e


_CHILD = """
import atexit, resource, runpy, sys
atexit.register(lambda: sys.stderr.write(f"MAXRSS_KB={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n"))
sys.argv = ["manage.py", "rollup", "--from", sys.argv[1], "--to", sys.argv[2]]
runpy.run_path(%r, run_name="__main__")
"""


def rollup_child(url: str, start: date, end: date) -> tuple[float, float, str]:
    """Run `manage.py rollup` in a child process: (seconds, its own peak RSS in MB, output)."""
    env = dict(os.environ, DATABASE_URL=url, DEBUG="true", LOG_LEVEL="WARNING")
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _CHILD % str(ROOT / "manage.py"), start.isoformat(), end.isoformat()],
                          env=env, capture_output=True, text=True, check=True, cwd=str(ROOT))
    seconds = time.monotonic() - t0
    kb = int(next(line for line in done.stderr.splitlines() if line.startswith("MAXRSS_KB=")).split("=")[1])
    return seconds, kb / 1024, done.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run (skip generation)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    parser.add_argument("--database", default=SCRATCH_DB)
    args = parser.parse_args()

    url = scratch_url(args.database)
    if not args.reuse:
        recreate_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from reporting.models import DailyStatistic, DailyStock, RollupDay, SegmentStatistic
    from reporting.periods import Period
    from reporting.selectors import SOURCE_DIRECT, SOURCE_ROLLUP, report_figures

    say(f"Scratch database {args.database} on {urlsplit(url).hostname} "
        f"(PostgreSQL {connection.cursor().connection.info.server_version // 10000}), {os.cpu_count()} CPUs")
    call_command("migrate", verbosity=0)
    if not args.reuse:
        say(f"Generating {args.dossiers:,} synthetic dossiers in SQL …")
        timings = synthesize(args.dossiers)
        say(f"Generated in {timings['total']:.0f} s (dossiers {timings['dossiers']:.0f} s, events and pauses "
            f"{timings['events'] - timings['dossiers']:.0f} s, indexes {timings['total'] - timings['events']:.0f} s)")
    n_dossiers, n_events = counts()
    say(f"Database: {n_dossiers:,} dossiers, ~{n_events:,} events")

    period = Period.quarter(2024, 2)
    say(f"Period: {period.label_vi()}")
    for model in (DailyStatistic, DailyStock, SegmentStatistic, RollupDay):
        model.objects.all().delete()
    seconds, rss_mb, output = rollup_child(url, period.day_before(), period.end)
    say(f"Roll-up of {period.length + 1} days: {seconds:.0f} s ({seconds / (period.length + 1):.1f} s/day), "
        f"peak memory of the worker {rss_mb:.0f} MB")
    say("  " + output.splitlines()[-1])
    days = list(RollupDay.objects.order_by("day").values_list("day", "seconds", "has_stock", "dossiers"))
    slowest = max(days, key=lambda d: d[1])
    say(f"  slowest day {slowest[0]:%d/%m/%Y}: {slowest[1]:.1f} s ({'with' if slowest[2] else 'without'} stock "
        f"snapshot, {slowest[3]:,} dossiers read)")
    say(f"  rows: {DailyStatistic.objects.count():,} daily, {DailyStock.objects.count():,} stock, "
        f"{SegmentStatistic.objects.count():,} segment")

    rolled_times = []
    for _ in range(3):
        t0 = time.monotonic()
        rolled = report_figures(period=period, source=SOURCE_ROLLUP)
        rolled_times.append(time.monotonic() - t0)
    direct_times = []
    for _ in range(2):
        t0 = time.monotonic()
        direct = report_figures(period=period, source=SOURCE_DIRECT)
        direct_times.append(time.monotonic() - t0)
    same = all(rolled[k] == direct[k] for k in ("totals", "levels", "fields"))
    t_rollup, t_direct = statistics.median(rolled_times), min(direct_times)
    ratio = t_direct / t_rollup
    totals = rolled["totals"]
    say(f"Report ({sum(len(lv['units']) for lv in rolled['levels']):,} unit rows, {len(rolled['fields'])} fields): "
        f"received {totals['received_total']:,} (carried over {totals['carried_over']:,}), "
        f"resolved {totals['resolved_total']:,}, in progress {totals['in_progress_total']:,} "
        f"(overdue {totals['in_progress_overdue']:,}); on-time rate {totals['on_time_rate']} %")
    say(f"  from roll-ups: {t_rollup:.3f} s (runs {', '.join(f'{t:.3f}' for t in rolled_times)})")
    say(f"  direct:        {t_direct:.2f} s (runs {', '.join(f'{t:.2f}' for t in direct_times)})")
    say(f"  ratio {ratio:.0f}×; identical figures: {'yes' if same else 'NO'}")
    ok = same and t_rollup < 1.0 and ratio >= 20 and rss_mb < 300
    connection.close()
    if not args.keep:
        drop_database(url)
    say("OK" if ok else "TARGET MISSED (report < 1 s, ≥ 20× direct, identical figures, worker < 300 MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
