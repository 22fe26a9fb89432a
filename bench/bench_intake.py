#!/usr/bin/env python
"""Benchmark: dossier intake over HTTP (``POST /api/v1/dossiers/``) against a bare DRF create.

Creates a scratch PostgreSQL database (``onecua_bench_intake``, dropped and re-created each
run, dropped again at the end) on the server of ``BENCH_DATABASE_URL`` / ``DATABASE_URL``
(default postgres://postgres@127.0.0.1:5432), migrates it with ``bench.settings_bench`` (OneCua
plus the one-table ``bench.benchapp``), adds a small catalogue, a counter clerk and a token,
then starts ``gunicorn onecua.wsgi -w 4`` on a free loopback port with production settings
(DEBUG off, persistent DB connections, Redis cache when a local Redis answers).

Then 8 client threads send POSTs to each endpoint until 2,000 requests are done or 30 s have
passed (after a short warm-up): the baseline (DRF ``CreateAPIView`` on one table, same token
authentication) and intake, in 5 alternating rounds so that both see the same background load. It prints requests/second and p50/p95/p99 latency, checks
that every intake got a gap-free code (D15) and stops gunicorn.

Targets: intake throughput ≥ half the baseline's, intake p95 < 100 ms. Exit status 1 if a
target is missed or a request failed.

    .venv/bin/python bench/bench_intake.py [--requests 2000] [--seconds 30] [--threads 8] [--workers 4] [--keep]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from scratch import drop_database, recreate_database, scratch_url  # noqa: E402

SCRATCH_DB = "onecua_bench_intake"
HOST = "127.0.0.1"
TARGET_RATIO = 0.5
TARGET_P95_MS = 100.0
PASSWORD = "bench-mat-khau-2022"


# --- database and server ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def redis_answers(port: int = 6379) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def server_env(url: str, var_dir: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "CONN_MAX_AGE": "60",
        "ONECUA_VAR_DIR": var_dir,
        "CELERY_BROKER_URL": "memory://",
        "LOG_LEVEL": "ERROR",
    }
    if redis_answers():
        env["REDIS_URL"] = f"redis://{HOST}:6379/14"
    else:
        env.pop("REDIS_URL", None)
    return env


def setup_database(env: dict[str, str]) -> str:
    """Migrate, add a catalogue, a counter clerk and a token; return the token key."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connections
    from rest_framework.authtoken.models import Token

    from dossiers.models import Field, Procedure, ProcedureStep, StaffProfile, Unit
    from dossiers.roles import COUNTER_CLERK, role_group_name

    call_command("migrate", run_syncdb=True, verbosity=0)  # roles are synced after migrate
    root = Unit.objects.create(code="000.00.00.H23", name="UBND tỉnh Hòa Bình", level="province", kind="people_committee")
    centre = Unit.objects.create(
        code="000.00.01.H23", name="Trung tâm Phục vụ hành chính công tỉnh Hòa Bình", level="province",
        kind="service_centre", parent=root,
    )
    justice = Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp", level="province", kind="agency", parent=root)
    building = Unit.objects.create(code="000.00.15.H23", name="Sở Xây dựng", level="province", kind="agency", parent=root)
    field = Field.objects.create(name="Hộ tịch")
    Procedure.objects.create(
        code="1.001234", name="Đăng ký khai sinh", field=field, processing_time=5, time_unit="working_days",
        resolving_unit=justice, documents="Tờ khai đăng ký khai sinh\nGiấy chứng sinh",
    )
    permit = Procedure.objects.create(
        code="2.000908", name="Cấp giấy phép xây dựng", field=Field.objects.create(name="Xây dựng"),
        processing_time=15, time_unit="working_days", resolving_unit=building,
    )
    ProcedureStep.objects.create(procedure=permit, order=1, name="Thẩm định", unit=building, allotted_time=10)
    ProcedureStep.objects.create(procedure=permit, order=2, name="Ý kiến Sở Tư pháp", unit=justice, allotted_time=5)
    clerk = User.objects.create_user("bench_clerk", password=PASSWORD, first_name="Cán bộ", last_name="Một cửa")
    clerk.groups.add(Group.objects.get(name=role_group_name(COUNTER_CLERK)))
    StaffProfile.objects.create(user=clerk, unit=centre)
    token = Token.objects.create(user=clerk).key
    connections.close_all()
    return token


def intake_codes_check() -> tuple[int, bool]:
    """How many dossiers exist, and whether each (unit, day) sequence is 0001..N without gaps."""
    from django.db import connections

    from dossiers.models import Dossier

    by_day: dict[str, list[int]] = {}
    for code in Dossier.objects.values_list("code", flat=True):
        prefix, number = code.rsplit("-", 1)
        by_day.setdefault(prefix, []).append(int(number))
    gap_free = all(sorted(numbers) == list(range(1, len(numbers) + 1)) for numbers in by_day.values())
    total = sum(len(n) for n in by_day.values())
    connections.close_all()
    return total, gap_free


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(master: int, url: str) -> list[int]:
    """The gunicorn workers and the PostgreSQL backends serving the scratch database."""
    import psycopg

    pids = []
    for task in Path(f"/proc/{master}/task").glob("*/children"):
        pids += [int(p) for p in task.read_text().split()]
    with psycopg.connect(url, autocommit=True) as conn:
        pids += [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )]
    return pids


class CpuMeter:
    """CPU spent by the server side (gunicorn workers + their PostgreSQL backends) during a
    block: a cost per request that noisy neighbours on a shared machine barely change."""

    def __init__(self, master: int, url: str):
        self.master, self.url = master, url

    def __enter__(self):
        self.before = {pid: _cpu_seconds(pid) for pid in server_pids(self.master, self.url)}
        return self

    def __exit__(self, *exc):
        after = {pid: _cpu_seconds(pid) for pid in server_pids(self.master, self.url)}
        self.seconds = sum(after[pid] - self.before.get(pid, 0.0) for pid in after)
        return False


class Gunicorn:
    """gunicorn in its own process group; stop() is idempotent and always reaps it."""

    def __init__(self, *, env: dict[str, str], port: int, workers: int, log_path: Path):
        self.port = port
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "onecua.wsgi", "-w", str(workers), "-b", f"{HOST}:{port}",
             "--graceful-timeout", "5", "--timeout", "30"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.log.close()


# --- load ------------------------------------------------------------------------------------


def request(port: int, path: str, body: bytes, token: str, method: str = "POST") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body if method == "POST" else None, headers={
            "Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json",
        })
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_ready(port: int, token: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up (see its log)")
        try:
            status, _ = request(port, "/api/v1/dossiers/?page_size=1", b"", token, method="GET")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    server_cpu: float = 0.0  # seconds of gunicorn + PostgreSQL CPU

    @property
    def cpu_ms(self) -> float:
        return self.server_cpu / self.ok * 1000 if self.ok else float("nan")

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def load(*, name: str, port: int, path: str, bodies, token: str, threads: int, max_requests: int,
         max_seconds: float, expect: int = 201) -> Result:
    """`threads` clients POST until `max_requests` are sent or `max_seconds` have passed."""
    result = Result(name)
    lock = threading.Lock()
    issued = [0]
    start = time.monotonic()
    deadline = start + max_seconds

    def worker() -> None:
        while True:
            with lock:
                if issued[0] >= max_requests or time.monotonic() >= deadline:
                    return
                n = issued[0]
                issued[0] += 1
            body = bodies(n)
            t0 = time.perf_counter()
            try:
                status, content = request(port, path, body, token)
            except OSError as exc:
                status, content = 0, str(exc).encode()
            took = time.perf_counter() - t0
            with lock:
                if status == expect:
                    result.latencies.append(took)
                else:
                    result.errors.append(f"{status}: {content[:200]!r}")

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    result.elapsed = time.monotonic() - start
    return result


def baseline_body(n: int) -> bytes:
    return json.dumps({"title": f"Ghi chú {n}", "body": "Nội dung ghi chú để so sánh."}).encode()


def intake_body(n: int) -> bytes:
    procedure = "2.000908" if n % 4 == 0 else "1.001234"  # a quarter with two liên thông steps
    return json.dumps({
        "procedure": procedure,
        "receiving_unit": "000.00.01.H23",
        "channel": ("direct", "postal", "online")[n % 3],
        "applicant": {
            "name": f"Nguyễn Văn An {n}", "id_number": f"{17090000000 + n:012d}", "phone": "0912345678",
            "address": "Tổ 5, phường Phương Lâm, thành phố Hòa Bình", "email": "an@example.vn",
        },
        "on_the_spot": False,
    }).encode()


# --- main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint (upper bound)")
    parser.add_argument("--seconds", type=float, default=30.0, help="time per endpoint (upper bound)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=40, help="unmeasured requests per endpoint first")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per endpoint")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()

    # SIGTERM (e.g. a CI timeout) unwinds like Ctrl-C, so gunicorn is stopped either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = scratch_url(SCRATCH_DB)
    recreate_database(url)
    var_dir = tempfile.mkdtemp(prefix="onecua-bench-")
    env = server_env(url, var_dir)
    server: Gunicorn | None = None
    failed = False
    try:
        token = setup_database(env)
        port = free_port()
        server = Gunicorn(env=env, port=port, workers=args.workers, log_path=Path(var_dir) / "gunicorn.log")
        wait_ready(port, token, server.proc)
        cache = "Redis" if "REDIS_URL" in env else "file"
        print(f"gunicorn -w {args.workers} on {HOST}:{port}, PostgreSQL {SCRATCH_DB}, cache {cache}; "
              f"{args.threads} client threads, ≤ {args.requests} requests or ≤ {args.seconds:g} s per endpoint "
              f"in {args.rounds} alternating rounds; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

        endpoints = (
            ("baseline: DRF create, 1 table", "/bench/baseline/", baseline_body),
            ("intake: POST /api/v1/dossiers/", "/api/v1/dossiers/", intake_body),
        )
        for name, path, bodies in endpoints:
            warm = load(name="warm-up", port=port, path=path, bodies=lambda n: bodies(10_000_000 + n), token=token,
                        threads=args.threads, max_requests=args.warmup, max_seconds=args.seconds)
            if warm.errors:
                print(f"{name}: the warm-up failed ({len(warm.errors)} errors), e.g. {warm.errors[0]}")
                print(f"gunicorn log: {Path(var_dir) / 'gunicorn.log'}")
                failed = True
                return 1
        # Alternate short rounds of each endpoint so that both see the same background load
        # (this machine may be shared); the figures add the rounds up.
        results = [Result(name) for name, _p, _b in endpoints]
        per_round = -(-args.requests // args.rounds)
        for rnd in range(args.rounds):
            for total, (name, path, bodies) in zip(results, endpoints):
                with CpuMeter(server.proc.pid, url) as cpu:
                    r = load(name=name, port=port, path=path, bodies=lambda n, b=bodies, o=rnd * per_round: b(o + n),
                             token=token, threads=args.threads, max_requests=per_round,
                             max_seconds=args.seconds / args.rounds)
                total.server_cpu += cpu.seconds
                total.latencies += r.latencies
                total.errors += r.errors
                total.elapsed += r.elapsed
        stored, gap_free = intake_codes_check()
    except BaseException:
        failed = True
        print(f"gunicorn log kept: {Path(var_dir) / 'gunicorn.log'}", file=sys.stderr)
        raise
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(url)
        if not failed:
            shutil.rmtree(var_dir, ignore_errors=True)

    baseline, intake = results

    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print()
    print(f"{'endpoint':<34} {'ok':>6} {'errors':>6} {'seconds':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8} {'CPU ms/req':>10}")
    for r in results:
        print(f"{r.name:<34} {r.ok:>6} {len(r.errors):>6} {r.elapsed:>8.1f} {r.throughput:>8.1f} "
              f"{r.pct(50):>8.1f} {r.pct(95):>8.1f} {r.pct(99):>8.1f} {r.pct(100):>8.1f} {r.cpu_ms:>10.2f}")
    print("(CPU ms/req: gunicorn workers + PostgreSQL backends, user + system, per successful request)")
    ratio = intake.throughput / baseline.throughput if baseline.throughput else 0.0
    cost_ratio = baseline.cpu_ms / intake.cpu_ms if intake.cpu_ms else 0.0
    print(f"server CPU cost: intake {intake.cpu_ms:.2f} ms vs baseline {baseline.cpu_ms:.2f} ms per request "
          f"(baseline/intake = {cost_ratio:.0%}; on {os.cpu_count()} idle CPUs the server alone could do about "
          f"{os.cpu_count() * 1000 / intake.cpu_ms if intake.cpu_ms else float('nan'):.0f} intakes/s)")
    checks = [
        (f"intake throughput ≥ {TARGET_RATIO:.0%} of baseline", f"{ratio:.0%}", ratio >= TARGET_RATIO),
        (f"intake p95 < {TARGET_P95_MS:g} ms", f"{intake.pct(95):.1f} ms", intake.pct(95) < TARGET_P95_MS),
        ("no failed request", f"{len(baseline.errors) + len(intake.errors)} failed",
         not baseline.errors and not intake.errors),
        ("dossier codes gap-free per unit and day (D15)", f"{stored} dossiers", gap_free),
    ]
    print()
    for label, value, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}: {value}")
    for r in results:
        for error in r.errors[:3]:
            print(f"  {r.name}: {error}")
    return 0 if all(ok for *_x, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
