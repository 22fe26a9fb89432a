"""Singleton locks for periodic jobs (the deadline sweep, the digest, the nightly roll-up).

On PostgreSQL the lock is a session advisory lock held on a connection of its own: it dies with
its holder, so a worker killed mid-job (SIGKILL, OOM, a lost host) frees it at once and the
redelivered job runs. Elsewhere (SQLite, one machine) it is a cache entry with a timeout, the
best one can do without a server: a killed holder blocks the job until the timeout passes.
"""
from __future__ import annotations

import hashlib
import uuid
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection


def _lock_id(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock``."""
    return int.from_bytes(hashlib.blake2b(f"onecua:lock:{name}".encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def singleton_lock(name: str, timeout: int):
    """Yield True if this process holds the lock named ``name`` (False: someone else does).

    ``timeout`` (seconds) bounds a cache lock whose holder died; an advisory lock needs none.
    """
    if connection.vendor == "postgresql":
        with _advisory_lock(name) as acquired:
            yield acquired
        return
    key = f"onecua:lock:{name}"
    token = uuid.uuid4().hex
    acquired = cache.add(key, token, timeout=timeout)
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == token:
            cache.delete(key)


@contextmanager
def _advisory_lock(name: str):
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    conn = psycopg.connect(**params, autocommit=True)
    try:
        acquired = conn.execute("SELECT pg_try_advisory_lock(%s)", [_lock_id(name)]).fetchone()[0]
        yield bool(acquired)
    finally:
        conn.close()  # ends the session: the lock goes with it
