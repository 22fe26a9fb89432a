"""Fault: PostgreSQL restarts while clerks take dossiers in (scripts/fault_db_restart.py).

The script runs a private cluster (never the shared server), gunicorn on it, clerks posting
intakes, and ``pg_ctl restart`` in the middle; it exits 1 if a failure was unclean, a 201
dossier is missing or half-written, a sequence has a gap, or requests after the restart fail.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_database_restart_mid_intake_loses_nothing(mode):
    if not (PG_BIN / "initdb").exists():
        if IN_CI:
            pytest.fail(f"CI=true: {PG_BIN}/initdb is missing")
        pytest.skip(f"{PG_BIN}/initdb is missing")
    out = subprocess.run(
        [sys.executable, "scripts/fault_db_restart.py", "--clients", "4", "--duration", "15", "--mode", mode,
         "--conn-max-age", "60" if mode == "immediate" else "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "OK:" in out.stdout
    assert "503" in out.stdout, "no request failed during the restart: the fault was not injected"
