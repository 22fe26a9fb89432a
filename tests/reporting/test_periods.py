"""Report periods (D11): regulatory 15 – 14 and calendar months, quarters, halves, nine months,
years; previous periods; half-open instants; parsing of parameters."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporting.periods import (
    BASES,
    KINDS,
    LOCAL_TZ,
    Period,
    PeriodError,
    period_from_params,
)


@pytest.mark.parametrize("basis, kind, year, number, start, end", [
    # domain.md §6 / D11: regulatory
    ("regulatory", "quarter", 2022, 1, date(2021, 12, 15), date(2022, 3, 14)),
    ("regulatory", "quarter", 2022, 2, date(2022, 3, 15), date(2022, 6, 14)),
    ("regulatory", "quarter", 2022, 3, date(2022, 6, 15), date(2022, 9, 14)),
    ("regulatory", "quarter", 2022, 4, date(2022, 9, 15), date(2022, 12, 14)),
    ("regulatory", "half", 2022, 1, date(2021, 12, 15), date(2022, 6, 14)),
    ("regulatory", "half", 2022, 2, date(2022, 6, 15), date(2022, 12, 14)),
    ("regulatory", "nine_months", 2022, 1, date(2021, 12, 15), date(2022, 9, 14)),
    ("regulatory", "year", 2022, 1, date(2021, 12, 15), date(2022, 12, 14)),
    ("regulatory", "month", 2022, 1, date(2021, 12, 15), date(2022, 1, 14)),
    ("regulatory", "month", 2022, 3, date(2022, 2, 15), date(2022, 3, 14)),
    # calendar
    ("calendar", "quarter", 2022, 1, date(2022, 1, 1), date(2022, 3, 31)),
    ("calendar", "quarter", 2024, 4, date(2024, 10, 1), date(2024, 12, 31)),
    ("calendar", "month", 2024, 2, date(2024, 2, 1), date(2024, 2, 29)),  # leap year
    ("calendar", "half", 2022, 2, date(2022, 7, 1), date(2022, 12, 31)),
    ("calendar", "nine_months", 2022, 1, date(2022, 1, 1), date(2022, 9, 30)),
    ("calendar", "year", 2022, 1, date(2022, 1, 1), date(2022, 12, 31)),
])
def test_bounds(basis, kind, year, number, start, end):
    p = Period(basis, kind, year, number)
    assert (p.start, p.end) == (start, end)


def test_q1_2022_label_and_working_days():
    p = Period.quarter(2022, 1)
    assert p.label_vi() == "Quý I năm 2022 (từ ngày 15/12/2021 đến ngày 14/03/2022)"
    assert p.length == 90
    assert p.day_before() == date(2021, 12, 14)
    start_at, end_at = p.instants()
    assert start_at == datetime(2021, 12, 15, tzinfo=LOCAL_TZ)
    assert end_at == datetime(2022, 3, 15, tzinfo=LOCAL_TZ)
    assert p.as_dict()["quarter"] == 1 and p.as_dict()["start"] == "2021-12-15"


@pytest.mark.parametrize("period, previous", [
    (Period.quarter(2022, 1), Period.quarter(2021, 4)),
    (Period.quarter(2022, 3, "calendar"), Period.quarter(2022, 2, "calendar")),
    (Period.month(2022, 1), Period.month(2021, 12)),
    (Period("regulatory", "half", 2022, 1), Period("regulatory", "half", 2021, 2)),
    (Period("calendar", "year", 2022), Period("calendar", "year", 2021)),
    (Period("regulatory", "nine_months", 2022), Period("regulatory", "nine_months", 2021)),
])
def test_previous(period, previous):
    assert period.previous() == previous
    assert previous.next() == period


_LARGEST = {"month": 12, "quarter": 4, "half": 2, "year": 1}
periods = st.tuples(st.sampled_from(BASES), st.sampled_from(list(_LARGEST))).flatmap(
    lambda bk: st.builds(Period, st.just(bk[0]), st.just(bk[1]), st.integers(2001, 2099),
                         st.integers(1, _LARGEST[bk[1]])))


@given(periods)
def test_consecutive_periods_tile_the_timeline(p):
    """Months, quarters, halves and years of a basis follow each other without gap or overlap,
    and a period's months tile it exactly (so roll-ups can be summed per day)."""
    assert p.previous().end == p.day_before() == p.start - timedelta(days=1)
    assert p.next().start == p.end + timedelta(days=1)
    months = p.months()
    assert months[0].start == p.start and months[-1].end == p.end
    for a, b in zip(months, months[1:]):
        assert b.start == a.end + timedelta(days=1)
    assert sum(m.length for m in months) == p.length


@given(st.dates(date(2001, 1, 1), date(2099, 12, 31)), st.sampled_from(BASES),
       st.sampled_from(["month", "quarter", "half", "year"]))
def test_containing(day, basis, kind):
    p = Period.containing(day, kind=kind, basis=basis)
    assert p.contains(day)


def test_regulatory_december_after_the_14th_belongs_to_next_year():
    assert Period.containing(date(2021, 12, 15)) == Period.quarter(2022, 1)
    assert Period.containing(date(2021, 12, 14)) == Period.quarter(2021, 4)
    assert Period.containing(date(2021, 12, 15), basis="calendar") == Period.quarter(2021, 4, "calendar")


def test_from_params():
    assert period_from_params({"year": "2022", "quarter": "1"}) == Period.quarter(2022, 1)
    assert period_from_params({"year": 2022, "kind": "month", "month": 3, "basis": "calendar"}) == Period.month(
        2022, 3, "calendar")
    assert period_from_params({"year": 2022, "kind": "year"}) == Period("regulatory", "year", 2022)
    assert period_from_params({"year": 2022, "kind": "half", "number": 2}) == Period("regulatory", "half", 2022, 2)


@pytest.mark.parametrize("params, field, message", [
    ({"quarter": 1}, "year", "Vui lòng chọn năm báo cáo."),
    ({"year": 2022}, "quarter", "Vui lòng chọn quý."),
    ({"year": 2022, "quarter": 5}, "quarter", "Số kỳ “5” không hợp lệ: quý chỉ có từ 1 đến 4."),
    ({"year": 2022, "quarter": "x"}, "quarter", "Số kỳ “x” không hợp lệ: quý chỉ có từ 1 đến 4."),
    ({"year": "20x2", "quarter": 1}, "year", "Năm “20x2” không hợp lệ."),
    ({"year": 2022, "quarter": 1, "basis": "lunar"}, "basis", None),
    ({"year": 2022, "kind": "week", "number": 1}, "kind", None),
    ({"year": 2022, "kind": "month", "number": 13}, "number", None),
])
def test_from_params_errors(params, field, message):
    with pytest.raises(PeriodError) as exc:
        period_from_params(params)
    assert exc.value.field == field
    if message:
        assert exc.value.message == message


def test_key_round_trip():
    for basis in BASES:
        for kind in KINDS:
            p = Period(basis, kind, 2023, 1)
            assert Period.from_key(p.key) == p
