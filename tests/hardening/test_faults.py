"""Faults: a Celery worker SIGKILLed in the middle of the deadline sweep and of the roll-up.

No sleep hook in production code: a real worker subprocess (its own Redis db as broker) runs
the real task on this test database; the test holds ``LOCK TABLE … IN ACCESS EXCLUSIVE MODE``
in another connection on the table the task writes after its first statement, waits until
pg_stat_activity shows the worker's backend waiting for that lock while it already holds a
lock on the table of its first write (provably mid-task), SIGKILLs the worker, releases the
lock, checks that nothing of the killed run is left (its transaction rolled back) and that the
message is still unacknowledged in Redis (acks_late: it will be redelivered), reruns, and
compares with a clean run on the same data: same flags, one outbox message per flag, same
roll-up rows — nothing twice, nothing missing.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.conftest import IN_CI, require_postgres

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("ONECUA_FAULTS_REDIS", "redis://127.0.0.1:6379/12")

pytestmark = [pytest.mark.django_db(transaction=True)]


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except Exception:
        if IN_CI:
            pytest.fail(f"CI=true: Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return client


def _dsn() -> str:
    s = connection.settings_dict
    return (f"postgresql://{s['USER']}:{s.get('PASSWORD') or ''}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}"
            f"/{s['NAME']}")


def _worker(tmp_path: Path, name: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_RESULT_BACKEND", "REDIS_URL"}}
    env.update(DEBUG="true", DATABASE_URL=_dsn(), CELERY_BROKER_URL=REDIS_URL, ONECUA_VAR_DIR=str(tmp_path),
               CELERY_TASK_ALWAYS_EAGER="false")
    celery = Path(sys.executable).parent / "celery"
    return subprocess.Popen(
        [str(celery), "-A", "onecua", "worker", "--pool=solo", "--loglevel=INFO", "-n", f"{name}{os.getpid()}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=open(tmp_path / f"{name}.log", "w"), stderr=subprocess.STDOUT,
    )


def _send(task: str, **kwargs) -> None:
    from celery import Celery

    # Celery prefers the CELERY_BROKER_URL environment variable (set by CI) to the broker given
    # here: point it at the worker's broker while sending.
    saved = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = REDIS_URL
    try:
        sender = Celery(broker=REDIS_URL)
        sender.conf.task_serializer = "json"
        sender.send_task(task, kwargs=kwargs)
        sender.close()
    finally:
        if saved is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved


def _blocked_backend(admin, *, waits_on: str, holds: str, timeout: float = 60) -> int:
    """The pid of the worker's backend once it waits for a lock on `waits_on` while holding one
    on `holds` (the table of its first write): the task is provably in its transaction."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = admin.execute(
            """
            SELECT a.pid FROM pg_stat_activity a
            JOIN pg_locks w ON w.pid = a.pid AND NOT w.granted AND w.relation = %s::regclass
            JOIN pg_locks h ON h.pid = a.pid AND h.granted AND h.relation = %s::regclass AND h.mode = 'RowExclusiveLock'
            WHERE a.datname = current_database() AND a.wait_event_type = 'Lock'
            """,
            (waits_on, holds),
        ).fetchone()
        if row:
            return row[0]
        time.sleep(0.2)
    raise AssertionError(f"no worker backend blocked on {waits_on} within {timeout} s")


def _kill_mid_task(tmp_path, *, task: str, kwargs: dict, lock_table: str, first_table: str) -> None:
    redis = _redis()
    redis.flushdb()
    worker = _worker(tmp_path, "victim")
    holder = psycopg.connect(_dsn(), autocommit=False)
    admin = psycopg.connect(_dsn(), autocommit=True)
    try:
        holder.execute(f'LOCK TABLE "{lock_table}" IN ACCESS EXCLUSIVE MODE')
        _send(task, **kwargs)
        pid = _blocked_backend(admin, waits_on=lock_table, holds=first_table)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
        assert worker.returncode == -signal.SIGKILL
        # acks_late: the message is still unacknowledged in the broker (redelivered after the
        # visibility timeout).
        assert redis.hlen("unacked") == 1, (tmp_path / "victim.log").read_text()[-2000:]
        holder.rollback()  # release the lock: the orphaned backend proceeds, finds its client gone
        deadline = time.monotonic() + 30
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            assert time.monotonic() < deadline, "the killed worker's backend did not end"
            time.sleep(0.2)
    finally:
        if worker.poll() is None:
            worker.kill()
        holder.close()
        admin.close()
        redis.flushdb()


# --- the deadline sweep ----------------------------------------------------------------------------


def _sweep_state() -> tuple[list, dict]:
    from monitoring.models import DeadlineFlag, OutboxMessage

    flags = sorted(DeadlineFlag.objects.values_list("dossier_id", "step_id", "kind", "due_date"), key=str)
    per_flag: dict = {}
    for flag_id in OutboxMessage.objects.filter(flag__isnull=False).values_list("flag_id", flat=True):
        per_flag[flag_id] = per_flag.get(flag_id, 0) + 1
    return flags, per_flag


def _sweep_reset() -> None:
    from monitoring.models import DeadlineFlag, DeadlineSweep, OutboxMessage

    OutboxMessage.objects.all().delete()
    DeadlineFlag.objects.all().delete()
    DeadlineSweep.objects.all().delete()


def test_worker_killed_mid_sweep_then_rerun_equals_a_clean_run(tmp_path):
    require_postgres()
    from monitoring.models import DeadlineFlag, DeadlineSweep, OutboxMessage
    from tests.monitoring.conftest import make_board, make_world

    make_board(make_world())
    # The clean run on the same data.
    call_command("sweep_deadlines", stdout=open(os.devnull, "w"))
    clean_flags, clean_messages = _sweep_state()
    assert clean_flags, "the board should produce flags: the comparison would prove nothing"
    assert set(clean_messages.values()) == {1}
    _sweep_reset()

    _kill_mid_task(tmp_path, task="monitoring.deadline_sweep", kwargs={"trigger": "fault"},
                   lock_table=DeadlineFlag._meta.db_table, first_table=DeadlineSweep._meta.db_table)
    # Nothing of the killed run: its transaction (sweep row, flags, messages) rolled back.
    assert not DeadlineSweep.objects.exists()
    assert not DeadlineFlag.objects.exists() and not OutboxMessage.objects.exists()

    # Rerun as the redelivered task would (the killed worker's singleton lock died with it:
    # the task is not skipped), then the operator's command: the same as the clean run.
    from monitoring.tasks import deadline_sweep_task

    assert "skipped" not in deadline_sweep_task.apply(kwargs={"trigger": "rerun"}).get()
    call_command("sweep_deadlines", stdout=open(os.devnull, "w"))
    flags, messages = _sweep_state()
    assert flags == clean_flags
    assert set(messages.values()) == {1} and len(messages) == len(clean_messages)


# --- the roll-up -----------------------------------------------------------------------------------


def _rollup_rows() -> list:
    from reporting.models import DailyStatistic

    fields = [f.attname for f in DailyStatistic._meta.concrete_fields if f.attname not in {"id"}]
    return sorted(DailyStatistic.objects.values_list(*fields), key=str)


def test_worker_killed_mid_rollup_then_rerun_equals_a_clean_run(tmp_path):
    require_postgres()
    from reporting.models import DailyStatistic, RollupDay
    from tests.monitoring.conftest import make_world
    from tests.monitoring.conftest import register as monitoring_register

    w = make_world()
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in (9, 8, 7)]
    for i, day in enumerate(days):
        for hour in range(8, 8 + 3 + i):
            monitoring_register(w, w.days5, timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
                                + timedelta(hours=hour))
    start, end = days[0].isoformat(), days[-1].isoformat()
    call_command("rollup", "--from", start, "--to", end, stdout=open(os.devnull, "w"))
    clean = _rollup_rows()
    assert clean, "the roll-up should produce rows: the comparison would prove nothing"
    DailyStatistic.objects.all().delete()
    RollupDay.objects.all().delete()

    _kill_mid_task(tmp_path, task="reporting.tasks.rollup_days_task", kwargs={"start": start, "end": end},
                   lock_table=DailyStatistic._meta.db_table, first_table=RollupDay._meta.db_table)
    assert not DailyStatistic.objects.exists() and not RollupDay.objects.exists()

    call_command("rollup", "--from", start, "--to", end, stdout=open(os.devnull, "w"))
    call_command("rollup", "--from", start, "--to", end, stdout=open(os.devnull, "w"))
    assert _rollup_rows() == clean
    assert RollupDay.objects.count() == len(days)
