"""The dossier's life as pure rules: what each action needs, who may take it, what it changes.

Legal basis: NĐ 61/2018 as amended by NĐ 107/2021 and NĐ 118/2025 (§3 of domain.md), OneCua
decisions D7–D9 and D16–D18. Like ``dossiers.calendar`` for dates, this module is plain Python
on plain data: no ORM, no database, no clock. ``dossiers.services.lifecycle`` is its shell (lock
the row, load the case, :func:`act`, save what changed, run the hooks); the bulk history import
runs the very same functions on in-memory records; the pages and the API ask
:func:`actions_available` and :func:`check` what a user may do.

A *case* is a dossier record with its steps and pauses. Records are duck-typed: any object with
the model's attribute names (``state``, ``receiving_unit_id``, ``resolving_unit_id``,
``current_unit_id``, ``assigned_to_id``, ``due_date`` …; steps: ``order``, ``kind``, ``unit_id``,
``state`` …; pauses: ``requested_at``, ``completed_at``, ``unit_id`` …) will do, so a Django
model instance and the importer's plain record are handled alike. The functions change those
attributes in place and return an :class:`Effect`: the event to append and what to write.

The path of a dossier (D17, D18):

- intake at a counter (the receiving unit). A procedure's step template may begin with a
  reception step and end with a return step at a one-stop centre: those are the *counter steps*,
  done by whichever counter received the dossier (receipt regardless of administrative
  boundary, NĐ 118/2025); the others are *processing steps* at their units.
- ``transfer`` by the counter hands the dossier over to its first processing step (the
  hand-over, due the same working day, or by the next working day's opening when received at
  or after 15:00 or on a non-working day: :func:`handover_due_at`); ``transfer`` by the unit
  holding a processing step completes it and starts the next one.
- ``send-back`` returns the dossier from a processing step to the previous one, with a reason.
- ``skip-step``: the lead unit's leader marks a step "not needed", with a reason.
- ``approve`` and ``stop`` (at the lead unit's final step, every earlier step completed or
  skipped; ``stop`` also while awaiting a supplement), ``refuse`` and ``apologize`` (any time):
  the lead unit's leaders.
- ``return-result`` and ``withdraw``: the counter.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from dossiers import calendar as wcal
from dossiers.errors import ConflictError, DossierError, ForbiddenError
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, OFFICER
from dossiers.workflow import ACTION_TRANSITIONS, Action, DossierState, action_allowed

S = DossierState
A = Action

# Step states and kinds: plain strings, the values of ``DossierStep.State`` / ``DossierStep.Kind``.
WAITING, CURRENT, DONE, SKIPPED = "waiting", "current", "done", "skipped"
RECEPTION, PROCESSING, RETURN = "reception", "processing", "return"

# Outcomes (``models.Outcome`` values).
APPROVED, REFUSED, WITHDRAWN, STOPPED = "approved", "refused", "withdrawn", "stopped"

#: hand-over cut-off (§3.2): received at or after this local time, the next working day's opening
HANDOVER_CUTOFF = wcal.SAME_DAY_CUTOFF

# --- messages (Vietnamese: they reach the counter as they are; tests assert them) -------------

MSG_WRONG_STATE = "Hồ sơ {code} đang ở trạng thái “{state}”, không thể thực hiện “{action}”."
MSG_REASON_REQUIRED = "Vui lòng ghi rõ lý do."
MSG_BEFORE_RECEIPT = "Thời điểm thao tác không được trước thời điểm tiếp nhận hồ sơ."
MSG_BEFORE_LAST = "Thời điểm thao tác không được trước thao tác gần nhất của hồ sơ ({at})."
MSG_ONLY = "Chỉ {who} được {verb} hồ sơ này."
MSG_ONLY_NOW = "Hồ sơ đang ở {where}: lúc này chỉ {who} được {verb}."
MSG_NOT_STAFF = "Tài khoản này không thuộc đơn vị nào nên không thao tác được trên hồ sơ."
MSG_ADMIN = (
    "Quản trị viên chỉ thao tác trên hồ sơ với tư cách cán bộ của đơn vị có thẩm quyền: {who} được {verb} hồ sơ này."
)
MSG_NOT_ASSIGNEE = "Hồ sơ đã được giao cho cán bộ khác của {unit}; chỉ cán bộ được giao hoặc lãnh đạo {unit} được {verb}."
MSG_NOT_ASSIGNED = "Hồ sơ chưa được phân công: lãnh đạo {unit} phân công, hoặc bạn nhận xử lý hồ sơ trước khi {verb}."
MSG_LAST_STEP = "Đây là bước xử lý cuối của quy trình: {lead} phê duyệt hoặc từ chối giải quyết."
MSG_FIRST_STEP = "Đây là bước xử lý đầu tiên: không có bước trước để trả lại."
MSG_NOT_AT_FINAL = (
    "Hồ sơ đang ở bước {order} “{name}” ({unit}); chỉ {verb} được khi hồ sơ đến bước cuối của {lead} "
    "và các bước trước đã hoàn thành."
)
MSG_NOT_HANDED_OVER = "Hồ sơ chưa được chuyển cho đơn vị xử lý: bộ phận một cửa cần chuyển hồ sơ trước."
MSG_NO_STEP_TO_SKIP = "Không có bước thứ {order} chờ xử lý để đánh dấu không cần thực hiện."
MSG_SKIP_FINAL = "Không thể bỏ qua bước quyết định cuối cùng của {lead}."
MSG_SKIP_LAST = "Đây là bước xử lý cuối; không có bước sau để chuyển hồ sơ đến."
MSG_APOLOGY_ONCE = "Hồ sơ {code} đã hẹn lại ngày trả kết quả một lần; pháp luật chỉ cho phép hẹn lại một lần."
MSG_APOLOGY_DATE = "Ngày hẹn lại phải sau ngày hẹn trả hiện tại ({due})."
MSG_APOLOGY_WORKING_DAY = "Ngày hẹn lại {day} là ngày nghỉ ({note}); hãy chọn một ngày làm việc."
MSG_APOLOGY_CALENDAR = "Ngày hẹn lại nằm ngoài lịch làm việc của hệ thống."
MSG_OFFICER_UNIT = "Cán bộ “{value}” không thuộc {unit}, đơn vị đang giữ hồ sơ."
MSG_OFFICER_ROLE = "Cán bộ “{value}” không có vai trò xử lý hồ sơ."
MSG_OFFICER_SELF = "Chuyên viên chỉ tự nhận xử lý hồ sơ cho mình; lãnh đạo {unit} phân công cho người khác."
MSG_RETURN_CHANNEL = "Hình thức trả kết quả không hợp lệ."
MSG_ON_THE_SPOT_ONLY = "Chỉ hồ sơ “4 tại chỗ” mới được giải quyết ngay tại bộ phận một cửa."

# Stored in the record (data, not UI text): always Vietnamese.
ON_THE_SPOT_NOTE = "Giải quyết tại chỗ"
#: the lead unit's decision step, added when a template's last processing step is another unit's
DECISION_STEP_NAME = "Xem xét, phê duyệt kết quả"

#: what an action is called in "Chỉ … được {verb} hồ sơ này."
VERBS: dict[str, str] = {
    A.ACCEPT: "tiếp nhận",
    A.REJECT: "từ chối tiếp nhận",
    A.ASSIGN: "phân công xử lý",
    A.TRANSFER: "chuyển tiếp",
    A.SEND_BACK: "trả lại bước trước",
    A.SKIP_STEP: "đánh dấu bước không cần thực hiện",
    A.REQUEST_SUPPLEMENT: "yêu cầu bổ sung",
    A.RESUME: "nhận hồ sơ bổ sung",
    A.APPROVE: "phê duyệt",
    A.REFUSE: "từ chối giải quyết",
    A.STOP: "dừng giải quyết",
    A.APOLOGIZE: "xin lỗi và hẹn lại ngày trả",
    A.RETURN_RESULT: "trả kết quả",
    A.WITHDRAW: "ghi nhận rút",
}


# --- D17: who may act --------------------------------------------------------------------------

#: the parties of a dossier an action may come from
COUNTER = "counter"  # the receiving unit's one-stop counter
HOLDER = "holder"  # the unit of the processing step the dossier is at
LEAD = "lead"  # the lead resolving unit (cơ quan chủ trì)
ASKER = "asker"  # the unit that asked for the open supplement

PARTY_NAMES = {
    COUNTER: "bộ phận một cửa đã tiếp nhận",
    HOLDER: "đơn vị đang xử lý",
    LEAD: "cơ quan chủ trì",
    ASKER: "đơn vị đã yêu cầu bổ sung",
}
ROLE_WORDS = {COUNTER_CLERK: "cán bộ một cửa", OFFICER: "chuyên viên", LEADER: "lãnh đạo"}


@dataclass(frozen=True)
class Clause:
    party: str
    roles: frozenset[str]
    #: only for a "4 tại chỗ" dossier (the counter resolves it on the spot)
    on_the_spot: bool = False


def _c(party: str, *roles: str, on_the_spot: bool = False) -> Clause:
    return Clause(party, frozenset(roles), on_the_spot)


#: D17 as one table: action -> the (party, roles) that may take it. The pages, the API, the
#: importer and the tests read this; ``tests/dossiers/test_core.py`` pins it with written-out
#: answers. Administrators hold no clause of their own: they act only through a staff role in
#: the named unit.
WHO_MAY: dict[str, tuple[Clause, ...]] = {
    A.ACCEPT: (_c(COUNTER, COUNTER_CLERK),),
    A.REJECT: (_c(COUNTER, COUNTER_CLERK),),
    # the counter hands over (D18); the step's unit completes its step and passes it on
    A.TRANSFER: (_c(COUNTER, COUNTER_CLERK), _c(HOLDER, OFFICER, LEADER)),
    # the leader assigns; an officer may take an unassigned dossier himself
    A.ASSIGN: (_c(HOLDER, LEADER, OFFICER),),
    A.SEND_BACK: (_c(HOLDER, OFFICER, LEADER),),
    A.REQUEST_SUPPLEMENT: (_c(HOLDER, OFFICER, LEADER),),
    A.RESUME: (_c(COUNTER, COUNTER_CLERK), _c(ASKER, OFFICER, LEADER)),
    A.SKIP_STEP: (_c(LEAD, LEADER),),
    # "4 tại chỗ": the counter resolves on the spot; otherwise the lead unit's leaders
    A.APPROVE: (_c(LEAD, LEADER), _c(COUNTER, COUNTER_CLERK, on_the_spot=True)),
    A.REFUSE: (_c(LEAD, LEADER),),
    A.STOP: (_c(LEAD, LEADER),),
    A.APOLOGIZE: (_c(LEAD, LEADER),),
    A.RETURN_RESULT: (_c(COUNTER, COUNTER_CLERK),),
    A.WITHDRAW: (_c(COUNTER, COUNTER_CLERK),),
}


@dataclass(frozen=True)
class Actor:
    """Who acts: the staff unit, the role codes, the user id. ``None`` as an actor (the history
    import, system jobs) acts as the unit D17 names, without a check."""

    unit_id: int | None
    roles: frozenset[str]
    user_id: int | None = None


@dataclass
class Case:
    """A dossier with its steps and pauses, and how to name a unit in a message."""

    d: Any
    steps: list
    pauses: list
    unit_name: Callable[[int | None], str] = lambda uid: f"đơn vị #{uid}"
    #: makes a pause record from its field values (the shell: an unsaved model instance)
    make_pause: Callable[..., Any] = lambda **values: SimpleNamespace(**values)
    #: unit id → (its successor's id, the old unit's last day), for the units a reorganisation
    #: ended (D20)
    successors: Mapping[int, tuple[int, date | None]] = field(default_factory=dict)

    # -- reads --
    def ordered(self) -> list:
        return sorted(self.steps, key=lambda s: s.order)

    def processing(self) -> list:
        return [s for s in self.ordered() if s.kind == PROCESSING]

    def current(self):
        """The processing step the dossier is at (None at the counter or once closed)."""
        return next((s for s in self.processing() if s.state == CURRENT), None)

    def open_pause(self):
        open_ = [p for p in self.pauses if p.completed_at is None]
        return max(open_, key=lambda p: p.requested_at) if open_ else None

    def lead_final(self):
        """The lead unit's final processing step (the last processing step when the lead has none)."""
        steps = self.processing()
        own = [s for s in steps if s.unit_id == self.d.resolving_unit_id]
        return (own or steps or [None])[-1]


def case_position(case: Case) -> str:
    """Where the dossier is, in words, for a message."""
    d = case.d
    step = case.current()
    if d.state == S.IN_PROCESSING and step is not None:
        return f"bước {step.order} “{step.name}” tại {case.unit_name(step.unit_id)}"
    if d.state == S.AWAITING_SUPPLEMENT:
        return "trạng thái chờ người nộp bổ sung"
    return f"{case.unit_name(d.receiving_unit_id)} (bộ phận một cửa)"


def successor_chain(unit_id: int | None, successors: dict[int, tuple[int, date | None]],
                    on: date | None = None) -> list[int]:
    """`unit_id`, then, when a reorganisation ended that unit, its successor and so on
    (`successors`: unit -> (successor, the old unit's last day)); the last is the unit in force
    `on` that day (default: today, i.e. every successor recorded: a reorganisation is recorded
    on or after its effective date). A day given follows a successor only after the old unit's
    last day (history written afterwards). A cycle (never recorded) ends the walk."""
    units, uid = [], unit_id
    while uid is not None and uid not in units:
        units.append(uid)
        successor = successors.get(uid)
        if successor is None:
            break
        uid, last_day = successor
        if on is not None and last_day is not None and on <= last_day:
            break
    return units


def counter_chain(case: Case, on: date | None = None) -> list[int]:
    """The receiving counter and its successors (:func:`successor_chain`; D20: the receiving
    unit of a dossier never changes, its counter's work passes to the successor); the last is
    the counter in force `on` that day."""
    return successor_chain(case.d.receiving_unit_id, case.successors, on)


def counter_units(case: Case) -> set[int]:
    """Who acts as the dossier's counter (D17 "counter", D20): every unit of :func:`counter_chain`."""
    return set(counter_chain(case))


def party_units(case: Case, party: str, *, now: bool) -> set[int]:
    """The units that make up `party` for this dossier: `now`, where it is at present; else every
    unit that holds that part in its life (for "may this user act on it at all")."""
    d = case.d
    if party == COUNTER:
        return counter_units(case)
    if party == LEAD:
        return {d.resolving_unit_id}
    if party == HOLDER:
        if now:
            step = case.current() if d.state == S.IN_PROCESSING else None
            return {step.unit_id} if step is not None else set()
        return {s.unit_id for s in case.processing()}
    if party == ASKER:
        if now:
            pause = case.open_pause() if d.state == S.AWAITING_SUPPLEMENT else None
            return {pause.unit_id} if pause is not None and pause.unit_id else set()
        return {p.unit_id for p in case.pauses if p.unit_id} | {s.unit_id for s in case.processing()}
    raise ValueError(party)


def _present_clauses(action: str, case: Case) -> tuple[Clause, ...]:
    """The clauses of `action` that apply in the dossier's present state."""
    clauses = WHO_MAY[action]
    state = case.d.state
    if action == A.TRANSFER:
        return clauses[:1] if state == S.RECEIVED else clauses[1:]
    if action == A.APPROVE:
        return clauses[1:] if state == S.RECEIVED else clauses[:1]
    return clauses


def _who(case: Case, clauses: Iterable[Clause], *, now: bool = True) -> str:
    parts = []
    for clause in clauses:
        units = sorted(party_units(case, clause.party, now=now) or party_units(case, clause.party, now=False))
        roles = " hoặc ".join(ROLE_WORDS[r] for r in (COUNTER_CLERK, OFFICER, LEADER) if r in clause.roles)
        names = ", ".join(case.unit_name(u) for u in units)
        parts.append(f"{roles} {names} ({PARTY_NAMES[clause.party]})" if names else f"{roles} {PARTY_NAMES[clause.party]}")
    return " hoặc ".join(parts)


def _matches(actor: Actor, case: Case, clause: Clause, *, now: bool) -> bool:
    if clause.on_the_spot and not case.d.on_the_spot:
        return False
    return bool(actor.roles & clause.roles) and actor.unit_id in party_units(case, clause.party, now=now)


def check(action: str, case: Case, actor: Actor | None) -> None:
    """Whether `actor` may take `action` on this dossier now (D17, in this order):

    403 (``ForbiddenError``) when the actor may never take it on this dossier (wrong unit or
    role), 409 (``ConflictError``) when the actor may, but not in the present state or step, and
    403 again for an officer of the right unit who is not the one assigned. The reason names
    who may act. Preconditions of the action itself (the last step, the apology's date …) are
    checked by :func:`act`.
    """
    d = case.d
    verb = VERBS[action]
    if actor is not None:
        if actor.unit_id is None:
            raise ForbiddenError(MSG_NOT_STAFF)
        if not any(_matches(actor, case, c, now=False) for c in WHO_MAY[action]):
            present = [c for c in _present_clauses(action, case) if not c.on_the_spot or case.d.on_the_spot] or [
                c for c in WHO_MAY[action] if not c.on_the_spot or case.d.on_the_spot]
            who = _who(case, present)
            msg = MSG_ADMIN if ADMINISTRATOR in actor.roles else MSG_ONLY
            raise ForbiddenError(msg.format(who=who, verb=verb))
    if not action_allowed(action, d.state):
        label = DossierState(d.state).label
        raise ConflictError(
            MSG_WRONG_STATE.format(code=d.code, state=label, action=Action(action).label), errors={"state": [label]}
        )
    if actor is None:
        return
    present = [c for c in _present_clauses(action, case) if _matches(actor, case, c, now=True)]
    if not present:
        raise ConflictError(
            MSG_ONLY_NOW.format(where=case_position(case), who=_who(case, _present_clauses(action, case)), verb=verb),
            errors={"state": [DossierState(d.state).label]},
        )
    # D17: the assigned officer or the unit's leader acts on a processing step.
    holder = [c for c in present if c.party in (HOLDER, ASKER)]
    if holder and len(holder) == len(present) and LEADER not in actor.roles and action != A.ASSIGN:
        unit = case.unit_name(actor.unit_id)
        if d.assigned_to_id is None:
            raise ForbiddenError(MSG_NOT_ASSIGNED.format(unit=unit, verb=verb))
        if d.assigned_to_id != actor.user_id:
            raise ForbiddenError(MSG_NOT_ASSIGNEE.format(unit=unit, verb=verb))


def may(action: str, case: Case, actor: Actor | None) -> bool:
    try:
        check(action, case, actor)
        precondition(action, case)
    except DossierError:
        return False
    return True


def actions_available(case: Case, actor: Actor | None) -> list[str]:
    """The actions `actor` may take on this dossier now, in the workflow's order (pages and API)."""
    return [a for a in Action.values if may(a, case, actor)]


def acting_unit(action: str, case: Case, actor: Actor | None) -> int | None:
    """The unit an event records (D17: every event records the acting unit)."""
    if actor is not None and actor.unit_id is not None:
        return actor.unit_id
    for clause in _present_clauses(action, case):
        units = party_units(case, clause.party, now=True)
        if units:
            return min(units)
    return case.d.current_unit_id


# --- calendar rules of the path ----------------------------------------------------------------


def handover_due_at(received_at: datetime, cal: wcal.WorkCalendar) -> datetime:
    """D18: by the close of office hours of the receipt day; received at or after 15:00 or on
    a non-working day, by the opening of the next working day."""
    local = received_at.astimezone(wcal.LOCAL_TZ)
    day = local.date()
    hours = cal.office_hours
    if cal.is_working_day(day) and local.time() < HANDOVER_CUTOFF:
        return datetime.combine(day, hours.close, wcal.LOCAL_TZ)
    return datetime.combine(cal.next_working_day(day), hours.open, wcal.LOCAL_TZ)


def handover_late(d: Any, now: datetime) -> bool:
    """D18 "chậm chuyển": handed over after the deadline, or still at the counter past it."""
    due = getattr(d, "handover_due_at", None)
    if due is None:
        return False
    if d.handed_over_at is not None:
        return d.handed_over_at > due
    return d.state == S.RECEIVED and now > due


def apology_date_errors(new_date: date, due_date: date | None, cal: wcal.WorkCalendar) -> list[str]:
    """D8 and D17: the new appointment is a working day after D."""
    if due_date and new_date <= due_date:
        return [MSG_APOLOGY_DATE.format(due=f"{due_date:%d/%m/%Y}")]
    try:
        working = cal.is_working_day(new_date)
    except ValueError:
        return [MSG_APOLOGY_CALENDAR]
    if not working:
        note = cal.day_note(new_date) or wcal.WEEKDAY_NAMES_VI[new_date.weekday()]
        return [MSG_APOLOGY_WORKING_DAY.format(day=f"{new_date:%d/%m/%Y}", note=note)]
    return []


# --- planning a dossier --------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateStep:
    order: int
    name: str
    unit_id: int | None
    allotted_time: int
    counter: bool  # at a one-stop centre: done by the receiving counter


def plan_steps(
    template: Sequence[TemplateStep], *, receiving_unit_id: int, resolving_unit_id: int,
    processing_time: int, default_name: str,
) -> list[dict]:
    """The dossier's steps from the template: leading counter steps are the reception, trailing
    ones the return (both at the receiving unit); the rest are processing steps at their unit
    (the lead unit where the template names none). Without a processing step, one at the lead
    unit with the whole time; when the last processing step is another unit's, a decision step
    of the lead unit (no time of its own) follows it, since the lead unit alone approves (D17)."""
    ordered = sorted(template, key=lambda t: t.order)
    first = next((i for i, t in enumerate(ordered) if not t.counter), len(ordered))
    last = next((i for i in range(len(ordered) - 1, -1, -1) if not ordered[i].counter), -1)
    steps = []
    for i, t in enumerate(ordered):
        if i < first:
            kind, unit = RECEPTION, receiving_unit_id
        elif i > last:
            kind, unit = RETURN, receiving_unit_id
        else:
            kind, unit = PROCESSING, (t.unit_id or resolving_unit_id)
        steps.append({"order": t.order, "name": t.name, "unit_id": unit, "allotted_time": t.allotted_time,
                      "kind": kind})
    processing = [s for s in steps if s["kind"] == PROCESSING]
    if not processing:
        _insert_step(steps, after=max((s["order"] for s in steps if s["kind"] == RECEPTION), default=0),
                     name=default_name, unit_id=resolving_unit_id, allotted_time=processing_time if not steps else 0)
    elif processing[-1]["unit_id"] != resolving_unit_id:
        # the lead unit decides last (D17): a template ending at another unit gets its decision step
        _insert_step(steps, after=processing[-1]["order"], name=DECISION_STEP_NAME, unit_id=resolving_unit_id,
                     allotted_time=0)
    return steps


def _insert_step(steps: list[dict], *, after: int, name: str, unit_id: int, allotted_time: int) -> None:
    for s in steps:
        if s["order"] > after:
            s["order"] += 1
    steps.append({"order": after + 1, "name": name, "unit_id": unit_id, "allotted_time": allotted_time,
                  "kind": PROCESSING})
    steps.sort(key=lambda s: s["order"])


def processing_count(template: Sequence[TemplateStep], resolving_unit_id: int | None) -> int:
    """How many processing steps a dossier of this template gets (hand-offs between them: one less)."""
    steps = plan_steps(template, receiving_unit_id=0, resolving_unit_id=resolving_unit_id,
                       processing_time=0, default_name="")
    return sum(1 for s in steps if s["kind"] == PROCESSING)


def steps_to_settle(case: Case, action: str) -> list[int]:
    """The processing steps (orders) that must be marked not needed before `action` (approve or
    stop) can be taken: every unfinished one but the lead unit's final step. The history import
    records so the steps an old system kept no record of; a live dossier never gets here."""
    if case.d.state != S.IN_PROCESSING or action not in (A.APPROVE, A.STOP):
        return []
    final = case.lead_final()
    return [s.order for s in case.processing() if s.state in (WAITING, CURRENT) and s.order != final.order]


def start_reception(case: Case, at: datetime) -> None:
    """Receipt (intake or the acceptance of an online submission): the dossier is at the counter,
    its reception step (if the procedure has one) in progress."""
    for step in case.ordered():
        if step.kind == RECEPTION and step.state == WAITING:
            step.state, step.started_at = CURRENT, at
            case.d.current_unit_id = step.unit_id
            break


# --- acting --------------------------------------------------------------------------------------


@dataclass
class Effect:
    """What an action changed: the event to append and the rows to write."""

    action: str
    from_state: str
    to_state: str
    unit_id: int | None
    to_unit_id: int | None = None
    note: str = ""
    data: dict = field(default_factory=dict)
    steps: list = field(default_factory=list)  # steps changed (to save)
    new_pause: Any = None  # a pause created (``Case.make_pause``), to be written
    pauses: list = field(default_factory=list)  # pauses changed (to save)


@dataclass
class Context:
    """What the rules need besides the case: the instant, the calendar, the action's inputs."""

    at: datetime
    cal: wcal.WorkCalendar
    params: Mapping[str, Any] = field(default_factory=dict)
    actor: Actor | None = None
    #: (unit id, role codes) of the officer named by an assignment, read by the shell
    assignee: tuple[int | None, frozenset[str]] | None = None


def _reason(ctx: Context, key: str = "reason") -> str:
    text = (ctx.params.get(key) or "").strip()
    if not text:
        raise DossierError(MSG_REASON_REQUIRED, errors={key: [MSG_REASON_REQUIRED]})
    return text


def _finish(case: Case, step, at: datetime) -> None:
    step.state, step.finished_at = DONE, at
    step.classification = str(wcal.classify_resolved(
        resolved_at=at, due_date=step.due_date, due_at=step.due_at, unit=case.d.time_unit
    )) if (step.due_date or step.due_at) else ""


def _start(case: Case, step, at: datetime) -> None:
    step.state, step.started_at = CURRENT, at
    step.finished_at, step.classification, step.assigned_to_id = None, "", None
    case.d.current_unit_id = step.unit_id
    case.d.assigned_to_id = None


def _next_processing(case: Case, after_order: int):
    return next((s for s in case.processing() if s.order > after_order and s.state == WAITING), None)


def _at_lead_final(case: Case, verb: str) -> None:
    """approve / stop at the lead's final step with every earlier processing step completed or skipped."""
    d = case.d
    final = case.lead_final()
    step = case.current()
    lead = case.unit_name(d.resolving_unit_id)
    ok = (
        step is not None and final is not None and step.order == final.order
        and all(s.state in (DONE, SKIPPED) for s in case.processing() if s.order < final.order)
        and all(s.state == SKIPPED for s in case.processing() if s.order > final.order)
    )
    if not ok:
        if step is None:
            raise ConflictError(MSG_NOT_HANDED_OVER, errors={"state": [DossierState(d.state).label]})
        raise ConflictError(
            MSG_NOT_AT_FINAL.format(order=step.order, name=step.name, unit=case.unit_name(step.unit_id), verb=verb, lead=lead),
            errors={"state": [DossierState(d.state).label]},
        )


def precondition(action: str, case: Case) -> None:
    """Conditions of the dossier itself (not of the inputs) that an action needs (409)."""
    d = case.d
    if action == A.TRANSFER:
        if d.state == S.RECEIVED:
            if not any(s.state == WAITING for s in case.processing()):
                raise ConflictError(MSG_LAST_STEP.format(lead=case.unit_name(d.resolving_unit_id)))
        else:
            step = case.current()
            if step is None or _next_processing(case, step.order) is None:
                raise ConflictError(MSG_LAST_STEP.format(lead=case.unit_name(d.resolving_unit_id)),
                                    errors={"action": [MSG_LAST_STEP.format(lead=case.unit_name(d.resolving_unit_id))]})
    elif action == A.SEND_BACK:
        step = case.current()
        if step is None or not any(s.order < step.order and s.state == DONE for s in case.processing()):
            raise ConflictError(MSG_FIRST_STEP, errors={"action": [MSG_FIRST_STEP]})
    elif action == A.APPROVE:
        if d.state == S.RECEIVED:
            if not d.on_the_spot:
                raise ConflictError(MSG_NOT_HANDED_OVER, errors={"state": [DossierState(d.state).label]})
        else:
            _at_lead_final(case, VERBS[action])
    elif action == A.STOP:
        if d.state == S.IN_PROCESSING:
            _at_lead_final(case, VERBS[action])
    elif action == A.APOLOGIZE:
        if d.apologized_at is not None:
            msg = MSG_APOLOGY_ONCE.format(code=d.code)
            raise ConflictError(msg, errors={"new_date": [msg]})
    elif action == A.SKIP_STEP:
        final = case.lead_final()
        if not any(s.state in (WAITING, CURRENT) and (final is None or s.order != final.order) for s in case.processing()):
            msg = MSG_NO_STEP_TO_SKIP.format(order="nào")
            raise ConflictError(msg, errors={"step": [msg]})
    elif action == A.ASSIGN:
        if case.current() is None:
            raise ConflictError(MSG_NOT_HANDED_OVER, errors={"state": [DossierState(d.state).label]})


def precondition_fails(action: str, case: Case) -> bool:
    """Whether the dossier itself stands in the way of `action` (409), whoever acts."""
    try:
        precondition(action, case)
    except DossierError:
        return True
    return False


def act(action: str, case: Case, ctx: Context) -> Effect:
    """Apply `action` to the case: check who (:func:`check`), when (:func:`_precondition`) and
    the inputs, then change the records in place. Raises ``ForbiddenError`` (403),
    ``ConflictError`` (409) or ``DossierError`` (400, field errors); nothing is changed then."""
    d = case.d
    check(action, case, ctx.actor)
    precondition(action, case)
    if d.received_at and ctx.at < d.received_at:
        raise DossierError(MSG_BEFORE_RECEIPT, errors={"at": [MSG_BEFORE_RECEIPT]})
    from_state = d.state
    target = ACTION_TRANSITIONS[action][1]
    effect = Effect(action=action, from_state=from_state, to_state=target or from_state,
                    unit_id=acting_unit(action, case, ctx.actor))
    _APPLY[action](case, ctx, effect)
    d.state = effect.to_state
    d.version += 1
    return effect


def _accept(case: Case, ctx: Context, e: Effect) -> None:
    d = case.d
    d.received_at = ctx.at
    d.handover_due_at = handover_due_at(ctx.at, ctx.cal)
    apply_deadline(case, ctx.cal)
    start_reception(case, ctx.at)
    e.steps = list(case.steps)


def _reject(case: Case, ctx: Context, e: Effect) -> None:
    e.note = _reason(ctx)


def _transfer(case: Case, ctx: Context, e: Effect) -> None:
    d, at = case.d, ctx.at
    e.note = (ctx.params.get("note") or "").strip()
    if d.state == S.RECEIVED:  # the counter's hand-over (D18)
        finished = None
        for step in case.ordered():
            if step.kind == RECEPTION and step.state != DONE:
                _finish(case, step, at)
                finished = step.order
                e.steps.append(step)
        nxt = next(s for s in case.processing() if s.state == WAITING)
        d.handed_over_at = at
        e.data["handover"] = True
        e.data["late_handover"] = bool(d.handover_due_at and at > d.handover_due_at)
    else:
        step = case.current()
        _finish(case, step, at)
        e.steps.append(step)
        finished = step.order
        nxt = _next_processing(case, step.order)
    _start(case, nxt, at)
    e.steps.append(nxt)
    e.to_unit_id = nxt.unit_id
    e.data.update({"step": nxt.order, "finished_step": finished})


def _send_back(case: Case, ctx: Context, e: Effect) -> None:
    e.note = _reason(ctx)
    step = case.current()
    previous = max((s for s in case.processing() if s.order < step.order and s.state == DONE), key=lambda s: s.order)
    step.state, step.started_at, step.assigned_to_id, step.classification = WAITING, None, None, ""
    _start(case, previous, ctx.at)
    e.steps += [step, previous]
    e.to_unit_id = previous.unit_id
    e.data.update({"from_step": step.order, "step": previous.order})


def _skip_step(case: Case, ctx: Context, e: Effect) -> None:
    e.note = _reason(ctx)
    order = ctx.params.get("step")
    final = case.lead_final()
    step = next((s for s in case.processing() if s.order == order and s.state in (WAITING, CURRENT)), None)
    if step is None:
        msg = MSG_NO_STEP_TO_SKIP.format(order=order)
        raise DossierError(msg, errors={"step": [msg]})
    if final is not None and step.order == final.order:
        msg = MSG_SKIP_FINAL.format(lead=case.unit_name(case.d.resolving_unit_id))
        raise DossierError(msg, errors={"step": [msg]})
    nxt = None
    if step.state == CURRENT:
        nxt = _next_processing(case, step.order)
        if nxt is None:
            raise DossierError(MSG_SKIP_LAST, errors={"step": [MSG_SKIP_LAST]})
    step.state, step.finished_at, step.classification = SKIPPED, ctx.at, ""
    e.steps.append(step)
    e.data["step"] = step.order
    if nxt is not None:
        _start(case, nxt, ctx.at)
        e.steps.append(nxt)
        e.to_unit_id = nxt.unit_id
        e.data["next_step"] = nxt.order


def _assign(case: Case, ctx: Context, e: Effect) -> None:
    d, actor = case.d, ctx.actor
    e.note = (ctx.params.get("note") or "").strip()
    officer_id = ctx.params.get("officer_id")
    label = ctx.params.get("officer_label") or ""
    step = case.current()
    unit = case.unit_name(step.unit_id)
    if actor is not None and LEADER not in actor.roles:
        # an officer takes an unassigned dossier himself (D17: the leader assigns others)
        if officer_id != actor.user_id or d.assigned_to_id not in (None, actor.user_id):
            raise ForbiddenError(MSG_OFFICER_SELF.format(unit=unit))
    if officer_id is not None and ctx.assignee is not None:
        unit_id, roles = ctx.assignee
        if unit_id != step.unit_id:
            msg = MSG_OFFICER_UNIT.format(value=label, unit=unit)
            raise DossierError(msg, errors={"officer": [msg]})
        if not roles & {OFFICER, LEADER}:
            msg = MSG_OFFICER_ROLE.format(value=label)
            raise DossierError(msg, errors={"officer": [msg]})
    d.assigned_to_id = officer_id
    step.assigned_to_id = officer_id
    e.steps.append(step)
    e.data["officer"] = label or None


def _request_supplement(case: Case, ctx: Context, e: Effect) -> None:
    d = case.d
    e.note = _reason(ctx)
    documents = ctx.params.get("documents") or ""
    e.new_pause = case.make_pause(
        requested_at=ctx.at, completed_at=None, reason=e.note, documents=documents, unit_id=e.unit_id,
        requested_by_id=ctx.actor.user_id if ctx.actor else None, completed_by_id=None,
    )
    case.pauses.append(e.new_pause)
    d.paused_at = ctx.at
    d.paused_on = ctx.at.astimezone(wcal.LOCAL_TZ).date()
    d.supplement_count += 1
    e.data["documents"] = documents


def _resume(case: Case, ctx: Context, e: Effect) -> None:
    d = case.d
    e.note = (ctx.params.get("note") or "").strip()
    pause = case.open_pause()
    if pause is not None:
        pause.completed_at = ctx.at
        pause.completed_by_id = ctx.actor.user_id if ctx.actor else None
        e.pauses.append(pause)
    d.paused_at = d.paused_on = None
    before = d.due_date
    apply_deadline(case, ctx.cal)
    e.steps = list(case.steps)
    e.data.update({"due_from": before.isoformat() if before else None, "due_to": d.due_date.isoformat()})


def _resolve(case: Case, ctx: Context, e: Effect, outcome: str, note: str) -> None:
    """D9: the dossier is resolved at `ctx.at`. The step the dossier is at is done when the
    acting unit is its unit; the return step (if any) starts at the counter."""
    d, at = case.d, ctx.at
    e.note = note
    d.resolved_at = at
    d.resolved_on = at.astimezone(wcal.LOCAL_TZ).date()
    d.outcome = outcome
    d.outcome_note = note
    d.classification = str(wcal.classify_resolved(resolved_at=at, due_date=d.due_date, due_at=d.due_at, unit=d.time_unit))
    d.paused_at = d.paused_on = None
    for step in case.ordered():
        if step.state == CURRENT:
            if step.unit_id == e.unit_id:
                _finish(case, step, at)
            else:  # interrupted: its unit did not complete it (D17)
                step.state, step.assigned_to_id = WAITING, None
            e.steps.append(step)
    pause = case.open_pause()
    if pause is not None:  # the pause ends with the dossier; its days do not count (D7)
        pause.completed_at = at
        e.pauses.append(pause)
    # the counter in force that day (its successor's once a reorganisation ended it, D20)
    d.current_unit_id = counter_chain(case, on=at.astimezone(wcal.LOCAL_TZ).date())[-1]
    d.assigned_to_id = None
    ret = next((s for s in case.ordered() if s.kind == RETURN and s.state == WAITING), None)
    if ret is not None:
        ret.state, ret.started_at = CURRENT, at
        e.steps.append(ret)


def _approve(case: Case, ctx: Context, e: Effect) -> None:
    d = case.d
    if d.state == S.RECEIVED:  # "4 tại chỗ": appraised and approved at the counter
        note = (ctx.params.get("note") or "").strip() or ON_THE_SPOT_NOTE
        for step in case.ordered():
            if step.state in (WAITING, CURRENT) and step.kind != RETURN:
                _finish(case, step, ctx.at)
                e.steps.append(step)
        d.handed_over_at = d.handed_over_at or ctx.at
    else:
        note = (ctx.params.get("note") or "").strip()
    _resolve(case, ctx, e, APPROVED, note)


def _refuse(case: Case, ctx: Context, e: Effect) -> None:
    _resolve(case, ctx, e, REFUSED, _reason(ctx))


def _stop(case: Case, ctx: Context, e: Effect) -> None:
    _resolve(case, ctx, e, STOPPED, _reason(ctx))


def _withdraw(case: Case, ctx: Context, e: Effect) -> None:
    _resolve(case, ctx, e, WITHDRAWN, _reason(ctx))


def _apologize(case: Case, ctx: Context, e: Effect) -> None:
    d = case.d
    e.note = _reason(ctx)
    new_date = ctx.params.get("new_date")
    errors = apology_date_errors(new_date, d.due_date, ctx.cal)
    if errors:
        raise DossierError(errors[0], errors={"new_date": errors})
    d.apologized_at = ctx.at
    d.appointment_date = new_date
    d.apology_reason = e.note
    e.data.update({"new_date": new_date.isoformat(),
                   "late_apology": wcal.is_late_apology(apology_at=ctx.at, due_date=d.due_date, cal=ctx.cal)})


def _return_result(case: Case, ctx: Context, e: Effect) -> None:
    d = case.d
    channel = ctx.params.get("return_channel") or d.return_channel
    if channel not in ctx.params.get("return_channels", (channel,)):
        raise DossierError(MSG_RETURN_CHANNEL, errors={"return_channel": [MSG_RETURN_CHANNEL]})
    e.note = (ctx.params.get("note") or "").strip()
    d.returned_at = ctx.at
    d.return_channel = channel
    for step in case.ordered():
        if step.kind == RETURN and step.state in (WAITING, CURRENT):
            if step.state == WAITING:
                step.started_at = ctx.at
            _finish(case, step, ctx.at)
            e.steps.append(step)
    e.data["return_channel"] = channel


_APPLY: dict[str, Callable[[Case, Context, Effect], None]] = {
    A.ACCEPT: _accept,
    A.REJECT: _reject,
    A.ASSIGN: _assign,
    A.TRANSFER: _transfer,
    A.SEND_BACK: _send_back,
    A.SKIP_STEP: _skip_step,
    A.REQUEST_SUPPLEMENT: _request_supplement,
    A.RESUME: _resume,
    A.APPROVE: _approve,
    A.REFUSE: _refuse,
    A.STOP: _stop,
    A.APOLOGIZE: _apologize,
    A.RETURN_RESULT: _return_result,
    A.WITHDRAW: _withdraw,
}


# --- deadlines of the case ------------------------------------------------------------------------


def case_pauses(case: Case) -> list[wcal.Pause]:
    return [wcal.Pause(start=p.requested_at, end=p.completed_at)
            for p in sorted(case.pauses, key=lambda p: p.requested_at)]


def apply_deadline(case: Case, cal: wcal.WorkCalendar) -> wcal.DueDate:
    """The dossier's due date (D2–D7) and each step's, from the receipt instant and the pauses."""
    d = case.d
    pauses = case_pauses(case)
    due = wcal.compute_due(received_at=d.received_at, amount=d.processing_time, unit=d.time_unit, cal=cal,
                           pauses=pauses)
    d.receipt_date = due.receipt_date
    d.base_due_date = due.base_due_date
    d.due_date = due.due_date
    d.due_at = due.due_at
    d.due_text = due.text()[:500]
    cumulative = 0
    for step in case.ordered():
        cumulative += step.allotted_time
        amount = min(cumulative, d.processing_time)
        sdue = wcal.compute_due(received_at=d.received_at, amount=amount, unit=d.time_unit, cal=cal, pauses=pauses)
        step.due_date, step.due_at = sdue.due_date, sdue.due_at
    return due
