"""Reference data read by every intake and changed a few times a year: procedures with their
step templates, units by code, and who a staff user is (roles, unit, counter).

Each process keeps a snapshot tagged with a version stamp of the shared cache
(``onecua.stamps.SharedStamp``, as the calendar in ``selectors.calendar_get``). Any change to
these tables bumps the stamp when its transaction commits (signal receivers registered in
``DossiersConfig.ready``), so every process reloads within a second. The snapshot saves the intake four to six queries.

The instances handed out are shared between requests: callers must not modify them.
"""
from __future__ import annotations

import threading

from django.db import transaction

from dossiers.models import Procedure, ProcedureStep, StaffProfile, Unit
from dossiers.roles import roles_of_groups
from onecua.stamps import SharedStamp

_stamp = SharedStamp("onecua:reference-version")
_lock = threading.Lock()
_snapshot: dict = {"version": None, "procedures": {}, "templates": {}, "units": {}, "users": {}, "facts": {}}


def _current() -> dict:
    """The snapshot for the stamp in force (emptied when the stamp moved; ``onecua.stamps``)."""
    version = _stamp.current()
    if _snapshot["version"] != version:
        with _lock:
            if _snapshot["version"] != version:
                for key in ("procedures", "templates", "units", "users", "facts"):
                    _snapshot[key] = {}
                _snapshot["version"] = version
    return _snapshot


def reference_invalidate() -> None:
    """Tell every process that reference data changed (runs after the change commits)."""
    _stamp.bump()
    with _lock:
        _snapshot["version"] = None


def reference_changed(update_fields=None, **_kwargs) -> None:
    """Signal receiver: invalidate once the saving transaction commits (a login's
    ``last_login`` stamp changes nothing we keep)."""
    if update_fields and set(update_fields) <= {"last_login"}:
        return
    reference_reset()  # this process (and this transaction) reads the change at once
    transaction.on_commit(reference_invalidate)


def reference_reset() -> None:
    """Forget the process snapshot (tests; a new shared cache)."""
    _stamp.forget()
    with _lock:
        _snapshot["version"] = None


def procedure_get(code: str) -> Procedure | None:
    """The procedure with this code (its field and resolving unit loaded), or None."""
    snap = _current()
    try:
        return snap["procedures"][code]
    except KeyError:
        pass
    procedure = Procedure.objects.select_related("field", "resolving_unit").filter(code=code).first()
    if procedure is not None:  # unknown codes are not remembered: a later import may add them
        snap["procedures"][code] = procedure
    return procedure


def procedure_template(procedure: Procedure) -> list[ProcedureStep]:
    """The procedure's step template in order (empty: one step at the lead unit)."""
    snap = _current()
    try:
        return snap["templates"][procedure.pk]
    except KeyError:
        template = list(ProcedureStep.objects.filter(procedure_id=procedure.pk).select_related("unit").order_by("order"))
        snap["templates"][procedure.pk] = template
        return template


def unit_get(code: str) -> Unit | None:
    snap = _current()
    try:
        return snap["units"][code]
    except KeyError:
        pass
    unit = Unit.objects.filter(code=code).first()
    if unit is not None:
        snap["units"][code] = unit
    return unit


def unit_facts() -> dict[int, "UnitFacts"]:
    """Every unit as plain facts by id (the competence rule's input, ``dossiers.competence``)."""
    from dossiers.competence import UnitFacts

    snap = _current()
    facts = snap["facts"].get("all")
    if facts is None:
        facts = {
            u["id"]: UnitFacts(**u)
            for u in Unit.objects.values("id", "code", "name", "level", "kind", "parent_id", "valid_from", "valid_to")
        }
        snap["facts"]["all"] = facts
    return facts


def unit_successors() -> dict:
    """Unit id → (successor id, the old unit's last day) of every unit a reorganisation ended
    (D20; a handful of rows): who acts as a dossier's counter once its receiving unit has ended
    (``core.counter_chain``)."""
    snap = _current()
    successors = snap["facts"].get("successors")
    if successors is None:
        successors = {pk: (successor_id, valid_to) for pk, successor_id, valid_to in
                      Unit.objects.filter(successor__isnull=False).values_list("pk", "successor_id", "valid_to")}
        snap["facts"]["successors"] = successors
    return successors


def user_prime(user) -> None:
    """Load the user's roles and staff profile from the snapshot onto this user object, so that
    ``roles.user_roles`` and ``selectors.staff_profile`` answer without a query."""
    if not user.is_authenticated or user.is_superuser:
        return
    snap = _current()
    facts = snap["users"].get(user.pk)
    if facts is None:
        roles = roles_of_groups(user.groups.values_list("name", flat=True))
        profile = StaffProfile.objects.select_related("unit", "counter").filter(user_id=user.pk).first()
        facts = (roles, profile)
        snap["users"][user.pk] = facts
    roles, profile = facts
    user._onecua_roles = roles
    if profile is not None:
        user._state.fields_cache["staff"] = profile
