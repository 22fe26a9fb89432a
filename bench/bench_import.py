#!/usr/bin/env python
"""Benchmark: `import_dossiers` of 100,000 realistic dossier histories on PostgreSQL.

Creates a scratch database (``onecua_bench_import``, dropped and re-created each run) on the
PostgreSQL server of ``BENCH_DATABASE_URL`` / ``DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432), migrates it, loads the demo catalogue, writes a CSV of
realistic rows (demo.history.history_rows_random: all outcomes, supplements, liên thông
hand-offs, "4 tại chỗ", three channels) and times ``manage.py import_dossiers`` on it.

Target (interfaces.md / the import brief): 100,000 rows in under 2 minutes. Exit status 1 if
the target is missed.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--services-sample 1000] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from scratch import recreate_database, scratch_url  # noqa: E402

SCRATCH_DB = "onecua_bench_import"
TARGET_SECONDS = 120.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--services-sample", type=int, default=1000,
                        help="also time the per-row service path (--via-services) on this many rows (0: skip)")
    parser.add_argument("--profile", action="store_true", help="print the cProfile top functions of each import")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()

    url = scratch_url(SCRATCH_DB)
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onecua.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from dossiers.models import Dossier, DossierEvent
    from demo.catalogue import demo_load
    from demo.history import history_csv_write, history_rows_random

    print(f"Scratch database: {SCRATCH_DB} on {urlsplit(url).hostname}")
    call_command("migrate", verbosity=0)
    demo_load()

    today = date.today()
    started = time.monotonic()
    rows = history_rows_random(count=args.rows, start=today - timedelta(days=730), end=today - timedelta(days=1), seed=7)
    print(f"Generated {len(rows):,} rows in {time.monotonic() - started:.1f} s")
    tmp = Path(tempfile.mkdtemp(prefix="onecua-bench-"))
    main_csv = tmp / "history.csv"
    with open(main_csv, "w", encoding="utf-8", newline="") as fh:
        history_csv_write(rows, fh)
    outcomes = {}
    for r in rows:
        outcomes[r["outcome"] or "open"] = outcomes.get(r["outcome"] or "open", 0) + 1
    with_pauses = sum(1 for r in rows if r["supplements"])
    with_transfers = sum(1 for r in rows if r["transfers"])
    print(f"  outcomes {outcomes}; with supplements {with_pauses:,}; with transfers {with_transfers:,}; "
          f"4 tại chỗ {sum(1 for r in rows if r['on_the_spot']):,}")

    def backend_cpu() -> float | None:
        """CPU seconds used so far by this connection's PostgreSQL backend (same machine only)."""
        with connection.cursor() as c:
            c.execute("SELECT pg_backend_pid()")
            pid = c.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def timed_import(path: Path, *extra: str) -> float:
        profiler = cProfile.Profile() if args.profile else None
        out, err = io.StringIO(), io.StringIO()
        server0 = backend_cpu()
        cpu0 = time.process_time()
        t0 = time.monotonic()
        if profiler:
            profiler.enable()
        call_command("import_dossiers", str(path), *extra, stdout=out, stderr=err)
        if profiler:
            profiler.disable()
        elapsed = time.monotonic() - t0
        cpu = time.process_time() - cpu0
        server1 = backend_cpu()
        server = f"{server1 - server0:.1f} s" if server0 is not None and server1 is not None else "unknown"
        print(f"  wall {elapsed:.1f} s; CPU: Python {cpu:.1f} s, PostgreSQL backend {server}; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        if profiler:
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(30)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return elapsed

    elapsed = timed_import(main_csv)
    n_dossiers = Dossier.objects.count()
    n_events = DossierEvent.objects.count()
    rate = args.rows / elapsed
    print(f"import_dossiers: {args.rows:,} rows in {elapsed:.1f} s = {rate:,.0f} rows/s "
          f"({n_dossiers:,} dossiers, {n_events:,} events in the database)")
    ok = elapsed < TARGET_SECONDS * args.rows / 100_000

    if args.services_sample:
        sample = history_rows_random(count=args.services_sample, start=today - timedelta(days=60),
                                     end=today - timedelta(days=1), seed=8, with_codes=False)
        sample_csv = tmp / "sample.csv"
        with open(sample_csv, "w", encoding="utf-8", newline="") as fh:
            history_csv_write(sample, fh)
        slow = timed_import(sample_csv, "--via-services")
        print(f"import_dossiers --via-services: {len(sample):,} rows in {slow:.1f} s = {len(sample) / slow:,.0f} rows/s "
              f"(100,000 rows would take ~{100_000 / (len(sample) / slow) / 60:.0f} min)")

    connection.close()
    if not args.keep:
        recreate_database(url)  # leave an empty scratch database behind, not gigabytes
    print("OK" if ok else f"SLOW: target is {TARGET_SECONDS:.0f} s per 100,000 rows")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
