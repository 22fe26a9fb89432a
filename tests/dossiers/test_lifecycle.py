"""The dossier lifecycle services (domain.md §3, decisions D2–D9): the legal clock from intake to
the return of the result, and the history it leaves.

Dates are 2022 with holidays 0.109 (Tết 31/1–4/2/2022; 11/4 nghỉ bù Giỗ Tổ; 2–3/5 nghỉ bù).
"""
from datetime import date, datetime, time

import pytest
from django.db import transaction

from dossiers.calendar import LOCAL_TZ
from dossiers.errors import ConflictError, DossierError
from dossiers.models import Dossier, DossierEvent, DossierStep
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle as svc
from dossiers.workflow import Action, DossierState
from tests.dossiers.lifecycle_fixtures import org, procedures, staff  # noqa: F401 (fixtures)
from tests.dossiers.lifecycle_fixtures import at, register

S = DossierState


def fresh(d: Dossier) -> Dossier:
    return Dossier.objects.get(pk=d.pk)


def handed_over(d: Dossier, clerk=None, when=None) -> Dossier:
    """The counter's hand-over to the first processing unit (D18), at the receipt instant."""
    return svc.dossier_transfer(dossier=d, actor=clerk, at=when or d.received_at)


def taken(d: Dossier, officer, when=None) -> Dossier:
    """Handed over, and taken by `officer` himself (an officer acts on what he is assigned, D17)."""
    d = handed_over(d)
    return svc.dossier_assign(dossier=d, actor=officer, officer=officer, at=when or d.received_at)


def close_of(day: date) -> datetime:
    return datetime.combine(day, time(17, 0), LOCAL_TZ)


# --- intake: the engine's due date (D2–D6) -------------------------------------------------------


@pytest.mark.parametrize(
    ("proc", "received", "due"),
    [
        # domain.md §8 vectors
        ("days5", at(2022, 1, 28, 9), date(2022, 2, 11)),   # Fri; Tết 31/1–4/2 skipped
        ("days3", at(2022, 4, 8, 9), date(2022, 4, 14)),    # Fri; Mon 11/4 nghỉ bù Giỗ Tổ
        ("days10", at(2022, 4, 28, 9), date(2022, 5, 16)),  # Thu; 30/4, 1/5 and nghỉ bù 2–3/5
        # received on a Saturday online: counted from Monday 7/3 (D2)
        ("days5", at(2022, 3, 5, 20), date(2022, 3, 14)),
        # same-day procedure: before 15:00 due the same day, at 15:00 the next working day (D3)
        ("same_day", at(2022, 3, 1, 14, 59), date(2022, 3, 1)),
        ("same_day", at(2022, 3, 1, 15, 0), date(2022, 3, 2)),
        # 15 calendar days from Fri 28/1 is Sat 12/2 → Mon 14/2 (D5)
        ("cal15", at(2022, 1, 28, 9), date(2022, 2, 14)),
    ],
)
def test_intake_sets_the_engines_due_date(proc, received, due, procedures, org, staff):
    """The receipt computes D with the calendar, stores it on the dossier and on the receive
    event, and due_at is the close of office hours on D for day deadlines (D6)."""
    d = fresh(register(procedures[proc], org, received_at=received, actor=staff["clerk"]))
    assert d.state == S.RECEIVED
    assert (d.due_date, d.base_due_date) == (due, due)
    assert d.due_at == close_of(due)
    assert d.receipt_date == calendar_get().working_day_on_or_after(received.date())
    assert d.processing_time == procedures[proc].processing_time
    event = d.events.get()
    assert (event.action, event.from_state, event.to_state, event.due_date) == ("receive", "", S.RECEIVED, due)
    assert event.unit == org["centre"] and event.actor == staff["clerk"]
    assert d.due_text.startswith(f"Hẹn trả {due:%d/%m/%Y}")


def test_hour_deadline_counts_office_hours_from_receipt(procedures, org):
    """4 working hours from 10:00: 10:00–11:30 and 13:00–15:30 (D4); due_at is that instant."""
    d = fresh(register(procedures["hours4"], org, received_at=at(2022, 3, 1, 10)))
    assert d.due_at == at(2022, 3, 1, 15, 30)
    assert d.due_date == date(2022, 3, 1)


def test_intake_refuses_a_future_instant_an_inactive_procedure_and_a_false_on_the_spot(procedures, org):
    """A receipt instant in the future, a procedure no longer in force, or "4 tại chỗ" for a
    procedure without it are refused; nothing is created."""
    from django.utils import timezone

    with pytest.raises(DossierError):
        register(procedures["days5"], org, received_at=timezone.now() + timezone.timedelta(hours=1))
    with pytest.raises(DossierError):
        register(procedures["inactive"], org, received_at=at(2022, 3, 1))
    with pytest.raises(DossierError) as exc:
        register(procedures["days5"], org, received_at=at(2022, 3, 1), on_the_spot=True)
    assert exc.value.message == svc.MSG_ON_THE_SPOT
    assert not Dossier.objects.exists()


# --- steps (liên thông) ----------------------------------------------------------------------------


def test_steps_are_planned_from_the_template_with_cumulative_due_dates(procedures, org):
    """Received Tue 1/3/2022: 3 + 5 + 2 working days → steps due 4/3, 11/3, 15/3; a step without
    a unit belongs to the procedure's resolving unit."""
    d = register(procedures["lien_thong"], org, received_at=at(2022, 3, 1, 9))
    steps = list(d.steps.order_by("order"))
    assert [(s.order, s.name, s.unit, s.allotted_time, s.state) for s in steps] == [
        (1, "Thẩm định hồ sơ", org["construction"], 3, DossierStep.State.WAITING),
        (2, "Lấy ý kiến Sở Tư pháp", org["justice"], 5, DossierStep.State.WAITING),
        (3, "Phê duyệt", org["construction"], 2, DossierStep.State.WAITING),
    ]
    assert [s.due_date for s in steps] == [date(2022, 3, 4), date(2022, 3, 11), date(2022, 3, 15)]
    assert [s.due_at for s in steps] == [close_of(s.due_date) for s in steps]
    assert fresh(d).due_date == date(2022, 3, 15)


def test_a_procedure_without_template_gets_one_step_at_its_resolving_unit(procedures, org):
    d = register(procedures["days5"], org, received_at=at(2022, 3, 1, 9))
    step = d.steps.get()
    assert (step.unit, step.allotted_time, step.due_date) == (org["justice"], 5, date(2022, 3, 8))


def test_transfer_hands_off_to_the_next_unit_and_classifies_the_finished_step(procedures, org, staff):
    """The counter hands over to step 1 at the construction department; a transfer on 3/3
    finishes it early (due 4/3) and hands over to justice; a transfer on 14/3 finishes step 2 late
    (due 11/3); the lead unit's leader approves at the final step."""
    builder, officer = staff["builder"], staff["officer"]
    d = register(procedures["lien_thong"], org, received_at=at(2022, 3, 1, 9))
    d = handed_over(d, staff["clerk"], at(2022, 3, 1, 9, 30))
    assert fresh(d).handed_over_at == at(2022, 3, 1, 9, 30)
    d = svc.dossier_assign(dossier=d, actor=builder, officer=builder, at=at(2022, 3, 1, 10))
    assert (fresh(d).state, fresh(d).current_unit, fresh(d).assigned_to) == (S.IN_PROCESSING, org["construction"], builder)

    d = svc.dossier_transfer(dossier=d, actor=builder, at=at(2022, 3, 3, 10), note="Đã thẩm định")
    d = fresh(d)
    s1, s2, s3 = d.steps.order_by("order")
    assert (s1.state, s1.finished_at, s1.classification) == (DossierStep.State.DONE, at(2022, 3, 3, 10), "early")
    assert (s2.state, s2.started_at) == (DossierStep.State.CURRENT, at(2022, 3, 3, 10))
    assert (d.current_unit, d.assigned_to, d.state) == (org["justice"], None, S.IN_PROCESSING)
    event = d.events.order_by("id").last()
    assert (event.action, event.to_unit, event.unit, event.note) == (Action.TRANSFER, org["justice"], org["construction"], "Đã thẩm định")
    assert (event.data["step"], event.data["finished_step"]) == (2, 1)

    d = svc.dossier_assign(dossier=d, actor=officer, officer=officer, at=at(2022, 3, 3, 11))
    d = svc.dossier_transfer(dossier=d, actor=officer, at=at(2022, 3, 14, 10))
    s2 = fresh(d).steps.get(order=2)
    assert (s2.classification, fresh(d).current_unit) == ("late", org["construction"])

    leader = staff["construction_leader"]
    with pytest.raises(DossierError) as exc:
        svc.dossier_transfer(dossier=d, actor=leader, at=at(2022, 3, 14, 11))
    assert exc.value.message == svc.MSG_LAST_STEP.format(lead="Sở Xây dựng")
    d = svc.dossier_approve(dossier=d, actor=leader, at=at(2022, 3, 15, 9))
    s3 = fresh(d).steps.get(order=3)
    assert (s3.state, s3.classification) == (DossierStep.State.DONE, "on_time")
    assert (fresh(d).classification, fresh(d).current_unit) == ("on_time", org["centre"])


# --- supplements (D7) -----------------------------------------------------------------------------


def test_supplement_pauses_and_resume_moves_the_due_date_over_tet(procedures, org, staff):
    """10 days from Mon 17/1/2022 → Mon 7/2 (Tết 31/1–4/2). Paused Wed 26/1, resumed Tue 8/2:
    the working days p < d ≤ q are 27/1, 28/1, 7/2, 8/2 → k = 4, D = Fri 11/2."""
    officer, clerk = staff["officer"], staff["clerk"]
    d = register(procedures["days10"], org, received_at=at(2022, 1, 17, 9))
    assert fresh(d).due_date == date(2022, 2, 7)
    d = taken(d, officer, at(2022, 1, 17, 10))
    d = svc.dossier_request_supplement(dossier=d, actor=officer, reason="Thiếu tờ khai", documents="Tờ khai", at=at(2022, 1, 26, 10))
    d = fresh(d)
    assert (d.state, d.paused_at, d.paused_on, d.supplement_count) == (S.AWAITING_SUPPLEMENT, at(2022, 1, 26, 10), date(2022, 1, 26), 1)
    assert d.due_date == date(2022, 2, 7)  # unchanged while the applicant has it
    pause = d.pauses.get()
    assert (pause.requested_at, pause.completed_at, pause.reason, pause.requested_by) == (at(2022, 1, 26, 10), None, "Thiếu tờ khai", officer)

    d = svc.dossier_resume(dossier=d, actor=clerk, at=at(2022, 2, 8, 9))
    d = fresh(d)
    cal = calendar_get()
    k = cal.working_days_between(date(2022, 1, 26), date(2022, 2, 8))
    assert k == 4
    assert d.due_date == cal.add_working_days(date(2022, 2, 7), k) == date(2022, 2, 11)
    assert (d.state, d.paused_at, d.paused_on, d.base_due_date) == (S.IN_PROCESSING, None, None, date(2022, 2, 7))
    assert d.pauses.get().completed_at == at(2022, 2, 8, 9)
    assert d.steps.get().due_date == date(2022, 2, 11)
    event = d.events.order_by("id").last()
    assert (event.action, event.due_date, event.data) == (Action.RESUME, date(2022, 2, 11), {"due_from": "2022-02-07", "due_to": "2022-02-11"})


def test_a_second_supplement_is_counted_and_both_pauses_move_the_due_date(procedures, org, staff):
    """5 days from Tue 1/3 → 8/3. Pause 2/3–4/3 (+2: 3/3, 4/3) → 10/3; pause 9/3–10/3 (+1) → 11/3."""
    officer = staff["officer"]
    d = taken(register(procedures["days5"], org, received_at=at(2022, 3, 1, 9)), officer)
    for start, end in ((at(2022, 3, 2, 9), at(2022, 3, 4, 9)), (at(2022, 3, 9, 9), at(2022, 3, 10, 9))):
        d = svc.dossier_request_supplement(dossier=d, actor=officer, reason="Bổ sung", at=start)
        d = svc.dossier_resume(dossier=d, actor=officer, at=end)
    d = fresh(d)
    assert d.supplement_count == 2
    assert d.pauses.count() == 2
    assert d.due_date == date(2022, 3, 11)


def test_resolution_during_a_supplement_closes_the_pause_without_moving_the_due_date(procedures, org, staff):
    """Refused while waiting: the open pause ends at E; D stays as it was (D7)."""
    officer = staff["officer"]
    d = taken(register(procedures["days5"], org, received_at=at(2022, 3, 1, 9)), officer)
    d = svc.dossier_request_supplement(dossier=d, actor=officer, reason="Bổ sung", at=at(2022, 3, 2, 9))
    d = svc.dossier_refuse(dossier=d, actor=staff["justice_leader"], reason="Không bổ sung", at=at(2022, 3, 21, 9))
    d = fresh(d)
    assert (d.state, d.due_date, d.classification, d.paused_at) == (S.REFUSED, date(2022, 3, 8), "late", None)
    assert d.pauses.get().completed_at == at(2022, 3, 21, 9)


# --- apology (D8) ----------------------------------------------------------------------------------


def test_apology_once_does_not_move_the_due_date_and_late_stays_late(procedures, org, staff):
    """5 days from Tue 1/3 → D = Tue 8/3. Apology on Fri 4/3 with a new appointment 11/3:
    D unchanged; a second apology is refused; resolved 10/3 (before the new appointment) is
    still late (D8)."""
    leader = staff["justice_leader"]
    d = handed_over(register(procedures["days5"], org, received_at=at(2022, 3, 1, 9)))
    d = svc.dossier_apologize(dossier=d, actor=leader, new_date=date(2022, 3, 11), reason="Chờ xác minh", at=at(2022, 3, 4, 10))
    d = fresh(d)
    assert (d.due_date, d.appointment_date, d.apologized_at, d.apology_reason) == (
        date(2022, 3, 8), date(2022, 3, 11), at(2022, 3, 4, 10), "Chờ xác minh")
    event = d.events.order_by("id").last()
    assert (event.action, event.due_date, event.data) == (Action.APOLOGIZE, date(2022, 3, 8), {"new_date": "2022-03-11", "late_apology": False})
    assert event.from_state == event.to_state == S.IN_PROCESSING

    version, events = d.version, d.events.count()
    with pytest.raises(ConflictError) as exc:
        svc.dossier_apologize(dossier=d, actor=leader, new_date=date(2022, 3, 14), reason="Lần hai", at=at(2022, 3, 7, 10))
    assert exc.value.message == svc.MSG_APOLOGY_ONCE.format(code=d.code)
    d = fresh(d)
    assert (d.appointment_date, d.version, d.events.count()) == (date(2022, 3, 11), version, events)

    d = svc.dossier_approve(dossier=d, actor=leader, at=at(2022, 3, 10, 10))
    assert fresh(d).classification == "late"


@pytest.mark.parametrize(
    ("apology_at", "late"),
    [
        (at(2022, 3, 7, 16, 59), False),  # Mon, the working day before D (Tue 8/3)
        (at(2022, 3, 8, 8, 0), True),     # on D itself
        (at(2022, 3, 9, 8, 0), True),     # after D
    ],
)
def test_late_apology_is_flagged(apology_at, late, procedures, org, staff):
    """An apology later than the working day before D is a late apology (D8)."""
    d = register(procedures["days5"], org, received_at=at(2022, 3, 1, 9))
    d = svc.dossier_apologize(dossier=d, actor=staff["justice_leader"], new_date=date(2022, 3, 18), reason="Trễ", at=apology_at)
    assert fresh(d).events.order_by("id").last().data["late_apology"] is late


def test_apology_needs_a_new_date_after_the_due_date(procedures, org, staff):
    d = register(procedures["days5"], org, received_at=at(2022, 3, 1, 9))
    with pytest.raises(DossierError) as exc:
        svc.dossier_apologize(dossier=d, actor=staff["justice_leader"], new_date=date(2022, 3, 8), reason="Trễ", at=at(2022, 3, 4))
    assert exc.value.message == svc.MSG_APOLOGY_DATE.format(due="08/03/2022")
    assert fresh(d).apologized_at is None


# --- resolution and classification (D9) ------------------------------------------------------------


RESOLVERS = {  # by whom D17 names: the lead unit's leader, the counter for a withdrawal
    "approved": lambda d, staff, when: svc.dossier_approve(dossier=d, actor=staff["justice_leader"], at=when),
    "refused": lambda d, staff, when: svc.dossier_refuse(dossier=d, actor=staff["justice_leader"], reason="Không đủ điều kiện", at=when),
    "withdrawn": lambda d, staff, when: svc.dossier_withdraw(dossier=d, actor=staff["clerk"], reason="Người nộp rút", at=when),
}


@pytest.mark.parametrize("outcome", list(RESOLVERS))
@pytest.mark.parametrize(
    ("resolved_at", "classification"),
    [
        (at(2022, 3, 7, 16), "early"),     # Mon, before D = Tue 8/3
        (at(2022, 3, 8, 16, 59), "on_time"),
        (at(2022, 3, 8, 23, 0), "on_time"),  # compared by date (Civil Code art. 148)
        (at(2022, 3, 9, 7, 30), "late"),
    ],
)
def test_every_outcome_is_classified_against_the_due_date(outcome, resolved_at, classification, procedures, org, staff):
    """Approved, refused and withdrawn are all resolved and classified e < D / e = D / e > D."""
    d = handed_over(register(procedures["days5"], org, received_at=at(2022, 3, 1, 9)))
    RESOLVERS[outcome](d, staff, resolved_at)
    d = fresh(d)
    assert (d.outcome, d.classification, d.resolved_at, d.resolved_on) == (outcome, classification, resolved_at, resolved_at.date())
    assert d.state == {"approved": S.APPROVED, "refused": S.REFUSED, "withdrawn": S.WITHDRAWN}[outcome]
    assert d.current_unit == org["centre"]


@pytest.mark.parametrize(
    ("resolved_at", "classification"),
    [(at(2022, 3, 1, 15, 30), "on_time"), (at(2022, 3, 1, 15, 31), "late"), (at(2022, 3, 2, 8), "late")],
)
def test_hour_deadlines_compare_the_instant_on_the_due_day(resolved_at, classification, procedures, org, staff):
    """4 hours from 10:00 → due 15:30; a minute later on the same day is late (D9)."""
    d = handed_over(register(procedures["hours4"], org, received_at=at(2022, 3, 1, 10)))
    svc.dossier_approve(dossier=d, actor=staff["justice_leader"], at=resolved_at)
    assert fresh(d).classification == classification


@pytest.mark.parametrize("outcome", ["approved", "refused"])
def test_return_of_the_result_does_not_change_the_class(outcome, procedures, org, staff):
    """Resolved late on 9/3, handed over on 10/3: still late; the dossier is returned."""
    d = handed_over(register(procedures["days5"], org, received_at=at(2022, 3, 1, 9)))
    d = RESOLVERS[outcome](d, staff, at(2022, 3, 9, 9))
    d = svc.dossier_return_result(dossier=d, actor=staff["clerk"], return_channel="postal", at=at(2022, 3, 10, 9))
    d = fresh(d)
    assert (d.state, d.classification, d.outcome, d.returned_at, d.return_channel) == (
        S.RETURNED, "late", outcome, at(2022, 3, 10, 9), "postal")
    assert d.resolved_at == at(2022, 3, 9, 9)


def test_an_action_before_the_receipt_instant_is_refused(procedures, org, staff):
    d = register(procedures["days5"], org, received_at=at(2022, 3, 1, 9))
    with pytest.raises(DossierError) as exc:
        svc.dossier_withdraw(dossier=d, actor=staff["clerk"], reason="Rút", at=at(2022, 3, 1, 8))
    assert exc.value.message == svc.MSG_BEFORE_RECEIPT
    assert fresh(d).state == S.RECEIVED


# --- history ----------------------------------------------------------------------------------------


def test_history_is_append_only_with_the_due_date_at_each_moment(procedures, org, staff):
    """Each action appends one event carrying D as it was then; earlier events never change."""
    officer, clerk, leader = staff["officer"], staff["clerk"], staff["justice_leader"]
    d = register(procedures["days10"], org, received_at=at(2022, 1, 17, 9), actor=clerk)
    steps = [
        lambda d: svc.dossier_transfer(dossier=d, actor=clerk, at=at(2022, 1, 17, 9, 30)),
        lambda d: svc.dossier_assign(dossier=d, actor=officer, officer=officer, at=at(2022, 1, 17, 10)),
        lambda d: svc.dossier_request_supplement(dossier=d, actor=officer, reason="Thiếu tờ khai", at=at(2022, 1, 26, 10)),
        lambda d: svc.dossier_resume(dossier=d, actor=clerk, at=at(2022, 2, 8, 9)),
        lambda d: svc.dossier_approve(dossier=d, actor=leader, at=at(2022, 2, 10, 9)),
        lambda d: svc.dossier_return_result(dossier=d, actor=clerk, at=at(2022, 2, 11, 9)),
    ]
    seen = []
    for step in steps:
        before = list(DossierEvent.objects.filter(dossier=d).order_by("id").values())
        assert before[: len(seen)] == seen
        seen = before
        d = step(d)
    events = list(fresh(d).events.order_by("at", "id"))
    assert [(e.action, e.from_state, e.to_state, e.due_date) for e in events] == [
        ("receive", "", S.RECEIVED, date(2022, 2, 7)),
        (Action.TRANSFER, S.RECEIVED, S.IN_PROCESSING, date(2022, 2, 7)),
        (Action.ASSIGN, S.IN_PROCESSING, S.IN_PROCESSING, date(2022, 2, 7)),
        (Action.REQUEST_SUPPLEMENT, S.IN_PROCESSING, S.AWAITING_SUPPLEMENT, date(2022, 2, 7)),
        (Action.RESUME, S.AWAITING_SUPPLEMENT, S.IN_PROCESSING, date(2022, 2, 11)),
        (Action.APPROVE, S.IN_PROCESSING, S.APPROVED, date(2022, 2, 11)),
        (Action.RETURN_RESULT, S.APPROVED, S.RETURNED, date(2022, 2, 11)),
    ]
    assert [e.actor for e in events] == [clerk, clerk, officer, officer, clerk, leader, clerk]
    assert [e.unit for e in events] == [
        org["centre"], org["centre"], org["justice"], org["justice"], org["centre"], org["justice"], org["centre"]]
    assert fresh(d).version == 6
    assert fresh(d).classification == "early"


def test_expected_version_mismatch_is_a_conflict(procedures, org, staff):
    """A form loaded at version 0 cannot act after someone else moved the dossier on."""
    d = register(procedures["days5"], org, received_at=at(2022, 3, 1, 9))
    svc.dossier_transfer(dossier=d, actor=staff["clerk"], at=at(2022, 3, 1, 10), expected_version=0)
    with pytest.raises(ConflictError) as exc:
        svc.dossier_approve(dossier=d, actor=staff["justice_leader"], at=at(2022, 3, 2, 10), expected_version=0)
    assert exc.value.message == svc.MSG_CONFLICT.format(code=d.code)
    d = fresh(d)
    assert (d.state, d.version, d.events.count()) == (S.IN_PROCESSING, 1, 2)


# --- "4 tại chỗ" ------------------------------------------------------------------------------------


def test_on_the_spot_is_received_approved_and_returned_in_one_sitting(procedures, org, staff):
    """A "4 tại chỗ" dossier goes received → approved → returned at one instant, no step hand-off."""
    clerk = staff["clerk"]
    d = register(procedures["hours4"], org, received_at=at(2022, 3, 1, 10), on_the_spot=True, actor=clerk)
    d = svc.dossier_on_the_spot_complete(dossier=d, actor=clerk, at=at(2022, 3, 1, 10, 20))
    d = fresh(d)
    assert (d.on_the_spot, d.state, d.outcome, d.classification) == (True, S.RETURNED, "approved", "on_time")
    assert d.resolved_at == d.returned_at == at(2022, 3, 1, 10, 20)
    assert [e.action for e in d.events.order_by("id")] == ["receive", Action.APPROVE, Action.RETURN_RESULT]
    assert [(s.state, s.finished_at) for s in d.steps.all()] == [(DossierStep.State.DONE, at(2022, 3, 1, 10, 20))]


def test_approval_needs_every_earlier_step_done_and_never_completes_another_units_step(procedures, org, staff):
    """The lead leader cannot approve at step 1 of 3 (409); steps nobody completed are marked
    not needed by the lead leader, shown as skipped and never classified."""
    leader = staff["construction_leader"]
    d = handed_over(register(procedures["lien_thong"], org, received_at=at(2022, 3, 1, 10), actor=staff["clerk"]))
    with pytest.raises(ConflictError) as exc:
        svc.dossier_approve(dossier=d, actor=leader, at=at(2022, 3, 2, 10))
    assert "bước 1 “Thẩm định hồ sơ” (Sở Xây dựng)" in exc.value.message
    assert {s.state for s in fresh(d).steps.all()} == {DossierStep.State.CURRENT, DossierStep.State.WAITING}
    d = svc.dossier_skip_step(dossier=d, actor=leader, step=2, reason="Không cần ý kiến Sở Tư pháp", at=at(2022, 3, 2, 10))
    d = svc.dossier_transfer(dossier=d, actor=leader, at=at(2022, 3, 2, 11))  # step 1 done by its own unit
    d = svc.dossier_approve(dossier=d, actor=leader, at=at(2022, 3, 3, 10))
    steps = list(fresh(d).steps.order_by("order"))
    assert [(s.state, s.classification) for s in steps] == [
        (DossierStep.State.DONE, "early"), (DossierStep.State.SKIPPED, ""), (DossierStep.State.DONE, "early")]
    skip = fresh(d).events.get(action=Action.SKIP_STEP)
    assert (skip.unit, skip.note, skip.data) == (org["construction"], "Không cần ý kiến Sở Tư pháp", {"step": 2})


def test_event_is_recorded_at_the_acting_unit_not_the_destination(procedures, org):
    """Without an actor's profile, a hand-off is recorded at the unit the dossier left."""
    d = handed_over(register(procedures["lien_thong"], org, received_at=at(2022, 3, 1, 10)))
    before = fresh(d).current_unit_id
    svc.dossier_transfer(dossier=d, actor=None, at=at(2022, 3, 2, 9))
    event = d.events.filter(action=Action.TRANSFER).latest("id")
    assert event.unit_id == before
    assert event.to_unit_id == fresh(d).current_unit_id != before


def test_on_the_spot_is_all_or_nothing(procedures, org, staff, monkeypatch):
    """When the return fails, the approval of the same sitting is rolled back too."""
    clerk = staff["clerk"]
    d = register(procedures["hours4"], org, received_at=at(2022, 3, 1, 10), on_the_spot=True)

    def failing_return(**kwargs):
        raise DossierError("Máy in hỏng")

    monkeypatch.setattr(svc, "dossier_return_result", failing_return)
    with pytest.raises(DossierError):
        svc.dossier_on_the_spot_complete(dossier=d, actor=clerk, at=at(2022, 3, 1, 10, 20))
    d = fresh(d)
    assert (d.state, d.outcome, d.resolved_at, d.events.count()) == (S.RECEIVED, "", None, 1)


# --- side effects after commit ---------------------------------------------------------------------


def test_side_effects_run_only_after_commit(procedures, org, staff, django_capture_on_commit_callbacks):
    """dossier_transition defers `on_commit`; a failed or rolled-back transition schedules nothing."""
    calls = []
    officer = staff["officer"]
    d = register(procedures["days5"], org, received_at=at(2022, 3, 1, 9))

    with django_capture_on_commit_callbacks() as callbacks:
        svc.dossier_transition(dossier=d, action=Action.TRANSFER, actor=staff["clerk"], at=at(2022, 3, 1, 10),
                               on_commit=lambda: calls.append("sent"))
        assert calls == []  # not while the transaction is open
    assert len(callbacks) == 1
    callbacks[0]()
    assert calls == ["sent"]

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(ConflictError):
            svc.dossier_transition(dossier=d, action=Action.RESUME, actor=officer, at=at(2022, 3, 2),
                                   on_commit=lambda: calls.append("wrong state"))
        try:
            with transaction.atomic():
                svc.dossier_transition(dossier=d, action=Action.APPROVE, actor=staff["justice_leader"], at=at(2022, 3, 2),
                                       on_commit=lambda: calls.append("rolled back"))
                raise RuntimeError("the caller fails after the transition")
        except RuntimeError:
            pass
    assert callbacks == []
    assert calls == ["sent"]
    assert fresh(d).state == S.IN_PROCESSING


def test_step_due_dates_follow_the_pauses(procedures, org, staff):
    """A pause moves every step's due date by the same working days as the dossier's (D7)."""
    builder = staff["builder"]
    d = taken(register(procedures["lien_thong"], org, received_at=at(2022, 3, 1, 9)), builder)
    d = svc.dossier_request_supplement(dossier=d, actor=builder, reason="Thiếu bản vẽ", at=at(2022, 3, 2, 9))
    d = svc.dossier_resume(dossier=d, actor=builder, at=at(2022, 3, 4, 9))  # +2 working days
    assert [s.due_date for s in fresh(d).steps.order_by("order")] == [date(2022, 3, 8), date(2022, 3, 15), date(2022, 3, 17)]
    assert fresh(d).due_date == date(2022, 3, 17)
