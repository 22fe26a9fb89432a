"""Reports off a read replica when one is configured (``DATABASE_REPLICA_URL``, issue 19).

Nothing is sent to the replica unless a caller asks: code that only reads data others wrote
wraps its reads in :func:`replica_reads` (the report page, its exports, its drill-downs, the
reads of the roll-up tables behind them). Inside that scope :class:`ReplicaRouter` sends reads
of the dossier and statistics tables (``REPLICA_APPS``, except ``PRIMARY_ONLY_MODELS``: a frozen
report the user may have just published) to the ``replica`` alias, and only while the replica
is up and no further behind than ``REPLICA_MAX_LAG_SECONDS``; otherwise, and always inside a
transaction on the primary, to the primary. Writes always go to the primary, and so does
every read outside the scope, so a user never misses their own just-committed write on a page
that must show it.

The replica's health is asked at most once per ``REPLICA_CHECK_SECONDS`` per process (one
short query on the replica; a replica that does not answer is treated as down for that long).
Lag is the time since the last transaction the replica replayed, counted only when it has
received WAL it has not replayed yet (an idle primary sends nothing: no lag then).
"""
from __future__ import annotations

import contextvars
import logging
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
#: the apps whose tables a report reads
REPLICA_APPS = frozenset({"dossiers", "reporting"})
#: tables a report reads that the same user may have just written: always the primary
PRIMARY_ONLY_MODELS = frozenset({"reporting.frozenreport", "reporting.frozenreportentry"})

LAG_SQL = (
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 "
    "WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)

_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar("onecua_replica_reads", default=False)
_lock = threading.Lock()
_health: dict[str, float | bool | None] = {"at": None, "usable": False, "lag": None}


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads():
    """Within this block, reads of report data may go to the replica (see the module)."""
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


def replica_lag_seconds() -> float | None:
    """How far the replica is behind, in seconds; None when it does not answer."""
    conn = connections[REPLICA]
    try:
        with conn.cursor() as cursor:
            cursor.execute(LAG_SQL)
            return float(cursor.fetchone()[0])
    except Exception as exc:  # down, refusing, timed out: all mean "use the primary"
        logger.warning("Read replica unusable, reading from the primary: %s", exc)
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; nothing to do
            pass
        return None


def replica_usable(*, now: float | None = None) -> bool:
    """Up and within ``REPLICA_MAX_LAG_SECONDS``, as last checked (at most once per
    ``REPLICA_CHECK_SECONDS`` per process)."""
    if not replica_configured():
        return False
    now = time.monotonic() if now is None else now
    checked = _health["at"]
    if checked is not None and now - checked < settings.REPLICA_CHECK_SECONDS:  # type: ignore[operator]
        return bool(_health["usable"])
    with _lock:
        lag = replica_lag_seconds()
        usable = lag is not None and lag <= settings.REPLICA_MAX_LAG_SECONDS
        if not usable and lag is not None:
            logger.warning("Read replica %.1f s behind (limit %s s): reading from the primary",
                           lag, settings.REPLICA_MAX_LAG_SECONDS)
        _health.update(at=time.monotonic(), usable=usable, lag=lag)
    return usable


def replica_health_forget() -> None:
    """Check again at the next read (tests; after a failover)."""
    _health.update(at=None, usable=False, lag=None)


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: see the module's docstring."""

    def db_for_read(self, model, **hints):
        if not _wanted.get() or not replica_configured():
            return None
        meta = model._meta
        if meta.app_label not in REPLICA_APPS or meta.label_lower in PRIMARY_ONLY_MODELS:
            return None
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:  # may read its own uncommitted writes
            return None
        return REPLICA if replica_usable() else None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
