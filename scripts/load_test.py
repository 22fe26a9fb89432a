#!/usr/bin/env python
"""Load test: N concurrent clerks and officers for D seconds against a running OneCua.

    DATABASE_URL=postgres://…/onecua_load DEBUG=true .venv/bin/python scripts/load_test.py \
        [--clients 50] [--duration 120] [--base-url http://127.0.0.1:8000 | --serve]

Clerks (half of the clients) take dossiers in through the API (token auth, the demo clerks of
three units, procedures whose resolving unit has a demo officer and leader), hand them over to
the processing unit (D18) and hand approved results back (return-result); officers list, open and
take unassigned dossiers of their unit; leaders list, open, assign and approve (D17). Every client is one thread with a bounded loop (until the
deadline), a fresh HTTP connection per request (http.client, no dependency).

Afterwards the script reads the database (the same DATABASE_URL as the server) and checks:
no request failed (a 409 from two officers racing for the same dossier is a clean answer and
is counted apart), no duplicate code, no gap in any per-unit/day sequence touched (D15: the
codes of the day are exactly 0001…last), every dossier whose 201 the client saw is in the
database with the applicant it was sent, the number of new dossiers equals the number of 201s,
and every approval the client saw is still approved (or returned). It prints the throughput
and p50/p95 per request kind and exits 1 if any check fails.

``--serve`` starts gunicorn itself on a free port (same environment) and stops it afterwards.
Needs ``manage.py load_demo`` (``--force`` with DEBUG=false) in that database (demo accounts, password onecua2026).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onecua.settings")

CLERKS = ["motcua.tinh", "motcua.luongson", "motcua.xa"]
#: resolving unit → (officer, leader) among the demo accounts
PROCESSORS = {
    "000.00.12.H23": ("chuyenvien.stp", "lanhdao.stp"),
    "000.00.13.H23": ("chuyenvien.stnmt", "lanhdao.stnmt"),
}
OK = {"intake": {201}, "list": {200}, "detail": {200}, "handover": {200}, "assign": {200}, "approve": {200},
      "return": {200}}


class Http:
    """One request per connection (gunicorn's sync workers close it anyway)."""

    def __init__(self, base_url: str, timeout: float):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout

    def request(self, method: str, path: str, *, token: str | None = None, body: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {"Accept": "application/json", "Host": "127.0.0.1"}
        data = None
        if token:
            headers["Authorization"] = f"Token {token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = raw[:200].decode(errors="replace")
            return resp.status, payload
        finally:
            conn.close()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, dict[object, int]] = defaultdict(lambda: defaultdict(int))
        self.errors: list[str] = []
        self.created: dict[str, str] = {}  # code → applicant id number sent
        self.approved: set[str] = set()
        self.returned: set[str] = set()

    def record(self, kind: str, seconds: float, status, detail=None) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.status[kind][status] += 1
            if status not in OK[kind] and status != 409 and len(self.errors) < 50:
                self.errors.append(f"{kind}: {status} {str(detail)[:300]}")


def _timed(stats: Stats, http: Http, kind: str, method: str, path: str, **kw):
    started = time.perf_counter()
    try:
        status, payload = http.request(method, path, **kw)
    except (OSError, http.client.HTTPException) as exc:
        status, payload = f"{type(exc).__name__}", str(exc)
    stats.record(kind, time.perf_counter() - started, status, payload)
    return status, payload


def _pick(payload) -> dict | None:
    rows = (payload or {}).get("results") if isinstance(payload, dict) else None
    return random.choice(rows) if rows else None


def clerk_loop(http: Http, stats: Stats, token: str, unit: str, procedures: list[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        x = random.random()
        if x < 0.7:
            id_number = f"{random.randint(1, 99999999999):012d}"
            body = {
                "procedure": random.choice(procedures), "receiving_unit": unit, "channel": "direct",
                "applicant": {"name": "Nguyễn Văn Tải", "id_number": id_number,
                              "phone": f"09{random.randint(0, 99999999):08d}", "address": "Hòa Bình", "email": ""},
                "request_content": f"load {uuid.uuid4().hex[:12]}",
            }
            status, payload = _timed(stats, http, "intake", "POST", "/api/v1/dossiers/", token=token, body=body)
            if status == 201:
                with stats.lock:
                    stats.created[payload["code"]] = id_number
        elif x < 0.85:  # the counter hands a received dossier over to its first processing unit (D18)
            status, payload = _timed(stats, http, "list", "GET",
                                     f"/api/v1/dossiers/?status=received&unit={unit}&page_size=20", token=token)
            row = _pick(payload) if status == 200 else None
            if row:
                _timed(stats, http, "handover", "POST", f"/api/v1/dossiers/{row['code']}/transfer/",
                       token=token, body={"version": row["version"]})
        else:
            status, payload = _timed(stats, http, "list", "GET", "/api/v1/dossiers/?status=approved", token=token)
            # D17: the counter that took it in gives the result back (a commune's clerk also sees
            # the approved dossiers its commune leads that another counter took in)
            mine = [r for r in (payload or {}).get("results") or [] if r.get("receiving_unit", {}).get("code") == unit] \
                if status == 200 and isinstance(payload, dict) else []
            row = random.choice(mine) if mine else None
            if row:
                status, _ = _timed(stats, http, "return", "POST", f"/api/v1/dossiers/{row['code']}/return-result/",
                                   token=token, body={"version": row["version"]})
                if status == 200:
                    with stats.lock:
                        stats.returned.add(row["code"])


def officer_loop(http: Http, stats: Stats, token: str, unit: str, officer: str, leader: bool,
                 deadline: float) -> None:
    """Officers take an unassigned dossier of their unit themselves; leaders assign and approve
    (D17: the unit holding the step acts, the lead unit's leader decides)."""
    while time.monotonic() < deadline:
        status, payload = _timed(stats, http, "list", "GET",
                                 f"/api/v1/dossiers/?status=in_processing&unit={unit}&page_size=20", token=token)
        row = _pick(payload) if status == 200 else None
        if not row:
            time.sleep(0.2)
            continue
        code = row["code"]
        status, detail = _timed(stats, http, "detail", "GET", f"/api/v1/dossiers/{code}/", token=token)
        if status != 200:
            continue
        actions = detail.get("actions", [])
        if "assign" in actions and detail.get("assigned_to") is None:
            _timed(stats, http, "assign", "POST", f"/api/v1/dossiers/{code}/assign/", token=token,
                   body={"officer": officer, "version": detail["version"], "note": "phân công (load test)"})
        elif leader and "approve" in actions:
            status, _ = _timed(stats, http, "approve", "POST", f"/api/v1/dossiers/{code}/approve/", token=token,
                               body={"version": detail["version"], "note": "duyệt (load test)"})
            if status == 200:
                with stats.lock:
                    stats.approved.add(code)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    proc = subprocess.Popen(
        [str(gunicorn), "onecua.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers), "-k", "gthread",
         "--threads", "4", "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    http = Http(base, 5)
    for _ in range(120):
        try:
            http.request("GET", "/api/v1/auth/token/")  # 405: up (no template, no static files)
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("gunicorn exited at start")
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _db_checks(stats: Stats, before_id: int, started_at) -> list[str]:
    from django.db.models import Count

    from dossiers.models import Dossier, DossierSequence

    failures = []
    new = Dossier.objects.filter(pk__gt=before_id)
    dupes = list(Dossier.objects.values("code").annotate(n=Count("id")).filter(n__gt=1).values_list("code", flat=True)[:10])
    if dupes:
        failures.append(f"duplicate codes: {dupes}")
    n_new = new.count()
    if n_new != len(stats.created):
        failures.append(f"{n_new} new dossiers in the database, {len(stats.created)} 201 answers")
    found = dict(new.values_list("code", "applicant_id_number"))
    missing = [c for c in stats.created if c not in found]
    if missing:
        failures.append(f"{len(missing)} dossiers answered 201 but absent: {missing[:5]}")
    wrong = [c for c, idn in stats.created.items() if c in found and found[c] != idn]
    if wrong:
        failures.append(f"{len(wrong)} dossiers with another applicant than sent: {wrong[:5]}")
    # D15: per receiving unit and day, the codes are exactly 0001 … last (no gap, no extra).
    groups: dict[tuple[str, str], set[int]] = defaultdict(set)
    for code in found:
        unit, day, number = code.rsplit("-", 2)
        groups[(unit, day)] = set()
    for (unit, day) in list(groups):
        codes = Dossier.objects.filter(code__startswith=f"{unit}-{day}-").values_list("code", flat=True)
        numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
        seq = DossierSequence.objects.filter(unit__code=unit, day__year=2000 + int(day[:2]), day__month=int(day[2:4]),
                                             day__day=int(day[4:])).values_list("last", flat=True).first()
        if numbers != list(range(1, len(numbers) + 1)):
            gaps = sorted(set(range(1, max(numbers) + 1)) - set(numbers))[:10]
            failures.append(f"sequence {unit}-{day}: gap(s) {gaps} (numbers 1…{max(numbers)}, {len(numbers)} codes)")
        if seq is not None and seq != len(numbers):
            failures.append(f"sequence {unit}-{day}: counter at {seq}, {len(numbers)} codes")
    states = dict(Dossier.objects.filter(code__in=stats.approved | stats.returned).values_list("code", "state"))
    lost = [c for c in stats.approved if states.get(c) not in {"approved", "returned"}]
    lost += [c for c in stats.returned if states.get(c) != "returned"]
    if lost:
        failures.append(f"{len(lost)} acknowledged actions not in the database: {lost[:5]}")
    return failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=120, help="seconds")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--serve", action="store_true", help="start gunicorn on a free port (same environment)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers with --serve")
    parser.add_argument("--password", default="onecua2026")
    parser.add_argument("--timeout", type=float, default=60, help="per request, seconds")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    random.seed(args.seed)

    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max

    from dossiers.models import Dossier, Procedure

    procedures = list(
        Procedure.objects.filter(is_active=True, resolving_unit__code__in=PROCESSORS, steps__isnull=True,
                                 processing_time__gt=0, time_unit=Procedure.TimeUnit.WORKING_DAYS)
        .values_list("code", flat=True).distinct()
    )
    if not procedures:
        print("no demo procedure found: run `manage.py load_demo` on this database first", file=sys.stderr)
        return 2
    before_id = Dossier.objects.aggregate(m=Max("id"))["m"] or 0
    connection.close()

    server = None
    base = args.base_url
    if args.serve:
        server, base = _serve(args.workers)
    try:
        http = Http(base, args.timeout)
        tokens = {}
        for user in CLERKS + [u for pair in PROCESSORS.values() for u in pair]:
            status, payload = http.request("POST", "/api/v1/auth/token/", body={"username": user, "password": args.password})
            if status != 200:
                print(f"cannot log in as {user}: {status} {payload}", file=sys.stderr)
                return 2
            tokens[user] = payload["token"]
        clerk_units = {"motcua.tinh": "000.01.01.H23", "motcua.luongson": "000.43.00.H23", "motcua.xa": "000.41.00.H23"}
        stats = Stats()
        started = time.monotonic()
        deadline = started + args.duration
        threads = []
        processors = [(unit, o, l) for unit, (o, l) in PROCESSORS.items()]
        for i in range(args.clients):
            if i % 2 == 0:
                clerk = CLERKS[(i // 2) % len(CLERKS)]
                target, targs = clerk_loop, (http, stats, tokens[clerk], clerk_units[clerk], procedures, deadline)
            else:
                unit, officer, leader = processors[(i // 2) % len(processors)]
                is_leader = (i // 2 // len(processors)) % 2 == 1
                target = officer_loop
                targs = (http, stats, tokens[leader if is_leader else officer], unit, officer, is_leader, deadline)
            threads.append(threading.Thread(target=target, args=targs, daemon=True))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.duration + args.timeout + 30)
        elapsed = time.monotonic() - started
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)

    total = sum(len(v) for v in stats.latency.values())
    conflicts = sum(s.get(409, 0) for s in stats.status.values())
    print(f"{args.clients} clients × {args.duration:.0f} s against {base}: {total} requests in {elapsed:.1f} s, "
          f"{total / elapsed:.1f} req/s; {len(stats.created)} dossiers received, {len(stats.approved)} approved, "
          f"{len(stats.returned)} returned; {conflicts} clean 409 conflicts")
    print(f"{'kind':<8} {'n':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}  statuses")
    for kind in ("intake", "list", "detail", "handover", "assign", "approve", "return"):
        values = stats.latency.get(kind, [])
        if not values:
            continue
        codes = ", ".join(f"{k}×{n}" for k, n in sorted(stats.status[kind].items(), key=str))
        print(f"{kind:<8} {len(values):>6} {len(values) / elapsed:>7.1f} {_percentile(values, 50) * 1000:>8.0f} "
              f"{_percentile(values, 95) * 1000:>8.0f}  {codes}")
    failures = [f"request failed: {e}" for e in stats.errors]
    if not stats.created:
        failures.append("no dossier was received")
    failures += _db_checks(stats, before_id, started)
    if failures:
        print("FAILED:", *failures, sep="\n  ")
        return 1
    print("OK: no error, no duplicate code, no sequence gap, every 201 dossier present, counts match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
