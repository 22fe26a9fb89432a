"""Dossier lifecycle services: intake, every workflow action, and the one transition entry point.

Legal basis: NĐ 61/2018/NĐ-CP as amended by NĐ 107/2021/NĐ-CP and NĐ 118/2025 (receipt,
hand-over, supplement, apology, liên thông), Thông tư 03/2025/TT-VPCP (forms), OneCua decisions
D2–D10, D15–D18 in domain.md. Deadlines come from ``dossiers.calendar``; the rules of every
action (who may, when, what changes) from the pure ``dossiers.core``: this module is its shell.

Every action goes through :func:`dossier_transition`, which locks the dossier row, lets the core
act on it, writes what changed, appends a ``DossierEvent`` (who, acting unit, when, from → to,
note, the due date at that moment) and defers side effects to ``transaction.on_commit``.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone

from dossiers import calendar as wcal
from dossiers import core, hooks
from dossiers.core import (  # noqa: F401 (the messages callers and tests name through this module)
    MSG_APOLOGY_DATE, MSG_APOLOGY_ONCE, MSG_BEFORE_RECEIPT, MSG_LAST_STEP, MSG_REASON_REQUIRED, MSG_WRONG_STATE,
    ON_THE_SPOT_NOTE,
)
from dossiers.errors import ConflictError, DossierError
from dossiers.models import (
    Channel,
    Counter,
    Dossier,
    DossierEvent,
    DossierPause,
    DossierSequence,
    DossierStep,
    Procedure,
    ProcedureStep,
    ReturnChannel,
    Unit,
)
from dossiers import identity, intake_bounds
from dossiers import competence, reference
from dossiers.reference import procedure_template
from dossiers.roles import user_roles
from dossiers.selectors import calendar_get, staff_profile
from dossiers.workflow import OPEN_STATES, Action, DossierState
from dossiers.services.register import register_assign, register_sql
from onecua.rows import ids_reserve, rows_insert

S = DossierState

# Messages (asserted by tests).
MSG_CONFLICT = "Hồ sơ {code} vừa được người khác cập nhật. Vui lòng tải lại trang và thử lại."
MSG_CCCD = identity.MSG_CCCD
MSG_NAME_REQUIRED = identity.MSG_NAME_REQUIRED
MSG_TOO_LONG = "{label} tối đa {n} ký tự (đã nhập {got} ký tự)."
MSG_PHONE = identity.MSG_PHONE
MSG_ON_THE_SPOT = "Thủ tục này không áp dụng “4 tại chỗ”."
MSG_NOT_IN_FUTURE = "Thời điểm thao tác không được ở tương lai."
MSG_BEFORE_CALENDAR = intake_bounds.MSG_BEFORE_CALENDAR
MSG_NOTIFY_EMAIL = "Cần địa chỉ email để gửi thông báo qua email."
MSG_NOTIFY_SMS = "Cần số điện thoại để gửi thông báo qua SMS."

# Stored in the dossier's record (data, not UI text): always Vietnamese, whatever the
# language of the user who caused them.
DEFAULT_STEP_NAME = "Giải quyết hồ sơ"


# --- transition hooks (one small, clearly-marked extension point) -----------------------------
#: Callables ``hook(dossier, event)`` that return the unsaved rows (model instances, or None) to
#: write together with the event, in the intake's or action's transaction. Registered by other
#: apps in ``AppConfig.ready()`` (the ``monitoring`` app adds its transactional-outbox row here,
#: so a notification is committed or rolled back together with the change it reports;
#: ``dossiers`` never imports it). A hook only builds rows: the service writes them (on intake
#: in the same statement as the dossier), and network calls or the broker belong in
#: ``on_commit``. The event and the dossier already have their ids; on intake the dossier's
#: code is not issued yet (refer to the dossier by its id).
TRANSITION_HOOKS: list[Callable[[Dossier, DossierEvent], Iterable[models.Model] | None]] = []


def _transition_hook_rows(dossier: Dossier, event: DossierEvent) -> list[models.Model]:
    rows: list[models.Model] = []
    for hook in TRANSITION_HOOKS:
        rows += hook(dossier, event) or ()
    return rows


def _now() -> datetime:
    return timezone.now()


def _actor_name(actor) -> str:
    if actor is None:
        return ""
    return actor.get_full_name() or actor.get_username()


# --- the dossier code (D15) ------------------------------------------------------------------


def _sequence_upsert_sql() -> str:
    table = connection.ops.quote_name(DossierSequence._meta.db_table)
    # INSERT … ON CONFLICT … RETURNING: PostgreSQL, and SQLite ≥ 3.35.
    return (
        f"INSERT INTO {table} (unit_id, day, last) VALUES (%s, %s, 1) "
        f"ON CONFLICT (unit_id, day) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    )


def _dossier_code_prefix(unit: Unit, received_at: datetime) -> tuple[date, str]:
    """The (unit, day) a code is numbered in, and the code's text before its number."""
    day = timezone.localtime(received_at).date()
    return day, f"{unit.code}-{day:%y%m%d}-"


def dossier_code_next(*, unit: Unit, received_at: datetime) -> str:
    """Issue the next code `<unit code>-<YYMMDD>-<NNNN>` for the unit and the local day of R.

    Gap-free under concurrency: one upsert increments the (unit, day) row and returns the
    number; the row stays locked until the transaction commits, and a rolled-back intake gives
    its number back. On PostgreSQL the intake takes it inside the one statement that writes the
    dossier and its rows (see :func:`_dossier_code_sql`).
    """
    day, prefix = _dossier_code_prefix(unit, received_at)
    with connection.cursor() as cursor:
        cursor.execute(_sequence_upsert_sql(), [unit.pk, day])
        number = cursor.fetchone()[0]
    return f"{prefix}{number:04d}"


def _dossier_code_sql(*, unit: Unit, received_at: datetime) -> tuple[tuple[str, list], tuple[str, list]]:
    """:func:`dossier_code_next` as SQL for the intake's one statement (PostgreSQL): a leading
    CTE ``n`` that takes the number, and the expression that makes it the code."""
    day, prefix = _dossier_code_prefix(unit, received_at)
    prelude = (f"n AS ({_sequence_upsert_sql()})", [unit.pk, day])
    # the number as Python's {:04d}: at least four digits
    expression = ("SELECT %s || lpad(n.last::text, GREATEST(4, length(n.last::text)), '0') FROM n", [prefix])
    return prelude, expression


def _dossier_code_provisional() -> str:
    """A unique stand-in code while the intake writes its rows (SQLite; never committed)."""
    return f"~{uuid.uuid4().hex}"


def _sequence_note_imported(*, code: str, unit: Unit) -> None:
    """An imported code of this unit's pattern moves the day's sequence past it (no collision)."""
    m = re.fullmatch(re.escape(unit.code) + r"-(\d{6})-(\d{4,})", code)
    if not m:
        return
    try:
        day = datetime.strptime(m.group(1), "%y%m%d").date()
    except ValueError:  # not a date: the code is kept as it is, it cannot collide with ours
        return
    number = int(m.group(2))
    DossierSequence.objects.bulk_create([DossierSequence(unit=unit, day=day, last=0)], ignore_conflicts=True)
    seq = DossierSequence.objects.select_for_update().get(unit=unit, day=day)
    if seq.last < number:
        seq.last = number
        seq.save(update_fields=["last"])


# --- the case: a locked dossier with its steps and pauses, for the pure core ------------------


def actor_of(user) -> core.Actor | None:
    """The core's view of a user: staff unit, role codes, id. ``None`` (imports, system jobs)
    acts as the unit D17 names, unchecked."""
    if user is None:
        return None
    profile = staff_profile(user)
    return core.Actor(unit_id=profile.unit_id if profile else None, roles=frozenset(user_roles(user)), user_id=user.pk)


def _unit_names() -> Callable[[int | None], str]:
    cache: dict[int | None, str] = {}

    def name(uid: int | None) -> str:
        if uid not in cache:
            cache[uid] = Unit.objects.filter(pk=uid).values_list("name", flat=True).first() or "—"
        return cache[uid]

    return name


def case_of(dossier: Dossier, *, steps: list | None = None, pauses: list | None = None) -> core.Case:
    """The dossier as the core sees it (steps and pauses from prefetched lists when given)."""
    if steps is None:
        steps = list(dossier.steps.all()) if _prefetched(dossier, "steps") else list(dossier.steps.order_by("order"))
    if pauses is None:
        pauses = list(dossier.pauses.all()) if _prefetched(dossier, "pauses") else list(dossier.pauses.all())
    return core.Case(d=dossier, steps=steps, pauses=pauses, unit_name=_unit_names(), successors=reference.unit_successors())


def _prefetched(dossier: Dossier, name: str) -> bool:
    return name in getattr(dossier, "_prefetched_objects_cache", {})


def dossier_actions_for(*, dossier: Dossier, user) -> list[str]:
    """The workflow actions `user` may take on `dossier` now (dossiers.core, D17): what the pages
    offer and the API lists in ``actions``."""
    steps = getattr(dossier, "_intake_steps", None)  # just registered: no need to read them back
    case = case_of(dossier, steps=steps, pauses=[] if steps is not None else None)
    return core.actions_available(case, actor_of(user))


def dossier_check(*, dossier: Dossier, action: str, user) -> None:
    """Raise what `action` by `user` would meet before its inputs are read: 403 (may never, with
    the reason) or 409 (not now). The service checks again under the row lock."""
    case = case_of(dossier)
    # kept for the transition that follows, which reuses them if the row it locks is unchanged
    dossier._checked_case = (_row_stamp(dossier), case.steps, case.pauses)
    core.check(action, case, actor_of(user))
    core.precondition(action, case)


def _row_stamp(d: Dossier) -> tuple:
    """What changes whenever a dossier's steps or pauses do: every transition bumps ``version``,
    a calendar re-evaluation (:func:`dossier_recompute_due`) moves the due date."""
    return (d.version, d.due_date, d.due_at)


def _case_lists(dossier: Dossier, locked: Dossier) -> tuple[list, list]:
    """The locked dossier's steps and pauses: those :func:`dossier_check` just read when the row
    is unchanged since (one read per action, not two), else read again under the lock."""
    checked = dossier.__dict__.pop("_checked_case", None)
    if checked is not None and checked[0] == _row_stamp(locked):
        return checked[1], checked[2]
    return list(locked.steps.order_by("order")), list(locked.pauses.order_by("requested_at"))


def dossier_deadline(*, dossier: Dossier, cal: wcal.WorkCalendar | None = None) -> wcal.DueDate:
    """The explained due date of a received dossier from its receipt instant and pauses."""
    pauses = [wcal.Pause(start=p.requested_at, end=p.completed_at) for p in dossier.pauses.order_by("requested_at")]
    return wcal.compute_due(
        received_at=dossier.received_at, amount=dossier.processing_time, unit=dossier.time_unit,
        cal=cal or calendar_get(), pauses=pauses,
    )


# --- the one transition entry point ----------------------------------------------------------

_STEP_FIELDS = ["state", "started_at", "finished_at", "classification", "assigned_to", "due_date", "due_at"]
_PAUSE_FIELDS = ["completed_at", "completed_by"]


def dossier_transition(
    *,
    dossier: Dossier,
    action: str,
    actor,
    at: datetime | None = None,
    params: dict[str, Any] | None = None,
    assignee=None,
    expected_version: int | None = None,
    on_commit: Callable[[], None] | None = None,
) -> Dossier:
    """Perform a workflow action through the pure core (``dossiers.core.act``).

    Locks the row (a concurrent locker gets a conflict instead of waiting), loads the case,
    lets the core check who may (403), when (409) and the inputs (400) and change the records,
    then writes the dossier, the changed steps and pauses, the event and the hooks' rows.
    """
    at = at or _now()
    if at > _now() + timedelta(minutes=5):
        raise DossierError(MSG_NOT_IN_FUTURE, errors={"at": [MSG_NOT_IN_FUTURE]})
    with transaction.atomic():
        try:
            locked = Dossier.objects.select_for_update(nowait=True).get(pk=dossier.pk)
        except DatabaseError as exc:  # another transaction holds the row (PostgreSQL NOWAIT)
            raise ConflictError(MSG_CONFLICT.format(code=dossier.code)) from exc
        if expected_version is not None and locked.version != expected_version:
            raise ConflictError(MSG_CONFLICT.format(code=locked.code))
        steps, pauses = _case_lists(dossier, locked)
        case = case_of(locked, steps=steps, pauses=pauses)
        case.make_pause = lambda **values: DossierPause(dossier=locked, **values)
        assignee_of = actor_of(assignee)  # the officer named by an assignment: unit and roles
        ctx = core.Context(
            at=at, cal=calendar_get(), params=params or {}, actor=actor_of(actor),
            assignee=(assignee_of.unit_id, assignee_of.roles) if assignee_of is not None else None,
        )
        effect = core.act(action, case, ctx)
        # other apps' work inside the transaction (papers signs the approved result); a hook's
        # refusal rolls the action back
        effect.data.update(hooks.action_hooks_run(action, locked, actor, ctx.params.get("payload")))
        if action == Action.ACCEPT:
            register_assign(locked)  # an online submission gets its register number at receipt (Mẫu 07)
        locked.save()
        for step in {id(s): s for s in effect.steps}.values():
            step.save(update_fields=_STEP_FIELDS)
        for pause in effect.pauses:
            pause.save(update_fields=_PAUSE_FIELDS)
        if effect.new_pause is not None:
            effect.new_pause.save()
        event = DossierEvent.objects.create(
            dossier=locked, at=at, action=action, from_state=effect.from_state, to_state=effect.to_state,
            actor=actor, actor_name=_actor_name(actor), unit_id=effect.unit_id, to_unit_id=effect.to_unit_id,
            note=effect.note, due_date=locked.due_date, data=effect.data,
        )
        rows_insert(_transition_hook_rows(locked, event))  # TRANSITION_HOOKS (monitoring's outbox)
        if on_commit is not None:
            transaction.on_commit(on_commit)
    # Hand the caller the state it now holds (cheaper than refresh_from_db, same result).
    for f in Dossier._meta.concrete_fields:
        setattr(dossier, f.attname, getattr(locked, f.attname))
    dossier._state.fields_cache.clear()
    getattr(dossier, "_prefetched_objects_cache", {}).clear()
    return locked


# --- intake ----------------------------------------------------------------------------------


def applicant_validate(applicant: dict[str, str]) -> dict[str, str]:
    """Clean the applicant block; field-level errors in Vietnamese."""
    cleaned = {k: (applicant.get(k) or "").strip() for k in ("name", "id_number", "phone", "address", "email")}
    errors: dict[str, list[str]] = {}
    # CCCD and phone as ASCII digits, names NFC without hidden characters (dossiers/identity.py)
    for key, normalize in (("name", identity.normalize_name), ("id_number", identity.normalize_id_number),
                           ("phone", identity.normalize_phone)):
        try:
            cleaned[key] = normalize(cleaned[key])
        except identity.IdentityError as exc:
            errors[f"applicant.{key}"] = [exc.message]
    # issue 14: longer than its column is said, never cut silently (nor called missing)
    for key, label, limit in (("name", "Họ và tên", 255), ("address", "Địa chỉ", 500), ("email", "Email", 254)):
        if f"applicant.{key}" not in errors and len(cleaned[key]) > limit:
            errors[f"applicant.{key}"] = [MSG_TOO_LONG.format(label=label, n=limit, got=len(cleaned[key]))]
    if cleaned["email"] and "applicant.email" not in errors:
        from django.core.validators import validate_email
        from django.core.exceptions import ValidationError

        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors["applicant.email"] = ["Địa chỉ email không hợp lệ."]
    # D22: consent to notices (issue 17); a channel needs its address
    cleaned["notify_email"] = _consent(applicant.get("notify_email"))
    cleaned["notify_sms"] = _consent(applicant.get("notify_sms"))
    if cleaned["notify_email"] and not cleaned["email"] and "applicant.email" not in errors:
        errors["applicant.notify_email"] = [MSG_NOTIFY_EMAIL]
    if cleaned["notify_sms"] and not cleaned["phone"] and "applicant.phone" not in errors:
        errors["applicant.notify_sms"] = [MSG_NOTIFY_SMS]
    if errors:
        raise DossierError("Thông tin người nộp chưa hợp lệ.", errors=errors)
    return cleaned


def _consent(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes"}
    return bool(value)


@transaction.atomic
def dossier_register(
    *,
    procedure: Procedure,
    receiving_unit: Unit,
    channel: str,
    applicant: dict[str, str],
    actor=None,
    received_at: datetime | None = None,
    counter: Counter | None = None,
    resolving_unit: Unit | None = None,
    on_the_spot: bool = False,
    documents: list[dict] | None = None,
    request_content: str = "",
    return_channel: str = ReturnChannel.COUNTER,
    copies: int = 1,
    code: str | None = None,
    submit_only: bool = False,
    lead_checked: bool = False,
) -> Dossier:
    """Receive a dossier (tiếp nhận): issue its code, start the clock, plan its steps.

    The competent unit is chosen and validated per D19 (:func:`competent_unit`);
    `lead_checked` is for the history import, which has checked its rows' lead unit itself.

    Everything is computed in memory first; then the dossier, its steps, its first event and
    the hooks' rows are written in one statement that also takes the D15 number (PostgreSQL).

    `submit_only` records an online submission waiting for acceptance (no clock yet, D2).
    """
    now = _now()
    received_at = received_at or now
    if timezone.is_naive(received_at):
        raise DossierError("received_at must carry a time zone.", errors={"received_at": ["Thiếu múi giờ."]})
    if received_at > now + timezone.timedelta(minutes=5):
        raise DossierError(MSG_NOT_IN_FUTURE, errors={"received_at": [MSG_NOT_IN_FUTURE]})
    first_day = calendar_get().first  # before it no due date exists: a field error, never a 500
    if timezone.localtime(received_at).date() < first_day:
        message = MSG_BEFORE_CALENDAR.format(first=first_day)
        raise DossierError(message, errors={"received_at": [message]})
    if channel not in Channel.values:
        raise DossierError("Hình thức nộp không hợp lệ.", errors={"channel": ["Chọn trực tiếp, bưu chính hoặc trực tuyến."]})
    cleaned = applicant_validate(applicant)
    if on_the_spot and not procedure.on_the_spot:
        raise DossierError(MSG_ON_THE_SPOT, errors={"on_the_spot": [MSG_ON_THE_SPOT]})
    if not procedure.is_active:
        raise DossierError("Thủ tục đã ngừng áp dụng.", errors={"procedure": ["Thủ tục đã ngừng áp dụng."]})
    local_day = timezone.localtime(received_at).date()
    if not receiving_unit.is_valid_on(local_day):
        raise DossierError(
            "Đơn vị tiếp nhận không còn hoạt động vào ngày này.",
            errors={"receiving_unit": ["Đơn vị tiếp nhận không còn hoạt động vào ngày này."]},
        )
    if not (lead_checked and resolving_unit is not None):
        resolving_unit = competent_unit(procedure=procedure, receiving_unit=receiving_unit, requested=resolving_unit,
                                        day=local_day)

    template = procedure_template(procedure)
    if code and Dossier.objects.filter(code=code).exists():
        raise DossierError(f"Mã hồ sơ {code} đã tồn tại.", errors={"code": [f"Mã hồ sơ {code} đã tồn tại."]})

    dossier = Dossier(
        procedure=procedure,
        receiving_unit=receiving_unit,
        counter=counter,
        resolving_unit=resolving_unit,
        current_unit=receiving_unit,
        channel=channel,
        return_channel=return_channel,
        state=S.SUBMITTED if submit_only else S.RECEIVED,
        on_the_spot=on_the_spot,
        applicant_name=cleaned["name"],
        applicant_id_number=cleaned["id_number"],
        applicant_phone=cleaned["phone"],
        applicant_address=cleaned["address"],
        applicant_email=cleaned["email"],
        notify_email=cleaned["notify_email"],
        notify_sms=cleaned["notify_sms"],
        request_content=request_content or procedure.name,
        documents=documents if documents is not None else [
            {"name": name, "originals": 0, "copies": 1} for name in procedure.document_list
        ],
        copies=copies,
        submitted_at=received_at,
        processing_time=procedure.processing_time,
        time_unit=procedure.time_unit,
        created_by=actor,
    )
    steps = _steps_build(dossier, template)
    if not submit_only:
        cal = calendar_get()
        dossier.received_at = received_at
        dossier.handover_due_at = core.handover_due_at(received_at, cal)
        case = core.Case(d=dossier, steps=steps, pauses=[])
        core.apply_deadline(case, cal)
        core.start_reception(case, received_at)

    event = DossierEvent(
        dossier=dossier,
        at=received_at,
        action="submit" if submit_only else "receive",
        from_state="",
        to_state=dossier.state,
        actor=actor,
        actor_name=_actor_name(actor),
        unit=receiving_unit,
        note="",
        due_date=dossier.due_date,
        data={"channel": channel, "due_text": dossier.due_text},
    )
    # PostgreSQL: the ids first, so that the hooks' rows (monitoring's outbox) join the one
    # statement; elsewhere the hooks see the saved event, after the inserts.
    reserved = ids_reserve(dossier, event)
    rows = [dossier, *steps, event, *(_transition_hook_rows(dossier, event) if reserved else ())]

    # Every row in ONE statement (PostgreSQL), the D15 number taken in it: the (unit, day)
    # sequence row is then locked only for that statement and the commit.
    if code:
        _sequence_note_imported(code=code, unit=receiving_unit)
        dossier.code = code
        try:
            with transaction.atomic():  # imported: its entry is in the old system's book
                rows_insert(rows)
        except IntegrityError as exc:
            raise ConflictError(f"Mã hồ sơ {code} đã tồn tại.", errors={"code": [f"Mã hồ sơ {code} đã tồn tại."]}) from exc
    elif connection.vendor == "postgresql":
        prelude, expression = _dossier_code_sql(unit=receiving_unit, received_at=received_at)
        expressions = []
        if not submit_only:  # issue 14: the register book's number, taken in the same statement
            book_cte, expressions = register_sql(dossier)
            prelude = (f"{prelude[0]}, {book_cte[0]}", prelude[1] + book_cte[1])
        rows_insert(rows, prelude=prelude, expressions=[(dossier, "code", *expression), *expressions])
    else:  # SQLite serialises writers anyway: a stand-in code, the real one last
        dossier.code = _dossier_code_provisional()
        register_assign(dossier)  # issue 14
        rows_insert(rows)
        dossier.code = dossier_code_next(unit=receiving_unit, received_at=received_at)
        Dossier.objects.filter(pk=dossier.pk).update(code=dossier.code)
    if not reserved:
        rows_insert(_transition_hook_rows(dossier, event))
    dossier._intake_steps = steps
    return dossier


def competent_search_hint(procedure: Procedure) -> str:
    """How a caller finds the valid competent units when there are too many to list (D19)."""
    return f"GET /api/v1/procedures/{procedure.code}/competent-units/?q=…"


def competent_unit(*, procedure: Procedure, receiving_unit: Unit, requested: Unit | None, day: date) -> Unit:
    """The dossier's competent unit (cơ quan chủ trì, D19: ``dossiers.competence.choose``), or a
    ``DossierError`` on ``resolving_unit`` that names the valid units."""
    if procedure.resolving_unit_id and (requested is None or requested.pk == procedure.resolving_unit_id):
        return procedure.resolving_unit  # the named unit: as before, no look-up at all
    facts = reference.unit_facts()
    try:
        unit_id = competence.choose(
            procedure_code=procedure.code,
            resolving_unit=facts.get(procedure.resolving_unit_id) if procedure.resolving_unit_id else None,
            resolving_level=procedure.resolving_level, receiving=facts[receiving_unit.pk],
            requested=facts.get(requested.pk) if requested is not None else None, day=day,
            units=facts.values(), search=competent_search_hint(procedure),
        )
    except competence.CompetenceError as exc:
        raise DossierError(exc.message, errors={"resolving_unit": [exc.message]}) from None
    if requested is not None and requested.pk == unit_id:
        return requested
    if unit_id == receiving_unit.pk:
        return receiving_unit
    return Unit.objects.get(pk=unit_id)


def template_steps(template: Iterable[ProcedureStep]) -> list[core.TemplateStep]:
    """A procedure's step template for the core (steps at a one-stop centre are counter steps;
    the template's units loaded with it)."""
    return [
        core.TemplateStep(order=t.order, name=t.name, unit_id=t.unit_id, allotted_time=t.allotted_time,
                          counter=t.unit_id is not None and t.unit.kind == Unit.Kind.SERVICE_CENTRE)
        for t in template
    ]


def _steps_build(dossier: Dossier, template: list) -> list[DossierStep]:
    """The dossier's steps from the procedure's template (``core.plan_steps``: counter steps at
    the receiving unit, one step at the lead unit without a template)."""
    planned = core.plan_steps(
        template_steps(template),
        receiving_unit_id=dossier.receiving_unit_id, resolving_unit_id=dossier.resolving_unit_id,
        processing_time=dossier.processing_time, default_name=DEFAULT_STEP_NAME,
    )
    return [DossierStep(dossier=dossier, **step) for step in planned]


# --- the actions (each a thin call of the one entry point) -----------------------------------


def dossier_accept(*, dossier: Dossier, actor, at: datetime | None = None, expected_version: int | None = None) -> Dossier:
    """Accept an online submission: R is now; the clock starts (D2)."""
    return dossier_transition(dossier=dossier, action=Action.ACCEPT, actor=actor, at=at, expected_version=expected_version)


def dossier_reject(*, dossier: Dossier, actor, reason: str, at: datetime | None = None, expected_version: int | None = None) -> Dossier:
    """Refuse an online submission before receipt (D10: not counted)."""
    return dossier_transition(dossier=dossier, action=Action.REJECT, actor=actor, at=at, params={"reason": reason},
                              expected_version=expected_version)


def dossier_assign(*, dossier: Dossier, actor, officer, at: datetime | None = None, note: str = "", expected_version: int | None = None) -> Dossier:
    """The holding unit's leader assigns an officer; an officer may take the dossier himself."""
    return dossier_transition(
        dossier=dossier, action=Action.ASSIGN, actor=actor, at=at, assignee=officer,
        params={"officer_id": officer.pk if officer else None,
                "officer_label": officer.get_username() if officer else "", "note": note},
        expected_version=expected_version,
    )


def dossier_transfer(*, dossier: Dossier, actor, at: datetime | None = None, note: str = "", expected_version: int | None = None) -> Dossier:
    """From the counter: hand the dossier over to its first processing unit (D18). At a step:
    complete it and hand the dossier to the next step's unit (Mẫu 06)."""
    return dossier_transition(dossier=dossier, action=Action.TRANSFER, actor=actor, at=at, params={"note": note},
                              expected_version=expected_version)


def dossier_send_back(*, dossier: Dossier, actor, reason: str, at: datetime | None = None, expected_version: int | None = None) -> Dossier:
    """Send the dossier back to the previous processing step's unit, with a reason."""
    return dossier_transition(dossier=dossier, action=Action.SEND_BACK, actor=actor, at=at, params={"reason": reason},
                              expected_version=expected_version)


def dossier_skip_step(
    *, dossier: Dossier, actor, step: int, reason: str, at: datetime | None = None, expected_version: int | None = None,
) -> Dossier:
    """The lead unit's leader marks step `step` "not needed" (shown as skipped, never classified)."""
    return dossier_transition(dossier=dossier, action=Action.SKIP_STEP, actor=actor, at=at,
                              params={"step": step, "reason": reason}, expected_version=expected_version)


def dossier_request_supplement(
    *, dossier: Dossier, actor, reason: str, documents: str = "", at: datetime | None = None,
    expected_version: int | None = None,
) -> Dossier:
    """Return the dossier to the applicant for a supplement (Mẫu 02): the clock pauses (D7)."""
    return dossier_transition(dossier=dossier, action=Action.REQUEST_SUPPLEMENT, actor=actor, at=at,
                              params={"reason": reason, "documents": documents}, expected_version=expected_version)


def dossier_resume(*, dossier: Dossier, actor, at: datetime | None = None, note: str = "", expected_version: int | None = None) -> Dossier:
    """The complete supplement arrived: the clock resumes and the due date moves (D7)."""
    return dossier_transition(dossier=dossier, action=Action.RESUME, actor=actor, at=at, params={"note": note},
                              expected_version=expected_version)


def dossier_approve(
    *, dossier: Dossier, actor, at: datetime | None = None, note: str = "", expected_version: int | None = None,
    payload: dict | None = None,
) -> Dossier:
    """The result is signed and ready at the counter: the dossier is resolved (D9).

    ``payload`` (e.g. ``{"result_document": id}``) goes to ``dossiers.hooks.ACTION_HOOKS``
    (the papers app signs the result there), inside this transaction."""
    return dossier_transition(dossier=dossier, action=Action.APPROVE, actor=actor, at=at,
                              params={"note": note, "payload": payload}, expected_version=expected_version)


def dossier_refuse(*, dossier: Dossier, actor, reason: str, at: datetime | None = None, expected_version: int | None = None) -> Dossier:
    """The competent agency refuses in writing after processing: resolved (D9)."""
    return dossier_transition(dossier=dossier, action=Action.REFUSE, actor=actor, at=at, params={"reason": reason},
                              expected_version=expected_version)


def dossier_stop(*, dossier: Dossier, actor, reason: str, at: datetime | None = None, expected_version: int | None = None) -> Dossier:
    """The lead unit stops the dossier (D16, Mẫu 05): resolved, shown as its own sub-count."""
    return dossier_transition(dossier=dossier, action=Action.STOP, actor=actor, at=at, params={"reason": reason},
                              expected_version=expected_version)


def dossier_withdraw(*, dossier: Dossier, actor, reason: str, at: datetime | None = None, expected_version: int | None = None) -> Dossier:
    """The applicant withdraws the dossier: resolved (D9), shown as a sub-count."""
    return dossier_transition(dossier=dossier, action=Action.WITHDRAW, actor=actor, at=at, params={"reason": reason},
                              expected_version=expected_version)


def dossier_apologize(
    *, dossier: Dossier, actor, new_date: date, reason: str, at: datetime | None = None,
    expected_version: int | None = None,
) -> Dossier:
    """Apology and extension request (Mẫu 04) with a new appointment, a working day after D, at
    most once (D8). It never changes the due date used for classification; an apology issued
    later than one working day before the due date is recorded as a late apology."""
    return dossier_transition(dossier=dossier, action=Action.APOLOGIZE, actor=actor, at=at,
                              params={"new_date": new_date, "reason": reason}, expected_version=expected_version)


def dossier_return_result(
    *, dossier: Dossier, actor, return_channel: str = ReturnChannel.COUNTER, at: datetime | None = None,
    note: str = "", expected_version: int | None = None,
) -> Dossier:
    """Hand the result (or the refusal letter, the notice of stopping) to the applicant; the
    class does not change (D9)."""
    return dossier_transition(
        dossier=dossier, action=Action.RETURN_RESULT, actor=actor, at=at,
        params={"return_channel": return_channel, "return_channels": tuple(ReturnChannel.values), "note": note},
        expected_version=expected_version,
    )


@transaction.atomic
def dossier_on_the_spot_complete(
    *, dossier: Dossier, actor, at: datetime | None = None, expected_version: int | None = None
) -> Dossier:
    """"4 tại chỗ": appraise, approve and return in the same sitting as the receipt (the counter)."""
    at = at or _now()
    dossier = dossier_approve(dossier=dossier, actor=actor, at=at, note=ON_THE_SPOT_NOTE, expected_version=expected_version)
    return dossier_return_result(dossier=dossier, actor=actor, at=at)


def dossier_recompute_due(*, dossier: Dossier, actor=None, reason: str = "", at: datetime | None = None) -> bool:
    """Re-evaluate an open dossier after a calendar change; writes the change into its history.

    Closed dossiers never change. Returns whether the due date moved.
    """
    with transaction.atomic():
        d = Dossier.objects.select_for_update().get(pk=dossier.pk)
        if d.state not in OPEN_STATES or d.received_at is None:
            return False
        before_date, before_at = d.due_date, d.due_at
        case = case_of(d, steps=list(d.steps.order_by("order")), pauses=list(d.pauses.order_by("requested_at")))
        core.apply_deadline(case, calendar_get())
        if (d.due_date, d.due_at) == (before_date, before_at):
            return False
        d.save()
        for step in case.steps:
            step.save(update_fields=["due_date", "due_at"])
        DossierEvent.objects.create(
            dossier=d, at=at or _now(), action="recompute-due", from_state=d.state, to_state=d.state,
            actor=actor, actor_name=_actor_name(actor), unit=None, note=reason,
            due_date=d.due_date,
            data={"from": before_date.isoformat() if before_date else None, "to": d.due_date.isoformat()},
        )
        return True
