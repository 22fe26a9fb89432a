"""The deadline sweep on a hand-made set of dossiers and steps around every boundary.

"Now" is Tuesday 15/03/2022 10:00 (Asia/Ho_Chi_Minh): today T = 15/03, the next working day
N = Wednesday 16/03. Five working days from a receipt on … (receipt day not counted, D3):
Tue 01/03 → Tue 08/03, Fri 04/03 → Fri 11/03, Mon 07/03 → Mon 14/03, Tue 08/03 → Tue 15/03,
Wed 09/03 → Wed 16/03, Thu 10/03 → Thu 17/03. The liên thông procedure's steps are due 3, 8
and 10 working days after receipt.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.models import Dossier, DossierStep
from dossiers.selectors import calendar_get, dossiers_overdue
from dossiers.services import lifecycle
from monitoring import selectors as sel
from monitoring.models import DeadlineFlag, DeadlineSweep, Notification, OutboxMessage
from monitoring.services.outbox import outbox_relay
from monitoring.services.sweep import deadline_sweep
from tests.monitoring.conftest import at, many_overdue, register
from tests.dossiers.lifecycle_fixtures import approve_after_handover, assign_after_handover  # noqa: F401

pytestmark = pytest.mark.django_db
K = DeadlineFlag.Kind
D = date


def _assign(w, d, when, officer=None):
    return assign_after_handover(dossier=d, actor=w.lead_just, officer=officer or w.off_just, at=when)


@pytest.fixture
def boundary(world):
    """The hand-made set; returns name -> dossier."""
    w = world
    s = {}

    def days5(name, received, assign=True):
        d = register(w, w.days5, received)
        if assign:
            d = _assign(w, d, received.replace(hour=10))
        s[name] = d
        return d

    days5("due_today", at(2022, 3, 8))  # due 15/03 = T
    days5("due_tomorrow", at(2022, 3, 9))  # due 16/03 = N: warning and the D8 apology reminder
    days5("due_yesterday", at(2022, 3, 7))  # due 14/03 < T: overdue
    days5("due_later", at(2022, 3, 10))  # due 17/03 > N: nothing
    # Paused on 11/03 while due 15/03: judged at its pause, within the deadline (D12); no warning
    # either, the clock is stopped.
    d = days5("paused_within", at(2022, 3, 8))
    s["paused_within"] = lifecycle.dossier_request_supplement(dossier=d, actor=w.off_just, reason="Thiếu tờ khai", at=at(2022, 3, 11))
    # Due 08/03, paused on 10/03: it was overdue when paused, so it stays overdue.
    d = days5("paused_late", at(2022, 3, 1))
    s["paused_late"] = lifecycle.dossier_request_supplement(dossier=d, actor=w.off_just, reason="Thiếu tờ khai", at=at(2022, 3, 10))
    # Due 08/03, resolved on 14/03: late, but resolved: the sweep never flags it.
    d = days5("resolved_late", at(2022, 3, 1))
    s["resolved_late"] = approve_after_handover(dossier=d, actor=w.lead_just, at=at(2022, 3, 14))
    # Due 08/03, withdrawn on 09/03: resolved, never flagged.
    d = days5("withdrawn", at(2022, 3, 1))
    s["withdrawn"] = lifecycle.dossier_withdraw(dossier=d, actor=w.clerk, reason="Người nộp rút", at=at(2022, 3, 9))
    # Rescheduled by an apology (D8): due 11/03, apologised on 10/03 with a new date 16/03. It is
    # still overdue against the original date, and its new appointment is within one working day.
    d = days5("apology_overdue", at(2022, 3, 4))
    s["apology_overdue"] = lifecycle.dossier_apologize(
        dossier=d, actor=w.lead_just, new_date=D(2022, 3, 16), reason="Chờ ý kiến", at=at(2022, 3, 10))
    # Due 16/03, already apologised (new date 18/03): warned, but no apology reminder.
    d = days5("apology_tomorrow", at(2022, 3, 9))
    s["apology_tomorrow"] = lifecycle.dossier_apologize(
        dossier=d, actor=w.lead_just, new_date=D(2022, 3, 18), reason="Chờ ý kiến", at=at(2022, 3, 14))
    # An hour deadline: received 07:45, due 13:15 the same day.
    s["hours"] = register(w, w.hours4, at(2022, 3, 15, 7, 45))
    # Liên thông: step 1 (3 days) late; step 1 due today; the last step shares the dossier's date.
    d = register(w, w.lien, at(2022, 3, 9))
    s["step_late"] = assign_after_handover(dossier=d, actor=w.lead_build, officer=w.off_build, at=at(2022, 3, 9, 10))
    d = register(w, w.lien, at(2022, 3, 10))
    s["step_soon"] = assign_after_handover(dossier=d, actor=w.lead_build, officer=w.off_build, at=at(2022, 3, 10, 10))
    d = register(w, w.lien, at(2022, 3, 1))  # due 15/03
    d = assign_after_handover(dossier=d, actor=w.lead_build, officer=w.off_build, at=at(2022, 3, 1, 10))
    d = lifecycle.dossier_transfer(dossier=d, actor=w.off_build, at=at(2022, 3, 3))
    d = lifecycle.dossier_assign(dossier=d, actor=w.lead_just, officer=w.off_just, at=at(2022, 3, 3, 10))
    s["last_step"] = lifecycle.dossier_transfer(dossier=d, actor=w.off_just, at=at(2022, 3, 10))
    # An online submission not accepted yet: no clock, nothing to flag.
    s["submitted"] = register(w, w.days5, at(2022, 3, 1), submit_only=True, channel="online")
    return s


def _flags() -> set[tuple[str, int | None, str, date]]:
    return {
        (f.dossier.code, f.step.order if f.step_id else None, f.kind, f.due_date)
        for f in DeadlineFlag.objects.select_related("dossier", "step")
    }


def test_the_boundary_set_is_what_the_docstring_says(boundary):
    """The fixture's due dates are the ones the module docstring computes (guards the rest)."""
    b = boundary
    assert b["due_today"].due_date == D(2022, 3, 15) and b["due_tomorrow"].due_date == D(2022, 3, 16)
    assert b["due_yesterday"].due_date == D(2022, 3, 14) and b["due_later"].due_date == D(2022, 3, 17)
    assert b["paused_within"].paused_on == D(2022, 3, 11) and b["paused_within"].due_date == D(2022, 3, 15)
    assert b["paused_late"].paused_on == D(2022, 3, 10) and b["paused_late"].due_date == D(2022, 3, 8)
    assert b["resolved_late"].classification == "late"
    assert b["apology_overdue"].due_date == D(2022, 3, 11) and b["apology_overdue"].appointment_date == D(2022, 3, 16)
    assert b["hours"].due_date == D(2022, 3, 15) and b["hours"].due_at == at(2022, 3, 15, 13, 15)
    steps = {s.order: (s.state, s.due_date) for s in b["step_late"].steps.all()}
    assert steps[1] == ("current", D(2022, 3, 14))
    assert {s.order: s.due_date for s in b["step_soon"].steps.all()}[1] == D(2022, 3, 15)
    last = b["last_step"].steps.get(order=3)
    assert last.state == "current" and last.due_date == b["last_step"].due_date == D(2022, 3, 15)


def test_sweep_flags_exactly_the_boundary_cases(boundary):
    """Tuesday 15/03 10:00: overdue = due before today, or paused after the due date; due soon
    = due today or on the next working day; the apology reminder only for the dossier due on
    the next working day without an apology; the apologised overdue dossier stays overdue and
    its new appointment is near; a step is flagged only when its date is before the dossier's."""
    b = boundary
    result = deadline_sweep(now=at(2022, 3, 15, 10, 0))
    c = {k: v.code for k, v in b.items()}
    assert _flags() == {
        (c["due_today"], None, K.DUE_SOON, D(2022, 3, 15)),
        (c["due_tomorrow"], None, K.DUE_SOON, D(2022, 3, 16)),
        (c["due_tomorrow"], None, K.APOLOGY_REMINDER, D(2022, 3, 16)),
        (c["due_yesterday"], None, K.OVERDUE, D(2022, 3, 14)),
        (c["paused_late"], None, K.OVERDUE, D(2022, 3, 8)),
        (c["apology_overdue"], None, K.OVERDUE, D(2022, 3, 11)),
        (c["apology_overdue"], None, K.APPOINTMENT_SOON, D(2022, 3, 16)),
        (c["apology_tomorrow"], None, K.DUE_SOON, D(2022, 3, 16)),
        (c["hours"], None, K.DUE_SOON, D(2022, 3, 15)),  # 13:15 has not come yet
        (c["step_late"], 1, K.STEP_OVERDUE, D(2022, 3, 14)),
        (c["step_soon"], 1, K.STEP_DUE_SOON, D(2022, 3, 15)),
        (c["last_step"], None, K.DUE_SOON, D(2022, 3, 15)),
    }
    assert result.counts == {"overdue": 3, "due_soon": 5, "apology_reminder": 1, "appointment_soon": 1,
                             "step_overdue": 1, "step_due_soon": 1}
    assert result.messages == 12 == OutboxMessage.objects.filter(topic="flag").count()


def test_an_hour_deadline_turns_overdue_after_its_instant_on_the_same_day(boundary):
    """At 13:15 the 4-hour dossier is still due; at 13:16 it is overdue (D9 for hour deadlines),
    while the day-deadline dossier due today is not overdue until tomorrow."""
    b = boundary
    deadline_sweep(now=at(2022, 3, 15, 13, 15))
    assert not DeadlineFlag.objects.filter(dossier=b["hours"], kind=K.OVERDUE).exists()
    deadline_sweep(now=at(2022, 3, 15, 13, 16))
    assert DeadlineFlag.objects.filter(dossier=b["hours"], kind=K.OVERDUE, due_date=D(2022, 3, 15)).exists()
    assert not DeadlineFlag.objects.filter(dossier=b["due_today"], kind=K.OVERDUE).exists()
    deadline_sweep(now=at(2022, 3, 16, 0, 1))
    assert DeadlineFlag.objects.filter(dossier=b["due_today"], kind=K.OVERDUE, due_date=D(2022, 3, 15)).exists()


def test_the_overdue_flags_follow_dossiers_overdue(boundary):
    """For day deadlines the overdue flags are exactly ``dossiers.selectors.dossiers_overdue``
    (paused dossiers judged at their pause, D12)."""
    deadline_sweep(now=at(2022, 3, 15, 10, 0))
    flagged = set(DeadlineFlag.objects.filter(kind=K.OVERDUE).values_list("dossier__code", flat=True))
    assert flagged == set(dossiers_overdue(on=D(2022, 3, 15)).values_list("code", flat=True))
    clock = sel.Clock.at(at(2022, 3, 15, 10, 0))
    assert flagged == set(sel.dossiers_overdue_now(clock=clock).values_list("code", flat=True))


def test_a_second_sweep_changes_nothing_and_sends_nothing(boundary):
    """Running the sweep again flags nothing new and queues no message; relaying twice creates
    each notification once."""
    first = deadline_sweep(now=at(2022, 3, 15, 10, 0))
    outbox_relay()
    before = (DeadlineFlag.objects.count(), OutboxMessage.objects.count(), Notification.objects.count())
    second = deadline_sweep(now=at(2022, 3, 15, 10, 10))
    outbox_relay()
    assert first.flagged == 12 and second.flagged == 0 and second.messages == 0
    assert (DeadlineFlag.objects.count(), OutboxMessage.objects.count(), Notification.objects.count()) == before
    assert DeadlineSweep.objects.count() == 2


def test_a_moved_due_date_is_a_new_deadline(boundary, world):
    """Rescheduled by a supplement (D7): the dossier warned for 16/03 is paused on 15/03 and
    resumed on 18/03; its due date moves to 21/03 and it is warned again for the new date,
    once; the old warning stays as history."""
    w, d = world, boundary["due_tomorrow"]
    deadline_sweep(now=at(2022, 3, 15, 10, 0))
    d = lifecycle.dossier_request_supplement(dossier=d, actor=w.off_just, reason="Thiếu bản vẽ", at=at(2022, 3, 15, 11))
    deadline_sweep(now=at(2022, 3, 16, 10, 0))
    assert not DeadlineFlag.objects.filter(dossier=d, kind=K.OVERDUE).exists()  # paused within its deadline
    d = lifecycle.dossier_resume(dossier=d, actor=w.clerk, at=at(2022, 3, 18, 9))
    assert d.due_date == D(2022, 3, 21)  # 16, 17, 18/03 are working days p < d ≤ q: +3
    deadline_sweep(now=at(2022, 3, 18, 9, 30))
    deadline_sweep(now=at(2022, 3, 18, 9, 40))
    mine = sorted((f.kind, f.due_date) for f in DeadlineFlag.objects.filter(dossier=d))
    assert mine == [
        (K.APOLOGY_REMINDER, D(2022, 3, 16)), (K.APOLOGY_REMINDER, D(2022, 3, 21)),
        (K.DUE_SOON, D(2022, 3, 16)), (K.DUE_SOON, D(2022, 3, 21)),
    ]


def test_flag_notifications_go_to_the_officer_and_the_leaders_of_the_current_unit(boundary, world):
    """The overdue dossier at Sở Tư pháp: its officer and Sở Tư pháp's leader, in the app and
    by e-mail; the province leader (a higher unit) gets it only in the daily digest."""
    from django.core import mail

    w, d = world, boundary["due_yesterday"]
    deadline_sweep(now=at(2022, 3, 15, 10, 0))
    outbox_relay()
    flag = DeadlineFlag.objects.get(dossier=d, kind=K.OVERDUE)
    got = Notification.objects.filter(message__flag=flag)
    assert set(got.values_list("recipient__username", flat=True)) == {w.off_just.username, w.lead_just.username}
    n = got.get(recipient=w.off_just)
    assert n.title == f"Hồ sơ {d.code} đã quá hạn (hạn 14/03/2022)" and n.level == "danger"
    assert n.url == f"/ho-so/{d.code}/" and n.email_state == "sent"
    to_officer = [m for m in mail.outbox if m.to == [w.off_just.email]]
    assert len(to_officer) == 1 and d.code in to_officer[0].body  # one e-mail listing all of the officer's news
    # The step flag goes to the step's unit (Sở Xây dựng) and its officer.
    step_flag = DeadlineFlag.objects.get(kind=K.STEP_OVERDUE)
    assert set(Notification.objects.filter(message__flag=step_flag).values_list("recipient__username", flat=True)) == {
        w.off_build.username, w.lead_build.username}


def test_an_unassigned_dossier_at_a_unit_without_leaders_warns_the_resolving_units_leaders(boundary, world):
    """The hour dossier sits at the service centre (no leader there), unassigned: its warning
    goes to the leaders of its resolving unit (Sở Tư pháp)."""
    deadline_sweep(now=at(2022, 3, 15, 10, 0))
    outbox_relay()
    got = Notification.objects.filter(message__flag__dossier=boundary["hours"])
    assert set(got.values_list("recipient__username", flat=True)) == {world.lead_just.username}


def test_the_command_runs_the_same_sweep(boundary):
    """`manage.py sweep_deadlines --at …` flags the same set and says how many; twice is harmless."""
    from io import StringIO

    out = StringIO()
    call_command("sweep_deadlines", "--at", "2022-03-15T10:00", stdout=out)
    assert "12 cờ mới" in out.getvalue() and "tính đến ngày 2022-03-15" in out.getvalue()
    out = StringIO()
    call_command("sweep_deadlines", "--at", "2022-03-15T10:00", "--deliver", stdout=out)
    assert "0 cờ mới" in out.getvalue() and "Đã chuyển 12 thông điệp" in out.getvalue()
    assert DeadlineFlag.objects.count() == 12


def test_the_command_refuses_a_bad_instant(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("sweep_deadlines", "--at", "15/03/2022")
    assert DeadlineSweep.objects.count() == 0


def _overdue_with_late_steps(w, count: int, received) -> None:
    """`count` overdue dossiers (bulk rows), each at a current step that is late as well."""
    many_overdue(w, count, received)
    DossierStep.objects.bulk_create([
        DossierStep(dossier=d, order=1, name="Thẩm định", unit=w.justice, allotted_time=3, state="current",
                    due_date=received.date() + timedelta(days=3))
        for d in Dossier.objects.filter(received_at=received)
    ])


def test_the_sweep_is_a_few_statements_not_a_loop(world):
    """Set-based: flagging 3 overdue dossiers with 3 late steps and flagging 30 with 30 take the
    same statements, and few."""
    w = world
    calendar_get()
    _overdue_with_late_steps(w, 3, at(2022, 3, 1))
    with CaptureQueriesContext(connection) as small:
        first = deadline_sweep(now=at(2022, 3, 15, 10, 0))
    _overdue_with_late_steps(w, 30, at(2022, 3, 2))
    with CaptureQueriesContext(connection) as large:
        second = deadline_sweep(now=at(2022, 3, 15, 10, 5))
    assert (first.counts["overdue"], first.counts["step_overdue"], first.messages) == (3, 3, 6)
    assert (second.counts["overdue"], second.counts["step_overdue"], second.messages) == (30, 30, 60)  # only the new
    assert DeadlineFlag.objects.filter(kind=K.OVERDUE).count() == DeadlineFlag.objects.filter(kind=K.STEP_OVERDUE).count() == 33
    assert len(large) == len(small) <= 14, [q["sql"][:80] for q in large.captured_queries]
