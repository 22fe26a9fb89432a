"""`make run`'s history reaches back before 1/7/2025 through the demo's reorganisation (issue 15,
item 6; domain.md D20): the spring of 2025 is received under the three-level catalogue, what is
open on 1/7/2025 at an ended unit moves to its successor (one history event each) and is
finished there, and the reports show three levels up to Q2/2025 and two after.

A short second window (to 31/7/2025) keeps the test quick; the windows themselves are pinned
in ``test_demo_windows``.
"""
from datetime import date, datetime

import pytest
from django.db.models import Q

from demo.catalogue import demo_load
from demo.history import demo_dossiers_load, demo_windows
from dossiers.calendar import LOCAL_TZ
from dossiers.models import Dossier, DossierEvent, DossierMove, Procedure, Unit
from dossiers.workflow import OPEN_STATES
from reporting import selectors as rs
from reporting.periods import Period

REFORM = datetime(2025, 7, 1, tzinfo=LOCAL_TZ)
LEGAL_BASIS = ("Nghị quyết 202/2025/QH15 và nghị quyết của Ủy ban Thường vụ Quốc hội về sắp xếp đơn vị hành chính "
               "cấp xã năm 2025")


def test_demo_windows():
    spring = (date(2025, 3, 15), date(2025, 6, 30), REFORM, True)
    assert [(w.first, w.last, w.now, w.before_reform) for w in demo_windows(date(2026, 12, 3))] == [
        spring, (date(2026, 9, 5), date(2026, 12, 3), None, False)]
    assert [(w.first, w.last, w.now, w.before_reform) for w in demo_windows(date(2025, 7, 31))] == [
        spring, (date(2025, 7, 1), date(2025, 7, 31), None, False)]
    assert [(w.first, w.last, w.before_reform) for w in demo_windows(date(2022, 3, 14))] == [
        (date(2021, 12, 15), date(2022, 3, 14), True)]


@pytest.mark.django_db(transaction=False)
def test_the_spring_of_2025_moves_through_the_reorganisation_and_the_reports_change_levels_at_it():
    demo_load()
    result = demo_dossiers_load(today=date(2025, 7, 31))
    before = Dossier.objects.filter(received_at__lt=REFORM)
    after = Dossier.objects.filter(received_at__gte=REFORM)
    assert before.count() > 800 and after.exists()
    ended = set(Unit.objects.filter(valid_to=date(2025, 6, 30)).values_list("pk", flat=True))
    new_communes = set(Unit.objects.filter(valid_from=date(2025, 7, 1)).values_list("pk", flat=True))

    # received where the units of the day were
    assert not before.filter(Q(receiving_unit__in=new_communes) | Q(receiving_unit__valid_from__gte=REFORM.date())).exists()
    assert not after.filter(Q(receiving_unit__in=ended) | Q(resolving_unit__in=ended)).exists()
    assert before.filter(resolving_unit__level=Unit.Level.DISTRICT).count() > 50  # the district procedures of then
    assert after.exists() and not after.filter(resolving_unit__level=Unit.Level.DISTRICT).exists()

    # the move: one event per moved dossier, dated at the start of 1/7/2025, naming the legal basis
    moves = DossierEvent.objects.filter(action="reorganise")
    assert result.moved == moves.count() == DossierMove.objects.count() > 20
    assert {e.at for e in moves} == {REFORM}
    assert {e.data["legal_basis"] for e in moves} == {LEGAL_BASIS}
    assert {e.note for e in moves} == {f"Chuyển theo sắp xếp đơn vị hành chính ({LEGAL_BASIS})"}
    moved = Dossier.objects.filter(pk__in=moves.values("dossier_id"))
    # an open dossier led by an ended unit is led by its successor; a result waiting at an ended
    # counter moved to the successor's counter and kept its lead (resolved before the merger)
    for move in DossierMove.objects.select_related("dossier", "dossier__receiving_unit", "to_unit"):
        d = move.dossier
        assert d.code.startswith(d.receiving_unit.code + "-")  # codes and receiving units never change
        if move.lead:
            assert d.resolving_unit_id == move.to_unit_id
        else:
            assert d.resolved_at is None or d.resolved_at < REFORM or d.resolving_unit_id not in ended
    assert DossierMove.objects.filter(lead=True).exists() and DossierMove.objects.filter(lead=False).exists()
    assert moved.filter(resolving_unit__in=new_communes).exists()

    # finished by the successors in July 2025: nothing of the spring is left open or uncollected
    assert set(before.values_list("state", flat=True)) <= {"returned", "withdrawn"}
    last = max(max(filter(None, (d.resolved_at, d.returned_at))) for d in moved)
    assert REFORM < last < datetime(2025, 7, 15, tzinfo=LOCAL_TZ)
    # the successor's counter gave back results of dossiers received by an ended commune
    returned_by_successor = DossierEvent.objects.filter(
        action="return-result", actor__username="motcua.xa", dossier__receiving_unit__in=ended)
    assert returned_by_successor.exists()
    # the former district's staff acted only while their unit existed
    district_acts = DossierEvent.objects.filter(actor__username__in=["motcua.huyen", "chuyenvien.huyen", "lanhdao.huyen"])
    assert district_acts.exists() and not district_acts.filter(at__gte=REFORM).exists()

    # reports (D13 as refined by D20): three levels up to Q2/2025, two from Q3/2025 on
    def levels(period):
        report = rs.report_figures(period=period, source=rs.SOURCE_DIRECT, today=date(2025, 7, 31))
        return [level["level"] for level in report["levels"] if level["totals"]["received_total"]
                or level["totals"]["carried_over"]]

    assert levels(Period.quarter(2025, 2, "calendar")) == ["province", "district", "commune"]
    assert levels(Period.month(2025, 7, "calendar")) == ["province", "commune"]
    # the regulatory Q3/2025 straddles 1/7/2025 (15/6–14/9): each dossier once, under its unit then
    straddle = rs.report_figures(period=Period.quarter(2025, 3), source=rs.SOURCE_DIRECT, today=date(2025, 7, 31))
    received = Dossier.objects.filter(received_at__gte=datetime(2025, 6, 15, tzinfo=LOCAL_TZ)).count()
    new = lambda totals: totals["received_online"] + totals["received_direct_postal"]  # noqa: E731 (without carried over)
    assert new(straddle["totals"]) == received
    assert sum(new(level["totals"]) for level in straddle["levels"]) == received

    # the catalogue in force is back: the former district procedures are commune procedures
    assert Procedure.objects.get(code="1.009994").resolving_level == "commune"
    assert not Dossier.objects.filter(state__in=OPEN_STATES, received_at__lt=REFORM).exists()
