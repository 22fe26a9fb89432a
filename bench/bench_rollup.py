#!/usr/bin/env python
"""Benchmark: the roll-up of one day with (at least) 50,000 events, and the worker's memory.

Creates a scratch PostgreSQL database (``onecua_bench_rollup``; or reuses another with
``--database NAME --reuse``, e.g. the 10-million-dossier database of bench_report.py kept with
``--keep``), fills it in SQL with ``--dossiers`` synthetic dossiers (default 1,500,000
received over 90 days from 01/04/2024: ~16,700 a day, ~65,000 events a day; see
bench_report.py for the data), then:

1. picks the busiest period-boundary day (the 14th or the last day of a month, whose roll-up
   also snapshots the stock in progress: the most expensive kind of day) and counts its events;
2. runs ``manage.py rollup --from D --to D`` in a child process: wall time and peak memory;
3. runs ``manage.py rollup`` over 31 days in a child process: the peak memory must not grow
   with the range (the worker streams).

Targets (issue 6): the day in at most 10 s; the worker under 300 MB. Exit status 1 if missed.

    .venv/bin/python bench/bench_rollup.py [--dossiers 1500000] [--database NAME --reuse] [--keep]
"""
from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_report import counts, rollup_child, say, synthesize  # noqa: E402
from scratch import drop_database, recreate_database, scratch_url, setup_django  # noqa: E402

SCRATCH_DB = "onecua_bench_rollup"
FIRST_DAY, DAYS = date(2024, 4, 1), 90
TARGET_SECONDS = 10.0
TARGET_MB = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_500_000)
    parser.add_argument("--database", default=SCRATCH_DB)
    parser.add_argument("--reuse", action="store_true", help="use the data already in --database")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()

    url = scratch_url(args.database)
    if not args.reuse:
        recreate_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from reporting.models import RollupDay
    from reporting.periods import LOCAL_TZ, is_boundary_day, local_midnight

    call_command("migrate", verbosity=0)
    if not args.reuse:
        say(f"Generating {args.dossiers:,} synthetic dossiers over {DAYS} days in SQL …")
        timings = synthesize(args.dossiers, first_day=FIRST_DAY, days=DAYS)
        say(f"Generated in {timings['total']:.0f} s")
    n_dossiers, n_events = counts()
    say(f"Database {args.database}: {n_dossiers:,} dossiers, ~{n_events:,} events")

    with connection.cursor() as c:
        c.execute("SELECT min(received_at), max(received_at) FROM dossiers_dossier")
        first, last = c.fetchone()
    candidates = []
    day = first.astimezone(LOCAL_TZ).date() + timedelta(days=20)
    while day < last.astimezone(LOCAL_TZ).date() - timedelta(days=5):
        if is_boundary_day(day):
            candidates.append(day)
        day += timedelta(days=1)
    with connection.cursor() as c:
        busiest = None
        for d in candidates:
            c.execute("SELECT count(*) FROM dossiers_dossierevent WHERE at >= %s AND at < %s",
                      [local_midnight(d), local_midnight(d + timedelta(days=1))])
            n = c.fetchone()[0]
            if busiest is None or n > busiest[1]:
                busiest = (d, n)
    day, events = busiest
    say(f"Day {day:%d/%m/%Y} (a boundary day: flows + stock snapshot + segment): {events:,} events")
    connection.close()

    seconds, rss_mb, _out = rollup_child(url, day, day)
    marker = RollupDay.objects.get(day=day)
    say(f"  rollup --from {day} --to {day}: {seconds:.1f} s wall in a child process "
        f"({marker.seconds:.1f} s inside rollup_day, {marker.dossiers:,} dossiers read, {marker.rows:,} rows), "
        f"peak memory {rss_mb:.0f} MB")
    start = day - timedelta(days=30)
    range_seconds, range_rss, out = rollup_child(url, start, day)
    say(f"  rollup over 31 days ({start:%d/%m} – {day:%d/%m}): {range_seconds:.0f} s "
        f"({range_seconds / 31:.1f} s/day), peak memory {range_rss:.0f} MB")
    ok = events >= 50_000 and marker.seconds <= TARGET_SECONDS and max(rss_mb, range_rss) < TARGET_MB
    connection.close()
    if not args.keep and not args.reuse:
        drop_database(url)
    say("OK" if ok else f"TARGET MISSED (≥ 50,000 events in ≤ {TARGET_SECONDS:.0f} s, worker < {TARGET_MB} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
