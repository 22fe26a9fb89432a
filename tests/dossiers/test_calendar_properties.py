"""Properties of the working-day calendar and the deadline engine, over random calendars
(random holidays, make-up Saturdays and overrides) and the real Vietnamese calendar.

Random calendars are checked against an independent day-by-day model of rule D1, so the
precomputed arrays cannot drift from the rule. No database needed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import holidays
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from dossiers.calendar import (
    LOCAL_TZ,
    Pause,
    TimeUnit,
    WorkCalendar,
    compute_due,
    receipt_date,
)
from dossiers.vn_calendar import build_vn_calendar

VN_FIRST_YEAR, VN_LAST_YEAR = 2014, 2030
VN = build_vn_calendar(first_year=VN_FIRST_YEAR, last_year=VN_LAST_YEAR)
VN_LIB = holidays.VN(language="vi", years=range(VN_FIRST_YEAR - 1, VN_LAST_YEAR + 2))

NAMES = ("Tết Nguyên Đán", "Giỗ Tổ Hùng Vương", "Quốc khánh", "Ngày nghỉ bù")
REASONS = ("Thông báo 6150/TB-BNV", "Nghỉ do bão", "Làm bù theo Quyết định của tỉnh")

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class CalendarCase:
    """A calendar plus an independent model of which days are working days (D1)."""

    cal: WorkCalendar
    working: dict[date, bool]

    def is_working(self, d: date) -> bool:
        return self.working[d]

    def days(self, a: date, b: date):
        d = a
        while d <= b:
            yield d
            d += timedelta(days=1)


def _model_random(first, last, hol, make_up, overrides) -> dict[date, bool]:
    working = {}
    d = first
    while d <= last:
        if d in overrides:
            working[d] = overrides[d][0]
        elif d.weekday() >= 5:
            working[d] = d in make_up
        else:
            working[d] = d not in hol
        d += timedelta(days=1)
    return working


@st.composite
def random_calendars(draw) -> CalendarCase:
    first = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2045, 1, 1)))
    length = draw(st.integers(min_value=90, max_value=500))
    last = first + timedelta(days=length - 1)
    day = st.integers(0, length - 1).map(lambda i: first + timedelta(days=i))
    hol = draw(st.dictionaries(day, st.sampled_from(NAMES), max_size=length // 5))
    weekends = [first + timedelta(days=i) for i in range(length)
                if (first + timedelta(days=i)).weekday() >= 5]
    make_up = {d: "Làm bù" for d in draw(st.sets(st.sampled_from(weekends), max_size=10))}
    overrides = draw(st.dictionaries(day, st.tuples(st.booleans(), st.sampled_from(REASONS)),
                                     max_size=10))
    cal = WorkCalendar(first=first, last=last, holidays=hol, weekend_workdays=make_up,
                       overrides=overrides)
    return CalendarCase(cal, _model_random(first, last, hol, make_up, overrides))


_VN_MODEL = {}
_d = VN.first
while _d <= VN.last:
    _VN_MODEL[_d] = VN_LIB.is_working_day(_d)
    _d += timedelta(days=1)


@st.composite
def vn_calendars(draw) -> CalendarCase:
    """The real calendar, sometimes with a few administrator overrides on top."""
    overrides = draw(st.dictionaries(
        st.dates(min_value=VN.first, max_value=VN.last),
        st.tuples(st.booleans(), st.sampled_from(REASONS)),
        max_size=6,
    ))
    if not overrides:
        return CalendarCase(VN, _VN_MODEL)
    cal = build_vn_calendar(first_year=VN_FIRST_YEAR, last_year=VN_LAST_YEAR, overrides=overrides)
    model = dict(_VN_MODEL)
    model.update({d: w for d, (w, _) in overrides.items()})
    return CalendarCase(cal, model)


calendars = st.one_of(random_calendars(), vn_calendars())


@st.composite
def cases_with_instant(draw, share: float = 0.6):
    """A calendar and an aware receipt instant in the first part of its range, given either in
    local time or in UTC."""
    case = draw(calendars)
    span = (case.cal.last - case.cal.first).days
    day = case.cal.first + timedelta(days=draw(st.integers(0, int(span * share))))
    t = draw(st.times(max_value=time(23, 59, 59)))
    instant = datetime.combine(day, t, LOCAL_TZ)
    if draw(st.booleans()):
        instant = instant.astimezone(timezone.utc)
    return case, instant


units_and_amounts = st.one_of(
    st.tuples(st.just(TimeUnit.WORKING_DAYS), st.integers(0, 25)),
    st.tuples(st.just(TimeUnit.CALENDAR_DAYS), st.integers(0, 40)),
    st.tuples(st.just(TimeUnit.WORKING_HOURS), st.integers(0, 120)),
)


@st.composite
def pause_lists(draw, received_at: datetime) -> list[Pause]:
    """Non-overlapping pauses after R, in order; the last one may be open."""
    pauses = []
    cursor = received_at
    for _ in range(draw(st.integers(0, 3))):
        start = cursor + timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))
        end = start + timedelta(minutes=draw(st.integers(0, 15 * 24 * 60)))
        pauses.append(Pause(start, end))
        cursor = end
    if pauses and draw(st.booleans()):
        pauses[-1] = Pause(pauses[-1].start, None)
    return pauses


def due_or_reject(**kwargs):
    """compute_due, skipping examples whose result falls outside the calendar's range."""
    try:
        return compute_due(**kwargs)
    except ValueError as exc:
        if "calendar" in str(exc):
            reject()
        raise


# --- the calendar itself ---------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(case=random_calendars())
def test_random_calendar_follows_rule_d1(case):
    """Every day is a working day exactly as D1 says: weekday unless a holiday, weekend only
    when a make-up day, an override always wins."""
    for d in case.days(case.cal.first, case.cal.last):
        assert case.cal.is_working_day(d) == case.is_working(d), d


@settings(PROPERTY_SETTINGS, max_examples=40)  # each example checks 17 years day by day
@given(case=vn_calendars())
def test_vn_calendar_is_the_library_plus_overrides(case):
    """The VN calendar agrees with holidays.VN(language="vi").is_working_day, except where an
    override says otherwise."""
    for d in case.days(case.cal.first, case.cal.last):
        assert case.cal.is_working_day(d) == case.is_working(d), d


@PROPERTY_SETTINGS
@given(data=st.data(), case=calendars)
def test_add_working_days_counts_day_by_day(data, case):
    """add_working_days(d, N) is the N-th working day after d counted one day at a time, and
    working_days_between(d, add_working_days(d, N)) == N."""
    cal = case.cal
    span = (cal.last - cal.first).days
    d = cal.first + timedelta(days=data.draw(st.integers(0, span), label="offset"))
    n = data.draw(st.integers(0, 30), label="n")
    expected, seen, x = d, 0, d
    while seen < n:
        x += timedelta(days=1)
        if x > cal.last:
            with pytest.raises(ValueError, match="calendar"):
                cal.add_working_days(d, n)
            return
        if case.is_working(x):
            seen += 1
            expected = x
    result = cal.add_working_days(d, n)
    assert result == expected
    assert cal.working_days_between(d, result) == n
    if n:
        assert cal.is_working_day(result)


@PROPERTY_SETTINGS
@given(data=st.data(), case=calendars)
def test_working_days_between_counts_day_by_day(data, case):
    """working_days_between(a, b) counts the working days w with a < w ≤ b."""
    cal = case.cal
    span = (cal.last - cal.first).days
    a = cal.first + timedelta(days=data.draw(st.integers(0, span)))
    b = cal.first + timedelta(days=data.draw(st.integers(0, span)))
    expected = sum(1 for d in case.days(a + timedelta(days=1), b) if case.is_working(d))
    assert cal.working_days_between(a, b) == expected
    assert cal.working_days_in(a, b) == expected + (case.is_working(a) if a <= b else 0)


# --- due dates -------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(data=st.data(), case_r=cases_with_instant(), unit_amount=units_and_amounts)
def test_due_date_is_always_a_working_day(data, case_r, unit_amount):
    """Whatever the unit, amount and pauses, D is a working day, not before the receipt date."""
    case, received_at = case_r
    unit, amount = unit_amount
    pauses = data.draw(pause_lists(received_at))
    due = due_or_reject(received_at=received_at, amount=amount, unit=unit, cal=case.cal,
                        pauses=pauses)
    assert case.is_working(due.due_date)
    assert case.is_working(due.base_due_date)
    assert due.due_date >= due.base_due_date >= received_at.astimezone(LOCAL_TZ).date()
    assert due.paused == any(p.end is None for p in pauses)
    if unit is TimeUnit.WORKING_DAYS and amount >= 1:
        assert case.cal.working_days_between(due.receipt_date, due.base_due_date) == amount
    if unit is not TimeUnit.WORKING_HOURS:
        assert due.due_at == datetime.combine(due.due_date, time(17), LOCAL_TZ)


@PROPERTY_SETTINGS
@given(case_r=cases_with_instant())
def test_receipt_date_is_the_first_working_day_from_r(case_r):
    """D2: r is a working day, not before R's local date, with no working day in between."""
    case, received_at = case_r
    local_day = received_at.astimezone(LOCAL_TZ).date()
    try:
        r = receipt_date(received_at, case.cal)
    except ValueError:
        assert not any(case.is_working(d) for d in case.days(local_day, case.cal.last))
        return
    assert case.is_working(r)
    assert r >= local_day
    assert not any(case.is_working(d) for d in case.days(local_day, r - timedelta(days=1)))


@PROPERTY_SETTINGS
@given(case_r=cases_with_instant(), unit_amount=units_and_amounts)
def test_due_date_never_moves_back_when_the_amount_grows(case_r, unit_amount):
    """More processing time never gives an earlier due date (or due instant)."""
    case, received_at = case_r
    unit, amount = unit_amount
    shorter = due_or_reject(received_at=received_at, amount=amount, unit=unit, cal=case.cal)
    longer = due_or_reject(received_at=received_at, amount=amount + 1, unit=unit, cal=case.cal)
    assert shorter.due_date <= longer.due_date
    assert shorter.due_at <= longer.due_at
    if unit is TimeUnit.WORKING_DAYS and amount >= 1:
        assert case.cal.working_days_between(shorter.due_date, longer.due_date) == 1


@PROPERTY_SETTINGS
@given(data=st.data(), case_r=cases_with_instant(), unit_amount=units_and_amounts)
def test_adding_a_pause_never_moves_the_due_date_back(data, case_r, unit_amount):
    """Each extra pause keeps or delays D, never advances it."""
    case, received_at = case_r
    unit, amount = unit_amount
    pauses = data.draw(pause_lists(received_at))
    previous = due_or_reject(received_at=received_at, amount=amount, unit=unit, cal=case.cal)
    for i in range(1, len(pauses) + 1):
        current = due_or_reject(received_at=received_at, amount=amount, unit=unit, cal=case.cal,
                                pauses=pauses[:i])
        assert current.due_date >= previous.due_date
        assert current.due_at >= previous.due_at
        previous = current


@PROPERTY_SETTINGS
@given(data=st.data(), case_r=cases_with_instant(),
       unit=st.sampled_from([TimeUnit.WORKING_DAYS, TimeUnit.CALENDAR_DAYS]),
       amount=st.integers(1, 25))
def test_a_pause_within_the_deadline_adds_exactly_its_working_days(data, case_r, unit, amount):
    """D7: a pause from p (on or before D) to q moves D by k = the working days in (p, q]."""
    case, received_at = case_r
    cal = case.cal
    before = due_or_reject(received_at=received_at, amount=amount, unit=unit, cal=cal)
    local_r = received_at.astimezone(LOCAL_TZ)
    latest = datetime.combine(before.due_date, time(23, 59), LOCAL_TZ)
    start = local_r + timedelta(
        minutes=data.draw(st.integers(0, int((latest - local_r).total_seconds() // 60))))
    end = start + timedelta(minutes=data.draw(st.integers(0, 30 * 24 * 60)))
    p, q = start.date(), end.date()
    k = sum(1 for d in case.days(p + timedelta(days=1), q) if case.is_working(d))
    after = due_or_reject(received_at=received_at, amount=amount, unit=unit, cal=cal,
                          pauses=[Pause(start, end)])
    assert cal.working_days_between(before.due_date, after.due_date) == k
    assert case.is_working(after.due_date)


@PROPERTY_SETTINGS
@given(data=st.data(), case_r=cases_with_instant(), amount=st.integers(0, 80))
def test_a_pause_within_an_hour_deadline_adds_exactly_its_office_hours(data, case_r, amount):
    """D7 for hours: a pause starting by due_at moves due_at by its office hours."""
    case, received_at = case_r
    cal = case.cal
    before = due_or_reject(received_at=received_at, amount=amount, unit=TimeUnit.WORKING_HOURS,
                           cal=cal)
    room = int((before.due_at - received_at).total_seconds() // 60)
    start = received_at + timedelta(minutes=data.draw(st.integers(0, max(room, 0))))
    end = start + timedelta(minutes=data.draw(st.integers(0, 10 * 24 * 60)))
    try:
        paused = cal.office_hours_between(start, end)
    except ValueError:
        reject()
    after = due_or_reject(received_at=received_at, amount=amount, unit=TimeUnit.WORKING_HOURS,
                          cal=cal, pauses=[Pause(start, end)])
    assert cal.office_hours_between(before.due_at, after.due_at) == paused
    assert after.due_at >= before.due_at


@PROPERTY_SETTINGS
@given(case_r=cases_with_instant(), minutes=st.integers(0, 60 * 60))
def test_add_office_hours_counts_exactly_that_office_time(case_r, minutes):
    """office_hours_between(R, add_office_hours(R, H)) == H, and the result lies inside (or at
    the end of) an office period of a working day."""
    case, start = case_r
    cal = case.cal
    hours = timedelta(minutes=minutes)
    try:
        end = cal.add_office_hours(start, hours)
    except ValueError:
        reject()
    assert cal.office_hours_between(start, end) == hours
    assert end >= start
    assert case.is_working(end.date())
    t = end.timetz().replace(tzinfo=None)
    assert any(s <= t <= e for s, e in cal.office_hours.periods)
