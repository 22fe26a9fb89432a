"""Celery tasks of connected systems: thin, safe to run twice (``acks_late``; a delivery is
at least once, a notice at most once, see the services).

- ``connected.deliver`` (one subscription): sends what is due, comes back when the next
  retry is due (one wake-up per subscription at a time: a cache key).
- ``connected.notices``: sends the due notices to citizens.
- ``connected.due`` (beat, every minute): the safety net that kicks both for anything due.

Kicks never raise: a broker that is down only delays sending (the rows wait in the database).
"""
from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

RETRY = {"autoretry_for": (OperationalError,), "max_retries": 3, "retry_backoff": 5, "retry_backoff_max": 120,
         "retry_jitter": True, "acks_late": True}
#: the longest a task waits before coming back for a retry (beat's minute covers the rest)
MAX_WAKE_SECONDS = 300


def _publish(task, *, args=(), countdown: float | None = None) -> bool:
    from monitoring.services.outbox import task_publish

    return task_publish(task, args=args, countdown=countdown)


def kick_deliveries(subscription_id: int) -> bool:
    return _publish(deliver_task, args=(subscription_id,))


def kick_notices() -> bool:
    return _publish(notices_task)


def _wake_later(subscription_id: int, when: datetime) -> None:
    if deliver_task.app.conf.task_always_eager:
        return  # "later" cannot be honoured eagerly: the caller (a test, beat) comes back
    delay = min(max((when - timezone.now()).total_seconds(), 0.0), MAX_WAKE_SECONDS)
    key = f"connected:wake:{subscription_id}"
    if cache.add(key, 1, timeout=int(delay) + 2):  # one pending wake-up per subscription
        if not _publish(deliver_task, args=(subscription_id,), countdown=delay):
            cache.delete(key)


@shared_task(name="connected.deliver", soft_time_limit=110, time_limit=120, **RETRY)
def deliver_task(subscription_id: int) -> dict:
    from connected.services.webhooks import webhook_deliveries_send

    cache.delete(f"connected:wake:{subscription_id}")
    # a short run, then back in the queue: other subscriptions and the relay get their turn
    result = webhook_deliveries_send(subscription_id=subscription_id, budget_seconds=15)
    if result["more"] is not None:
        _wake_later(subscription_id, result["more"])
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in result.items()}


@shared_task(name="connected.notices", soft_time_limit=110, time_limit=120, **RETRY)
def notices_task() -> dict:
    from connected.services.notices import notices_send

    return notices_send()


@shared_task(name="connected.due", soft_time_limit=50, time_limit=60, **RETRY)
def due_task() -> int:
    """Beat: kick every subscription with due deliveries, and the notices."""
    from connected.models import Notice
    from connected.services.webhooks import subscriptions_with_due_work

    subs = subscriptions_with_due_work()
    for sub_id in subs:
        kick_deliveries(sub_id)
    if Notice.objects.filter(state=Notice.State.PENDING, next_at__lte=timezone.now()).exists():
        kick_notices()
    return len(subs)
