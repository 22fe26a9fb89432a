"""Satisfaction and feedback figures of a report period (citizens.report) and their pages: exact
averages (half up), bands, satisfied share, period edges on both bases, the leader's scope, the
drill-down lists, the section on the leaders' report page and the new keys of the report JSON.

Data: ``satisfaction_data`` (rows written with the ORM; the figures are worked out there).
"""
from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from citizens import report as cr
from citizens.models import Evaluation
from citizens.report_views import register_report_hooks
from reporting.periods import CALENDAR, Period

from tests.reporting.conftest import make_clerk, make_org, make_procedures

from . import satisfaction_data as sd

Q1 = Period.quarter(2022, 1)  # regulatory: 15/12/2021 – 14/03/2022
Q1_CAL = Period.quarter(2022, 1, CALENDAR)  # 01/01/2022 – 31/03/2022

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _hooks():
    # CitizensConfig.ready() registers them once the lead adds the line; idempotent.
    register_report_hooks()


@pytest.fixture
def rorg(db):
    return make_org()


@pytest.fixture
def world(rorg):
    return {"org": rorg, "procs": make_procedures(rorg), "clerk": make_clerk(rorg)}


def dossier(world, proc="justice5", name=""):
    return sd.make_dossier(world["procs"], world["org"], world["clerk"], proc=proc, name=name)


def q(period: Period = Q1, **extra) -> dict:
    return {"basis": period.basis, "kind": period.kind, "year": period.year, "number": period.number, **extra}


# --- rounding ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n, d, expected", [
    (81, 7, "11.57"),   # 11.5714…
    (1, 8, "0.13"),     # 0.125: half up, not to even
    (3, 8, "0.38"),     # 0.375
    (10, 4, "2.50"),
    (0, 5, "0.00"),
    (5, 0, None),       # D14: no denominator, no figure
])
def test_decimal_half_up(n, d, expected):
    assert cr.decimal_half_up(n, d) == expected


# --- the figures -------------------------------------------------------------------------------------


def test_seven_evaluations_exact_figures(world):
    for i, points in enumerate(sd.SEVEN):
        sd.evaluate(dossier(world), points, on=date(2022, 1, 10 + i))
    f = cr.satisfaction_figures(period=Q1)
    assert f["evaluations"] == 7
    assert f["points_total"] == 81
    assert f["average_total"] == "11.57"
    assert f["bands"] == {"excellent": 2, "good": 2, "fair": 1, "average": 1, "poor": 1}
    assert f["satisfied"] == 5
    assert f["satisfied_share"] == "71.43"
    assert f["criteria_average"] == sd.SEVEN_CRITERIA_AVERAGES


def test_half_up_average_of_the_period(world):
    """Totals 1, 0, 0, 0, 0, 0, 0, 0: 1/8 = 0.125 → 0.13; none satisfied → 0.00 %, not "—"."""
    sd.evaluate(dossier(world), (1, 0, 0, 0, 0, 0, 0, 0, 0), on=date(2022, 2, 1))
    for _i in range(7):
        sd.evaluate(dossier(world), (0,) * 9, on=date(2022, 2, 1))
    f = cr.satisfaction_figures(period=Q1)
    assert (f["average_total"], f["satisfied_share"], f["criteria_average"][0]) == ("0.13", "0.00", "0.13")


def test_no_evaluation_is_a_dash_not_zero(world):
    f = cr.satisfaction_figures(period=Q1)
    assert f["evaluations"] == 0
    assert f["average_total"] is None and f["satisfied_share"] is None
    assert f["criteria_average"] == [None] * 9


@pytest.mark.parametrize("period, counted", [
    # regulatory Q1/2022 = 15/12/2021 – 14/03/2022: S and T count, S−1 and T+1 do not
    (Q1, {"S", "T"}),
    # calendar Q1/2022 = 01/01 – 31/03/2022: only T+1 (15/03) and T (14/03) of those dates
    (Q1_CAL, {"T", "T+1"}),
])
def test_period_edges_both_bases(world, period, counted):
    days = {"S-1": date(2021, 12, 14), "S": date(2021, 12, 15), "T": date(2022, 3, 14), "T+1": date(2022, 3, 15)}
    # A distinct total per edge day tells which ones were counted.
    totals = {"S-1": (2,) * 9, "S": (1,) * 9, "T": (2, 2, 0, 0, 0, 0, 0, 0, 0), "T+1": (0,) * 9}
    for key, d in days.items():
        sd.evaluate(dossier(world), totals[key], on=d)
    got = {e.submitted_on for e in cr.evaluation_list(period=period, figure="evaluations")}
    assert got == {days[k] for k in counted}
    assert cr.satisfaction_figures(period=period)["evaluations"] == len(counted)
    assert cr.satisfaction_figures(period=period)["points_total"] == sum(sum(totals[k]) for k in counted)


def test_scope_excludes_the_sibling_unit(world, rorg):
    """District subtree = district, its counter and the two communes; Sở Tư pháp is a sibling."""
    sd.evaluate(dossier(world, "commune2"), (2,) * 9, on=date(2022, 1, 5))  # commune: 18
    sd.evaluate(dossier(world, "district3"), (1,) * 9, on=date(2022, 1, 5))  # district: 9
    sd.evaluate(dossier(world, "justice5"), (0,) * 9, on=date(2022, 1, 5))  # province agency: 0
    district = cr.satisfaction_figures(period=Q1, unit=rorg["district"])
    assert (district["evaluations"], district["average_total"], district["satisfied_share"]) == (2, "13.50", "100.00")
    everything = cr.satisfaction_figures(period=Q1)
    assert (everything["evaluations"], everything["average_total"], everything["satisfied_share"]) == (3, "9.00", "66.67")
    rows = cr.satisfaction_by_unit(period=Q1, unit=rorg["district"])
    # sorted by name: "UBND phường Phương Lâm" before "UBND thành phố Hòa Bình"
    assert [(r["code"], r["figures"]["evaluations"]) for r in rows] == [(rorg["commune"].code, 1), (rorg["district"].code, 1)]


def test_per_officer_rows_and_server_sorting(world, rorg):
    """Officer An: 18 and 12 (avg 15.00, 100 %); Bình: 6 (6.00, 0 %); none: 9 (9.00, 100 %)."""
    an = sd.make_officer("an", rorg["justice"], "Trần Văn An")
    binh = sd.make_officer("binh", rorg["justice"], "Lê Thị Bình")
    sd.evaluate(dossier(world), (2,) * 9, on=date(2022, 1, 5), officer=an)
    sd.evaluate(dossier(world), (2, 2, 2, 1, 1, 1, 1, 1, 1), on=date(2022, 1, 6), officer=an)
    sd.evaluate(dossier(world), (1, 1, 1, 1, 1, 1, 0, 0, 0), on=date(2022, 1, 7), officer=binh)
    sd.evaluate(dossier(world), (1,) * 9, on=date(2022, 1, 8))
    rows = cr.satisfaction_by_officer(period=Q1, sort="average", descending=True)
    assert [(r["key"], r["figures"]["average_total"], r["figures"]["satisfied_share"]) for r in rows] == [
        (f"officer:{cr.officer_ref(an.pk)}", "15.00", "100.00"), ("officer:none", "9.00", "100.00"),
        (f"officer:{cr.officer_ref(binh.pk)}", "6.00", "0.00")]
    ascending = cr.satisfaction_by_officer(period=Q1, sort="average")
    assert [r["key"] for r in ascending] == [r["key"] for r in reversed(rows)]
    by_count = cr.satisfaction_by_officer(period=Q1, sort="evaluations", descending=True)
    assert by_count[0]["key"] == f"officer:{cr.officer_ref(an.pk)}" and by_count[0]["figures"]["evaluations"] == 2
    # the drill-down of one officer's satisfied evaluations
    listed = cr.evaluation_list(period=Q1, figure="satisfied", row=cr.RowFilter(officer_id=an.pk))
    assert [e.total for e in listed] == [18, 12]
    assert [e.total for e in cr.evaluation_list(period=Q1, figure="band_average")] == [6]


# --- feedback ----------------------------------------------------------------------------------------


@pytest.fixture
def feedback_world(world, rorg):
    """Regulatory Q1/2022, T = 14/03/2022. In the district subtree (commune):
    f1 complaint 10/01, due 20/01, answered 18/01 → received, answered on time
    f2 proposal 01/02, due 10/02, answered 15/02 → received, answered late
    f3 complaint 01/03, due 20/03, open → received, open within (due ≥ T)
    f4 complaint 01/03, due 10/03, open → received, open overdue
    f5 complaint 10/03, due 14/03 = T, answered 16/03 (after T) → received, open within at T
    f6 proposal 10/12/2021 (before S), due 14/12, answered 15/12/2021 → answered late only
    f8 complaint 15/03 (T + 1) → nothing
    and f7 (complaint 05/01, open, due 10/01) at the sibling Sở Tư pháp.
    """
    c = lambda: dossier(world, "commune2")  # noqa: E731
    out = {
        "f1": sd.feedback(c(), submitted=date(2022, 1, 10), due=date(2022, 1, 20), answered=date(2022, 1, 18)),
        "f2": sd.feedback(c(), kind="proposal", submitted=date(2022, 2, 1), due=date(2022, 2, 10), answered=date(2022, 2, 15)),
        "f3": sd.feedback(c(), submitted=date(2022, 3, 1), due=date(2022, 3, 20)),
        "f4": sd.feedback(c(), submitted=date(2022, 3, 1), due=date(2022, 3, 10)),
        "f5": sd.feedback(c(), submitted=date(2022, 3, 10), due=date(2022, 3, 14), answered=date(2022, 3, 16)),
        "f6": sd.feedback(c(), kind="proposal", submitted=date(2021, 12, 10), due=date(2021, 12, 14),
                          answered=date(2021, 12, 15)),
        "f8": sd.feedback(c(), submitted=date(2022, 3, 15), due=date(2022, 3, 25)),
        "f7": sd.feedback(dossier(world, "justice5"), submitted=date(2022, 1, 5), due=date(2022, 1, 10)),
    }
    return out


def test_feedback_counts_at_the_period_end(feedback_world, rorg):
    f = cr.feedback_figures(period=Q1, unit=rorg["district"])
    assert f == {
        "received_total": 5, "received_complaint": 4, "received_proposal": 1,
        "answered_total": 3, "answered_on_time": 1, "answered_late": 2,
        "open_total": 3, "open_within": 2, "open_overdue": 1,
        "answered_on_time_share": "33.33",
    }
    every = cr.feedback_figures(period=Q1)
    assert (every["received_total"], every["open_overdue"]) == (6, 2)  # + f7, overdue since 10/01
    ids = lambda figure, **kw: {x.pk for x in cr.feedback_list(period=Q1, figure=figure, **kw)}  # noqa: E731
    fw = feedback_world
    assert ids("answered_late", unit=rorg["district"]) == {fw["f2"].pk, fw["f6"].pk}
    assert ids("open_within", unit=rorg["district"]) == {fw["f3"].pk, fw["f5"].pk}
    assert ids("open_overdue") == {fw["f4"].pk, fw["f7"].pk}


def test_feedback_without_answers_is_a_dash(world):
    assert cr.feedback_figures(period=Q1)["answered_on_time_share"] is None


# --- pages -------------------------------------------------------------------------------------------


@pytest.fixture
def leaders(rorg):
    return {"province": sd.make_leader("lanhdao_tinh", rorg["province"]),
            "district": sd.make_leader("lanhdao_huyen", rorg["district"])}


def test_report_page_shows_the_satisfaction_and_feedback_sections(client, world, feedback_world, leaders, rorg):
    for i, points in enumerate(sd.SEVEN):
        sd.evaluate(dossier(world, "commune2"), points, on=date(2022, 1, 10 + i))
    client.force_login(leaders["district"])
    r = client.get(reverse("reporting:report_quarterly"), q())
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="citizens-satisfaction"' in html and 'id="b06"' in html
    assert html.index('id="b06"') < html.index('id="citizens-satisfaction"')
    assert "11,57" in html and "71,43%" in html  # average and share, Vietnamese decimals
    assert 'data-fb="open_overdue"' in html and "33,33%" in html
    scorecard_url = reverse("citizens:scorecard") + "?basis=regulatory&amp;kind=quarter&amp;year=2022&amp;number=1"
    assert scorecard_url in html


def test_satisfaction_pages_and_drill_down(client, world, leaders, rorg):
    for i, points in enumerate(sd.SEVEN):
        sd.evaluate(dossier(world, "commune2"), points, on=date(2022, 1, 10 + i))
    sd.evaluate(dossier(world, "justice5"), (0,) * 9, on=date(2022, 1, 5))  # sibling: not shown to the district
    client.force_login(leaders["district"])
    r = client.get(reverse("citizens:satisfaction_units"), q(sort="average", dir="desc"))
    assert r.status_code == 200
    html = r.content.decode()
    assert rorg["commune"].name in html and rorg["justice"].name not in html
    r = client.get(reverse("citizens:satisfaction_evaluations"), q(figure="satisfied", row=f"unit:{rorg['commune'].code}"))
    assert r.status_code == 200
    assert r.content.decode().count('data-total>') == 5
    codes = set(Evaluation.objects.filter(unit=rorg["commune"], total__gte=9).values_list("dossier__code", flat=True))
    assert all(reverse("dossiers:detail", args=[c]) in r.content.decode() for c in codes)
    r = client.get(reverse("citizens:satisfaction_officers"), q())
    assert r.status_code == 200 and "(Không ghi nhận cán bộ)" in r.content.decode()


@pytest.mark.parametrize("name", ["citizens:satisfaction_units", "citizens:satisfaction_officers",
                                  "citizens:satisfaction_evaluations", "citizens:feedback_report", "citizens:scorecard"])
def test_unit_outside_the_scope_is_404(client, world, leaders, rorg, name):
    client.force_login(leaders["district"])
    assert client.get(reverse(name), q(unit=rorg["justice"].code)).status_code == 404
    assert client.get(reverse(name), q(unit=rorg["commune"].code)).status_code == 200


def test_a_row_outside_the_scope_is_404(client, world, leaders, rorg):
    client.force_login(leaders["district"])
    r = client.get(reverse("citizens:satisfaction_evaluations"), q(row=f"unit:{rorg['justice'].code}"))
    assert r.status_code == 404


def test_staff_who_are_not_leaders_get_403(client, world, rorg):
    clerk = sd.make_officer("motcua", rorg["centre"], "Lan")
    client.force_login(clerk)
    assert client.get(reverse("citizens:scorecard"), q()).status_code == 403


def test_feedback_drill_down_page(client, feedback_world, leaders, rorg):
    client.force_login(leaders["district"])
    r = client.get(reverse("citizens:feedback_report"), q(figure="open_within"))
    assert r.status_code == 200
    html = r.content.decode()
    assert html.count("data-feedback=") == 2 and f'data-feedback="{feedback_world["f5"].pk}"' in html


# --- the report JSON: new keys only --------------------------------------------------------------------


def test_report_api_and_command_add_satisfaction_and_feedback_keys(client, world, feedback_world, leaders, rorg):
    for i, points in enumerate(sd.SEVEN):
        sd.evaluate(dossier(world, "commune2"), points, on=date(2022, 1, 10 + i))
    client.force_login(leaders["district"])
    r = client.get("/api/v1/reports/quarterly/", {"year": 2022, "quarter": 1})
    assert r.status_code == 200
    body = r.json()
    assert {"period", "totals", "levels", "fields", "identities"} <= set(body)  # nothing dropped
    assert body["satisfaction"]["average_total"] == "11.57" and body["satisfaction"]["evaluations"] == 7
    assert body["feedback"]["answered_on_time_share"] == "33.33"
    out = StringIO()
    call_command("report", "quarterly", "--year", "2022", "--quarter", "1", "--unit", rorg["district"].code,
                 "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["satisfaction"] == body["satisfaction"] and data["feedback"] == body["feedback"]
