"""Celery tasks of the reporting app: thin wrappers around ``reporting.services``.

Both are safe to run twice (a roll-up is a recomputation) and retry only on a transient
database error. A cache lock keeps two nightly runs from overlapping.
"""
from datetime import date

from celery import shared_task

_LOCK_KEY = "onecua:reporting:rollup-nightly"
_LOCK_SECONDS = 6 * 60 * 60


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=300)
def rollup_nightly_task(self, today: str | None = None) -> int:
    """Rebuild yesterday and every stale or missing day (beat: every night at 01:15)."""
    from django.core.cache import cache
    from django.db import OperationalError

    from reporting.services import rollup_pending

    if not cache.add(_LOCK_KEY, "1", timeout=_LOCK_SECONDS):
        return 0  # another run is in progress
    try:
        return len(rollup_pending(today=date.fromisoformat(today) if today else None))
    except OperationalError as exc:
        raise self.retry(exc=exc)
    finally:
        cache.delete(_LOCK_KEY)


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=60)
def rollup_days_task(self, start: str, end: str) -> int:
    """On demand: rebuild the days from `start` to `end` (ISO dates, inclusive)."""
    from django.db import OperationalError

    from reporting.services import rollup_range

    try:
        return len(rollup_range(start=date.fromisoformat(start), end=date.fromisoformat(end)))
    except OperationalError as exc:
        raise self.retry(exc=exc)
