"""Reads: the calendar in force, unit trees, what a user may see, worklists.

No writes here. The working-day calendar is built once per process from the `holidays`
library plus the administrator's overrides and rebuilt when an override changes (a version
stamp in the shared cache tells every process).
"""
from __future__ import annotations

import threading
from datetime import date

from django.core.cache import cache
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet

from dossiers import calendar as wcal
from dossiers.models import CalendarOverride, Dossier, DossierStep, StaffProfile, Unit
from dossiers.roles import ADMINISTRATOR, LEADER, user_roles
from dossiers.workflow import OPEN_STATES

#: the years the in-memory calendar covers (imports from older systems start around 2015)
CALENDAR_FIRST_YEAR = 2010
CALENDAR_LAST_YEAR = 2060
_CALENDAR_VERSION_KEY = "onecua:calendar-version"

_calendar_lock = threading.Lock()
_calendar_cache: dict[str, object] = {"version": None, "calendar": None}


def calendar_overrides() -> dict[date, tuple[bool, str]]:
    return {
        o.date: (o.is_working_day, o.reason)
        for o in CalendarOverride.objects.only("date", "is_working_day", "reason")
    }


def calendar_build(*, overrides: dict[date, tuple[bool, str]] | None = None) -> wcal.WorkCalendar:
    from dossiers.vn_calendar import build_vn_calendar

    return build_vn_calendar(
        first_year=CALENDAR_FIRST_YEAR,
        last_year=CALENDAR_LAST_YEAR,
        overrides=calendar_overrides() if overrides is None else overrides,
    )


def calendar_version() -> str:
    version = cache.get(_CALENDAR_VERSION_KEY)
    if version is None:
        version = "0"
        cache.add(_CALENDAR_VERSION_KEY, version, timeout=None)
    return str(version)


def calendar_invalidate() -> None:
    """Tell every process that the overrides changed (called by the override services)."""
    import uuid

    cache.set(_CALENDAR_VERSION_KEY, uuid.uuid4().hex, timeout=None)
    with _calendar_lock:
        _calendar_cache["version"] = None


def calendar_get() -> wcal.WorkCalendar:
    """The calendar in force: national holidays + overrides, cached per process."""
    version = calendar_version()
    cal = _calendar_cache["calendar"]
    if cal is not None and _calendar_cache["version"] == version:
        return cal  # type: ignore[return-value]
    with _calendar_lock:
        cal = calendar_build()
        _calendar_cache.update(version=version, calendar=cal)
    return cal


# --- units -----------------------------------------------------------------------------------


def unit_descendant_ids(unit_id: int) -> set[int]:
    """The unit and every unit below it."""
    children: dict[int | None, list[int]] = {}
    for uid, parent_id in Unit.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(uid)
    out, stack = set(), [unit_id]
    while stack:
        uid = stack.pop()
        if uid in out:
            continue
        out.add(uid)
        stack.extend(children.get(uid, ()))
    return out


def staff_profile(user) -> StaffProfile | None:
    if not user.is_authenticated:
        return None
    try:
        return user.staff
    except StaffProfile.DoesNotExist:
        return None


def user_unit_ids(user) -> set[int] | None:
    """Units whose dossiers the user may see; None means all (superuser, administrator).

    Staff see their own unit; leaders (supervisors) see their unit's subtree.
    """
    if user.is_superuser:
        return None
    roles = user_roles(user)
    profile = staff_profile(user)
    if profile is None:
        return None if ADMINISTRATOR in roles else set()
    if LEADER in roles:
        subtree = unit_descendant_ids(profile.unit_id)
        # A leader over the whole tree (e.g. the province) sees everything: no filter at all,
        # which keeps counts and lists on plain indexes at national scale.
        return None if len(subtree) == Unit.objects.count() else subtree
    return {profile.unit_id}


def dossiers_visible_to(user, qs: QuerySet[Dossier] | None = None) -> QuerySet[Dossier]:
    """Dossiers the user may see: received, led or handled (a step) by one of the user's units."""
    qs = Dossier.objects.all() if qs is None else qs
    unit_ids = user_unit_ids(user)
    if unit_ids is None:
        return qs
    if not unit_ids:
        return qs.none()
    in_step = DossierStep.objects.filter(dossier=OuterRef("pk"), unit_id__in=unit_ids)
    return qs.filter(
        Q(receiving_unit_id__in=unit_ids) | Q(resolving_unit_id__in=unit_ids) | Q(current_unit_id__in=unit_ids)
        | Exists(in_step)
    )


def dossier_get_for_user(*, user, code: str) -> Dossier:
    """The dossier with this code if the user may see it, else Dossier.DoesNotExist (→ 404)."""
    return dossiers_visible_to(user, Dossier.objects.select_related(
        "procedure", "procedure__field", "receiving_unit", "receiving_unit__parent", "resolving_unit",
        "current_unit", "assigned_to", "counter",
    )).get(code=code)


def dossiers_open(qs: QuerySet[Dossier] | None = None) -> QuerySet[Dossier]:
    qs = Dossier.objects.all() if qs is None else qs
    return qs.filter(state__in=OPEN_STATES)


def dossiers_overdue(*, on: date, qs: QuerySet[Dossier] | None = None) -> QuerySet[Dossier]:
    """Open dossiers past their due date on `on` (a paused dossier is judged at its pause, D12)."""
    return dossiers_open(qs).filter(
        Q(paused_on__isnull=True, due_date__lt=on) | Q(paused_on__isnull=False, due_date__lt=models.F("paused_on"))
    )


def applicant_last_by_id_number(*, id_number: str, user) -> Dossier | None:
    """The applicant's latest dossier visible to the user (to reuse their data at intake)."""
    return (
        dossiers_visible_to(user, Dossier.objects.filter(applicant_id_number=id_number))
        .order_by("-received_at")
        .first()
    )


def dossier_menu_counts(*, user) -> dict[str, int]:
    """Counts for the left menu in one query over the dossiers the user may see."""
    from django.db.models import Count

    qs = dossiers_visible_to(user)
    by_state = dict(qs.values_list("state").annotate(n=Count("id")).order_by())
    mine = Dossier.objects.filter(assigned_to=user, state__in=OPEN_STATES).count() if user.is_authenticated else 0
    return {
        "submitted": by_state.get("submitted", 0),
        "processing": by_state.get("received", 0) + by_state.get("in_processing", 0),
        "supplement": by_state.get("awaiting_supplement", 0),
        "result": by_state.get("approved", 0) + by_state.get("refused", 0),
        "returned": by_state.get("returned", 0),
        "mine": mine,
    }
