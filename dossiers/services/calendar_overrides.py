"""Calendar overrides (domain.md D1) and the re-evaluation of open dossiers they cause.

An administrator's override always wins over the national calendar. Before saving, the
preview tells how many open dossiers would move and by how much; after saving, a Celery task
recomputes their due dates through ``lifecycle.dossier_recompute_due`` (which writes the
change into each dossier's history). Closed dossiers never change.
"""
from __future__ import annotations

import logging

from collections import Counter as Tally
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q

from dossiers import calendar as wcal
from dossiers.errors import DossierError
from dossiers.models import CalendarOverride, Dossier
from dossiers.selectors import calendar_build, calendar_get, calendar_invalidate, calendar_overrides
from dossiers.workflow import OPEN_STATES

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OverrideImpact:
    """What saving an override would do to open dossiers."""

    dossier_ids: tuple[int, ...]
    shifts: dict[int, int]  # working days moved (+ later, − earlier) -> number of dossiers

    @property
    def count(self) -> int:
        return len(self.dossier_ids)


def _affected_candidates(day: date):
    # Only a dossier whose clock window can contain the day may move: received on or before
    # it and due on or after it (a day added or removed before receipt changes nothing).
    return (
        Dossier.objects.filter(state__in=OPEN_STATES, receipt_date__lte=day)
        .filter(Q(due_date__gte=day) | Q(paused_on__isnull=False))
        .prefetch_related("pauses")
    )


def _due_with(dossier: Dossier, cal: wcal.WorkCalendar) -> wcal.DueDate:
    pauses = [wcal.Pause(start=p.requested_at, end=p.completed_at) for p in dossier.pauses.all()]
    return wcal.compute_due(
        received_at=dossier.received_at, amount=dossier.processing_time, unit=dossier.time_unit, cal=cal, pauses=pauses
    )


def calendar_override_impact(*, day: date, is_working_day: bool | None) -> OverrideImpact:
    """Open dossiers whose due date would change if `day` became working / non-working.

    ``is_working_day=None`` previews removing the override for that day.
    """
    overrides = calendar_overrides()
    if is_working_day is None:
        overrides.pop(day, None)
    else:
        overrides[day] = (is_working_day, "preview")
    current = calendar_get()
    proposed = calendar_build(overrides=overrides)
    ids, shifts = [], Tally()
    for dossier in _affected_candidates(day).iterator(chunk_size=2000):
        new_due = _due_with(dossier, proposed).due_date
        if new_due != dossier.due_date:
            ids.append(dossier.pk)
            if new_due > dossier.due_date:
                shift = current.working_days_between(dossier.due_date, new_due)
            else:
                shift = -current.working_days_between(new_due, dossier.due_date)
            shifts[shift] += 1
    return OverrideImpact(dossier_ids=tuple(ids), shifts=dict(shifts))


def calendar_override_save(*, day: date, is_working_day: bool, reason: str, legal_source: str, actor=None) -> CalendarOverride:
    """Create or change the override for `day`, then re-evaluate open dossiers after commit."""
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = ["Vui lòng ghi lý do."]
    if not (legal_source or "").strip():
        errors["legal_source"] = ["Vui lòng ghi căn cứ (ví dụ: Thông báo 6150/TB-BNV)."]
    if errors:
        raise DossierError("Điều chỉnh lịch chưa hợp lệ.", errors=errors)
    with transaction.atomic():
        override, _created = CalendarOverride.objects.update_or_create(
            date=day,
            defaults={"is_working_day": is_working_day, "reason": reason.strip(), "legal_source": legal_source.strip(), "created_by": actor},
        )
        _schedule_reevaluation(day=day, actor=actor, reason=f"{override}")
    return override


def calendar_override_delete(*, day: date, actor=None) -> None:
    with transaction.atomic():
        deleted, _ = CalendarOverride.objects.filter(date=day).delete()
        if deleted:
            _schedule_reevaluation(day=day, actor=actor, reason=f"Bỏ điều chỉnh lịch ngày {day:%d/%m/%Y}")


def _schedule_reevaluation(*, day: date, actor, reason: str) -> None:
    from dossiers.tasks import calendar_reevaluate_task

    def after_commit():
        calendar_invalidate()
        try:
            calendar_reevaluate_task.delay(day.isoformat(), actor.pk if actor else None, reason)
        except Exception:  # broker down: do the work now rather than lose it
            logger.exception("Broker unavailable; re-evaluating dossiers for %s in-process", day)
            calendar_reevaluate(day=day, actor=actor, reason=reason)

    transaction.on_commit(after_commit)


def calendar_reevaluate(*, day: date, actor=None, reason: str = "") -> int:
    """Recompute the due dates of open dossiers the change of `day` can affect (idempotent)."""
    from dossiers.services.lifecycle import dossier_recompute_due

    calendar_invalidate()
    moved = 0
    for dossier in _affected_candidates(day).only("pk").iterator(chunk_size=2000):
        if dossier_recompute_due(dossier=dossier, actor=actor, reason=reason):
            moved += 1
    return moved
