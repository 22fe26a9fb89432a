"""Benchmark of the deadline engine (not a test): ``python bench/bench_calendar.py``.

Targets: computing 1,000,000 due dates with a 50-year Vietnamese calendar reaches at least
200,000 per second on one core, and the calendar takes under 50 MB (tracemalloc around
building it). Speed is judged on CPU time of this process (``time.process_time``: what one
core does, whatever else the machine runs); wall-clock figures are printed next to it. Each
due date is a real ``compute_due`` from an aware receipt instant (stored as
UTC, as Django returns it), so it includes the time-zone conversion and the DueDate object; the
explanation text is lazy and not part of the figure. Exits 1 when a target is missed.

Options: ``--n N`` (default 1,000,000), ``--first-year``/``--last-year`` (default 2000–2049),
``--seed``, ``--pin`` (pin the process to one CPU).
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dossiers.calendar import LOCAL_TZ, TimeUnit, compute_due  # noqa: E402
from dossiers.vn_calendar import build_vn_calendar  # noqa: E402

TARGET_PER_SECOND = 200_000
TARGET_MEMORY_MB = 50.0


def pin_to_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def build(first_year: int, last_year: int):
    gc.collect()
    tracemalloc.start()
    base_current, _ = tracemalloc.get_traced_memory()
    t0 = time.perf_counter()
    cal = build_vn_calendar(first_year=first_year, last_year=last_year)
    seconds = time.perf_counter() - t0
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return cal, seconds, (current - base_current) / 2**20, (peak - base_current) / 2**20


def receipts(n: int, first_year: int, last_year: int, seed: int):
    """Aware UTC instants spread over the calendar, leaving the last two years for deadlines."""
    rng = random.Random(seed)
    start = datetime(first_year, 1, 1, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
    span = int((datetime(last_year - 1, 1, 1, tzinfo=timezone.utc) - start).total_seconds())
    return [start + timedelta(seconds=rng.randrange(span)) for _ in range(n)]


def run(cal, instants, amounts, unit) -> tuple[float, float]:
    """(due dates per CPU second, per wall-clock second)."""
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    for received_at, amount in zip(instants, amounts):
        compute_due(received_at=received_at, amount=amount, unit=unit, cal=cal)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return len(instants) / cpu, len(instants) / wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--first-year", type=int, default=2000)
    parser.add_argument("--last-year", type=int, default=2049)
    parser.add_argument("--seed", type=int, default=20220128)
    parser.add_argument("--pin", action="store_true")
    args = parser.parse_args()

    pinned = pin_to_one_core() if args.pin else "single thread"
    print(f"Python {sys.version.split()[0]}, {pinned}, load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    cal, build_s, retained_mb, peak_mb = build(args.first_year, args.last_year)
    years = args.last_year - args.first_year + 1
    print(f"calendar {cal.first}–{cal.last} ({years} years): built in {build_s * 1000:.0f} ms, "
          f"retained {retained_mb:.2f} MB, peak while building {peak_mb:.2f} MB "
          f"(target < {TARGET_MEMORY_MB:.0f} MB)")

    # The known vector first: received Fri 28/01/2022, 5 working days -> Fri 11/02/2022.
    check = compute_due(received_at=datetime(2022, 1, 28, 9, tzinfo=LOCAL_TZ), amount=5,
                        unit=TimeUnit.WORKING_DAYS, cal=cal)
    assert check.due_date == date(2022, 2, 11), check

    rng = random.Random(args.seed + 1)
    instants = receipts(args.n, args.first_year, args.last_year, args.seed)
    day_amounts = [rng.choice((0, 1, 2, 3, 5, 7, 10, 15, 20, 30)) for _ in range(args.n)]
    hour_amounts = [rng.choice((1, 2, 4, 8, 16, 24)) for _ in range(args.n)]

    results = {}
    for unit, amounts in (
        (TimeUnit.WORKING_DAYS, day_amounts),
        (TimeUnit.CALENDAR_DAYS, day_amounts),
        (TimeUnit.WORKING_HOURS, hour_amounts),
    ):
        per_cpu, per_wall = run(cal, instants, amounts, unit)
        results[unit] = per_cpu
        print(f"compute_due {unit.value:<14} {args.n:>9,} due dates: {per_cpu:>10,.0f} per CPU "
              f"second ({per_wall:,.0f} per wall-clock second)")

    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    for received_at, amount in zip(instants, day_amounts):
        cal.due_date_for(received_at, amount)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    print(f"due_date_for working_days    {args.n:>9,} due dates: {args.n / cpu:>10,.0f} per CPU "
          f"second ({args.n / wall:,.0f} per wall-clock second)")

    headline = results[TimeUnit.WORKING_DAYS]
    slowest = min(results.values())
    ok_speed = slowest >= TARGET_PER_SECOND
    ok_memory = peak_mb < TARGET_MEMORY_MB
    print(f"headline (working days): {headline:,.0f}/s; slowest unit: {slowest:,.0f}/s "
          f"(target ≥ {TARGET_PER_SECOND:,}/s) {'OK' if ok_speed else 'MISSED'}; "
          f"memory peak {peak_mb:.2f} MB {'OK' if ok_memory else 'MISSED'}")
    return 0 if ok_speed and ok_memory else 1


if __name__ == "__main__":
    sys.exit(main())
