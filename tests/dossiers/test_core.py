"""The pure lifecycle core (dossiers.core), without a database.

Expectations are written out here, from domain.md D16–D18, not read from the core's own tables:
who may take each action at all, in which states, and who may take it now. Cases are plain
records (``SimpleNamespace``) like the history import's.
"""
from __future__ import annotations

import random
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dossiers import core
from dossiers.calendar import LOCAL_TZ
from dossiers.errors import ConflictError, DossierError, ForbiddenError
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, OFFICER
from dossiers.selectors import calendar_build
from dossiers.workflow import Action, DossierState

S, A = DossierState, Action
CAL = calendar_build(overrides={})

COUNTER_UNIT, AGENCY, LEAD, PARENT, OTHER = 1, 2, 3, 9, 8
NAMES = {COUNTER_UNIT: "Trung tâm Phục vụ hành chính công", AGENCY: "Công an tỉnh", LEAD: "Sở Tư pháp",
         PARENT: "UBND tỉnh", OTHER: "UBND xã Yên Mông"}
ASSIGNEE = 12


def at(y, m, d, hh=9, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


RECEIVED_AT = at(2026, 11, 16, 9)  # Monday


def _case(*, on_the_spot: bool = False) -> core.Case:
    """Reception at the counter, two processing steps (an agency, then the lead unit), return."""
    d = SimpleNamespace(
        code="000.00.31.H23-261116-0001", state=S.RECEIVED, receiving_unit_id=COUNTER_UNIT, resolving_unit_id=LEAD,
        current_unit_id=COUNTER_UNIT, assigned_to_id=None, received_at=RECEIVED_AT, processing_time=10,
        time_unit="working_days", on_the_spot=on_the_spot, version=0, supplement_count=0, paused_at=None,
        paused_on=None, apologized_at=None, handover_due_at=None, handed_over_at=None, return_channel="counter",
    )
    steps = [
        SimpleNamespace(order=o, name=n, unit_id=u, kind=k, allotted_time=t, state=core.WAITING, started_at=None,
                        finished_at=None, assigned_to_id=None, classification="", due_date=None, due_at=None)
        for o, n, u, k, t in [
            (1, "Tiếp nhận hồ sơ", COUNTER_UNIT, core.RECEPTION, 1),
            (2, "Xác minh", AGENCY, core.PROCESSING, 4),
            (3, "Thẩm định, phê duyệt", LEAD, core.PROCESSING, 4),
            (4, "Trả kết quả", COUNTER_UNIT, core.RETURN, 1),
        ]
    ]
    case = core.Case(d=d, steps=steps, pauses=[], unit_name=lambda u: NAMES.get(u, f"#{u}"))
    d.handover_due_at = core.handover_due_at(RECEIVED_AT, CAL)
    core.apply_deadline(case, CAL)
    core.start_reception(case, RECEIVED_AT)
    return case


def _sys(case, action, when=None, **params):
    return core.act(action, case, core.Context(at=when or at(2026, 11, 17, 10), cal=CAL, params=params))


# --- D17 pinned ---------------------------------------------------------------------------------


def test_who_may_table_is_d17():
    """The table the pages, the API and the importer read, pinned here in D17's own words."""
    expected = {
        "accept": {("counter", frozenset({COUNTER_CLERK}))},
        "reject": {("counter", frozenset({COUNTER_CLERK}))},
        "transfer": {("counter", frozenset({COUNTER_CLERK})), ("holder", frozenset({OFFICER, LEADER}))},
        "assign": {("holder", frozenset({LEADER, OFFICER}))},
        "send-back": {("holder", frozenset({OFFICER, LEADER}))},
        "request-supplement": {("holder", frozenset({OFFICER, LEADER}))},
        "resume": {("counter", frozenset({COUNTER_CLERK})), ("asker", frozenset({OFFICER, LEADER}))},
        "skip-step": {("lead", frozenset({LEADER}))},
        "approve": {("lead", frozenset({LEADER})), ("counter", frozenset({COUNTER_CLERK}))},
        "refuse": {("lead", frozenset({LEADER}))},
        "stop": {("lead", frozenset({LEADER}))},
        "apologize": {("lead", frozenset({LEADER}))},
        "return-result": {("counter", frozenset({COUNTER_CLERK}))},
        "withdraw": {("counter", frozenset({COUNTER_CLERK}))},
    }
    got = {a: {(c.party, c.roles) for c in clauses} for a, clauses in core.WHO_MAY.items()}
    assert got == expected
    assert set(core.WHO_MAY) == set(Action.values)
    assert all(ADMINISTRATOR not in c.roles for clauses in core.WHO_MAY.values() for c in clauses)
    # the counter approves only a "4 tại chỗ" dossier, on the spot
    assert [(c.party, c.on_the_spot) for c in core.WHO_MAY["approve"]] == [("lead", False), ("counter", True)]


# --- generated: action × state × who --------------------------------------------------------------

#: who acts: (unit, roles, user id)
WHO = {
    "counter": (COUNTER_UNIT, {COUNTER_CLERK}, 11),
    "agency_officer": (AGENCY, {OFFICER}, ASSIGNEE),
    "agency_leader": (AGENCY, {LEADER}, 14),
    "lead_leader": (LEAD, {LEADER}, 13),
    "parent_leader": (PARENT, {LEADER}, 15),
    "other": (OTHER, {COUNTER_CLERK, OFFICER, LEADER}, 16),
    "lead_admin": (LEAD, {ADMINISTRATOR}, 17),
}
#: who may take the action on this dossier at all (else 403), written out from D17
AT_ALL = {
    "accept": {"counter"}, "reject": {"counter"}, "withdraw": {"counter"}, "return-result": {"counter"},
    "transfer": {"counter", "agency_officer", "agency_leader", "lead_leader"},
    "assign": {"agency_officer", "agency_leader", "lead_leader"},
    "send-back": {"agency_officer", "agency_leader", "lead_leader"},
    "request-supplement": {"agency_officer", "agency_leader", "lead_leader"},
    "resume": {"counter", "agency_officer", "agency_leader", "lead_leader"},
    "skip-step": {"lead_leader"}, "refuse": {"lead_leader"}, "stop": {"lead_leader"}, "apologize": {"lead_leader"},
    "approve": {"lead_leader"},  # the counter too, for a "4 tại chỗ" dossier (the RECEIVED case below)
}
#: the states an action starts from (else 409), written out from domain.md §3 and D16
OPEN = {S.RECEIVED, S.IN_PROCESSING, S.AWAITING_SUPPLEMENT}
STATES = {
    "accept": {S.SUBMITTED}, "reject": {S.SUBMITTED},
    "transfer": {S.RECEIVED, S.IN_PROCESSING}, "assign": {S.IN_PROCESSING}, "send-back": {S.IN_PROCESSING},
    "skip-step": {S.RECEIVED, S.IN_PROCESSING}, "request-supplement": {S.IN_PROCESSING},
    "resume": {S.AWAITING_SUPPLEMENT}, "approve": {S.RECEIVED, S.IN_PROCESSING},
    "refuse": OPEN, "stop": {S.IN_PROCESSING, S.AWAITING_SUPPLEMENT}, "apologize": OPEN, "withdraw": OPEN,
    "return-result": {S.APPROVED, S.REFUSED, S.STOPPED},
}
#: where the dossier is for each action in the generated test (the action's own precondition holds)
POSITION = {"approve": 3, "stop": 3, "send-back": 3}


def _now_ok(action: str, state: str, who: str) -> bool:
    """Who may take it in the present state and step, written out (the dossier at step 2, or 3
    for approve / stop / send-back, where the lead unit holds it)."""
    step_unit_staff = {"lead_leader"} if POSITION.get(action) == 3 else {"agency_officer", "agency_leader"}
    if action == "transfer":
        return who == "counter" if state == S.RECEIVED else who in step_unit_staff
    if action == "approve":
        return who == "counter" if state == S.RECEIVED else who == "lead_leader"
    if action == "resume":
        return who in {"counter", "agency_officer", "agency_leader"}  # the agency at step 2 asked
    if action in ("assign", "send-back", "request-supplement"):
        return who in step_unit_staff
    return who in AT_ALL[action]


def _in(state: str, action: str) -> core.Case:
    case = _case(on_the_spot=(state == S.RECEIVED and action == "approve"))
    d = case.d
    if state == S.SUBMITTED:
        d.state = S.SUBMITTED
        return case
    if state == S.REJECTED:
        d.state = S.SUBMITTED
        _sys(case, "reject", reason="x")
        return case
    if state in (S.RECEIVED, S.WITHDRAWN):
        if state == S.WITHDRAWN:
            _sys(case, "withdraw", reason="x")
        return case
    _sys(case, "transfer")
    _sys(case, "assign", officer_id=ASSIGNEE, officer_label="officer")
    if state == S.IN_PROCESSING and POSITION.get(action) == 3:
        _sys(case, "transfer")
    if state == S.AWAITING_SUPPLEMENT:
        _sys(case, "request-supplement", reason="Thiếu bản vẽ")
    if state in (S.APPROVED, S.RETURNED, S.REFUSED, S.STOPPED):
        if state == S.REFUSED:
            _sys(case, "refuse", reason="x")
        else:
            _sys(case, "transfer")
            _sys(case, "stop" if state == S.STOPPED else "approve", reason="x")
        if state == S.RETURNED:
            _sys(case, "return-result")
    assert d.state == state
    return case


CASES = [(a, s, w) for a in Action.values for s in S.values for w in WHO]


@pytest.mark.parametrize(("action", "state", "who"), CASES, ids=[f"{a}-{s}-{w}" for a, s, w in CASES])
def test_check_answers_403_then_409_as_d17_says(action, state, who):
    case = _in(state, action)
    unit, roles, user_id = WHO[who]
    at_all = AT_ALL[action] | ({"counter"} if action == "approve" and case.d.on_the_spot else set())
    if who == "agency_officer" and POSITION.get(action) == 3:
        case.d.assigned_to_id = None  # at the lead's step nobody of the agency is assigned
    actor = core.Actor(unit_id=unit, roles=frozenset(roles), user_id=user_id)
    if who not in at_all:
        with pytest.raises(ForbiddenError):
            core.check(action, case, actor)
    elif state not in STATES[action]:
        with pytest.raises(ConflictError) as exc:
            core.check(action, case, actor)
        assert not isinstance(exc.value, ForbiddenError)
    elif not _now_ok(action, state, who):
        with pytest.raises(ConflictError):
            core.check(action, case, actor)
    else:
        core.check(action, case, actor)


# --- the scenarios a new user found --------------------------------------------------------------


def test_approving_before_the_lead_units_final_step_is_refused_and_names_the_step():
    case = _case()
    _sys(case, "transfer")  # at step 2, the agency
    actor = core.Actor(unit_id=LEAD, roles=frozenset({LEADER}), user_id=13)
    with pytest.raises(ConflictError) as exc:
        core.act("approve", case, core.Context(at=at(2026, 11, 17), cal=CAL, actor=actor))
    assert "bước 2 “Xác minh” (Công an tỉnh)" in exc.value.message
    assert [s.state for s in case.steps] == [core.DONE, core.CURRENT, core.WAITING, core.WAITING]


def test_another_units_leader_is_told_who_may_approve():
    case = _case()
    _sys(case, "transfer")
    _sys(case, "transfer")
    actor = core.Actor(unit_id=OTHER, roles=frozenset({LEADER}), user_id=16)
    with pytest.raises(ForbiddenError) as exc:
        core.check("approve", case, actor)
    assert exc.value.message == "Chỉ lãnh đạo Sở Tư pháp (cơ quan chủ trì) được phê duyệt hồ sơ này."


def test_after_a_reorganisation_the_successors_counter_returns_the_result_and_no_other_counter_does():
    """D20: the receiving unit of a dossier never changes; once a reorganisation ended it, its
    successor's counter (and the successor's successor) takes its part, no other unit's."""
    case = _case()
    _sys(case, "transfer")
    _sys(case, "transfer")
    _sys(case, "approve")
    successor, next_successor = 21, 22
    clerk_of = lambda unit: core.Actor(unit_id=unit, roles=frozenset({COUNTER_CLERK}), user_id=unit + 100)  # noqa: E731
    with pytest.raises(ForbiddenError):
        core.check("return-result", case, clerk_of(successor))  # not ended yet: only the receiving counter

    case.successors = {COUNTER_UNIT: (successor, date(2025, 6, 30)), successor: (next_successor, date(2026, 6, 30)),
                       77: (78, None)}
    core.check("return-result", case, clerk_of(successor))
    core.check("return-result", case, clerk_of(next_successor))
    core.check("return-result", case, clerk_of(COUNTER_UNIT))  # its own clerks' accounts still name it
    for unit in (OTHER, 78, LEAD):
        with pytest.raises(ForbiddenError):
            core.check("return-result", case, clerk_of(unit))
    assert core.counter_units(case) == {COUNTER_UNIT, successor, next_successor}
    assert core.counter_chain(case) == [COUNTER_UNIT, successor, next_successor]  # the last is the counter in force
    # on a given day, only the successors whose predecessor had ended by then (history written later)
    assert core.counter_chain(case, on=date(2025, 6, 30)) == [COUNTER_UNIT]
    assert core.counter_chain(case, on=date(2025, 7, 1)) == [COUNTER_UNIT, successor]
    assert core.counter_chain(case, on=date(2026, 7, 1)) == [COUNTER_UNIT, successor, next_successor]
    # the same walk from any unit, without a dossier (the dossier page's return counter, the demo)
    assert core.successor_chain(successor, case.successors) == [successor, next_successor]
    assert core.successor_chain(77, case.successors, on=date(2030, 1, 1)) == [77, 78]
    assert core.successor_chain(OTHER, case.successors) == [OTHER]
    case.successors = {COUNTER_UNIT: (successor, None), successor: (COUNTER_UNIT, None)}  # a cycle (never recorded) ends the walk
    assert core.counter_units(case) == {COUNTER_UNIT, successor}


def test_an_approved_result_waits_at_the_counter_in_force():
    """Approved after the receiving unit ended: the result goes to its successor's counter (whose
    lists show it), not to the ended one; without a reorganisation, to the receiving counter."""
    plain = _case()
    _sys(plain, "transfer")
    _sys(plain, "transfer")
    _sys(plain, "approve")
    assert plain.d.current_unit_id == COUNTER_UNIT

    case = _case()
    _sys(case, "transfer")
    _sys(case, "transfer")
    case.successors = {COUNTER_UNIT: (21, date(2026, 11, 1)), 21: (22, date(2026, 11, 10))}
    _sys(case, "approve")  # on 17/11/2026, after both ended
    assert (case.d.state, case.d.current_unit_id, case.d.receiving_unit_id) == (S.APPROVED, 22, COUNTER_UNIT)

    earlier = _case()  # approved on a day before its counter ended (history imported after a merger)
    _sys(earlier, "transfer")
    _sys(earlier, "transfer")
    earlier.successors = {COUNTER_UNIT: (21, date(2026, 11, 30))}
    _sys(earlier, "approve")
    assert earlier.d.current_unit_id == COUNTER_UNIT


def test_an_administrator_acts_only_through_a_staff_role():
    case = _case()
    _sys(case, "transfer")
    _sys(case, "transfer")
    with pytest.raises(ForbiddenError) as exc:
        core.check("approve", case, core.Actor(unit_id=LEAD, roles=frozenset({ADMINISTRATOR}), user_id=17))
    assert exc.value.message.startswith("Quản trị viên chỉ thao tác")
    core.check("approve", case, core.Actor(unit_id=LEAD, roles=frozenset({ADMINISTRATOR, LEADER}), user_id=17))


def test_an_officer_not_assigned_is_told_so():
    case = _case()
    _sys(case, "transfer")
    other_officer = core.Actor(unit_id=AGENCY, roles=frozenset({OFFICER}), user_id=99)
    with pytest.raises(ForbiddenError) as exc:
        core.check("transfer", case, other_officer)
    assert "chưa được phân công" in exc.value.message
    _sys(case, "assign", officer_id=ASSIGNEE, officer_label="officer")
    with pytest.raises(ForbiddenError) as exc:
        core.check("transfer", case, other_officer)
    assert "đã được giao cho cán bộ khác" in exc.value.message


def test_the_counter_hands_over_then_each_unit_completes_its_own_step_then_the_lead_approves():
    case = _case()
    d = case.d
    clerk = core.Actor(unit_id=COUNTER_UNIT, roles=frozenset({COUNTER_CLERK}), user_id=11)
    agency = core.Actor(unit_id=AGENCY, roles=frozenset({LEADER}), user_id=14)
    lead = core.Actor(unit_id=LEAD, roles=frozenset({LEADER}), user_id=13)
    assert core.actions_available(case, clerk) == ["transfer", "withdraw"]
    e = core.act("transfer", case, core.Context(at=at(2026, 11, 16, 10), cal=CAL, actor=clerk))
    assert (e.unit_id, e.to_unit_id, e.data["late_handover"]) == (COUNTER_UNIT, AGENCY, False)
    assert (d.state, d.current_unit_id, d.handed_over_at) == (S.IN_PROCESSING, AGENCY, at(2026, 11, 16, 10))
    assert "approve" not in core.actions_available(case, lead)
    e = core.act("transfer", case, core.Context(at=at(2026, 11, 18, 10), cal=CAL, actor=agency))
    assert (e.unit_id, e.to_unit_id) == (AGENCY, LEAD)
    assert core.actions_available(case, lead)[:1] == ["transfer"] or "approve" in core.actions_available(case, lead)
    e = core.act("approve", case, core.Context(at=at(2026, 11, 20, 10), cal=CAL, actor=lead))
    assert (d.state, d.outcome, d.classification, e.unit_id) == (S.APPROVED, "approved", "early", LEAD)
    assert [s.state for s in case.ordered()] == [core.DONE, core.DONE, core.DONE, core.CURRENT]
    core.act("return-result", case, core.Context(at=at(2026, 11, 20, 14), cal=CAL, actor=clerk,
                                                  params={"return_channel": "counter"}))
    assert [s.state for s in case.ordered()] == [core.DONE] * 4
    assert d.state == S.RETURNED


def test_send_back_reopens_the_previous_step_and_skip_marks_a_step_not_needed():
    case = _case()
    _sys(case, "transfer")
    _sys(case, "transfer")
    e = _sys(case, "send-back", reason="Thiếu kết quả xác minh")
    assert (e.to_unit_id, case.d.current_unit_id) == (AGENCY, AGENCY)
    assert [s.state for s in case.processing()] == [core.CURRENT, core.WAITING]
    with pytest.raises(ConflictError):
        _sys(case, "send-back", reason="x")  # the first processing step has none before it
    with pytest.raises(DossierError) as exc:
        _sys(case, "skip-step", step=3, reason="x")
    assert exc.value.errors == {"step": ["Không thể bỏ qua bước quyết định cuối cùng của Sở Tư pháp."]}
    _sys(case, "skip-step", step=2, reason="Đã có kết quả xác minh trước")
    assert [(s.state, s.classification) for s in case.processing()] == [(core.SKIPPED, ""), (core.CURRENT, "")]
    _sys(case, "approve")
    assert case.d.state == S.APPROVED


def test_stop_needs_the_final_step_or_a_pending_supplement_and_counts_as_resolved():
    case = _case()
    _sys(case, "transfer")
    _sys(case, "assign", officer_id=ASSIGNEE, officer_label="officer")
    with pytest.raises(ConflictError):
        _sys(case, "stop", reason="x")  # at step 2, no supplement pending
    _sys(case, "request-supplement", reason="Thiếu giấy tờ")
    _sys(case, "stop", reason="Không bổ sung trong thời hạn", when=at(2026, 12, 14))
    d = case.d
    assert (d.state, d.outcome, d.resolved_on, d.classification) == (S.STOPPED, "stopped", date(2026, 12, 14), "late")
    assert case.pauses[0].completed_at == at(2026, 12, 14)
    _sys(case, "return-result", when=at(2026, 12, 15))
    assert (d.state, d.outcome) == (S.RETURNED, "stopped")


@pytest.mark.parametrize(("new_date", "message"), [
    (date(2026, 12, 26), "Ngày hẹn lại 26/12/2026 là ngày nghỉ (Thứ Bảy); hãy chọn một ngày làm việc."),
    (date(2026, 12, 1), "Ngày hẹn lại phải sau ngày hẹn trả hiện tại (01/12/2026)."),
    (date(2027, 2, 8), "Ngày hẹn lại 08/02/2027 là ngày nghỉ (Mùng ba Tết Nguyên Đán); hãy chọn một ngày làm việc."),
    (date(2027, 2, 11), None),  # the first working day after Tết 2027
])
def test_the_apology_date_is_a_working_day_after_the_due_date(new_date, message):
    case = _case()
    # 10 working days from Monday 16/11/2026; 24/11 (Ngày Văn hóa Việt Nam) is a holiday
    assert case.d.due_date == date(2026, 12, 1)
    if message is None:
        _sys(case, "apologize", new_date=new_date, reason="Chờ ý kiến")
        assert case.d.appointment_date == new_date
    else:
        with pytest.raises(DossierError) as exc:
            _sys(case, "apologize", new_date=new_date, reason="Chờ ý kiến")
        assert exc.value.errors == {"new_date": [message]}
        assert case.d.apologized_at is None


# --- D18 hand-over deadline ------------------------------------------------------------------------


@pytest.mark.parametrize(("received", "due"), [
    (at(2026, 11, 16, 9), at(2026, 11, 16, 17)),  # Monday morning: the same day's close
    (at(2026, 11, 16, 14, 59), at(2026, 11, 16, 17)),
    (at(2026, 11, 16, 15, 0), at(2026, 11, 17, 7, 30)),  # at 15:00: the next working day's opening
    (at(2026, 11, 20, 16), at(2026, 11, 23, 7, 30)),  # Friday afternoon: Monday
    (at(2026, 11, 21, 10), at(2026, 11, 23, 7, 30)),  # Saturday (online): Monday
    (at(2026, 9, 1, 10), at(2026, 9, 3, 7, 30)),  # 1/9/2026, the day before Quốc khánh 2/9: holiday 2/9 skipped
])
def test_handover_deadline(received, due):
    assert core.handover_due_at(received, CAL) == due


def test_a_late_handover_is_flagged():
    case = _case()
    late = at(2026, 11, 17, 9)
    e = _sys(case, "transfer", when=late)
    assert e.data["late_handover"] is True
    assert core.handover_late(case.d, late) is True
    fresh = _case()
    assert core.handover_late(fresh.d, at(2026, 11, 16, 16)) is False
    assert core.handover_late(fresh.d, at(2026, 11, 16, 17, 1)) is True  # still at the counter


# --- planning ----------------------------------------------------------------------------------------


def test_plan_steps_points_counter_steps_at_the_receiving_unit():
    template = [
        core.TemplateStep(1, "Tiếp nhận hồ sơ", 50, 1, True),
        core.TemplateStep(2, "Thẩm định", None, 5, False),
        core.TemplateStep(3, "Xác minh", 60, 3, False),
        core.TemplateStep(4, "Trả kết quả", 50, 1, True),
    ]
    steps = core.plan_steps(template, receiving_unit_id=77, resolving_unit_id=3, processing_time=10, default_name="G")
    # the last processing step is another unit's: the lead unit's decision step follows it
    assert [(s["order"], s["unit_id"], s["kind"], s["allotted_time"]) for s in steps] == [
        (1, 77, "reception", 1), (2, 3, "processing", 5), (3, 60, "processing", 3),
        (4, 3, "processing", 0), (5, 77, "return", 1),
    ]
    assert steps[3]["name"] == "Xem xét, phê duyệt kết quả"
    only_counter = core.plan_steps(template[:1], receiving_unit_id=77, resolving_unit_id=3, processing_time=10,
                                   default_name="Giải quyết hồ sơ")
    assert [(s["order"], s["unit_id"], s["kind"], s["name"]) for s in only_counter] == [
        (1, 77, "reception", "Tiếp nhận hồ sơ"), (2, 3, "processing", "Giải quyết hồ sơ"),
    ]
    assert core.plan_steps([], receiving_unit_id=77, resolving_unit_id=3, processing_time=10, default_name="G") == [
        {"order": 1, "name": "G", "unit_id": 3, "allotted_time": 10, "kind": "processing"}]


# --- property: random walks keep the path's invariants ---------------------------------------------

ACTIONS = [a for a in Action.values if a not in ("accept", "reject")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ACTIONS), max_size=14), st.randoms(use_true_random=False))
def test_random_walks_never_skip_a_step_or_complete_another_units_step(actions, rnd: random.Random):
    case = _case()
    when = RECEIVED_AT
    for action in actions:
        when = when.replace(hour=min(when.hour + 1, 16))
        params = {"reason": "r", "officer_id": ASSIGNEE, "officer_label": "o", "new_date": date(2026, 12, 7),
                  "step": rnd.choice([2, 3]), "return_channel": "counter"}
        before = [(s.state, s.finished_at) for s in case.ordered()]
        try:
            effect = core.act(action, case, core.Context(at=when, cal=CAL, params=params))
        except DossierError:
            assert [(s.state, s.finished_at) for s in case.ordered()] == before  # refused: nothing changed
            continue
        d = case.d
        steps = case.ordered()
        current = [s for s in case.processing() if s.state == core.CURRENT]
        assert len(current) <= 1
        if d.state == S.IN_PROCESSING:
            assert len(current) == 1 and d.current_unit_id == current[0].unit_id
            # every processing step before the current one is done or skipped
            assert all(s.state in (core.DONE, core.SKIPPED) for s in case.processing() if s.order < current[0].order)
        if action == "approve":
            assert all(s.state in (core.DONE, core.SKIPPED) for s in case.processing())
        if d.state in (S.APPROVED, S.REFUSED, S.STOPPED, S.WITHDRAWN, S.RETURNED):
            assert d.resolved_at is not None and d.classification in ("early", "on_time", "late")
        # a step is done only by its own unit (or the counter's steps by the counter)
        for s in steps:
            if s.state == core.DONE and (s.state, s.finished_at) not in before:
                assert effect.unit_id == s.unit_id, (action, s.order)
