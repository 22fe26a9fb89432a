#!/usr/bin/env python
"""Benchmark: a province's merger day (domain.md D20, issue 15): 200,000 open dossiers of 50 old
units moved to their successors by the Celery task, while live intake goes on.

A scratch PostgreSQL database (``onecua_bench_reorg``, via ``bench/scratch.py``) is set up as
``bench_intake.py`` does (catalogue, a counter clerk, a token), plus 50 old district units and
10 successor communes; ``--open`` open dossiers (default 200,000: in processing at their old
unit, one current step there, a receipt event) and ``--closed`` resolved ones (default 50,000:
half returned, half approved with the result waiting at the centre's counter, which received
them; none may change) are loaded with ``INSERT … SELECT``. gunicorn serves the API (``-w 4``,
production settings), one ``celery worker --pool solo`` (its own process: its peak resident
memory is read from ``/proc/<pid>/status``) runs the move, Redis is the broker and the cache.

1. **Baseline**: intakes at a steady ``--rate`` (default 20 a second, ``--threads`` clients)
   for ``--seconds`` (default 30) without a move: p50 / p95.
2. **The move**: the administrators' page's service records the 50 entries and queues the task;
   the same intake load runs until every reorganisation is done: p50 / p95 during the move, the
   move's wall time (from the confirmation to the last batch), the worker's peak RSS.
3. **Checks**: every open dossier moved once (one ``reorganise`` event and one move each, lead and
   current unit the successor), no closed dossier changed, every intake answered 201, and the
   rerun of the same file moves nothing.

Targets (issue 15): the move under 10 minutes, worker memory under 300 MB, intake p95 during the
move under 200 ms. Exit status 1 if one is missed or a check fails.

    .venv/bin/python bench/bench_reorg.py [--open 200000] [--closed 50000] [--rate 20] [--seconds 30] [--keep]
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench import bench_intake as bi  # noqa: E402
from scratch import drop_database, insert_columns, recreate_database, scratch_url  # noqa: E402

SCRATCH_DB = "onecua_bench_reorg"
OLD_UNITS, SUCCESSORS = 50, 10
TARGET_SECONDS, TARGET_RSS_MB, TARGET_P95_MS = 600.0, 300.0, 200.0
LEGAL_BASIS = "Nghị quyết 1656/NQ-UBTVQH15"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000 if ordered else float("nan")


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount = line.split(":", 1)
                values[key] = int(amount.split()[0]) / 1024
    except OSError:
        pass
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def load_units_and_dossiers(url: str, *, n_open: int, n_closed: int) -> tuple[list[str], list[str]]:
    """50 old units, 10 successors; the dossiers, their steps and receipt events, in bulk."""
    import psycopg
    from django.utils import timezone

    from dossiers.models import Procedure, Unit

    today = timezone.localdate()
    province = Unit.objects.get(code="000.00.00.H23")
    centre = Unit.objects.get(code="000.00.01.H23")
    olds = [Unit.objects.create(code=f"000.{k:02d}.40.H23", name=f"UBND huyện số {k}", level="district",
                                kind="people_committee", parent=province, valid_from=today.replace(year=today.year - 5))
            for k in range(1, OLD_UNITS + 1)]
    news = [Unit.objects.create(code=f"000.{k:02d}.50.H23", name=f"UBND phường số {k}", level="commune",
                                kind="people_committee", parent=province, valid_from=today)
            for k in range(1, SUCCESSORS + 1)]
    procedure = Procedure.objects.get(code="1.001234")
    old_ids = "ARRAY[" + ",".join(str(u.pk) for u in olds) + "]::bigint[]"
    total = n_open + n_closed
    with psycopg.connect(url, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("SET LOCAL work_mem = '256MB'")
        given = {
            "code": "'BENCH-' || g", "procedure_id": str(procedure.pk), "receiving_unit_id": str(centre.pk),
            "resolving_unit_id": f"({old_ids})[1 + g % {OLD_UNITS}]", "current_unit_id": f"CASE WHEN g <= {n_open} THEN ({old_ids})[1 + g % {OLD_UNITS}] ELSE {centre.pk} END",
            "channel": "'direct'", "return_channel": "'counter'",
            # the closed ones: half returned, half approved with the result waiting at the centre's
            # counter (where the product's approval leaves it); neither may move
            "state": f"CASE WHEN g <= {n_open} THEN 'in_processing' WHEN g % 2 = 0 THEN 'returned' ELSE 'approved' END",
            "applicant_name": "'Nguyễn Văn ' || g", "applicant_name_folded": "'nguyen van ' || g",
            "applicant_phone": "'0912345678'", "applicant_phone_digits": "'912345678'",
            "request_content": "'Đăng ký khai sinh'", "documents": "'[]'::jsonb", "copies": "1",
            "submitted_at": "now() - ((g % 60) || ' days')::interval - interval '3 hours'",
            "received_at": "now() - ((g % 60) || ' days')::interval - interval '3 hours'",
            "receipt_date": "(now() - ((g % 60) || ' days')::interval)::date",
            "processing_time": "10", "time_unit": "'working_days'",
            "base_due_date": "(now() - ((g % 60) || ' days')::interval)::date + 14",
            "due_date": "(now() - ((g % 60) || ' days')::interval)::date + 14",
            "resolved_at": f"CASE WHEN g > {n_open} THEN now() - ((g % 60) || ' days')::interval - interval '1 hour' END",
            "resolved_on": f"CASE WHEN g > {n_open} THEN (now() - ((g % 60) || ' days')::interval)::date END",
            "outcome": f"CASE WHEN g > {n_open} THEN 'approved' ELSE '' END",
            "returned_at": f"CASE WHEN g > {n_open} AND g % 2 = 0 THEN now() - ((g % 60) || ' days')::interval END",
            "classification": f"CASE WHEN g > {n_open} THEN 'early' ELSE '' END",
            "created_at": "now()", "updated_at": "now()", "version": "2",
        }
        cols, vals = insert_columns(cur, "dossiers_dossier", given)
        cur.execute(f"INSERT INTO dossiers_dossier ({cols}) SELECT {vals} FROM generate_series(1, {total}) g")
        cols, vals = insert_columns(cur, "dossiers_dossierstep", {
            "dossier_id": "id", "order": "1", "name": "'Giải quyết hồ sơ'", "unit_id": "resolving_unit_id",
            "allotted_time": "10", "due_date": "due_date", "kind": "'processing'",
            "state": "CASE WHEN state = 'in_processing' THEN 'current' ELSE 'done' END", "started_at": "received_at"})
        cols = ", ".join('"order"' if c == "order" else c for c in cols.split(", "))
        cur.execute(f"INSERT INTO dossiers_dossierstep ({cols}) SELECT {vals} FROM dossiers_dossier "
                    "WHERE code LIKE 'BENCH-%'")
        cols, vals = insert_columns(cur, "dossiers_dossierevent", {
            "dossier_id": "id", "at": "received_at", "action": "'receive'", "from_state": "''",
            "to_state": "'received'", "actor_name": "''", "unit_id": "receiving_unit_id", "note": "''",
            "due_date": "due_date", "data": "'{}'::jsonb"})
        cur.execute(f"INSERT INTO dossiers_dossierevent ({cols}) SELECT {vals} FROM dossiers_dossier "
                    "WHERE code LIKE 'BENCH-%'")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("dossiers_dossier", "dossiers_dossierstep", "dossiers_dossierevent"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    return [u.code for u in olds], [u.code for u in news]


class Intakes:
    """Steady intake load: `threads` clients together send about `rate` intakes a second."""

    def __init__(self, port: int, token: str, *, rate: float, threads: int, offset: int):
        self.port, self.token, self.rate, self.threads, self.offset = port, token, rate, threads, offset
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.issued = 0

    def _worker(self):
        interval = self.threads / self.rate
        next_at = time.monotonic()
        while not self.stop.is_set():
            with self.lock:
                n = self.offset + self.issued
                self.issued += 1
            t0 = time.perf_counter()
            try:
                status, content = bi.request(self.port, "/api/v1/dossiers/", bi.intake_body(n), self.token)
            except OSError as exc:
                status, content = 0, str(exc).encode()
            took = time.perf_counter() - t0
            with self.lock:
                if status == 201:
                    self.latencies.append(took)
                else:
                    self.errors.append(f"{status}: {content[:200]!r}")
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    def __enter__(self):
        self.pool = [threading.Thread(target=self._worker, daemon=True) for _ in range(self.threads)]
        for t in self.pool:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.pool:
            t.join()
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=200_000, help="open dossiers at the old units")
    parser.add_argument("--closed", type=int, default=50_000, help="resolved dossiers at the old units")
    parser.add_argument("--rate", type=float, default=20.0, help="intakes per second (baseline and during)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30.0, help="baseline duration")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not bi.redis_answers():
        print("needs a Redis server on 127.0.0.1:6379 (broker and cache)")
        return 1

    url = scratch_url(SCRATCH_DB)
    recreate_database(url)
    var_dir = tempfile.mkdtemp(prefix="onecua-bench-reorg-")
    env = bi.server_env(url, var_dir)
    env["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL") or os.environ.get("CELERY_BROKER_URL") or \
        "redis://127.0.0.1:6379/13"
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    server = worker = None
    failed = False
    try:
        subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c",
                        "import redis,sys; redis.Redis.from_url(sys.argv[1]).flushdb()", env["CELERY_BROKER_URL"]],
                       check=True)
        token = bi.setup_database(env)
        t0 = time.monotonic()
        olds, news = load_units_and_dossiers(url, n_open=args.open, n_closed=args.closed)
        print(f"loaded {args.open:,} open + {args.closed:,} closed dossiers at {len(olds)} old units in "
              f"{time.monotonic() - t0:.0f} s")
        port = bi.free_port()
        server = bi.Gunicorn(env=env, port=port, workers=args.workers, log_path=Path(var_dir) / "gunicorn.log")
        worker = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "celery"), "-A", "onecua", "worker", "--pool", "solo", "--loglevel", "WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"reorg{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=open(Path(var_dir) / "worker.log", "wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        bi.wait_ready(port, token, server.proc)
        print(f"gunicorn -w {args.workers}, celery worker --pool solo, PostgreSQL {SCRATCH_DB}, Redis; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        bi.load(name="warm-up", port=port, path="/api/v1/dossiers/", bodies=lambda n: bi.intake_body(50_000_000 + n),
                token=token, threads=args.threads, max_requests=80, max_seconds=60)

        with Intakes(port, token, rate=args.rate, threads=args.threads, offset=0) as base:
            time.sleep(args.seconds)

        from django.db import connections

        from dossiers.models import Dossier, DossierEvent, DossierMove, Reorganisation
        from dossiers.services.reorganisation import reorganisation_import, reorganisation_start

        from django.utils import timezone

        today = timezone.localdate().isoformat()
        csv = "old_code,successor_code,effective_date,legal_basis\n" + "".join(
            f"{old},{news[i % SUCCESSORS]},{today},{LEGAL_BASIS}\n" for i, old in enumerate(olds))
        peak = [0.0]
        with Intakes(port, token, rate=args.rate, threads=args.threads, offset=1_000_000) as during:
            started = time.monotonic()
            ids = reorganisation_start(csv.encode())  # records, then queues the task (autocommit: at once)
            while True:
                peak[0] = max(peak[0], rss_mb(worker.pid)[1])
                if Reorganisation.objects.filter(pk__in=ids).exclude(status="done").count() == 0:
                    break
                if worker.poll() is not None:
                    raise RuntimeError("the worker died (see its log)")
                time.sleep(0.5)
            move_seconds = time.monotonic() - started
        peak[0] = max(peak[0], rss_mb(worker.pid)[1])

        moved = DossierMove.objects.count()
        events = DossierEvent.objects.filter(action="reorganise").count()
        still_old = Dossier.objects.filter(state="in_processing", resolving_unit__code__in=olds).count()
        closed_kept = Dossier.objects.filter(state__in=("approved", "returned"), resolving_unit__code__in=olds,
                                             current_unit__code="000.00.01.H23", version=2).count()
        rerun = reorganisation_import(csv.encode()).moved
        connections.close_all()

        b50, b95, d50, d95 = pct(base.latencies, 50), pct(base.latencies, 95), pct(during.latencies, 50), pct(
            during.latencies, 95)
        print(f"intake without the move: {len(base.latencies)} ok, {len(base.errors)} errors, "
              f"p50 {b50:.0f} ms, p95 {b95:.0f} ms")
        print(f"intake during the move:  {len(during.latencies)} ok, {len(during.errors)} errors, "
              f"p50 {d50:.0f} ms, p95 {d95:.0f} ms ({d95 / b95:.2f}× without)")
        print(f"move: {moved:,} dossiers of {len(olds)} units in {move_seconds:.1f} s "
              f"({moved / move_seconds:.0f} dossiers/s); worker peak RSS {peak[0]:.0f} MB")
        checks = {
            "every open dossier moved once": moved == args.open and events == args.open and still_old == 0,
            "closed dossiers unchanged": closed_kept == args.closed,
            "every intake answered 201": not base.errors and not during.errors,
            "the rerun moves nothing": rerun == 0,
        }
        targets = {
            f"move under {TARGET_SECONDS:.0f} s": move_seconds < TARGET_SECONDS,
            f"worker memory under {TARGET_RSS_MB:.0f} MB": peak[0] < TARGET_RSS_MB,
            f"intake p95 during the move under {TARGET_P95_MS:.0f} ms": d95 < TARGET_P95_MS,
        }
        for name, ok in {**checks, **targets}.items():
            print(f"  {'ok  ' if ok else 'FAIL'} {name}")
            failed |= not ok
        for e in (base.errors + during.errors)[:5]:
            print("  error:", e)
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        if server is not None:
            server.stop()
        if not args.keep:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:
                pass
            drop_database(url)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
