"""Reorganisations (domain.md D20, interfaces.md ``import_reorganisation``): the command, what
moves and what never does, bad input, the rerun, the webhook, and reports across the merger.

The province of the reporting tests: a district (UBND thành phố Hòa Bình) with its counter and
two communes. On 1/7/2025 the district and the commune Yên Mông merge into a new ward (UBND
phường Hòa Bình). Dossiers are made through the lifecycle services in June 2025; the expected
figures below are worked out by hand from the dates.
"""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dossiers.models import Dossier, DossierEvent, DossierMove, DossierStep, Reorganisation, Unit
from dossiers.services import lifecycle as lc
from reporting import selectors as rs
from reporting.periods import LOCAL_TZ, Period
from reporting.services import report_diff, report_freeze, rollup_range
from tests.reporting.conftest import APPLICANT, at, make_org, make_procedures

pytestmark = pytest.mark.django_db

BASIS = "Nghị quyết 1656/NQ-UBTVQH15"
HEADER = "old_code,successor_code,effective_date,legal_basis\n"
DISTRICT, COMMUNE2, WARD = "000.00.21.H23", "000.34.21.H23", "000.40.21.H23"
MERGER = f"{HEADER}{DISTRICT},{WARD},2025-07-01,{BASIS}\n{COMMUNE2},{WARD},2025-07-01,{BASIS}\n"


@pytest.fixture
def world(db):
    org = make_org()
    procs = make_procedures(org)
    org["ward"] = Unit.objects.create(code=WARD, name="UBND phường Hòa Bình", level="commune", kind="people_committee",
                                      parent=org["province"], valid_from=date(2025, 7, 1))
    counter = org["district_counter"]

    def receive(proc, when, unit=None):
        return lc.dossier_register(procedure=procs[proc], receiving_unit=unit or counter, channel="direct",
                                   applicant=APPLICANT, received_at=when)

    d = {}
    d["A"] = receive("district3", at(2025, 6, 20))  # open at the district's counter, led by the district
    d["B"] = receive("district3", at(2025, 6, 10))  # handed to the district: held there
    lc.dossier_transfer(dossier=d["B"], actor=None, at=at(2025, 6, 10, 10))
    d["C"] = receive("district3", at(2025, 6, 2))  # resolved before the merger
    lc.dossier_transfer(dossier=d["C"], actor=None, at=at(2025, 6, 2, 10))
    lc.dossier_approve(dossier=d["C"], actor=None, at=at(2025, 6, 4))
    d["D"] = receive("district3", at(2025, 6, 16))  # resolved in Q3 but before the merger
    lc.dossier_transfer(dossier=d["D"], actor=None, at=at(2025, 6, 16, 10))
    lc.dossier_approve(dossier=d["D"], actor=None, at=at(2025, 6, 18))
    d["E"] = receive("commune_hours", at(2025, 6, 25), unit=org["commune2"])  # the commune's own, open
    d["F"] = receive("justice5", at(2025, 6, 20), unit=org["centre"])  # a provincial agency's, open
    for x in d.values():
        x.refresh_from_db()
    return org, procs, d


def _file(tmp_path, text: str, name: str = "reorg.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_reorganisation", path, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _fail(path) -> list[str]:
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_reorganisation", path, stdout=io.StringIO(), stderr=err)
    return err.getvalue().splitlines()


def _snapshot(dossier: Dossier) -> dict:
    dossier.refresh_from_db()
    row = {f.attname: getattr(dossier, f.attname) for f in Dossier._meta.concrete_fields}
    row["steps"] = list(dossier.steps.order_by("order").values_list("unit_id", "state"))
    row["events"] = dossier.events.count()
    return row


# --- the move ------------------------------------------------------------------------------------


def test_dry_run_prints_what_would_move_and_writes_nothing(world, tmp_path):
    org, _procs, d = world
    before = {k: _snapshot(x) for k, x in d.items()}
    out, _ = _run(_file(tmp_path, MERGER), "--dry-run")
    assert out.splitlines() == [
        f"{DISTRICT} → {WARD} from 2025-07-01: 2 open dossiers would move (2 led, 1 held there)",
        f"  {DISTRICT} is still named by 2 active procedure(s) and 0 active staff account(s): re-point them "
        "(import_procedures, import_staff); a reorganisation does not",
        f"{COMMUNE2} → {WARD} from 2025-07-01: 1 open dossiers would move (1 led, 1 held there)",
        f"  {COMMUNE2} is still named by 1 active procedure(s) and 0 active staff account(s): re-point them "
        "(import_procedures, import_staff); a reorganisation does not",
        "Reorganisation: 2 new, 0 already recorded, 0 open dossiers moved (dry run: nothing written)",
    ]
    assert not Reorganisation.objects.exists() and not DossierMove.objects.exists()
    org["district"].refresh_from_db()
    assert org["district"].valid_to is None and org["district"].successor is None
    assert {k: _snapshot(x) for k, x in d.items()} == before


def test_the_merger_moves_open_dossiers_and_leaves_closed_ones(world, tmp_path):
    org, _procs, d = world
    ward, district, commune2, counter = org["ward"], org["district"], org["commune2"], org["district_counter"]
    closed_before = {k: _snapshot(d[k]) for k in ("C", "D", "F")}
    codes = {k: x.code for k, x in d.items()}
    versions = {k: x.version for k, x in d.items()}
    written_from = timezone.now()
    out, _ = _run(_file(tmp_path, MERGER))
    assert out.splitlines()[-1] == "Reorganisation: 2 new, 0 already recorded, 3 open dossiers moved"

    # the old units end on 30/6/2025 and name their successor; the successor is untouched
    for unit in (district, commune2):
        unit.refresh_from_db()
        assert (unit.valid_to, unit.successor_id) == (date(2025, 6, 30), ward.pk)
    ward.refresh_from_db()
    assert (ward.valid_from, ward.valid_to, ward.successor_id) == (date(2025, 7, 1), None, None)

    # A: led by the district, still at the district's counter (the counter is not in the file);
    # its processing step, still waiting, goes to the ward
    a = Dossier.objects.get(pk=d["A"].pk)
    assert (a.resolving_unit_id, a.current_unit_id, a.receiving_unit_id) == (ward.pk, counter.pk, counter.pk)
    assert list(a.steps.order_by("order").values_list("unit_id", "state")) == [(ward.pk, DossierStep.State.WAITING)]
    # B: led and held by the district, its processing step pending there
    b = Dossier.objects.get(pk=d["B"].pk)
    assert (b.resolving_unit_id, b.current_unit_id, b.receiving_unit_id) == (ward.pk, ward.pk, counter.pk)
    assert list(b.steps.order_by("order").values_list("unit_id", "state")) == [(ward.pk, DossierStep.State.CURRENT)]
    # E: the commune's own dossier, received and held at its counter
    e = Dossier.objects.get(pk=d["E"].pk)
    assert (e.resolving_unit_id, e.current_unit_id, e.receiving_unit_id) == (ward.pk, ward.pk, commune2.pk)
    # codes never change; each moved dossier's version went up by one
    assert {k: Dossier.objects.get(pk=x.pk).code for k, x in d.items()} == codes
    assert {k: Dossier.objects.get(pk=d[k].pk).version - versions[k] for k in "ABE"} == {"A": 1, "B": 1, "E": 1}
    # closed dossiers and the other units' dossiers: not a field changed
    assert {k: _snapshot(d[k]) for k in ("C", "D", "F")} == closed_before

    # one history event each, dated at the start of 1/7/2025, naming the legal basis
    events = DossierEvent.objects.filter(action="reorganise").order_by("dossier_id")
    assert sorted(events.values_list("dossier_id", flat=True)) == sorted([d["A"].pk, d["B"].pk, d["E"].pk])
    start = datetime(2025, 7, 1, 0, 0, tzinfo=LOCAL_TZ)
    for ev in events:
        assert ev.at == start
        assert ev.note == "Chuyển theo sắp xếp đơn vị hành chính (Nghị quyết 1656/NQ-UBTVQH15)"
        assert ev.to_unit_id == ward.pk and ev.actor_id is None
        assert ev.from_state == ev.to_state
        assert written_from <= datetime.fromisoformat(ev.data["recorded_at"]) <= timezone.now()
        assert ev.data["legal_basis"] == BASIS and ev.data["effective_date"] == "2025-07-01"
    by_dossier = {ev.dossier_id: ev for ev in events}
    assert by_dossier[d["A"].pk].unit_id == district.pk and by_dossier[d["A"].pk].data["moved"] == ["lead", "steps"]
    assert by_dossier[d["B"].pk].data["moved"] == ["lead", "current", "steps"]
    assert by_dossier[d["E"].pk].unit_id == commune2.pk and by_dossier[d["E"].pk].data["moved"] == ["lead", "current", "steps"]
    # the due date of B as at the move is the one it had then (3 working days from 10/6/2025)
    assert by_dossier[d["B"].pk].due_date == date(2025, 6, 13)
    # the history reads in time order: the move comes after June's events
    assert list(Dossier.objects.get(pk=d["B"].pk).events.values_list("action", flat=True)) == [
        "receive", "transfer", "reorganise"]
    progress = {r.old_unit_id: (r.planned, r.moved, r.status) for r in Reorganisation.objects.all()}
    assert progress == {district.pk: (2, 2, "done"), commune2.pk: (1, 1, "done")}


def test_results_waiting_at_an_ended_counter_go_to_the_successors_counter_which_gives_them_back(world, tmp_path):
    """C and D were approved in June and wait at the district's counter; the counter ends too. They
    go to the ward (the unit holding them), keep their lead unit (resolved before the merger) and
    the ward's clerk, who sees them, gives them back (D17's counter passes to the successor)."""
    from dossiers.errors import ForbiddenError
    from dossiers.roles import COUNTER_CLERK
    from tests.factories import StaffProfileFactory, UserFactory

    org, _procs, d = world
    ward, district, counter = org["ward"], org["district"], org["district_counter"]
    other_clerk = UserFactory(username="motcua.khac", role=COUNTER_CLERK)
    StaffProfileFactory(user=other_clerk, unit=org["commune"])
    with pytest.raises(ForbiddenError):
        lc.dossier_check(dossier=Dossier.objects.get(pk=d["C"].pk), action="return-result", user=other_clerk)

    out, _ = _run(_file(tmp_path, MERGER + f"{counter.code},{WARD},2025-07-01,{BASIS}\n"))
    assert out.splitlines()[0] == f"{DISTRICT} → {WARD} from 2025-07-01: 2 open dossiers to move (2 led, 1 held there)"
    assert out.splitlines()[4] == f"{counter.code} → {WARD} from 2025-07-01: 3 open dossiers to move (0 led, 3 held there)"
    for key in "CD":
        x = Dossier.objects.get(pk=d[key].pk)
        assert (x.state, x.resolving_unit_id, x.current_unit_id, x.receiving_unit_id) == (
            "approved", district.pk, ward.pk, counter.pk)
        move = DossierMove.objects.get(dossier=x)
        assert (move.from_unit_id, move.to_unit_id, move.lead) == (counter.pk, ward.pk, False)
        assert x.events.get(action="reorganise").data["moved"] == ["current"]
    a = Dossier.objects.get(pk=d["A"].pk)  # received at the counter, not handed over: held by the ward now
    assert (a.resolving_unit_id, a.current_unit_id) == (ward.pk, ward.pk)

    ward_clerk = UserFactory(username="motcua.phuong", role=COUNTER_CLERK)
    StaffProfileFactory(user=ward_clerk, unit=ward)
    c = Dossier.objects.get(pk=d["C"].pk)
    assert "return-result" in lc.dossier_actions_for(dossier=c, user=ward_clerk)
    with pytest.raises(ForbiddenError):
        lc.dossier_check(dossier=c, action="return-result", user=other_clerk)
    c = lc.dossier_return_result(dossier=c, actor=ward_clerk, return_channel="counter", at=at(2025, 7, 2, 9))
    assert (c.state, c.resolving_unit_id) == ("returned", district.pk)
    # counted where it was resolved: the district, in the quarter that ended before the merger
    report = rs.report_figures(period=Period.quarter(2025, 2, "calendar"), source=rs.SOURCE_DIRECT,
                               today=date(2025, 12, 1))
    assert _row(report, DISTRICT)["resolved_total"] == 2


def test_rerunning_the_same_file_changes_nothing(world, tmp_path):
    _org, _procs, d = world
    path = _file(tmp_path, MERGER)
    _run(path)
    after = {k: _snapshot(x) for k, x in d.items()}
    counts = (DossierEvent.objects.count(), DossierMove.objects.count(),
              sorted(Reorganisation.objects.values_list("pk", "status", "moved", "finished_at")))
    out, err = _run(path)  # exits 0
    assert err == ""
    assert out.splitlines() == [
        f"{DISTRICT} → {WARD} from 2025-07-01 (already recorded): 0 open dossiers to move (0 led, 0 held there)",
        f"  {DISTRICT} is still named by 2 active procedure(s) and 0 active staff account(s): re-point them "
        "(import_procedures, import_staff); a reorganisation does not",
        f"{COMMUNE2} → {WARD} from 2025-07-01 (already recorded): 0 open dossiers to move (0 led, 0 held there)",
        f"  {COMMUNE2} is still named by 1 active procedure(s) and 0 active staff account(s): re-point them "
        "(import_procedures, import_staff); a reorganisation does not",
        "Reorganisation: 0 new, 2 already recorded, 0 open dossiers moved",
    ]
    assert {k: _snapshot(x) for k, x in d.items()} == after
    assert (DossierEvent.objects.count(), DossierMove.objects.count(),
            sorted(Reorganisation.objects.values_list("pk", "status", "moved", "finished_at"))) == counts
    for unit in Unit.objects.filter(code__in=[DISTRICT, COMMUNE2]):
        assert (unit.valid_to, unit.successor.code) == (date(2025, 6, 30), WARD)


def test_a_rerun_after_an_interrupted_move_finishes_it(world, tmp_path):
    """The entries are recorded but the move stopped after its first batch (a killed process):
    the rerun moves the rest, and nothing twice."""
    from dossiers.services import reorganisation as svc

    _org, _procs, d = world
    entries = svc.entries_read(MERGER.encode())
    checked = svc.entries_check(entries)
    reorgs = svc.reorganisations_record(checked.new)
    svc._move_batch(reorgs[0], [d["A"].pk])  # one batch of one dossier committed, then the crash
    assert DossierMove.objects.count() == 1
    out, _ = _run(_file(tmp_path, MERGER))
    assert out.splitlines()[-1] == "Reorganisation: 0 new, 2 already recorded, 2 open dossiers moved"
    assert sorted(DossierMove.objects.values_list("dossier_id", flat=True)) == sorted(
        [d["A"].pk, d["B"].pk, d["E"].pk])
    assert DossierEvent.objects.filter(action="reorganise").count() == 3


def test_the_move_is_sent_as_dossier_moved_to_subscribers(world, tmp_path):
    from connected.models import Subscription
    from connected.services.outbox import subscriptions_changed
    from monitoring.models import OutboxMessage

    _org, _procs, d = world
    Subscription.objects.create(url="https://lgsp.example.vn/hook", secret="s3cret", events=["dossier.moved"])
    subscriptions_changed()
    _run(_file(tmp_path, MERGER))
    messages = OutboxMessage.objects.filter(topic=OutboxMessage.Topic.CONNECTED)
    # dated 1/7/2025, but written now: news, not history
    assert sorted(m.dossier_id for m in messages) == sorted([d["A"].pk, d["B"].pk, d["E"].pk])
    assert {m.payload["type"] for m in messages} == {"dossier.moved"}
    assert {m.payload["resolving_unit"] for m in messages} == {Unit.objects.get(code=WARD).pk}


# --- bad input ---------------------------------------------------------------------------------------


def _nothing_written(org):
    assert not Reorganisation.objects.exists() and not DossierMove.objects.exists()
    assert not DossierEvent.objects.filter(action="reorganise").exists()
    for unit in Unit.objects.filter(code__in=[DISTRICT, COMMUNE2]):
        assert unit.valid_to is None and unit.successor_id is None


@pytest.mark.parametrize("rows, expected", [
    (f"000.99.99.H23,{WARD},2025-07-01,{BASIS}\n{DISTRICT},000.98.99.H23,2025-07-01,{BASIS}\n",
     ["line 2, column old_code: unknown unit “000.99.99.H23”",
      "line 3, column successor_code: unknown unit “000.98.99.H23”"]),
    (f"{DISTRICT},000.77.21.H23,2025-07-01,{BASIS}\n",
     ["line 2, column successor_code: the successor “000.77.21.H23” is not valid on 2025-07-01 (valid … – 2025-03-31)"]),
    (f"{DISTRICT},000.31.21.H23,2025-07-01,{BASIS}\n000.31.21.H23,{WARD},2025-07-01,{BASIS}\n",
     ["line 2, column successor_code: the successor “000.31.21.H23” is itself ended on 2025-06-30 by line 3"]),
    (f"{DISTRICT},{COMMUNE2},2025-07-01,{BASIS}\n{COMMUNE2},{DISTRICT},2025-07-01,{BASIS}\n",
     ["line 2, column successor_code: the successor “000.34.21.H23” is itself ended on 2025-06-30 by line 3",
      "line 2, column successor_code: cycle: 000.00.21.H23 → 000.34.21.H23 → 000.00.21.H23",
      "line 3, column successor_code: the successor “000.00.21.H23” is itself ended on 2025-06-30 by line 2"]),
    (f"{WARD},{COMMUNE2},2025-05-01,{BASIS}\n",
     ["line 2, column effective_date: 2025-05-01 is not after the start of “000.40.21.H23” (2025-07-01): "
      "it would end before it existed"]),
    (f"{DISTRICT},{WARD},2025-07-01,{BASIS}\n{DISTRICT},{COMMUNE2},2025-07-01,{BASIS}\n",
     ["line 3, column successor_code: “000.00.21.H23” already has the successor “000.40.21.H23” from 2025-07-01 "
      "(line 2)"]),
    (f"{DISTRICT},{WARD},2099-07-01,{BASIS}\n{COMMUNE2},{WARD},01/07/2025,{BASIS}\n{DISTRICT},{DISTRICT},2025-07-01,\n",
     ["line 2, column effective_date: 2099-07-01 is in the future: a reorganisation is imported on or after its "
      "effective date",
      "line 3, column effective_date: “01/07/2025” is not a date (YYYY-MM-DD)",
      "line 4, column successor_code: the successor is the old unit itself",
      "line 4, column legal_basis: required value missing (the legal basis, e.g. Nghị quyết 1656/NQ-UBTVQH15)"]),
], ids=["unknown", "successor-ended", "successor-ended-by-file", "cycle", "before-it-existed", "second-successor",
        "future-date-format-self"])
def test_bad_input_is_refused_with_line_and_column_and_nothing_written(world, tmp_path, rows, expected):
    org, _procs, _d = world
    Unit.objects.create(code="000.77.21.H23", name="UBND xã đã giải thể", level="commune", kind="people_committee",
                        valid_to=date(2025, 3, 31))
    assert _fail(_file(tmp_path, HEADER + rows)) == expected
    _nothing_written(org)


def test_a_second_successor_after_the_first_was_recorded_is_refused(world, tmp_path):
    _run(_file(tmp_path, MERGER))
    lines = _fail(_file(tmp_path, f"{HEADER}{DISTRICT},{COMMUNE2},2025-07-01,{BASIS}\n", "other.csv"))
    assert lines == ["line 2, column successor_code: “000.00.21.H23” already has the successor “000.40.21.H23” "
                     "from 2025-07-01 (already recorded)"]


def test_a_missing_column_is_refused(world, tmp_path):
    lines = _fail(_file(tmp_path, f"old_code,successor_code,effective_date\n{DISTRICT},{WARD},2025-07-01\n"))
    assert lines == ["line 1, column legal_basis: missing required column"]


# --- reports across the merger ---------------------------------------------------------------------


def _row(report, code):
    for level in report["levels"]:
        for unit in level["units"]:
            if unit["code"] == code:
                return unit["totals"]
    return None


def test_reports_before_straddling_and_after_the_merger(world, tmp_path):
    org, _procs, d = world
    q2, q3, q4 = Period.quarter(2025, 2), Period.quarter(2025, 3), Period.quarter(2025, 4)
    june = Period.month(2025, 6, "calendar")
    frozen_q2 = report_freeze(period=q2, unit=None, actor=None)
    frozen_june = report_freeze(period=june, unit=None, actor=None)
    before = {p: rs.report_figures(period=p, source=rs.SOURCE_DIRECT) for p in (q2, june)}

    _run(_file(tmp_path, MERGER))

    # Periods before the merger: unchanged, their frozen reports identical, the receipts by
    # counter too (each under its lead unit as at the period's end, D20).
    for frozen, p in ((frozen_q2, q2), (frozen_june, june)):
        assert report_diff(frozen=frozen).unchanged
        now = rs.report_figures(period=p, source=rs.SOURCE_DIRECT)
        assert (now["totals"], now["levels"], now["fields"], now["receiving"]) == (
            before[p]["totals"], before[p]["levels"], before[p]["fields"], before[p]["receiving"])
    assert [(r["code"], r["received_new"], r["for_other_units"], [(u["code"], u["received_new"]) for u in r["lead_units"]])
            for r in before[june]["receiving"]] == [
        ("000.01.01.H23", 1, 1, [("000.00.12.H23", 1)]),  # F at the centre, for Sở Tư pháp
        ("000.01.21.H23", 4, 4, [(DISTRICT, 4)]),  # A, B, C, D at the district's counter
        (COMMUNE2, 1, 0, [(COMMUNE2, 1)]),  # E, Yên Mông's own
    ]
    # Q2 (15/3–14/6/2025): C resolved, B in progress (due 13/6: overdue), under the district
    q2_district = _row(before[q2], DISTRICT)
    assert (q2_district["received_total"], q2_district["resolved_total"], q2_district["in_progress_overdue"]) == (2, 1, 1)
    # June (1–30/6/2025, ends before 1/7): A, B still under the district, E under Yên Mông
    june_now = rs.report_figures(period=june, source=rs.SOURCE_DIRECT)
    assert _row(june_now, DISTRICT)["received_total"] == 4  # A, B, C, D
    assert _row(june_now, COMMUNE2)["received_total"] == 1  # E
    assert _row(june_now, WARD) is None  # the ward did not exist yet

    # Q3 (15/6–14/9/2025) straddles 1/7: each dossier once, under its unit as at 14/9 or at
    # its resolution: D (resolved 18/6) under the district; A, E (new) and B (carried over)
    # under the ward; F under Sở Tư pháp.
    q3_report = rs.report_figures(period=q3, source=rs.SOURCE_DIRECT)
    assert q3_report["totals"]["received_total"] == 5
    assert q3_report["totals"]["carried_over"] == 1
    district_q3, ward_q3 = _row(q3_report, DISTRICT), _row(q3_report, WARD)
    assert (district_q3["received_total"], district_q3["resolved_total"], district_q3["carried_over"]) == (1, 1, 0)
    assert (ward_q3["received_total"], ward_q3["carried_over"], ward_q3["in_progress_total"]) == (3, 1, 3)
    assert _row(q3_report, COMMUNE2)["received_total"] == 0  # shown (valid in part of Q3), nothing counted
    # new in Q3 by counter: A (→ ward) and D (district, resolved before the merger), E (→ ward), F
    assert [(r["code"], r["received_new"], r["for_other_units"], [(u["code"], u["received_new"]) for u in r["lead_units"]])
            for r in q3_report["receiving"]] == [
        ("000.01.01.H23", 1, 1, [("000.00.12.H23", 1)]),
        ("000.01.21.H23", 2, 2, [(DISTRICT, 1), (WARD, 1)]),
        (COMMUNE2, 1, 1, [(WARD, 1)]),
    ]
    assert [lv["level"] for lv in q3_report["levels"]] == ["province", "district", "commune"]

    # Q4 (15/9–14/12/2025): two levels; the abolished district is gone
    q4_report = rs.report_figures(period=q4, source=rs.SOURCE_DIRECT)
    assert [lv["level"] for lv in q4_report["levels"]] == ["province", "commune"]
    assert _row(q4_report, WARD)["carried_over"] == 3 and _row(q4_report, DISTRICT) is None

    # The roll-ups give the same figures across the merger (built after it).
    rollup_range(start=date(2025, 3, 14), end=date(2025, 12, 14))
    for p in (q2, june, q3, q4, Period.month(2025, 7, "calendar")):
        rolled = rs.report_figures(period=p, source=rs.SOURCE_ROLLUP)
        direct = rs.report_figures(period=p, source=rs.SOURCE_DIRECT)
        assert (rolled["totals"], rolled["levels"], rolled["fields"], rolled["receiving"]) == (
            direct["totals"], direct["levels"], direct["fields"], direct["receiving"]), p
        for scope in (org["ward"], org["district"]):
            assert (rs.report_figures(period=p, unit=scope, source=rs.SOURCE_ROLLUP)["receiving"]
                    == rs.report_figures(period=p, unit=scope, source=rs.SOURCE_DIRECT)["receiving"]), (p, scope)
    # A leader of the ward sees the straddling quarter's dossiers that are the ward's
    ward_scope = rs.report_figures(period=q3, unit=org["ward"], source=rs.SOURCE_DIRECT)
    assert ward_scope["totals"]["received_total"] == 3
    drill = rs.report_dossiers(period=q3, figure="received_total", unit=org["ward"])
    assert sorted(drill.values_list("code", flat=True)) == sorted([d["A"].code, d["B"].code, d["E"].code])


def test_rollups_made_before_the_merger_are_forgotten_from_its_date(world, tmp_path):
    from reporting.models import RollupDay

    rollup_range(start=date(2025, 6, 14), end=date(2025, 7, 14))
    _run(_file(tmp_path, MERGER))
    days = set(RollupDay.objects.values_list("day", flat=True))
    assert max(days) == date(2025, 6, 30) and min(days) == date(2025, 6, 14)
    # the month of July falls back to the direct computation until the nightly job rebuilds it
    assert rs.report_figures(period=Period.month(2025, 7, "calendar"))["source"] == rs.SOURCE_DIRECT


def test_after_the_move_deadline_notices_go_to_the_successor_and_name_it(world, tmp_path):
    """The deadline sweep after the merger: B (due 13/6/2025) is overdue at the ward; its leaders
    are told, and the notice says where it is."""
    from monitoring.models import Notification
    from monitoring.services.outbox import outbox_relay
    from dossiers.models import StaffProfile
    from dossiers.roles import LEADER
    from tests.factories import UserFactory

    org, _procs, d = world
    ward_leader = UserFactory(username="lanhdao_phuong", role=LEADER)
    StaffProfile.objects.create(user=ward_leader, unit=org["ward"])
    district_leader = UserFactory(username="lanhdao_huyen", role=LEADER)
    StaffProfile.objects.create(user=district_leader, unit=org["district"])
    _run(_file(tmp_path, MERGER))
    call_command("sweep_deadlines", stdout=io.StringIO())
    outbox_relay()
    notes = {(n.dossier_id, n.kind): n for n in Notification.objects.filter(recipient=ward_leader)}
    b_overdue = notes[(d["B"].pk, "overdue")]
    assert b_overdue.body == "Đăng ký hộ kinh doanh · đang ở UBND phường Hòa Bình"
    assert not Notification.objects.filter(recipient=district_leader, dossier_id=d["B"].pk).exists()
