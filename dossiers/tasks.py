"""Celery tasks: thin wrappers that take ids and call one service (imported in the body)."""
from datetime import date

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def calendar_reevaluate_task(self, day_iso: str, actor_id: int | None = None, reason: str = "") -> int:
    """Re-evaluate open dossiers after a calendar override changed (safe to run twice)."""
    from django.contrib.auth import get_user_model
    from django.db import OperationalError

    from dossiers.services.calendar_overrides import calendar_reevaluate

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        return calendar_reevaluate(day=date.fromisoformat(day_iso), actor=actor, reason=reason)
    except OperationalError as exc:  # a locked database or a lost connection: try again later
        raise self.retry(exc=exc)


@shared_task(name="dossiers.intake_keys_purge", acks_late=True, soft_time_limit=110, time_limit=120)
def intake_keys_purge_task() -> int:
    """Delete intake idempotency keys older than 24 hours (beat: hourly; safe to run twice)."""
    from dossiers.services.intake_keys import intake_keys_purge

    return intake_keys_purge()


@shared_task(name="dossiers.reorganisation_move", bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def reorganisation_move_task(self, reorganisation_ids: list[int]) -> int:
    """Move the open dossiers of recorded reorganisations (D20) in batches; safe to run twice and
    to redeliver after a killed worker (each batch is one transaction; what is moved is not
    taken again)."""
    from django.db import OperationalError

    from dossiers.services.reorganisation import reorganisations_move

    try:
        return reorganisations_move(reorganisation_ids)
    except OperationalError as exc:  # a lost connection: try again later
        raise self.retry(exc=exc)
