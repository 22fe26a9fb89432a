"""The Quyết định 766 scorecard (citizens.scorecard) against hand-computed figures.

History: ``tests.reporting.scenario`` around regulatory Q1/2022 (16 dossiers counted; its
comments give every date). Whole scope: received (3) 16 = new online 3 (edge_new_on_time,
withdrawn, accepted_online) + new direct/postal 10 (of which postal 1: postal_open) + carried 3;
resolved 9 = early 3 (carried_early, withdrawn, two_supplements) + on time 2 (edge_new_on_time,
on_the_spot) + late 4; in progress 7 = within 5 (open_within, paused_within,
two_supplements_open, postal_open, accepted_online) + overdue 2 (open_overdue, paused_overdue).
"""
from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from citizens import scorecard as sc
from citizens.report_views import register_report_hooks
from dossiers.selectors import calendar_get
from reporting.periods import Period
from tests.reporting import scenario
from tests.reporting.conftest import make_clerk, make_org, make_procedures

from . import satisfaction_data as sd

Q1 = Period.quarter(2022, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _hooks():
    register_report_hooks()


@pytest.fixture
def world(db):
    org = make_org()
    procs = make_procedures(org)
    history = scenario.build(org, procs, make_clerk(org))
    # 3.1 / 3.2: three of the eight active procedures offer an online service.
    for key, level in (("justice5", "full"), ("district3", "partial"), ("build20", "partial")):
        procs[key].online_level = level
        procs[key].save(update_fields=["online_level"])
    return {"org": org, "procs": procs, "h": history}


def indicators(card) -> dict[str, sc.Indicator]:
    return {i.code: i for g in card["groups"] for i in g["indicators"]}


def test_group_2_rates_and_the_more_than_one_supplement_rule(world):
    ind = indicators(sc.scorecard(period=Q1, unit=None))
    b = ind["2.1"]
    assert (b.numerator, b.denominator, b.rate) == (10, 16, "62.50")  # (3 + 2 + 5) / 16
    # two_supplements (early) and two_supplements_open (within) had two requests each: late by 766
    strict = ind["2.1a"]
    assert (strict.numerator, strict.denominator, strict.rate) == (8, 16, "50.00")


def test_average_resolution_time_in_working_days_without_pauses(world):
    """Approved or refused in the period (withdrawn left out), working days r < w ≤ e:
    carried_early 10/12 → 16/12: 4; edge_carried_late 14/12 → 22/12: 6; edge_new_on_time
    15/12 → 22/12: 5; resolved_first_second r = Mon 22/11 → 15/12: 17 (justice5: 32 / 4 = 8.00);
    on_the_spot 0; two_supplements 10/01 → 13/01: 3 − pauses (10→11: 1, 11→12: 1) = 1;
    hours_late 02/03 → 03/03: 1; district_refused_late 14/02 → 02/03: 12. 46 days / 8 = 5.75."""
    t = sc.resolution_times(period=Q1, unit=None)
    assert (t["dossiers"], t["days"], t["average"]) == (8, 46, "5.75")
    per = {p["code"]: (p["dossiers"], p["average"]) for p in t["procedures"]}
    assert per == {"1.000001": (4, "8.00"), "2.000908": (1, "0.00"), "1.004873": (1, "1.00"),
                   "2.000815": (1, "1.00"), "1.009994": (1, "12.00")}
    assert sc.resolution_working_days(world["h"]["two_supplements"], calendar_get()) == 1


def test_group_3_channel_shares(world):
    ind = indicators(sc.scorecard(period=Q1, unit=None))
    assert (ind["3.1"].numerator, ind["3.1"].denominator, ind["3.1"].rate) == (3, 8, "37.50")
    assert ind["3.1"].attainment == "46.88"  # 37.5 / 80 = 0.46875 → half up
    # justice5 (edge_new_on_time) and district3 (withdrawn, accepted_online) got online dossiers; build20 none
    assert (ind["3.2"].numerator, ind["3.2"].denominator, ind["3.2"].rate) == (2, 3, "66.67")
    assert (ind["3.3"].numerator, ind["3.3"].denominator, ind["3.3"].rate) == (3, 13, "23.08")
    assert ind["3.3"].attainment == "46.15"  # 23.0769 / 50
    assert [(d["n"], d["rate"]) for d in ind["3.3"].details] == [(3, "23.08"), (9, "69.23"), (1, "7.69")]
    assert not ind["3.4"].computed and not ind["3.5"].computed


def test_group_5_satisfaction_with_tthc(world):
    """Late = (10) 4 + (13) 2 = 6. With feedback or dissatisfaction, among the 16 received:
    open_within (feedback 01/03), hours_late (feedback 05/03; late too: the 766 formula adds the
    percentages), carried_early (evaluation 5/18 on 20/12/2021); postal_open's feedback of
    15/03 is after T and the evaluation 18/18 of edge_new_on_time is satisfied → 3.
    5.4 = (16 − 6 − 3) / 16 = 43.75 %; 43.75 / 90 → 48.61 % of the maximum."""
    h = world["h"]
    sd.feedback(h["open_within"], submitted=date(2022, 3, 1), due=date(2022, 3, 11), answered=date(2022, 3, 10))
    sd.feedback(h["hours_late"], kind="proposal", submitted=date(2022, 3, 5), due=date(2022, 3, 10),
                answered=date(2022, 3, 12))
    sd.feedback(h["postal_open"], submitted=date(2022, 3, 15), due=date(2022, 3, 25))
    sd.evaluate(h["carried_early"], (1, 1, 1, 1, 1, 0, 0, 0, 0), on=date(2021, 12, 20))
    sd.evaluate(h["edge_new_on_time"], (2,) * 9, on=date(2021, 12, 23))
    ind = indicators(sc.scorecard(period=Q1, unit=None))
    assert (ind["5.4"].numerator, ind["5.4"].denominator, ind["5.4"].rate, ind["5.4"].attainment) == (
        7, 16, "43.75", "48.61")
    assert (ind["5.2"].numerator, ind["5.2"].denominator, ind["5.2"].rate) == (1, 2, "50.00")
    assert [d["n"] for d in ind["5.1"].details] == [1, 1]  # complaint, proposal received in the period
    assert (ind["5.5"].numerator, ind["5.5"].denominator, ind["5.5"].rate) == (1, 2, "50.00")
    assert not ind["5.3"].computed


def test_zero_denominators_are_dashes(db):
    """No dossier, procedure, feedback or evaluation: every computed rate is "—" (None), never 0 %."""
    make_org()
    ind = indicators(sc.scorecard(period=Q1, unit=None))
    for code in ("2.1", "2.1a", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3", "5.2", "5.4", "5.5"):
        assert ind[code].denominator == 0 and ind[code].rate is None and ind[code].attainment is None, code
    assert ind["2.2"].value_text is None


def test_scope_of_a_district(world):
    """District subtree: withdrawn (early, online), two_supplements (early, multi), on_the_spot
    (on time), hours_late (late), district_refused_late (late), accepted_online (within, online):
    received 6, definition B (2 + 1 + 1) / 6; 766 variant (4 − 1) / 6."""
    ind = indicators(sc.scorecard(period=Q1, unit=world["org"]["district"]))
    assert (ind["2.1"].numerator, ind["2.1"].denominator, ind["2.1"].rate) == (4, 6, "66.67")
    assert (ind["2.1a"].numerator, ind["2.1a"].rate) == (3, "50.00")
    # district3 (partial) is the district's only online procedure; five procedures in the subtree
    assert (ind["3.1"].numerator, ind["3.1"].denominator) == (1, 5)


def test_every_indicator_without_data_says_why(world):
    card = sc.scorecard(period=Q1, unit=None)
    missing = [i for g in card["groups"] for i in g["indicators"] if not i.computed]
    # 4.1–4.3 are computed from the papers app's documents (issue 16)
    assert {i.code for i in missing} == {"1.1", "1.2", "1.3", "1.4", "3.4", "3.5", "4.4", "5.3"}
    assert all(str(i.reason) for i in missing)
    assert card["computed"] == 13 and card["missing"] == 8


def test_scorecard_page(client, world):
    leader = sd.make_leader("lanhdao_tinh", world["org"]["province"])
    client.force_login(leader)
    r = client.get(reverse("citizens:scorecard"), {"basis": "regulatory", "kind": "quarter", "year": 2022, "number": 1})
    assert r.status_code == 200
    html = r.content.decode()
    assert html.count("Chưa có dữ liệu trong OneCua") == 8  # 4.1–4.3 from the papers (issue 16)
    assert 'data-indicator="2.1a"' in html and "50,00%" in html and "62,50%" in html
    assert "5,75" in html  # average resolution time
    assert reverse("reporting:report_dossiers") + "?basis=regulatory&amp;kind=quarter&amp;year=2022&amp;number=1" \
                                                  "&amp;unit=000.00.00.H23&amp;figure=multi_supplement" in html
