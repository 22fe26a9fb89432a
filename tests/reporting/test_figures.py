"""The figures of Biểu 06 on a hand-written history (tests/reporting/scenario.py): every dossier
is counted exactly in the figures worked out by hand, by the direct computation, by the
roll-ups and by the independent oracle; identities hold and a broken one is loud."""
from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from dossiers.models import Dossier, DossierEvent
from reporting import selectors as rs
from reporting.periods import Period
from reporting.services import rollup_range

from . import scenario
from .conftest import comparable, oracle_cells
from tests.dossiers.lifecycle_fixtures import approve_after_handover

Q1 = Period.quarter(2022, 1)  # 15/12/2021 – 14/03/2022


@pytest.fixture
def history(rorg, rprocs, rstaff):
    return scenario.build(rorg, rprocs, rstaff)


def expected_totals(expected: dict[str, set[str]]) -> dict[str, int]:
    c = Counter()
    for figures in expected.values():
        if not figures:
            continue
        c["received_total"] += 1
        c.update(figures)
        c["resolved_total"] += bool(figures & {"resolved_early", "resolved_on_time", "resolved_late"})
        c["in_progress_total"] += bool(figures & {"in_progress_within", "in_progress_overdue"})
    return {k: c.get(k, 0) for k in rs.COUNT_KEYS}


def test_every_dossier_is_counted_in_the_figures_worked_out_by_hand(history):
    """Each dossier of the scenario is counted in exactly the figures of EXPECTED_Q1_REGULATORY."""
    got = {e.code: set(e.figures()) for e in rs.dossier_flags(Q1)}
    expected = {history[name].code: figures for name, figures in scenario.EXPECTED_Q1_REGULATORY.items() if figures}
    assert got == expected


def test_direct_report_totals_are_the_hand_computed_ones(history):
    """Received 16 = 3 online + 10 direct/postal + 3 carried = 9 resolved + 7 in progress."""
    report = rs.report_figures(period=Q1, source=rs.SOURCE_DIRECT)
    totals = {k: report["totals"][k] for k in rs.COUNT_KEYS}
    assert totals == expected_totals(scenario.EXPECTED_Q1_REGULATORY)
    assert totals["received_total"] == 16
    assert (totals["resolved_early"], totals["resolved_on_time"], totals["resolved_late"]) == (3, 2, 4)
    assert (totals["in_progress_within"], totals["in_progress_overdue"]) == (5, 2)
    # D14: (3 + 2) / 9 and (3 + 2 + 5) / 16
    assert report["totals"]["on_time_rate"] == "55.56"
    assert report["totals"]["on_time_rate_766"] == "62.50"


def test_report_from_rollups_equals_direct_and_oracle(history):
    """Summing the daily roll-ups gives the same report as the direct computation and the oracle."""
    rollup_range(start=date(2021, 12, 14), end=date(2022, 3, 14))
    direct = rs.report_figures(period=Q1, source=rs.SOURCE_DIRECT)
    rolled = rs.report_figures(period=Q1, source=rs.SOURCE_ROLLUP)
    assert rolled["source"] == "rollup" and direct["source"] == "direct"
    for key in ("totals", "levels", "fields"):
        assert rolled[key] == direct[key]
    assert comparable(rs.cells_direct(Q1)) == comparable(oracle_cells(Q1.start, Q1.end))
    assert comparable(rs.cells_from_rollups(Q1)) == comparable(oracle_cells(Q1.start, Q1.end))


def test_levels_group_by_lead_resolving_unit_level(history):
    """Province agencies, district and commune rows, each with its units; they add up to the total."""
    report = rs.report_figures(period=Q1, source=rs.SOURCE_DIRECT)
    levels = {lv["level"]: lv for lv in report["levels"]}
    assert list(levels) == ["province", "district", "commune"]
    # district: withdrawn (online), district_refused_late, accepted_online
    assert levels["district"]["totals"]["received_total"] == 3
    assert levels["district"]["totals"]["withdrawn"] == 1
    # commune: on_the_spot (Phương Lâm), two_supplements (Phương Lâm), hours_late (Yên Mông)
    assert levels["commune"]["totals"]["received_total"] == 3
    assert levels["commune"]["totals"]["on_the_spot"] == 1
    communes = {u["code"]: u["totals"]["received_total"] for u in levels["commune"]["units"]}
    assert communes == {"000.31.21.H23": 2, "000.34.21.H23": 1}
    for key in rs.COUNT_KEYS:
        assert sum(lv["totals"][key] for lv in report["levels"]) == report["totals"][key]
        assert sum(f["totals"][key] for f in report["fields"]) == report["totals"][key]
    # A unit without dossiers but resolving an active procedure still gets its row of zeros.
    province_units = {u["code"] for u in levels["province"]["units"]}
    assert {"000.00.12.H23", "000.00.14.H23"} <= province_units


def test_unit_scope_keeps_the_subtree(history, rorg):
    """A report for the district UBND covers the district and its communes, not the province."""
    report = rs.report_figures(period=Q1, unit=rorg["district"], source=rs.SOURCE_DIRECT)
    assert [lv["level"] for lv in report["levels"]] == ["district", "commune"]
    assert report["totals"]["received_total"] == 6
    assert report["scope"] == {"code": "000.00.21.H23", "name": "UBND thành phố Hòa Bình"}


def test_the_province_s_report_is_every_unit_s_until_a_unit_outside_its_tree_appears(history, rorg, rprocs):
    """The province's People's Committee is over every unit: its report is the report of all
    units, rows and receipts (the scope is then no filter). A dossier led by a unit outside its
    tree (another root) is in the report of all units but never in the province's."""
    from dossiers.models import Unit
    from dossiers.services import lifecycle

    from .conftest import APPLICANT, at

    def figures(report):
        return report["totals"], report["levels"], report["fields"], report["receiving"]

    for source in (rs.SOURCE_DIRECT, rs.SOURCE_ROLLUP):
        if source == rs.SOURCE_ROLLUP:
            rollup_range(start=Q1.day_before(), end=Q1.end)
        assert figures(rs.report_figures(period=Q1, unit=rorg["province"], source=source)) == figures(
            rs.report_figures(period=Q1, unit=None, source=source))
    other = Unit.objects.create(code="000.00.00.H99", name="Bộ ngành khác", level="province", kind="agency")
    proc = rprocs["justice5"]
    proc.pk, proc.code, proc.resolving_unit = None, "9.000001", other
    proc.save()
    lifecycle.dossier_register(procedure=proc, receiving_unit=rorg["centre"], channel="direct",
                               applicant=APPLICANT, received_at=at(2022, 3, 1))
    province = rs.report_figures(period=Q1, unit=rorg["province"], source=rs.SOURCE_DIRECT)
    everyone = rs.report_figures(period=Q1, unit=None, source=rs.SOURCE_DIRECT)
    assert everyone["totals"]["received_total"] == province["totals"]["received_total"] + 1
    assert "000.00.00.H99" not in {u["code"] for r in province["receiving"] for u in r["lead_units"]}


def test_carried_over_equals_in_progress_of_the_previous_quarter(history):
    """(6) of Q1/2022 = (11) of Q4/2021, on both bases."""
    for basis in ("regulatory", "calendar"):
        q1 = rs.report_figures(period=Period.quarter(2022, 1, basis), source=rs.SOURCE_DIRECT)
        q4 = rs.report_figures(period=Period.quarter(2021, 4, basis), source=rs.SOURCE_DIRECT)
        assert q1["totals"]["carried_over"] == q4["totals"]["in_progress_total"]
        assert q1["identities"]["previous_in_progress"] == q4["totals"]["in_progress_total"]


def test_calendar_quarter_counts_by_calendar_dates(history):
    """Calendar Q1/2022 (01/01 – 31/03): the dossiers resolved in December are outside; those
    received in December and open on 31/12 are carried; the overdue one resolved on 16/03 is
    resolved late; the oracle agrees with the direct query."""
    period = Period.quarter(2022, 1, "calendar")
    report = rs.report_figures(period=period, source=rs.SOURCE_DIRECT)
    got = {e.code: set(e.figures()) for e in rs.dossier_flags(period)}
    assert got[history["open_overdue"].code] == {"received_direct_postal", "resolved_late"}
    assert history["carried_early"].code not in got
    assert got[history["after_period"].code] == {"received_direct_postal", "in_progress_overdue"}
    assert comparable(rs.cells_direct(period)) == comparable(oracle_cells(period.start, period.end))
    assert report["totals"]["received_total"] == len(got)


def test_due_date_as_it_was_at_the_end_of_the_period(history):
    """The paused dossier resumed after T has a later due date now, but was judged at T with the
    due date of its last event before midnight."""
    d = history["paused_within"]
    assert d.due_date > Q1.end  # moved by the resume of 21/03
    ids = set(rs.report_dossiers(period=Q1, figure="in_progress_within").values_list("code", flat=True))
    assert d.code in ids


def test_drill_down_lists_the_dossiers_of_each_figure(history):
    """report_dossiers returns, for every figure, exactly the dossiers counted in it."""
    flags = {e.code: set(e.figures()) for e in rs.dossier_flags(Q1)}
    for figure in rs.DRILLABLE_FIGURES:
        listed = set(rs.report_dossiers(period=Q1, figure=figure).values_list("code", flat=True))
        if figure == "received_total":
            expected = set(flags)
        elif figure == "resolved_total":
            expected = {c for c, f in flags.items() if f & {"resolved_early", "resolved_on_time", "resolved_late"}}
        elif figure == "in_progress_total":
            expected = {c for c, f in flags.items() if f & {"in_progress_within", "in_progress_overdue"}}
        else:
            expected = {c for c, f in flags.items() if figure in f}
        assert listed == expected, figure


def test_a_broken_identity_is_a_loud_error(history):
    """A resolved dossier without a class cannot be printed: resolved ≠ early + on time + late."""
    Dossier.objects.filter(pk=history["carried_early"].pk).update(classification="")
    with pytest.raises(rs.ReportIdentityError) as exc:
        rs.report_figures(period=Q1, source=rs.SOURCE_DIRECT)
    assert "(7) = (8)+(9)+(10)" in str(exc.value)


def test_open_dossier_without_any_due_date_is_a_loud_error(history):
    """An open dossier whose history carries no due date cannot be classified."""
    from tests.hardening.history_guard import history_rewrite_allowed  # the history is append-only

    with history_rewrite_allowed():
        DossierEvent.objects.filter(dossier=history["open_within"]).update(due_date=None)
    with pytest.raises(rs.ReportIdentityError) as exc:
        rs.report_figures(period=Q1, source=rs.SOURCE_DIRECT)
    assert history["open_within"].code in str(exc.value)


def test_stale_rollups_break_an_identity_loudly(history, rstaff, rprocs, rorg):
    """A dossier imported after the roll-up (received in the period) makes flows and stocks
    disagree: the roll-up report refuses to print instead of showing wrong figures."""
    from dossiers.services import lifecycle as lc

    rollup_range(start=date(2021, 12, 14), end=date(2022, 3, 14))
    d = lc.dossier_register(procedure=rprocs["justice5"], receiving_unit=rorg["centre"], channel="direct",
                            applicant=scenario.APPLICANT, actor=rstaff, received_at=scenario.at(2022, 1, 5))
    approve_after_handover(dossier=d, actor=None, at=scenario.at(2022, 3, 14, 16))
    # Only the last day is rebuilt: its stock and flows know the dossier, the flows of 05/01 do not.
    rollup_range(start=date(2022, 3, 14), end=date(2022, 3, 14))
    with pytest.raises(rs.ReportIdentityError):
        rs.report_figures(period=Q1, source=rs.SOURCE_ROLLUP)
    rollup_range(start=date(2022, 1, 5), end=date(2022, 1, 5))
    assert rs.report_figures(period=Q1, source=rs.SOURCE_ROLLUP)["totals"]["received_total"] == 17


def test_missing_rollup_days_are_reported_and_auto_falls_back(history):
    """Without roll-ups, source=rollup names the missing days; auto computes directly."""
    with pytest.raises(rs.RollupMissingError) as exc:
        rs.report_figures(period=Q1, source=rs.SOURCE_ROLLUP)
    assert "rollup --from 2021-12-14 --to 2022-03-14" in str(exc.value)
    assert rs.report_figures(period=Q1)["source"] == "direct"
    rollup_range(start=date(2021, 12, 14), end=date(2022, 3, 14))
    assert rs.report_figures(period=Q1)["source"] == "rollup"


@pytest.mark.parametrize(
    "numerator, denominator, expected",
    [
        (85_162, 85_426, "99.69"),  # domain.md §11 rate A
        (91_843, 92_107, "99.71"),  # domain.md §11 rate B
        (1, 800, "0.13"),  # 0.125 rounds half up, not to even
        (1, 3, "33.33"),
        (2, 3, "66.67"),
        (5, 5, "100.00"),
        (0, 7, "0.00"),
        (0, 0, None),  # "—", never 0 % or 100 %
    ],
)
def test_rate_percent(numerator, denominator, expected):
    assert rs.rate_percent(numerator, denominator) == expected


def test_identity_failures_names_each_broken_rule():
    counts = {"received_total": 10, "received_online": 4, "received_direct_postal": 4, "carried_over": 1,
              "resolved_total": 6, "resolved_early": 3, "resolved_on_time": 2, "resolved_late": 1,
              "in_progress_total": 3, "in_progress_within": 3, "in_progress_overdue": 0, "previous_in_progress": 2}
    failures = rs.identity_failures(counts, "X")
    assert failures == [
        "X: (3) = (4)+(5)+(6): 10 ≠ 9",
        "X: (3) = (7)+(11): 10 ≠ 9",
        "X: (6) = (11) kỳ trước: 1 ≠ 2",
    ]


def test_a_calendar_change_after_the_period_does_not_rewrite_it(rorg, rprocs, rstaff, django_capture_on_commit_callbacks):
    """Received Mon 07/03/2022, 5 working days: D = Mon 14/03, so within deadline at the end of
    Q1 (T = 14/03). Later an administrator declares Sat 12/03/2022 a make-up working day: the
    open dossier is re-evaluated now (D = 12/03, an event of today), but Q1 still counts it
    within deadline, directly and from the roll-ups, because D is read as it was at the end of
    T. A dossier received after the change gets the new calendar."""
    from dossiers.services import lifecycle as lc
    from dossiers.services.calendar_overrides import calendar_override_save

    def receive(when):
        return lc.dossier_register(procedure=rprocs["justice5"], receiving_unit=rorg["centre"], channel="direct",
                                   applicant=scenario.APPLICANT, actor=rstaff, received_at=when)

    old = receive(scenario.at(2022, 3, 7))
    assert old.due_date == date(2022, 3, 14)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_override_save(day=date(2022, 3, 12), is_working_day=True, reason="Làm bù",
                               legal_source="Thông báo thử nghiệm", actor=rstaff)
    old.refresh_from_db()
    assert old.due_date == date(2022, 3, 12)  # re-evaluated: now overdue on 14/03 by today's calendar
    new = receive(scenario.at(2022, 3, 8))
    assert new.due_date == date(2022, 3, 14)  # 9, 10, 11, 12 (make-up Saturday), 14
    rollup_range(start=date(2021, 12, 14), end=date(2022, 3, 14))
    for source in (rs.SOURCE_DIRECT, rs.SOURCE_ROLLUP):
        totals = rs.report_figures(period=Q1, source=source)["totals"]
        assert (totals["in_progress_within"], totals["in_progress_overdue"]) == (2, 0), source
    within = set(rs.report_dossiers(period=Q1, figure="in_progress_within").values_list("code", flat=True))
    assert within == {old.code, new.code}
