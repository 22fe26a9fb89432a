"""Acceptance (issue 6): histories that reproduce Hòa Bình's Q1/2022 report (domain.md §11).

The plan is checked at full scale without a database (every published figure, the implied 264
late and 0 overdue, both rates); the dossiers are generated at 1/20 scale, loaded through
``import_dossiers``, and the report (direct and from roll-ups) must print exactly the plan's
figures. The full scale (92,107 dossiers) runs in scripts/acceptance_hoa_binh.py.
"""
from __future__ import annotations

import pytest

from reporting import acceptance as acc
from reporting.selectors import figures_from_counts


def test_full_scale_plan_reproduces_every_published_figure():
    expected = acc.expected_figures(acc.plan_cells(1))
    totals = expected["totals"]
    for key, value in acc.ARTICLE["totals"].items():
        if key.startswith("on_time_rate"):
            continue
        assert totals[key] == value, key
    assert totals["resolved_late"] == 264 and totals["in_progress_overdue"] == 0
    for level, figures in acc.ARTICLE["levels"].items():
        for key, value in figures.items():
            assert expected["levels"][level][key] == value, (level, key)
    rates = figures_from_counts(totals)
    assert (rates["on_time_rate"], rates["on_time_rate_766"]) == ("99.69", "99.71")
    assert sum(c.count for c in acc.plan_cells(1)) == 92_107


def test_scaled_plan_keeps_the_identities():
    """At 1/20 every figure is the plan's own sum: the identities hold at every level."""
    expected = acc.expected_figures(acc.plan_cells(20))
    for figures in [expected["totals"], *expected["levels"].values()]:
        assert figures["received_total"] == (figures["received_online"] + figures["received_direct_postal"]
                                             + figures["carried_over"])
        assert figures["received_total"] == figures["resolved_total"] + figures["in_progress_total"]
        assert figures["resolved_total"] == (figures["resolved_early"] + figures["resolved_on_time"]
                                             + figures["resolved_late"])
    assert abs(expected["totals"]["received_total"] - 92_107 / 20) < 10
    assert expected["totals"]["on_the_spot"] == 9  # 188 / 20
    assert expected["totals"]["in_progress_overdue"] == 0
    assert expected["levels"]["commune"]["in_progress_total"] == 0


@pytest.mark.django_db(transaction=False)
def test_one_twentieth_scale_through_import_dossiers():
    """~4,600 dossiers (plus 100 outside the quarter) imported with import_dossiers: the report
    prints exactly the planned figures, directly and from the roll-ups."""
    result = acc.acceptance_run(scale=20, extras=100)
    assert result.differences == []
    totals = result.report["totals"]
    expected = result.expected["totals"]
    assert totals["received_total"] == expected["received_total"] == 4_603
    assert totals["resolved_late"] == expected["resolved_late"] == 12
    assert totals["in_progress_overdue"] == 0
    assert totals["on_the_spot"] == 9
    assert totals["multi_supplement"] == expected["multi_supplement"] > 0
    assert totals["withdrawn"] == expected["withdrawn"] > 0
    assert result.report["source"] == "rollup"
    assert [lv["level"] for lv in result.report["levels"]] == ["province", "district", "commune"]
