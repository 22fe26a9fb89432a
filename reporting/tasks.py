"""Celery tasks of the reporting app: thin wrappers around ``reporting.services``.

Both are safe to run twice (a roll-up is a recomputation) and retry only on a transient
database error. A singleton lock (``onecua.locks``) keeps two nightly runs from overlapping and
dies with a killed worker on PostgreSQL, so the redelivered run does the work.
"""
from datetime import date

from celery import shared_task

_LOCK_NAME = "reporting:rollup-nightly"
_LOCK_SECONDS = 6 * 60 * 60  # only for the cache lock of SQLite setups


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=300)
def rollup_nightly_task(self, today: str | None = None) -> int:
    """Rebuild yesterday and every stale or missing day (beat: every night at 01:15)."""
    from django.db import OperationalError

    from onecua.locks import singleton_lock
    from reporting.services import rollup_pending

    with singleton_lock(_LOCK_NAME, _LOCK_SECONDS) as acquired:
        if not acquired:
            return 0  # another run is in progress
        try:
            return len(rollup_pending(today=date.fromisoformat(today) if today else None))
        except OperationalError as exc:
            raise self.retry(exc=exc)


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=60)
def rollup_days_task(self, start: str, end: str) -> int:
    """On demand: rebuild the days from `start` to `end` (ISO dates, inclusive)."""
    from django.db import OperationalError

    from reporting.services import rollup_range

    try:
        return len(rollup_range(start=date.fromisoformat(start), end=date.fromisoformat(end)))
    except OperationalError as exc:
        raise self.retry(exc=exc)
