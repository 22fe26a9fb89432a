"""Celery tasks of deadline monitoring: thin, safe to run twice, bounded in time and retries.

Every task: ``acks_late`` (a worker killed mid-task leaves the message for another), retries
only on transient database errors (``OperationalError``: a lock timeout, a lost connection, a
deadlock victim) at most 3 times with back-off, and soft/hard time limits. The sweep and the
digest are singletons: ``onecua.locks.singleton_lock`` (a PostgreSQL advisory lock that dies
with a killed worker; a cache lock on SQLite) makes a second copy return at once. The relay needs no lock: its ``SKIP
LOCKED`` batches are safe to run side by side, and a skipped kick would only delay delivery.
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from onecua.locks import singleton_lock

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (OperationalError,), "max_retries": 3, "retry_backoff": 5, "retry_backoff_max": 120,
         "retry_jitter": True, "acks_late": True}


def task_lock(name: str, timeout: int):
    """The singleton lock of a job (``onecua.locks``): yields True if this process holds it."""
    return singleton_lock(name, timeout)


@shared_task(name="monitoring.deadline_sweep", soft_time_limit=240, time_limit=300, **RETRY)
def deadline_sweep_task(trigger: str = "beat") -> dict:
    """The overdue / due-soon / apology-reminder sweep (beat: every 10 min and 07:30)."""
    from monitoring.services.sweep import deadline_sweep

    with task_lock("deadline-sweep", timeout=300) as acquired:
        if not acquired:
            logger.info("deadline sweep already running elsewhere; skipped")
            return {"skipped": True}
        result = deadline_sweep(trigger=trigger)
        return {"sweep": result.sweep_id, "as_of": result.as_of, "counts": result.counts, "messages": result.messages}


@shared_task(name="monitoring.outbox_relay", soft_time_limit=110, time_limit=120, **RETRY)
def outbox_relay_task() -> int:
    """Drain the outbox into notifications and e-mails (kicked after commits; beat: every minute)."""
    from monitoring.models import OutboxMessage
    from monitoring.services.outbox import outbox_kick, outbox_relay

    # Under sustained load new messages keep coming and a relay that drains "until nothing is
    # pending" never ends: it held both worker processes and ran into its time limit (a killed
    # task rolls its batch back), and the tasks queued behind it (webhooks) starved. A run takes
    # what it can in 10 s; the next kick (one per second per web process under load) goes on.
    delivered = outbox_relay(max_seconds=10)
    if OutboxMessage.objects.filter(delivered_at__isnull=True, available_at__lte=timezone.now()).exists():
        outbox_kick()
    return delivered


@shared_task(name="monitoring.supervisor_digest", soft_time_limit=600, time_limit=660, **RETRY)
def supervisor_digest_task() -> int:
    """Queue the supervisors' daily digest (beat: 07:30; no-op on non-working days)."""
    from monitoring.services.digest import supervisor_digest_enqueue

    with task_lock("supervisor-digest", timeout=660) as acquired:
        if not acquired:
            return 0
        return supervisor_digest_enqueue()
