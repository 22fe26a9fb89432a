#!/usr/bin/env python
"""Benchmark: webhooks (issue 17): 10,000 dossier events to 3 subscribers by 2 worker processes.

A scratch PostgreSQL database (``onecua_bench_webhooks``) is set up as ``bench_intake.py`` does
(catalogue, a counter clerk, a token); gunicorn serves the API (``-w 4``, production settings),
``celery -A onecua worker --concurrency 2`` (two worker processes) relays the outbox and sends,
Redis is the broker and the cache, and a local receiver (its own process, a threaded
``http.server``) answers 200 and records what it receives and when.

1. **Intake without subscribers**: ``--baseline`` intakes (default 2,000) by 8 client threads.
2. **Intake with 3 subscribers** (``["*"]``, three paths of the receiver): ``--events``
   intakes (default 10,000): each is one ``dossier.received`` event, so 30,000 deliveries,
   sent while intake goes on.
3. Wait until the receiver has every delivery, then report: intake p50/p95 of both phases
   (target: with subscribers within 10 % of without, same run), delivery throughput (deliveries
   per second from the first intake of phase 2 to the last delivery), and the delay from
   commit (the client got its 201, which comes after the commit) to the receiver's arrival,
   p50/p95. Checks every signature, that every event arrived once per subscriber.

    .venv/bin/python bench/bench_webhooks.py [--events 10000] [--baseline 2000] [--threads 8] [--keep]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_intake as bi  # noqa: E402

bi.SCRATCH_DB = "onecua_bench_webhooks"
SECRET = "bench-webhook-secret"
SUBSCRIBERS = 3
TARGET_RATIO = 1.10


# --- the receiver (its own process) -----------------------------------------------------------


def receiver_main(port: int, out: str) -> None:
    """Answer 200 to every POST (the tests' receiver); on SIGTERM write one line per request:
    path, arrival, event id, dossier code, whether the signature is valid."""
    from tests.connected.receivers import HttpReceiver

    receiver = HttpReceiver(secret=SECRET, port=port)

    def stop(*_):
        with open(out, "w") as f:
            for r in list(receiver.requests):
                f.write(json.dumps((r["path"], r["at"], r["json"]["id"], r["json"]["dossier"]["code"], r["signature_ok"])) + "\n")
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)

    def count():
        while True:
            Path(out + ".count").write_text(str(len(receiver.requests)))
            time.sleep(0.5)

    threading.Thread(target=count, daemon=True).start()
    receiver.server.serve_forever()


# --- load ---------------------------------------------------------------------------------------


def intake_load(port: int, token: str, *, n: int, offset: int, threads: int) -> tuple[list[float], dict[str, float], list[str]]:
    """`n` intakes; returns latencies, {code: time the 201 arrived}, errors."""
    latencies, done, errors = [], {}, []
    lock = threading.Lock()
    issued = [0]

    def worker():
        while True:
            with lock:
                if issued[0] >= n:
                    return
                i = issued[0]
                issued[0] += 1
            t0 = time.perf_counter()
            try:
                status, content = bi.request(port, "/api/v1/dossiers/", bi.intake_body(offset + i), token)
            except OSError as exc:
                status, content = 0, str(exc).encode()
            took = time.perf_counter() - t0
            now = time.time()
            with lock:
                if status == 201:
                    latencies.append(took)
                    done[json.loads(content)["code"]] = now
                else:
                    errors.append(f"{status}: {content[:200]!r}")

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, done, errors


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=2_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--wait", type=float, default=900, help="seconds to wait for the last delivery")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if not bi.redis_answers():
        print("needs a Redis server on 127.0.0.1:6379 (broker and cache)")
        return 1
    url = bi.scratch_url(bi.SCRATCH_DB)
    bi.recreate_database(url)
    var_dir = tempfile.mkdtemp(prefix="onecua-bench-webhooks-")
    env = bi.server_env(url, var_dir)
    env.update({
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
        "WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_TIMEOUT_SECONDS": "5",
    })
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    server = worker = receiver = None
    rec_out = str(Path(var_dir) / "received.jsonl")
    failed = False
    try:
        subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c",
                        "import redis,sys; redis.Redis.from_url(sys.argv[1]).flushdb()", env["CELERY_BROKER_URL"]], check=True)
        token = bi.setup_database(env)
        rport, port = bi.free_port(), bi.free_port()
        receiver = subprocess.Popen([sys.executable, __file__, "--receiver", str(rport), rec_out], cwd=ROOT)
        server = bi.Gunicorn(env=env, port=port, workers=args.workers, log_path=Path(var_dir) / "gunicorn.log")
        worker = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "celery"), "-A", "onecua", "worker", "--concurrency", "2", "--pool", "prefork",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=open(Path(var_dir) / "worker.log", "wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        bi.wait_ready(port, token, server.proc)
        print(f"gunicorn -w {args.workers}, celery worker --concurrency 2, PostgreSQL {bi.SCRATCH_DB}, Redis; "
              f"{args.threads} client threads; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        bi.load(name="warm-up", port=port, path="/api/v1/dossiers/", bodies=lambda n: bi.intake_body(50_000_000 + n),
                token=token, threads=args.threads, max_requests=80, max_seconds=60)

        lat_none, _done, err_none = intake_load(port, token, n=args.baseline, offset=0, threads=args.threads)

        from connected.services.webhooks import subscription_create

        for i in range(SUBSCRIBERS):
            subscription_create(url=f"http://{bi.HOST}:{rport}/s{i + 1}", secret=SECRET, events=["*"])
        time.sleep(2.0)  # every gunicorn worker sees the subscriptions (the shared stamp, ≤ 1 s)
        started = time.time()
        lat_with, done, err_with = intake_load(port, token, n=args.events, offset=1_000_000, threads=args.threads)
        intake_end = time.time()
        expected = len(done) * SUBSCRIBERS
        deadline = time.monotonic() + args.wait
        count = 0
        while time.monotonic() < deadline:
            try:
                count = int(Path(rec_out + ".count").read_text() or 0)
            except (OSError, ValueError):
                count = 0
            if count >= expected:
                break
            time.sleep(0.5)
        receiver.send_signal(signal.SIGTERM)
        receiver.wait(timeout=30)
        records = [json.loads(line) for line in Path(rec_out).read_text().splitlines()]
        records = [r for r in records if r[3] in done]  # phase 2's dossiers
        last = max(r[1] for r in records) if records else float("nan")
        delays = [r[1] - done[r[3]] for r in records]
        ids_per_path: dict[str, set] = {}
        for r in records:
            ids_per_path.setdefault(r[0], set()).add(r[2])
        p95_none, p95_with = pct(lat_none, 95) * 1000, pct(lat_with, 95) * 1000
        ok_sig = all(r[4] for r in records)
        complete = all(len(ids_per_path.get(f"/s{i + 1}", ())) == len(done) for i in range(SUBSCRIBERS))
        print(f"intake without subscribers: {len(lat_none)} ok, {len(err_none)} errors, p50 {pct(lat_none, 50) * 1000:.0f} ms, p95 {p95_none:.0f} ms")
        print(f"intake with {SUBSCRIBERS} subscribers:   {len(lat_with)} ok, {len(err_with)} errors, p50 {pct(lat_with, 50) * 1000:.0f} ms, p95 {p95_with:.0f} ms "
              f"({p95_with / p95_none:.2f}× without; {len(done) / (intake_end - started):.1f} intakes/s)")
        print(f"deliveries: {len(records)} of {expected} in {last - started:.1f} s from the first intake: "
              f"{len(records) / (last - started):.0f} deliveries/s; the last {last - intake_end:.1f} s after the last intake")
        print(f"commit → delivery: p50 {pct(delays, 50) * 1000:.0f} ms, p95 {pct(delays, 95) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms")
        print(f"signatures valid: {ok_sig}; every event once at every subscriber: {complete} "
              f"({', '.join(f'{p}: {len(s)}' for p, s in sorted(ids_per_path.items()))}); duplicates: {len(records) - sum(len(s) for s in ids_per_path.values())}")
        failed = not (ok_sig and complete and not err_none and not err_with)
        if p95_with > TARGET_RATIO * p95_none:
            print(f"target missed: intake p95 with subscribers {p95_with:.0f} ms > 110 % of {p95_none:.0f} ms")
            failed = True
        return 1 if failed else 0
    except BaseException:
        failed = True
        print(f"logs kept in {var_dir}", file=sys.stderr)
        raise
    finally:
        for proc in (worker,):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        if receiver is not None and receiver.poll() is None:
            receiver.kill()
        if server is not None:
            server.stop()
        if not args.keep:
            from django.db import connections

            connections.close_all()
            bi.drop_database(url)
        if not failed:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--receiver":
        receiver_main(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(main())
