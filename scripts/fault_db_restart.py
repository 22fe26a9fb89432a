#!/usr/bin/env python
"""Fault: the database restarts while clerks take dossiers in.

    .venv/bin/python scripts/fault_db_restart.py [--clients 6] [--duration 40] [--mode fast|immediate]
        [--conn-max-age 0]

Never touches the shared PostgreSQL: it creates a private cluster in a temporary directory
(``initdb``, owned by the ``postgres`` user when run as root) on a free port, migrates it and
loads the demo data, starts gunicorn (DEBUG=false) on it, runs clerks posting intakes through the
API in a loop, and ``pg_ctl restart -m <mode>`` a third of the way through. Then it checks:

- every failure was clean: an HTTP answer 500/503 (no dropped connection, no hang), an API
  answer carrying the error shape ``{"detail", "errors"}``;
- every dossier whose 201 the client saw is in the database with the applicant it was sent;
- no half-written dossier: every new dossier has its steps and its intake event, and the per
  unit/day sequence has no gap (D15);
- the requests after the restart succeed (Django reconnects).

Prints the figures; exits 1 if a check fails. Removes the cluster afterwards.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts.load_test import Http  # noqa: E402

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _sh(cmd: list[str], **kw) -> None:
    out = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}… failed:\n{out.stdout[-1500:]}\n{out.stderr[-1500:]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--duration", type=float, default=40)
    parser.add_argument("--mode", choices=("fast", "immediate"), default="fast")
    parser.add_argument("--conn-max-age", type=int, default=0)
    parser.add_argument("--password", default="onecua2026")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="onecua-pgfault-"))
    data, sock = tmp / "data", tmp
    port = _free_port()
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
    pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(tmp / "pg.log"), "-w", "-t", "60",
              "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"]
    gunicorn = None
    url = f"postgres://postgres@127.0.0.1:{port}/onecua"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": "fault-test-not-secret",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "false", "CONN_MAX_AGE": str(args.conn_max_age),
           "CELERY_BROKER_URL": "memory://", "ONECUA_VAR_DIR": str(tmp / "var"), "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    try:
        _sh(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]))
        _sh(_as_postgres(pg_ctl + ["start"]))
        _sh(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-qc", "CREATE DATABASE onecua"])
        py = sys.executable
        _sh([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env)
        _sh([py, "manage.py", "load_demo", "--force"], cwd=ROOT, env=env)  # scratch database, production settings
        web_port = _free_port()
        gunicorn = subprocess.Popen(
            [str(Path(py).parent / "gunicorn"), "onecua.wsgi", "-b", f"127.0.0.1:{web_port}", "-w", "2", "-k", "gthread",
             "--threads", "4", "--timeout", "60", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=open(tmp / "gunicorn.log", "w"), stderr=subprocess.STDOUT,
        )
        http = Http(f"http://127.0.0.1:{web_port}", 30)
        for _ in range(120):
            try:
                http.request("GET", "/api/v1/auth/token/")  # 405: up (no template, no static files)
                break
            except OSError:
                time.sleep(0.5)
        tokens = {}
        units = {"motcua.tinh": "000.01.01.H23", "motcua.luongson": "000.43.00.H23", "motcua.xa": "000.41.00.H23"}
        for user in units:
            status, payload = http.request("POST", "/api/v1/auth/token/", body={"username": user, "password": args.password})
            assert status == 200, (status, payload)
            tokens[user] = payload["token"]

        results: list[tuple[float, object, dict | str | None, str]] = []  # (t, status, payload, id_number)
        lock = threading.Lock()
        started = time.monotonic()
        deadline = started + args.duration
        restart_window: list[float] = []

        def clerk(i: int) -> None:
            user = list(units)[i % len(units)]
            n = 0
            while time.monotonic() < deadline:
                n += 1
                id_number = f"{i:04d}{n:08d}"
                body = {"procedure": "1.001071", "receiving_unit": units[user], "channel": "direct",
                        "applicant": {"name": "Lò Văn Khánh", "id_number": id_number, "phone": "0987654321",
                                      "address": "Mai Châu"}}
                try:
                    status, payload = http.request("POST", "/api/v1/dossiers/", token=tokens[user], body=body)
                except Exception as exc:  # a dropped connection is an unclean failure
                    status, payload = type(exc).__name__, str(exc)
                with lock:
                    results.append((time.monotonic() - started, status, payload, id_number))
                time.sleep(0.05)

        threads = [threading.Thread(target=clerk, args=(i,), daemon=True) for i in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(args.duration / 3)
        restart_window.append(time.monotonic() - started)
        _sh(_as_postgres(pg_ctl + ["restart", "-m", args.mode]))
        restart_window.append(time.monotonic() - started)
        for t in threads:
            t.join()
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)

    try:
        failures = check(results, restart_window, env)
    finally:
        subprocess.run(_as_postgres(pg_ctl + ["stop", "-m", "fast"]), capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("FAILED:", *failures, sep="\n  ")
        return 1
    print("OK: every failure clean, every 201 dossier present and whole, requests after the restart succeed")
    return 0


def check(results, restart_window, env) -> list[str]:
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "ONECUA_VAR_DIR", "ALLOWED_HOSTS")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onecua.settings")
    import django

    django.setup()
    from django.db.models import Count

    from dossiers.models import Dossier

    failures = []
    created = {p["code"]: idn for _, s, p, idn in results if s == 201}
    errors = [(t, s, p) for t, s, p, _ in results if s != 201]
    statuses: dict = {}
    for _, s, _p in errors:
        statuses[s] = statuses.get(s, 0) + 1
    unclean = [(t, s, str(p)[:200]) for t, s, p in errors
               if s not in (500, 503) or (s == 503 and not (isinstance(p, dict) and "detail" in p and "errors" in p))]
    if unclean:
        failures.append(f"{len(unclean)} unclean failures, e.g. {unclean[:3]}")
    sent_ids = {idn: s for _, s, _p, idn in results}
    db = {d.code: d for d in Dossier.objects.annotate(n_steps=Count("steps", distinct=True),
                                                        n_events=Count("events", distinct=True))}
    missing = [c for c in created if c not in db]
    if missing:
        failures.append(f"{len(missing)} dossiers answered 201 but absent: {missing[:5]}")
    half = [c for c, d in db.items() if d.n_steps == 0 or d.n_events == 0]
    if half:
        failures.append(f"{len(half)} half-written dossiers (no step or no event): {half[:5]}")
    # A dossier committed although its client saw an error (the answer was lost after COMMIT).
    committed_on_error = [c for c, d in db.items() if c not in created and sent_ids.get(d.applicant_id_number) != 201]
    by_unit_day: dict = {}
    for code in db:
        unit, day, number = code.rsplit("-", 2)
        by_unit_day.setdefault((unit, day), []).append(int(number))
    gaps = {k: v for k, v in by_unit_day.items() if sorted(v) != list(range(1, len(v) + 1))}
    if gaps:
        failures.append(f"sequence gaps: {list(gaps)[:3]}")
    after = [s for t, s, _p, _ in results if t > restart_window[1] + 2]
    if not after or any(s != 201 for s in after[-20:]):
        failures.append(f"requests after the restart still fail: last statuses {after[-20:]}")
    first_ok_after = next((t for t, s, _p, _ in sorted(results, key=lambda r: r[0])
                           if t > restart_window[0] and s == 201), None)
    print(f"{len(results)} intake requests; restart at {restart_window[0]:.1f}–{restart_window[1]:.1f} s; "
          f"{len(created)} × 201, failures {statuses or 'none'}; first 201 after the restart at "
          f"{first_ok_after if first_ok_after is None else round(first_ok_after, 1)} s; "
          f"{len(db)} dossiers in the database; {len(committed_on_error)} committed although the client saw an error")
    if len(db) != len(created) + len(committed_on_error):
        failures.append(f"{len(db)} dossiers ≠ {len(created)} 201 + {len(committed_on_error)} committed-on-error")
    return failures


if __name__ == "__main__":
    sys.exit(main())
