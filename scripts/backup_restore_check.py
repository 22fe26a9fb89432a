#!/usr/bin/env python
"""Prove that a backup restores: dump, restore into a scratch database, compare.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onecua .venv/bin/python scripts/backup_restore_check.py \
        [--dump var/backup/onecua.dump] [--keep]

1. ``pg_dump -Fc`` of the source database (DATABASE_URL) into a file (a temporary one unless
   ``--dump`` is given: then the file stays, as a real backup);
2. ``createdb`` a scratch database next to it and ``pg_restore --no-owner --exit-on-error``
   into it;
3. compare: the number of rows of every OneCua table (dossiers, steps, history, pauses,
   sequences, roll-ups…), and ``manage.py report quarterly --format json`` for the last
   finished regulatory quarter and the current one, run once against each database
   (``generated_at`` aside), must be identical;
4. the object store of papers: ``manage.py documents_backup dump`` copies every object a
   document row names into a folder; ``documents_backup restore`` puts them into a scratch
   store (a ``…-restore-<pid>`` bucket on S3, a folder on the filesystem store), and
   ``verify_documents`` run against the *restored* database and that store must find every
   document's bytes with its SHA-256 and size;
5. drop the scratch database and store (unless ``--keep``).

Exits 0 when everything matches, 1 on a difference, 2 when a step fails. The restore
procedure for real use is in README "Operations".
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.scratch import drop_database, recreate_database, scratch_url  # noqa: E402
PY = sys.executable


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        print(f"FAILED: {' '.join(cmd[:3])}…\n{out.stderr[-2000:]}", file=sys.stderr)
        raise SystemExit(2)
    return out


def _psql(url: str, sql: str) -> str:
    return _run(["psql", "-X", "-q", "-tA", "-d", url, "-c", sql]).stdout.strip()


def _table_counts(url: str) -> dict[str, int]:
    tables = _psql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename ~ "
                        "'^(dossiers|reporting|monitoring|citizens|papers)_' ORDER BY 1").split()
    if not tables:
        return {}
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
    rows = _psql(url, union).splitlines()
    return {name: int(n) for name, n in (r.split("|") for r in rows)}


def _report(url: str, year: int, quarter: int) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": os.environ.get("DEBUG", "true")}
    out = _run([PY, "manage.py", "report", "quarterly", "--year", str(year), "--quarter", str(quarter),
                "--format", "json"], cwd=ROOT, env=env)
    report = json.loads(out.stdout)
    report.pop("generated_at", None)
    return report


def _manage(url: str, *args: str, env_extra: dict | None = None) -> str:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": os.environ.get("DEBUG", "true"), **(env_extra or {})}
    return _run([PY, "manage.py", *args], cwd=ROOT, env=env).stdout.strip()


def _documents_check(source: str, scratch: str, tmp: str) -> list[str]:
    """Back up the objects the source's rows name, restore them into a scratch store, and verify
    every document of the restored database against it."""
    folder = str(Path(tmp) / "documents")
    print(_manage(source, "documents_backup", "dump", folder))
    if os.environ.get("DOCUMENT_STORE", "filesystem") == "s3":
        bucket = os.environ.get("DOCUMENT_S3_BUCKET", "onecua-documents")
        scratch_store = {"DOCUMENT_S3_BUCKET": f"{bucket}-restore-{os.getpid()}"}
    else:
        scratch_store = {"DOCUMENT_DIR": str(Path(tmp) / f"documents-restore-{os.getpid()}")}
    try:
        print(_manage(scratch, "documents_backup", "restore", folder, env_extra=scratch_store))
        env = {**os.environ, "DATABASE_URL": scratch, "DEBUG": os.environ.get("DEBUG", "true"), **scratch_store}
        out = subprocess.run([PY, "manage.py", "verify_documents"], cwd=ROOT, env=env, capture_output=True, text=True)
        print(out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:])
        return [] if out.returncode == 0 else ["restored documents: " + out.stdout[-1000:]]
    finally:
        _manage(scratch, "documents_backup", "drop-scratch", env_extra=scratch_store)


def _quarters(today: date) -> list[tuple[int, int]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onecua.settings")
    sys.path.insert(0, str(ROOT))
    from reporting.periods import Period  # pure dates, no database

    current = Period.containing(today)
    previous = current.previous()
    return [(previous.year, previous.number), (current.year, current.number)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", help="keep the dump in this file (default: a temporary file)")
    parser.add_argument("--keep", action="store_true", help="do not drop the scratch database")
    args = parser.parse_args(argv)
    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must name the PostgreSQL database to back up", file=sys.stderr)
        return 2
    src_name = urlsplit(source).path.lstrip("/")
    scratch_name = f"{src_name}_restore_{os.getpid()}"
    scratch = scratch_url(scratch_name, server=source)

    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(args.dump) if args.dump else Path(tmp) / "onecua.dump"
        dump.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        _run(["pg_dump", "-Fc", "--no-owner", "-d", source, "-f", str(dump)])
        dumped = time.monotonic() - started
        recreate_database(scratch)
        try:
            started = time.monotonic()
            _run(["pg_restore", "--no-owner", "--exit-on-error", "-d", scratch, str(dump)])
            restored = time.monotonic() - started
            print(f"pg_dump -Fc {src_name}: {dump.stat().st_size / 1e6:.1f} MB in {dumped:.1f} s; "
                  f"pg_restore into {scratch_name} in {restored:.1f} s")
            failures = []
            a, b = _table_counts(source), _table_counts(scratch)
            if not a:
                failures.append("no OneCua table in the source database")
            for table in sorted(set(a) | set(b)):
                if a.get(table) != b.get(table):
                    failures.append(f"{table}: {a.get(table)} rows in the source, {b.get(table)} restored")
            print(f"dossiers: {a.get('dossiers_dossier')} in the source, {b.get('dossiers_dossier')} restored; "
                  f"{len(a)} tables compared")
            for year, quarter in _quarters(date.today()):
                ra, rb = _report(source, year, quarter), _report(scratch, year, quarter)
                same = ra == rb
                print(f"report quarterly {year} Q{quarter}: received {ra['totals']['received_total']}, "
                      f"resolved {ra['totals']['resolved_total']} — {'identical' if same else 'DIFFERENT'}")
                if not same:
                    failures.append(f"quarterly report {year} Q{quarter} differs after restore")
            failures += _documents_check(source, scratch, tmp)
        finally:
            if not args.keep:
                drop_database(scratch)
    if failures:
        print("FAILED:", *failures, sep="\n  ")
        return 1
    print("OK: the restored database holds the same rows and the same quarterly reports, and every "
          "document's bytes were restored with the same SHA-256")
    return 0


if __name__ == "__main__":
    sys.exit(main())
