"""Dossier lifecycle services: intake, every workflow action, and the one transition entry point.

Legal basis: NĐ 61/2018/NĐ-CP as amended by NĐ 107/2021/NĐ-CP (receipt, supplement, apology,
liên thông), Thông tư 01/2018/TT-VPCP (forms, dossier code); OneCua decisions D2–D10, D15 in
domain.md §13. Deadlines come from ``dossiers.calendar`` only.

Every action goes through :func:`dossier_transition`, which locks the dossier row, checks the
workflow table, appends a ``DossierEvent`` (who, unit, when, from → to, note, the due date at
that moment) and defers side effects to ``transaction.on_commit``.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone

from dossiers import calendar as wcal
from dossiers.errors import ConflictError, DossierError
from dossiers.models import (
    Channel,
    Counter,
    Dossier,
    DossierEvent,
    DossierPause,
    DossierSequence,
    DossierStep,
    Outcome,
    Procedure,
    ReturnChannel,
    Unit,
)
from dossiers.reference import procedure_template
from dossiers.selectors import calendar_get, staff_profile
from dossiers.workflow import ACTION_TRANSITIONS, OPEN_STATES, Action, DossierState, action_allowed
from onecua.rows import ids_reserve, rows_insert

S = DossierState
CCCD_RE = re.compile(r"^\d{12}$")
PHONE_RE = re.compile(r"^\+?[0-9 .-]{8,15}$")

# Messages (asserted by tests).
MSG_WRONG_STATE = "Hồ sơ {code} đang ở trạng thái “{state}”, không thể thực hiện “{action}”."
MSG_CONFLICT = "Hồ sơ {code} vừa được người khác cập nhật. Vui lòng tải lại trang và thử lại."
MSG_CCCD = "Số CCCD phải gồm 12 chữ số."
MSG_NAME_REQUIRED = "Vui lòng nhập họ và tên người nộp hồ sơ."
MSG_PHONE = "Số điện thoại không hợp lệ."
MSG_ON_THE_SPOT = "Thủ tục này không áp dụng “4 tại chỗ”."
MSG_APOLOGY_ONCE = "Hồ sơ {code} đã hẹn lại ngày trả kết quả một lần; pháp luật chỉ cho phép hẹn lại một lần."
MSG_APOLOGY_DATE = "Ngày hẹn lại phải sau ngày hẹn trả hiện tại ({due})."
MSG_REASON_REQUIRED = "Vui lòng ghi rõ lý do."
MSG_BEFORE_RECEIPT = "Thời điểm thao tác không được trước thời điểm tiếp nhận hồ sơ."
MSG_LAST_STEP = "Đây là bước cuối của quy trình; hãy phê duyệt kết quả."
MSG_NOT_IN_FUTURE = "Thời điểm thao tác không được ở tương lai."
MSG_NOTIFY_EMAIL = "Cần địa chỉ email để gửi thông báo qua email."
MSG_NOTIFY_SMS = "Cần số điện thoại để gửi thông báo qua SMS."

# Stored in the dossier's record (data, not UI text): always Vietnamese, whatever the
# language of the user who caused them.
DEFAULT_STEP_NAME = "Giải quyết hồ sơ"
ON_THE_SPOT_NOTE = "Giải quyết tại chỗ"


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


def _actor_unit(actor) -> Unit | None:
    profile = staff_profile(actor) if actor is not None else None
    return profile.unit if profile else None


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


# --- deadlines -------------------------------------------------------------------------------


def _pauses_of(dossier: Dossier) -> list[wcal.Pause]:
    return [wcal.Pause(start=p.requested_at, end=p.completed_at) for p in dossier.pauses.order_by("requested_at")]


def dossier_deadline(
    *, dossier: Dossier, cal: wcal.WorkCalendar | None = None, pauses: list[wcal.Pause] | tuple | None = None
) -> wcal.DueDate:
    """The explained due date of a received dossier from its receipt instant and pauses."""
    cal = cal or calendar_get()
    return wcal.compute_due(
        received_at=dossier.received_at,
        amount=dossier.processing_time,
        unit=dossier.time_unit,
        cal=cal,
        pauses=_pauses_of(dossier) if pauses is None else pauses,
    )


def _apply_deadline(dossier: Dossier, cal: wcal.WorkCalendar, pauses=None) -> wcal.DueDate:
    due = dossier_deadline(dossier=dossier, cal=cal, pauses=pauses)
    dossier.receipt_date = due.receipt_date
    dossier.base_due_date = due.base_due_date
    dossier.due_date = due.due_date
    dossier.due_at = due.due_at
    dossier.due_text = due.text()[:500]
    return due


def _plan_steps(dossier: Dossier, cal: wcal.WorkCalendar, *, steps=None, pauses=None, save: bool = True) -> None:
    """Recompute each step's due date: the cumulative budget from receipt, shifted by pauses."""
    pauses = _pauses_of(dossier) if pauses is None else pauses
    steps = list(dossier.steps.order_by("order")) if steps is None else sorted(steps, key=lambda s: s.order)
    cumulative = 0
    for step in steps:
        cumulative += step.allotted_time
        amount = min(cumulative, dossier.processing_time)
        due = wcal.compute_due(
            received_at=dossier.received_at, amount=amount, unit=dossier.time_unit, cal=cal, pauses=pauses
        )
        if (step.due_date, step.due_at) != (due.due_date, due.due_at):
            step.due_date, step.due_at = due.due_date, due.due_at
            if save:
                step.save(update_fields=["due_date", "due_at"])


def _classify(*, dossier: Dossier, at: datetime) -> str:
    return wcal.classify_resolved(
        resolved_at=at, due_date=dossier.due_date, due_at=dossier.due_at, unit=dossier.time_unit
    )


# --- the one transition entry point ----------------------------------------------------------


def dossier_transition(
    *,
    dossier: Dossier,
    action: str,
    actor,
    at: datetime | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    to_unit: Unit | None = None,
    expected_version: int | None = None,
    change: Callable[[Dossier, datetime], dict | None] | None = None,
    on_commit: Callable[[], None] | None = None,
) -> Dossier:
    """Perform a workflow action: the state it leads to comes from ``ACTION_TRANSITIONS``.

    Locks the row (a concurrent locker gets a conflict instead of waiting), re-reads the
    state, checks the action's source states and ``ALLOWED_TRANSITIONS``, runs `change` on the
    locked row (a dict it returns is added to the event's data; its ``to_unit`` key names the
    receiving unit of a hand-off), appends the event and bumps ``version``. Raises
    ``ConflictError`` (409) on a wrong state or a concurrent change.
    """
    at = at or _now()
    with transaction.atomic():
        try:
            locked = Dossier.objects.select_for_update(nowait=True).get(pk=dossier.pk)
        except DatabaseError as exc:  # another transaction holds the row (PostgreSQL NOWAIT)
            raise ConflictError(MSG_CONFLICT.format(code=dossier.code)) from exc
        if expected_version is not None and locked.version != expected_version:
            raise ConflictError(MSG_CONFLICT.format(code=locked.code))
        from_state = locked.state
        to_state = ACTION_TRANSITIONS[action][1] or from_state
        if not action_allowed(action, from_state):
            raise ConflictError(
                    MSG_WRONG_STATE.format(
                        code=locked.code, state=DossierState(from_state).label, action=Action(action).label
                    ),
                    errors={"state": [DossierState(from_state).label]},
                )
        if locked.received_at and at < locked.received_at:
            raise DossierError(MSG_BEFORE_RECEIPT, errors={"at": [MSG_BEFORE_RECEIPT]})
        data = dict(data or {})
        # The event is recorded at the unit acting: the actor's, else where the dossier was.
        event_unit_id = getattr(_actor_unit(actor), "pk", None) or locked.current_unit_id
        if change is not None:
            extra = change(locked, at) or {}
            to_unit = extra.pop("to_unit", to_unit)
            data.update(extra)
        locked.state = to_state
        locked.version += 1
        locked.save()
        event = DossierEvent.objects.create(
            dossier=locked,
            at=at,
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            actor_name=_actor_name(actor),
            unit_id=event_unit_id,
            to_unit=to_unit,
            note=note,
            due_date=locked.due_date,
            data=data,
        )
        rows_insert(_transition_hook_rows(locked, event))  # TRANSITION_HOOKS (monitoring's outbox)
        if on_commit is not None:
            transaction.on_commit(on_commit)
    # Hand the caller the state it now holds (cheaper than refresh_from_db, same result).
    for field in Dossier._meta.concrete_fields:
        setattr(dossier, field.attname, getattr(locked, field.attname))
    dossier._state.fields_cache.clear()
    return locked


# --- intake ----------------------------------------------------------------------------------


def applicant_validate(applicant: dict[str, str]) -> dict[str, str]:
    """Clean the applicant block; field-level errors in Vietnamese."""
    cleaned = {k: (applicant.get(k) or "").strip() for k in ("name", "id_number", "phone", "address", "email")}
    errors: dict[str, list[str]] = {}
    if not cleaned["name"]:
        errors["applicant.name"] = [MSG_NAME_REQUIRED]
    if cleaned["id_number"] and not CCCD_RE.match(cleaned["id_number"]):
        errors["applicant.id_number"] = [MSG_CCCD]
    if cleaned["phone"] and not PHONE_RE.match(cleaned["phone"]):
        errors["applicant.phone"] = [MSG_PHONE]
    if cleaned["email"]:
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
) -> Dossier:
    """Receive a dossier (tiếp nhận): issue its code, start the clock, plan its steps.

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
    resolving_unit = resolving_unit or procedure.resolving_unit

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
        dossier.received_at = received_at
        cal = calendar_get()
        _apply_deadline(dossier, cal, pauses=())
        _plan_steps(dossier, cal, steps=steps, pauses=(), save=False)

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
            with transaction.atomic():
                rows_insert(rows)
        except IntegrityError as exc:
            raise ConflictError(f"Mã hồ sơ {code} đã tồn tại.", errors={"code": [f"Mã hồ sơ {code} đã tồn tại."]}) from exc
    elif connection.vendor == "postgresql":
        prelude, expression = _dossier_code_sql(unit=receiving_unit, received_at=received_at)
        rows_insert(rows, prelude=prelude, expression=(dossier, "code", *expression))
    else:  # SQLite serialises writers anyway: a stand-in code, the real one last
        dossier.code = _dossier_code_provisional()
        rows_insert(rows)
        dossier.code = dossier_code_next(unit=receiving_unit, received_at=received_at)
        Dossier.objects.filter(pk=dossier.pk).update(code=dossier.code)
    if not reserved:
        rows_insert(_transition_hook_rows(dossier, event))
    return dossier


def _steps_build(dossier: Dossier, template: list) -> list[DossierStep]:
    """The dossier's steps from the procedure's template (one step at the lead unit without one)."""
    if template:
        return [
            DossierStep(
                dossier=dossier, order=t.order, name=t.name, unit_id=t.unit_id or dossier.resolving_unit_id,
                allotted_time=t.allotted_time,
            )
            for t in template
        ]
    return [
        DossierStep(
            dossier=dossier, order=1, name=DEFAULT_STEP_NAME, unit_id=dossier.resolving_unit_id,
            allotted_time=dossier.processing_time,
        )
    ]


def dossier_accept(*, dossier: Dossier, actor, at: datetime | None = None, expected_version: int | None = None) -> Dossier:
    """Accept an online submission: R is now; the clock starts (D2)."""

    def change(d: Dossier, when: datetime) -> None:
        cal = calendar_get()
        d.received_at = when
        _apply_deadline(d, cal)
        _plan_steps(d, cal)

    return dossier_transition(
        dossier=dossier, action=Action.ACCEPT, actor=actor, at=at,
        expected_version=expected_version, change=change,
    )


def dossier_reject(*, dossier: Dossier, actor, reason: str, at: datetime | None = None, expected_version: int | None = None) -> Dossier:
    """Refuse an online submission before receipt (D10: not counted)."""
    _require(reason)
    return dossier_transition(
        dossier=dossier, action=Action.REJECT, actor=actor, at=at, note=reason,
        expected_version=expected_version,
    )


# --- processing ------------------------------------------------------------------------------


def _require(text: str, field: str = "reason") -> None:
    if not (text or "").strip():
        raise DossierError(MSG_REASON_REQUIRED, errors={field: [MSG_REASON_REQUIRED]})


def _current_step(d: Dossier) -> DossierStep | None:
    return d.steps.filter(state=DossierStep.State.CURRENT).order_by("order").first()


def _start_first_step(d: Dossier, at: datetime) -> DossierStep | None:
    step = _current_step(d)
    if step is None:
        step = d.steps.filter(state=DossierStep.State.WAITING).order_by("order").first()
        if step is not None:
            step.state = DossierStep.State.CURRENT
            step.started_at = at
            step.save(update_fields=["state", "started_at"])
            d.current_unit = step.unit
    return step


def _finish_step(d: Dossier, step: DossierStep, at: datetime) -> None:
    step.state = DossierStep.State.DONE
    step.finished_at = at
    step.classification = wcal.classify_resolved(
        resolved_at=at, due_date=step.due_date, due_at=step.due_at, unit=d.time_unit
    )
    step.save(update_fields=["state", "finished_at", "classification"])


def dossier_assign(*, dossier: Dossier, actor, officer, at: datetime | None = None, note: str = "", expected_version: int | None = None) -> Dossier:
    """Assign an officer; a received dossier enters processing at its first step."""

    def change(d: Dossier, when: datetime) -> None:
        d.assigned_to = officer
        step = _start_first_step(d, when)
        if step is not None:
            step.assigned_to = officer
            step.save(update_fields=["assigned_to"])

    return dossier_transition(
        dossier=dossier, action=Action.ASSIGN, actor=actor, at=at, note=note,
        data={"officer": officer.get_username() if officer else None}, expected_version=expected_version,
        change=change,
    )


def dossier_transfer(*, dossier: Dossier, actor, at: datetime | None = None, note: str = "", expected_version: int | None = None) -> Dossier:
    """Complete the current step and hand the dossier to the next step's unit (Mẫu 05)."""
    def change(d: Dossier, when: datetime) -> dict:
        step = _start_first_step(d, when) if d.state == S.RECEIVED else _current_step(d)
        nxt = d.steps.filter(state=DossierStep.State.WAITING).order_by("order").first()
        if nxt is None:
            raise DossierError(MSG_LAST_STEP, errors={"action": [MSG_LAST_STEP]})
        if step is not None:
            _finish_step(d, step, when)
        nxt.state = DossierStep.State.CURRENT
        nxt.started_at = when
        nxt.save(update_fields=["state", "started_at"])
        d.current_unit = nxt.unit
        d.assigned_to = None
        return {"to_unit": nxt.unit, "step": nxt.order, "finished_step": step.order if step else None}

    return dossier_transition(
        dossier=dossier, action=Action.TRANSFER, actor=actor, at=at, note=note,
        expected_version=expected_version, change=change,
    )


def dossier_request_supplement(
    *, dossier: Dossier, actor, reason: str, documents: str = "", at: datetime | None = None,
    expected_version: int | None = None,
) -> Dossier:
    """Return the dossier to the applicant for a supplement (Mẫu 02): the clock pauses (D7)."""
    _require(reason)

    def change(d: Dossier, when: datetime) -> None:
        DossierPause.objects.create(dossier=d, requested_at=when, reason=reason, documents=documents, requested_by=actor)
        d.paused_at = when
        d.paused_on = timezone.localtime(when).date()
        d.supplement_count += 1

    return dossier_transition(
        dossier=dossier, action=Action.REQUEST_SUPPLEMENT, actor=actor, at=at,
        note=reason, data={"documents": documents}, expected_version=expected_version, change=change,
    )


def dossier_resume(*, dossier: Dossier, actor, at: datetime | None = None, note: str = "", expected_version: int | None = None) -> Dossier:
    """The complete supplement arrived: the clock resumes and the due date moves (D7)."""

    def change(d: Dossier, when: datetime) -> dict:
        pause = d.pauses.filter(completed_at__isnull=True).order_by("-requested_at").first()
        if pause is not None:
            pause.completed_at = when
            pause.completed_by = actor
            pause.save(update_fields=["completed_at", "completed_by"])
        d.paused_at = None
        d.paused_on = None
        cal = calendar_get()
        before = d.due_date
        _apply_deadline(d, cal)
        _plan_steps(d, cal)
        return {"due_from": before.isoformat() if before else None, "due_to": d.due_date.isoformat()}

    return dossier_transition(
        dossier=dossier, action=Action.RESUME, actor=actor, at=at, note=note,
        expected_version=expected_version, change=change,
    )


def _resolve(d: Dossier, when: datetime, outcome: str, note: str) -> None:
    d.resolved_at = when
    d.resolved_on = timezone.localtime(when).date()
    d.outcome = outcome
    d.outcome_note = note
    d.classification = _classify(dossier=d, at=when)
    d.paused_at = None
    d.paused_on = None
    step = _current_step(d)
    if step is not None:
        _finish_step(d, step, when)
    if outcome == Outcome.APPROVED:
        # Approval settles every step not yet done ("4 tại chỗ", or approved straight away).
        for waiting in d.steps.filter(state=DossierStep.State.WAITING).order_by("order"):
            _finish_step(d, waiting, when)
    pause = d.pauses.filter(completed_at__isnull=True).first()
    if pause is not None:
        # The pause ends with the dossier; its days do not count (D7), the due date stands.
        pause.completed_at = when
        pause.save(update_fields=["completed_at"])
    d.current_unit = d.receiving_unit


def dossier_approve(*, dossier: Dossier, actor, at: datetime | None = None, note: str = "", expected_version: int | None = None) -> Dossier:
    """The result is signed and ready at the counter: the dossier is resolved (D9)."""
    return dossier_transition(
        dossier=dossier, action=Action.APPROVE, actor=actor, at=at, note=note,
        expected_version=expected_version, change=lambda d, when: _resolve(d, when, Outcome.APPROVED, note),
    )


def dossier_refuse(*, dossier: Dossier, actor, reason: str, at: datetime | None = None, expected_version: int | None = None) -> Dossier:
    """The competent agency refuses in writing after processing: resolved (D9)."""
    _require(reason)
    return dossier_transition(
        dossier=dossier, action=Action.REFUSE, actor=actor, at=at, note=reason,
        expected_version=expected_version, change=lambda d, when: _resolve(d, when, Outcome.REFUSED, reason),
    )


def dossier_withdraw(*, dossier: Dossier, actor, reason: str, at: datetime | None = None, expected_version: int | None = None) -> Dossier:
    """The applicant withdraws the dossier: resolved (D9), shown as a sub-count."""
    _require(reason)
    return dossier_transition(
        dossier=dossier, action=Action.WITHDRAW, actor=actor, at=at, note=reason,
        expected_version=expected_version, change=lambda d, when: _resolve(d, when, Outcome.WITHDRAWN, reason),
    )


def dossier_apologize(
    *, dossier: Dossier, actor, new_date: date, reason: str, at: datetime | None = None,
    expected_version: int | None = None,
) -> Dossier:
    """Apology slip (Mẫu 04) with a new appointment, at most once (D8).

    It never changes the due date used for classification; an apology issued later than one
    working day before the due date is recorded as a late apology.
    """
    _require(reason)

    def change(d: Dossier, when: datetime) -> dict:
        if d.apologized_at is not None:
            raise ConflictError(MSG_APOLOGY_ONCE.format(code=d.code), errors={"new_date": [MSG_APOLOGY_ONCE.format(code=d.code)]})
        if d.due_date and new_date <= d.due_date:
            msg = MSG_APOLOGY_DATE.format(due=f"{d.due_date:%d/%m/%Y}")
            raise DossierError(msg, errors={"new_date": [msg]})
        d.apologized_at = when
        d.appointment_date = new_date
        d.apology_reason = reason
        return {"late_apology": wcal.is_late_apology(apology_at=when, due_date=d.due_date, cal=calendar_get())}

    return dossier_transition(
        dossier=dossier, action=Action.APOLOGIZE, actor=actor, at=at, note=reason,
        data={"new_date": new_date.isoformat()}, expected_version=expected_version, change=change,
    )


def dossier_return_result(
    *, dossier: Dossier, actor, return_channel: str = ReturnChannel.COUNTER, at: datetime | None = None,
    note: str = "", expected_version: int | None = None,
) -> Dossier:
    """Hand the result (or the refusal letter) to the applicant; the class does not change (D9)."""
    if return_channel not in ReturnChannel.values:
        raise DossierError("Hình thức trả kết quả không hợp lệ.", errors={"return_channel": ["Hình thức trả kết quả không hợp lệ."]})

    def change(d: Dossier, when: datetime) -> None:
        d.returned_at = when
        d.return_channel = return_channel

    return dossier_transition(
        dossier=dossier, action=Action.RETURN_RESULT, actor=actor, at=at, note=note,
        data={"return_channel": return_channel}, expected_version=expected_version, change=change,
    )


@transaction.atomic
def dossier_on_the_spot_complete(
    *, dossier: Dossier, actor, at: datetime | None = None, expected_version: int | None = None
) -> Dossier:
    """"4 tại chỗ": appraise, approve and return in the same sitting as the receipt."""
    at = at or _now()
    dossier = dossier_approve(
        dossier=dossier, actor=actor, at=at, note=ON_THE_SPOT_NOTE, expected_version=expected_version
    )
    return dossier_return_result(dossier=dossier, actor=actor, at=at)


def dossier_recompute_due(*, dossier: Dossier, actor=None, reason: str = "", at: datetime | None = None) -> bool:
    """Re-evaluate an open dossier after a calendar change; writes the change into its history.

    Closed dossiers never change. Returns whether the due date moved.
    """
    with transaction.atomic():
        d = Dossier.objects.select_for_update().get(pk=dossier.pk)
        if d.state not in OPEN_STATES or d.received_at is None:
            return False
        cal = calendar_get()
        before_date, before_at = d.due_date, d.due_at
        _apply_deadline(d, cal)
        if (d.due_date, d.due_at) == (before_date, before_at):
            return False
        _plan_steps(d, cal)
        d.save()
        DossierEvent.objects.create(
            dossier=d, at=at or _now(), action="recompute-due", from_state=d.state, to_state=d.state,
            actor=actor, actor_name=_actor_name(actor), unit=None, note=reason,
            due_date=d.due_date,
            data={"from": before_date.isoformat() if before_date else None, "to": d.due_date.isoformat()},
        )
        return True
