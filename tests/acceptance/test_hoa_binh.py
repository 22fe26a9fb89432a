"""Acceptance (domain.md §11): histories that reproduce Hòa Bình's Q1/2022 report.

The figures the province published are written out here, not read from the generator
(``demo.acceptance``), so a generator or a report that drifts fails. The plan is checked at full
scale without a database; at 1/20 scale the dossiers are loaded through ``import_dossiers`` and
the report, directly and from the roll-ups, must print the 1/20 figures written out below (each
row checked by hand against the identities of D12 and against the published figures divided by
20). The full scale (92,107 dossiers) runs in scripts/acceptance_hoa_binh.py.
"""
from __future__ import annotations

import pytest

from demo import acceptance as acc
from reporting.selectors import figures_from_counts

#: Biểu 06, Q1/2022 (regulatory period 15/12/2021–14/03/2022), as published.
PUBLISHED = {
    "received_total": 92_107, "received_online": 70_392, "received_direct_postal": 16_407,
    "carried_over": 5_308, "resolved_total": 85_426, "resolved_early": 76_286,
    "resolved_on_time": 8_876, "in_progress_total": 6_681, "in_progress_within": 6_681,
    "on_the_spot": 188,
}
PUBLISHED_LEVELS = {
    "province": {"received_total": 27_090, "resolved_total": 20_482, "in_progress_total": 6_608},
    "district": {"received_total": 7_343, "resolved_total": 7_270, "in_progress_total": 73},
    "commune": {"received_total": 57_674, "resolved_total": 57_674, "in_progress_total": 0},
}
PUBLISHED_RATES = ("99.69", "99.71")  # on-time rate (D14 headline), index-766 rate

KEYS = ("received_total", "received_online", "received_direct_postal", "carried_over", "resolved_total",
        "resolved_early", "resolved_on_time", "resolved_late", "in_progress_total", "in_progress_within",
        "in_progress_overdue", "on_the_spot")
#: the report at 1/20 scale, per level and in total, in the order of KEYS
ONE_TWENTIETH = {
    "province": (1_354, 950, 204, 200, 1_023, 865, 149, 9, 331, 331, 0, 0),
    "district": (365, 249, 92, 24, 362, 310, 49, 3, 3, 3, 0, 0),
    "commune": (2_884, 2_320, 524, 40, 2_884, 2_641, 243, 0, 0, 0, 0, 9),
    "totals": (4_603, 3_519, 820, 264, 4_269, 3_816, 441, 12, 334, 334, 0, 9),
}


def _pick(figures: dict) -> tuple:
    return tuple(figures[k] for k in KEYS)


def test_the_generator_carries_the_published_figures():
    """The generator's own copy of the article must be the article."""
    for key, value in PUBLISHED.items():
        assert acc.ARTICLE["totals"][key] == value, key
    for level, figures in PUBLISHED_LEVELS.items():
        assert acc.ARTICLE["levels"][level] == figures, level


def test_full_scale_plan_reproduces_every_published_figure():
    expected = acc.expected_figures(acc.plan_cells(1))
    totals = expected["totals"]
    for key, value in PUBLISHED.items():
        assert totals[key] == value, key
    # implied by the published figures: resolved − early − on time, and in progress − within
    assert totals["resolved_late"] == 85_426 - 76_286 - 8_876 == 264
    assert totals["in_progress_overdue"] == 0
    for level, figures in PUBLISHED_LEVELS.items():
        for key, value in figures.items():
            assert expected["levels"][level][key] == value, (level, key)
    rates = figures_from_counts(totals)
    assert (rates["on_time_rate"], rates["on_time_rate_766"]) == PUBLISHED_RATES
    assert sum(c.count for c in acc.plan_cells(1)) == 92_107


def test_the_written_out_one_twentieth_figures_keep_the_identities():
    """A guard on the table above: every row satisfies D12's identities."""
    for level, row in ONE_TWENTIETH.items():
        f = dict(zip(KEYS, row))
        assert f["received_total"] == f["received_online"] + f["received_direct_postal"] + f["carried_over"], level
        assert f["received_total"] == f["resolved_total"] + f["in_progress_total"], level
        assert f["resolved_total"] == f["resolved_early"] + f["resolved_on_time"] + f["resolved_late"], level
        assert f["in_progress_total"] == f["in_progress_within"] + f["in_progress_overdue"], level
    for i, key in enumerate(KEYS):
        assert ONE_TWENTIETH["totals"][i] == sum(ONE_TWENTIETH[lv][i] for lv in PUBLISHED_LEVELS), key
    assert abs(ONE_TWENTIETH["totals"][0] - 92_107 / 20) < 10


@pytest.mark.django_db(transaction=False)
def test_one_twentieth_scale_through_import_dossiers():
    """~4,600 dossiers (plus 100 outside the quarter) imported with import_dossiers: the report
    prints the written-out figures, directly and from the roll-ups."""
    result = acc.acceptance_run(scale=20, extras=100)
    assert result.differences == []
    report = result.report
    assert report["source"] == "rollup"
    assert [lv["level"] for lv in report["levels"]] == ["province", "district", "commune"]
    assert _pick(report["totals"]) == ONE_TWENTIETH["totals"]
    for level in report["levels"]:
        assert _pick(level["totals"]) == ONE_TWENTIETH[level["level"]], level["level"]
    assert report["totals"]["multi_supplement"] > 0
    assert report["totals"]["withdrawn"] > 0
