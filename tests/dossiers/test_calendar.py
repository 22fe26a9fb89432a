"""Working days and due dates (domain.md §8 and D1–D9), checked against the real Vietnamese
calendar of holidays 0.109. Expected dates were worked out by hand from the published holiday
schedules; the weekday comments show the reasoning. No database needed."""
from datetime import date, datetime, time, timedelta, timezone

import holidays
import pytest

from dossiers.calendar import (
    LOCAL_TZ,
    DueDate,
    OfficeHours,
    Pause,
    StepKind,
    TimeUnit,
    WorkCalendar,
    classify_open,
    classify_resolved,
    compute_due,
    is_late_apology,
    receipt_date,
    working_days_used,
)
from dossiers.vn_calendar import LAST_ANNOUNCED_YEAR, build_vn_calendar, vn_note_label

VN = build_vn_calendar(first_year=2014, last_year=2030)
OLD = build_vn_calendar(first_year=2018, last_year=2019)

WD = TimeUnit.WORKING_DAYS
WH = TimeUnit.WORKING_HOURS
CD = TimeUnit.CALENDAR_DAYS


def at(y, m, d, hh=9, mm=0):
    """An aware local (Asia/Ho_Chi_Minh) instant."""
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def due(received_at, amount, unit=WD, cal=VN, pauses=()):
    return compute_due(received_at=received_at, amount=amount, unit=unit, cal=cal, pauses=pauses)


# --- D1: what a working day is -----------------------------------------------------------


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2022, 1, 28), True),  # Fri 28/01/2022: ordinary Friday
        (date(2022, 1, 29), False),  # Sat 29/01/2022: plain weekend
        (date(2022, 1, 31), False),  # Mon 31/01/2022: Giao thừa (Tết 2022)
        (date(2022, 2, 4), False),  # Fri 04/02/2022: Mùng bốn Tết
        (date(2022, 2, 7), True),  # Mon 07/02/2022: first day back after Tết
        (date(2022, 1, 3), False),  # Mon 03/01/2022: nghỉ bù for Tết Dương lịch on Sat 01/01
        (date(2022, 4, 11), False),  # Mon 11/04/2022: nghỉ bù for Giỗ Tổ on Sun 10/04
        (date(2023, 1, 20), False),  # Fri 20/01/2023: 29 Tết (Tết moved off Saturday)
        (date(2024, 4, 29), False),  # Mon 29/04/2024: day off swapped with Sat 04/05/2024
        (date(2024, 5, 4), True),  # Sat 04/05/2024: make-up working Saturday
        (date(2025, 4, 26), True),  # Sat 26/04/2025: make-up working Saturday
        (date(2025, 5, 2), False),  # Fri 02/05/2025: day off swapped with Sat 26/04/2025
        (date(2026, 8, 22), True),  # Sat 22/08/2026: make-up working Saturday
        (date(2026, 8, 31), False),  # Mon 31/08/2026: day off swapped with Sat 22/08/2026
        (date(2026, 11, 24), False),  # Tue 24/11/2026: Ngày Văn hóa Việt Nam (new from 2026)
        (date(2025, 11, 24), True),  # Mon 24/11/2025: not yet a holiday in 2025
        (date(2023, 9, 4), False),  # Mon 04/09/2023: nghỉ bù for Quốc khánh on Sat 02/09
    ],
)
def test_is_working_day(day, working):
    """Mon–Fri except holidays and nghỉ bù; a weekend day only when it is a make-up day."""
    assert VN.is_working_day(day) is working


@pytest.mark.parametrize(
    "year, first_day, last_day",
    [
        (2022, date(2022, 1, 31), date(2022, 2, 4)),  # Mon 31/01 – Fri 04/02/2022
        (2023, date(2023, 1, 20), date(2023, 1, 26)),  # Fri 20/01 – Thu 26/01/2023
        (2024, date(2024, 2, 8), date(2024, 2, 14)),  # Thu 08/02 – Wed 14/02/2024
        (2025, date(2025, 1, 27), date(2025, 2, 1)),  # Mon 27/01 – Sat 01/02/2025
        (2026, date(2026, 2, 16), date(2026, 2, 20)),  # Mon 16/02 – Fri 20/02/2026
    ],
)
def test_tet_holidays(year, first_day, last_day):
    """Every day of the Tết holiday is a day off, the working days around it are not."""
    d = first_day
    while d <= last_day:
        assert not VN.is_working_day(d), d
        assert vn_note_label(VN.day_note(d)) == "Tết Nguyên Đán", d
        d += timedelta(days=1)
    assert VN.is_working_day(VN.previous_working_day(first_day))
    before = first_day - timedelta(days=1)
    while not VN.is_working_day(before):  # the weekend before, if any
        assert before.weekday() >= 5
        before -= timedelta(days=1)
    after = VN.next_working_day(last_day)
    assert VN.working_days_between(before, after) == 1


def test_working_days_in_regulatory_q1_2022():
    """15/12/2021–14/03/2022 (report Q1 2022, both ends included) has 58 working days."""
    assert VN.working_days_in(date(2021, 12, 15), date(2022, 3, 14)) == 58
    assert VN.working_days_between(date(2021, 12, 14), date(2022, 3, 14)) == 58


def test_vn_calendar_agrees_with_holidays_library():
    """Without overrides, every day 2014–2030 is a working day iff holidays.VN says so."""
    lib = holidays.VN(language="vi", years=range(2013, 2032))
    d = VN.first
    while d <= VN.last:
        assert VN.is_working_day(d) == lib.is_working_day(d), d
        d += timedelta(days=1)


@pytest.mark.parametrize(
    "day, note",
    [
        (date(2022, 1, 31), "Giao thừa Tết Nguyên Đán"),  # Mon 31/01/2022
        (date(2022, 4, 11), "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),  # Mon 11/04/2022
        (date(2025, 4, 26), "Làm bù cho ngày nghỉ 02/05/2025"),  # Sat 26/04/2025 make-up day
        (date(2026, 8, 22), "Làm bù cho ngày nghỉ 31/08/2026"),  # Sat 22/08/2026 make-up day
        (date(2022, 1, 29), None),  # Sat 29/01/2022: plain weekend, nothing to say
        (date(2022, 2, 8), None),  # Tue 08/02/2022: ordinary day
    ],
)
def test_day_note(day, note):
    """Holidays carry their Vietnamese name, make-up Saturdays the day off they pay for."""
    assert VN.day_note(day) == note


def test_special_days_between_lists_holidays_and_make_up_days_in_order():
    """(a, b]: a itself excluded, b included; working flag as on the calendar."""
    days = VN.special_days_between(date(2025, 4, 26), date(2025, 5, 2))
    assert [(d, w) for d, w, _ in days] == [
        (date(2025, 4, 30), False),  # Wed 30/04/2025 Ngày Chiến thắng
        (date(2025, 5, 1), False),  # Thu 01/05/2025 Quốc tế Lao động
        (date(2025, 5, 2), False),  # Fri 02/05/2025 swapped day off
    ]
    with_makeup = VN.special_days_between(date(2025, 4, 25), date(2025, 4, 30))
    assert with_makeup[0][:2] == (date(2025, 4, 26), True)


def test_last_announced_year_comes_from_the_library_and_later_years_are_provisional():
    """holidays 0.109 has government day swaps through 2026; 2027 on is provisional."""
    assert LAST_ANNOUNCED_YEAR == 2026
    assert not VN.is_provisional(date(2026, 12, 31))
    assert VN.is_provisional(date(2027, 1, 1))
    confirmed = build_vn_calendar(first_year=2026, last_year=2028, confirmed_years=[2027])
    assert not confirmed.is_provisional(date(2027, 6, 1))
    assert confirmed.is_provisional(date(2028, 6, 1))


def test_make_up_day_across_new_year_is_kept():
    """Sat 27/12/2014 was worked for Fri 02/01/2015: the swap sits in the library's 2015 data,
    and a calendar ending in 2014 still has it."""
    cal = build_vn_calendar(first_year=2014, last_year=2014)
    assert cal.is_working_day(date(2014, 12, 27))


# --- D1: overrides always win --------------------------------------------------------------


def test_override_makes_a_saturday_a_working_day():
    """Fri 11/02/2022 + 1 wd -> Sat 12/02/2022 when an override makes that Saturday working."""
    reason = "Làm bù theo Thông báo 1/TB-UBND"
    cal = build_vn_calendar(
        first_year=2022, last_year=2022, overrides={date(2022, 2, 12): (True, reason)}
    )
    assert cal.is_working_day(date(2022, 2, 12))
    assert cal.day_note(date(2022, 2, 12)) == reason
    d = due(at(2022, 2, 11), 1, cal=cal)
    assert d.due_date == date(2022, 2, 12)
    assert d.text() == f"Hẹn trả 12/02/2022 (tính cả Thứ Bảy 12/02: {reason})"
    assert due(at(2022, 2, 11), 1).due_date == date(2022, 2, 14)  # national calendar: Mon


def test_override_makes_a_weekday_a_day_off():
    """Tue 08/02/2022 + 1 wd -> Thu 10/02/2022 when Wed 09/02 is declared a day off."""
    cal = build_vn_calendar(
        first_year=2022, last_year=2022, overrides={date(2022, 2, 9): (False, "Nghỉ do bão số 1")}
    )
    d = due(at(2022, 2, 8), 1, cal=cal)
    assert d.due_date == date(2022, 2, 10)
    assert d.text() == "Hẹn trả 10/02/2022 (không tính 09/02: Nghỉ do bão số 1)"


@pytest.mark.parametrize(
    "override_day, is_working, received, n, expected",
    [
        # Fri 08/04/2022 + 3 wd with Mon 11/04 (nghỉ bù Giỗ Tổ) overridden to working -> Wed 13/04
        (date(2022, 4, 11), True, at(2022, 4, 8), 3, date(2022, 4, 13)),
        # Fri 25/04/2025 + 1 wd with the make-up Sat 26/04 cancelled -> Mon 28/04/2025
        (date(2025, 4, 26), False, at(2025, 4, 25), 1, date(2025, 4, 28)),
    ],
)
def test_override_wins_over_national_calendar(override_day, is_working, received, n, expected):
    """An override beats a holiday and a government make-up day alike."""
    cal = build_vn_calendar(
        first_year=received.year, last_year=received.year,
        overrides={override_day: (is_working, "Quyết định của tỉnh")},
    )
    assert cal.is_working_day(override_day) is is_working
    assert due(received, n, cal=cal).due_date == expected


# --- D2: receipt date ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "received_at, expected",
    [
        (at(2022, 1, 28, 16, 30), date(2022, 1, 28)),  # Fri 28/01/2022 working day -> itself
        (at(2022, 2, 6, 10), date(2022, 2, 7)),  # Sun 06/02/2022 online -> Mon 07/02
        (at(2022, 1, 29, 23, 30), date(2022, 2, 7)),  # Sat 29/01/2022 -> Mon 07/02 (after Tết)
        (at(2025, 4, 26, 8), date(2025, 4, 26)),  # Sat 26/04/2025 make-up day -> itself
        # 2022-02-06 17:30 UTC is Mon 07/02/2022 00:30 local -> Mon 07/02
        (datetime(2022, 2, 6, 17, 30, tzinfo=timezone.utc), date(2022, 2, 7)),
        # 2022-01-28 16:59 UTC is Fri 28/01/2022 23:59 local -> Fri 28/01
        (datetime(2022, 1, 28, 16, 59, tzinfo=timezone.utc), date(2022, 1, 28)),
    ],
)
def test_receipt_date(received_at, expected):
    """D2: the local date of R when it is a working day, else the next working day."""
    assert receipt_date(received_at, VN) == expected
    assert due(received_at, 1).receipt_date == expected


# --- D3: working-day deadlines ---------------------------------------------------------------


@pytest.mark.parametrize(
    "received_at, n, expected",
    [
        (at(2022, 1, 28), 5, date(2022, 2, 11)),  # Fri 28/01/2022 + 5 wd -> Fri 11/02/2022 (Tết 31/01–04/02)
        (at(2022, 4, 8), 3, date(2022, 4, 14)),  # Fri 08/04/2022 + 3 wd -> Thu 14/04/2022 (11/04 nghỉ bù Giỗ Tổ)
        (at(2022, 4, 28), 10, date(2022, 5, 16)),  # Thu 28/04/2022 + 10 wd -> Mon 16/05/2022 (02–03/05 nghỉ bù)
        (at(2022, 1, 28), 1, date(2022, 2, 7)),  # Fri 28/01/2022 + 1 wd -> Mon 07/02/2022 (Tết)
        (at(2023, 1, 19), 1, date(2023, 1, 27)),  # Thu 19/01/2023 + 1 wd -> Fri 27/01/2023 (Tết 20–26/01)
        (at(2024, 2, 7), 1, date(2024, 2, 15)),  # Wed 07/02/2024 + 1 wd -> Thu 15/02/2024 (Tết 08–14/02)
        (at(2025, 1, 24), 1, date(2025, 2, 3)),  # Fri 24/01/2025 + 1 wd -> Mon 03/02/2025 (Tết 27/01–01/02)
        (at(2026, 2, 13), 1, date(2026, 2, 23)),  # Fri 13/02/2026 + 1 wd -> Mon 23/02/2026 (Tết 16–20/02)
        # Fri 30/12/2022 + 1 wd -> Tue 03/01/2023 (Mon 02/01 nghỉ bù Tết Dương lịch)
        (at(2022, 12, 30), 1, date(2023, 1, 3)),
        # Thu 31/08/2023 + 1 wd -> Tue 05/09/2023 (01/09 Quốc khánh, Mon 04/09 nghỉ bù)
        (at(2023, 8, 31), 1, date(2023, 9, 5)),
        (at(2024, 4, 26), 1, date(2024, 5, 2)),  # Fri 26/04/2024 + 1 wd -> Thu 02/05/2024 (29/04 swap, 30/04, 01/05)
        (at(2024, 4, 26), 3, date(2024, 5, 4)),  # Fri 26/04/2024 + 3 wd -> Sat 04/05/2024 (make-up Saturday)
        (at(2025, 4, 25), 1, date(2025, 4, 26)),  # Fri 25/04/2025 + 1 wd -> Sat 26/04/2025 (make-up Saturday)
        (at(2025, 4, 24), 3, date(2025, 4, 28)),  # Thu 24/04/2025 + 3 wd -> Mon 28/04/2025 (Fri 25, Sat 26, Mon 28)
        (at(2025, 4, 28), 2, date(2025, 5, 5)),  # Mon 28/04/2025 + 2 wd -> Mon 05/05/2025 (30/04, 01/05, 02/05 off)
        (at(2026, 8, 21), 1, date(2026, 8, 22)),  # Fri 21/08/2026 + 1 wd -> Sat 22/08/2026 (make-up Saturday)
        (at(2026, 8, 28), 1, date(2026, 9, 3)),  # Fri 28/08/2026 + 1 wd -> Thu 03/09/2026 (31/08 swap, 01–02/09)
        (at(2026, 11, 23), 1, date(2026, 11, 25)),  # Mon 23/11/2026 + 1 wd -> Wed 25/11/2026 (24/11 Ngày Văn hóa)
        (at(2022, 2, 6, 10), 1, date(2022, 2, 8)),  # Sun 06/02/2022 online + 1 wd -> Tue 08/02/2022 (from Mon 07/02)
        (at(2022, 1, 29, 23, 30), 1, date(2022, 2, 8)),  # Sat 29/01/2022 + 1 wd -> Tue 08/02/2022 (from Mon 07/02)
        # 2022-02-06 17:30 UTC = Mon 07/02/2022 00:30 local + 1 wd -> Tue 08/02/2022
        (datetime(2022, 2, 6, 17, 30, tzinfo=timezone.utc), 1, date(2022, 2, 8)),
    ],
)
def test_working_day_deadline(received_at, n, expected):
    """D3: the N-th working day after the receipt date (the receipt date is not counted)."""
    d = due(received_at, n)
    assert d.due_date == expected
    assert d.base_due_date == expected
    assert d.due_at == datetime.combine(expected, time(17, 0), LOCAL_TZ)  # D6
    assert not d.paused


@pytest.mark.parametrize(
    "received_at, expected",
    [
        (at(2022, 2, 10, 14, 59), date(2022, 2, 10)),  # Thu 10/02/2022 14:59 -> same day
        (at(2022, 2, 10, 15, 0), date(2022, 2, 11)),  # Thu 10/02/2022 15:00 -> Fri 11/02
        (at(2022, 2, 10, 15, 1), date(2022, 2, 11)),  # Thu 10/02/2022 15:01 -> Fri 11/02
        (at(2022, 2, 11, 15, 1), date(2022, 2, 14)),  # Fri 11/02/2022 15:01 -> Mon 14/02
        (at(2022, 1, 28, 15, 30), date(2022, 2, 7)),  # Fri 28/01/2022 15:30 -> Mon 07/02 (after Tết)
        (at(2022, 2, 12, 16, 0), date(2022, 2, 14)),  # Sat 12/02/2022 16:00 -> r = Mon 14/02, due r
        (at(2022, 2, 13, 8, 0), date(2022, 2, 14)),  # Sun 13/02/2022 08:00 -> Mon 14/02
    ],
)
def test_same_day_procedure(received_at, expected):
    """D3, N = 0: due on the receipt date, unless received on a working day at or after 15:00."""
    assert due(received_at, 0).due_date == expected


def test_same_day_after_cutoff_is_explained():
    """The text says why a same-day procedure is due the next day."""
    assert due(at(2022, 2, 10, 15, 1), 0).text() == "Hẹn trả 11/02/2022 (nhận sau 15:00)"
    assert due(at(2022, 2, 10, 14, 59), 0).text() == "Hẹn trả 10/02/2022"


# --- D5: calendar-day deadlines --------------------------------------------------------------


@pytest.mark.parametrize(
    "received_at, n, expected",
    [
        (at(2022, 1, 10), 10, date(2022, 1, 20)),  # Mon 10/01/2022 + 10 d -> Thu 20/01/2022, a working day
        (at(2022, 1, 26), 6, date(2022, 2, 7)),  # Wed 26/01/2022 + 6 d -> Tue 01/02 (Tết) -> Mon 07/02/2022
        (at(2022, 1, 24), 5, date(2022, 2, 7)),  # Mon 24/01/2022 + 5 d -> Sat 29/01 -> Mon 07/02/2022 (Tết)
        # Tue 05/04/2022 + 5 d -> Sun 10/04 (Giỗ Tổ) -> Tue 12/04 (Mon 11/04 nghỉ bù)
        (at(2022, 4, 5), 5, date(2022, 4, 12)),
        # Sun 06/02/2022 + 3 d -> Wed 09/02 (from the local date of R, not from r)
        (at(2022, 2, 6, 10), 3, date(2022, 2, 9)),
        (at(2025, 4, 25), 1, date(2025, 4, 26)),  # Fri 25/04/2025 + 1 d -> Sat 26/04/2025, make-up working day
    ],
)
def test_calendar_day_deadline(received_at, n, expected):
    """D5: local date of R + N days, moved to the next working day when that is a day off."""
    d = due(received_at, n, CD)
    assert d.due_date == expected
    assert d.due_at == datetime.combine(expected, time(17, 0), LOCAL_TZ)


def test_calendar_day_deadline_on_a_holiday_is_explained():
    """Wed 26/01/2022 + 6 d lands on Tết: the text lists the Tết days skipped after it."""
    d = due(at(2022, 1, 26), 6, CD)
    assert d.text() == "Hẹn trả 07/02/2022 (không tính 01/02–04/02: Tết Nguyên Đán)"
    rule = next(s for s in d.explanation if s.kind is StepKind.RULE)
    assert "01/02/2022" in rule.text and "07/02/2022" in rule.text


# --- D4: working-hour deadlines --------------------------------------------------------------


@pytest.mark.parametrize(
    "received_at, hours, expected",
    [
        (at(2022, 2, 8, 10), 4, at(2022, 2, 8, 15, 30)),  # Tue 10:00 + 4 h -> Tue 15:30 (lunch 11:30–13:00 skipped)
        (at(2022, 2, 11, 16), 4, at(2022, 2, 14, 10, 30)),  # Fri 16:00 + 4 h -> Mon 14/02 10:30 (weekend skipped)
        (at(2022, 2, 11, 10, 30), 8, at(2022, 2, 14, 10, 30)),  # Fri 10:30 + 8 h -> Mon 10:30 (lunch and weekend)
        (at(2022, 2, 12, 9), 2, at(2022, 2, 14, 9, 30)),  # Sat 12/02 09:00 + 2 h -> Mon 09:30
        (at(2022, 2, 8, 12), 1, at(2022, 2, 8, 14)),  # Tue 12:00 (lunch) + 1 h -> Tue 14:00
        (at(2022, 2, 8, 6), 4, at(2022, 2, 8, 11, 30)),  # Tue 06:00 + 4 h -> Tue 11:30 (ends with the morning)
        (at(2022, 2, 8, 17), 2, at(2022, 2, 9, 9, 30)),  # Tue 17:00 + 2 h -> Wed 09:30
        (at(2022, 1, 28, 16), 2, at(2022, 2, 7, 8, 30)),  # Fri 28/01 16:00 + 2 h -> Mon 07/02 08:30 (Tết)
        (at(2022, 2, 7, 7, 30), 40, at(2022, 2, 11, 17)),  # Mon 07:30 + 40 h -> Fri 11/02 17:00 (5 office days)
        # Fri 25/04/2025 16:00 + 2 h -> Sat 26/04 08:30 (make-up working Saturday)
        (at(2025, 4, 25, 16), 2, at(2025, 4, 26, 8, 30)),
    ],
)
def test_hour_deadline(received_at, hours, expected):
    """D4: count office time (07:30–11:30, 13:00–17:00) on working days from R."""
    d = due(received_at, hours, WH)
    assert d.due_at == expected
    assert d.due_date == expected.date()
    assert VN.office_hours_between(received_at, d.due_at) == timedelta(hours=hours)


def test_hour_deadline_text():
    """Hour deadlines show the time as well as the day."""
    assert due(at(2022, 2, 11, 10, 30), 8, WH).text() == "Hẹn trả 10:30 ngày 14/02/2022"


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (at(2022, 2, 8, 10), at(2022, 2, 8, 15, 30), timedelta(hours=4)),  # Tue, across lunch
        (at(2022, 2, 11, 16), at(2022, 2, 14, 10, 30), timedelta(hours=4)),  # Fri -> Mon
        (at(2022, 1, 28, 16), at(2022, 2, 7, 8, 30), timedelta(hours=2)),  # across Tết
        (at(2022, 2, 8, 12), at(2022, 2, 8, 12, 45), timedelta(0)),  # inside lunch
        (at(2022, 2, 8, 15), at(2022, 2, 8, 10), timedelta(0)),  # end before start
        (at(2022, 2, 7, 0), at(2022, 2, 12, 0), timedelta(hours=40)),  # Mon–Fri whole days
    ],
)
def test_office_hours_between(start, end, expected):
    """Office time in [start, end) on working days."""
    assert VN.office_hours_between(start, end) == expected


def test_custom_office_hours():
    """A province with 08:00–12:00 and 13:30–17:30: closes at 17:30, day deadlines are due then."""
    hours = OfficeHours(((time(8), time(12)), (time(13, 30), time(17, 30))))
    cal = build_vn_calendar(first_year=2022, last_year=2022, office_hours=hours)
    assert hours.close == time(17, 30)
    assert due(at(2022, 2, 8), 1, cal=cal).due_at == at(2022, 2, 9, 17, 30)
    assert due(at(2022, 2, 8, 11), 2, WH, cal=cal).due_at == at(2022, 2, 8, 14, 30)


def test_office_hours_must_be_ordered():
    """Overlapping or inverted periods are refused."""
    with pytest.raises(ValueError):
        OfficeHours(((time(13), time(17)), (time(7, 30), time(11, 30))))
    with pytest.raises(ValueError):
        OfficeHours(((time(11), time(10)),))


# --- D7: pauses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "received_at, n, unit, pauses, base, expected",
    [
        # Mon 24/01/2022 + 5 wd -> Mon 07/02; paused Fri 28/01 – Tue 08/02 (spans Tết):
        # k = |{07/02, 08/02}| = 2 -> Wed 09/02
        (at(2022, 1, 24), 5, WD, [(at(2022, 1, 28, 10), at(2022, 2, 8, 9))], date(2022, 2, 7), date(2022, 2, 9)),
        # Fri 28/01/2022 + 5 wd -> Fri 11/02; paused Mon 14/02 – Thu 17/02, after the deadline: no move
        (at(2022, 1, 28), 5, WD, [(at(2022, 2, 14, 9), at(2022, 2, 17, 9))], date(2022, 2, 11), date(2022, 2, 11)),
        # Fri 28/01/2022 + 5 wd -> Fri 11/02; paused on the due day Fri 11/02 – Tue 15/02:
        # k = 2 (Mon 14, Tue 15) -> 11/02 + 2 wd = Tue 15/02
        (at(2022, 1, 28), 5, WD, [(at(2022, 2, 11, 10), at(2022, 2, 15, 10))], date(2022, 2, 11), date(2022, 2, 15)),
        # Tue 08/02/2022 + 10 wd -> Tue 22/02; pauses Wed 09–Fri 11/02 (k=2), Mon 14/02 same day (k=0),
        # Tue 15–Mon 21/02 (k=4: 16, 17, 18, 21) -> 22/02 + 6 wd -> Wed 02/03/2022
        (at(2022, 2, 8), 10, WD, [
            (at(2022, 2, 9, 8), at(2022, 2, 11, 16)),
            (at(2022, 2, 14, 8), at(2022, 2, 14, 16)),
            (at(2022, 2, 15, 8), at(2022, 2, 21, 8)),
        ], date(2022, 2, 22), date(2022, 3, 2)),
        # the same pauses given out of order are applied in time order
        (at(2022, 2, 8), 10, WD, [
            (at(2022, 2, 15, 8), at(2022, 2, 21, 8)),
            (at(2022, 2, 9, 8), at(2022, 2, 11, 16)),
        ], date(2022, 2, 22), date(2022, 3, 2)),
        # Thu 24/04/2025 + 3 wd -> Mon 28/04; paused Fri 25/04 – Mon 28/04: k = 2 (Sat 26 make-up, Mon 28)
        # -> 28/04 + 2 wd = Tue 29/04, then Mon 05/05/2025 (30/04, 01/05, 02/05 off)
        (at(2025, 4, 24), 3, WD, [(at(2025, 4, 25, 9), at(2025, 4, 28, 9))], date(2025, 4, 28), date(2025, 5, 5)),
        # calendar days: Mon 10/01/2022 + 10 d -> Thu 20/01; paused Wed 19/01 – Mon 24/01:
        # k = 3 (20, 21, 24) -> Tue 25/01
        (at(2022, 1, 10), 10, CD, [(at(2022, 1, 19, 9), at(2022, 1, 24, 9))], date(2022, 1, 20), date(2022, 1, 25)),
    ],
)
def test_pauses_move_the_due_date(received_at, n, unit, pauses, base, expected):
    """D7: each pause from p to q moves D by the working days in (p, q]; not when p > D."""
    d = due(received_at, n, unit, pauses=[Pause(p, q) for p, q in pauses])
    assert d.base_due_date == base
    assert d.due_date == expected
    assert d.due_at == datetime.combine(expected, time(17), LOCAL_TZ)
    assert not d.paused


def test_pause_spanning_tet_text():
    """The text lists the Tết days and the working days added for the pause."""
    d = due(at(2022, 1, 24), 5, pauses=[Pause(at(2022, 1, 28, 10), at(2022, 2, 8, 9))])
    assert d.text() == (
        "Hẹn trả 09/02/2022 (không tính 31/01–04/02: Tết Nguyên Đán; "
        "cộng 2 ngày làm việc chờ bổ sung)"
    )
    pause_steps = [s for s in d.explanation if s.kind is StepKind.PAUSE]
    assert [(s.day, s.until, s.days) for s in pause_steps] == [
        (date(2022, 1, 28), date(2022, 2, 8), 2)
    ]


def test_pause_after_the_deadline_is_shown_but_adds_nothing():
    """A pause started after D is listed as not counted."""
    d = due(at(2022, 1, 28), 5, pauses=[Pause(at(2022, 2, 14, 9), at(2022, 2, 17, 9))])
    assert d.due_date == date(2022, 2, 11)
    assert [s.kind for s in d.explanation if s.kind.startswith("pause")] == [
        StepKind.PAUSE_IGNORED
    ]
    assert "tạm dừng từ 14/02 sau hạn: không cộng" in d.text()


def test_open_pause_adds_nothing_yet_and_marks_paused():
    """An applicant still owing a supplement: D unchanged for now, paused is True."""
    d = due(at(2022, 1, 28), 5, pauses=[
        Pause(at(2022, 2, 7, 9), at(2022, 2, 8, 9)),  # k = 1 (Tue 08/02) -> Mon 14/02
        Pause(at(2022, 2, 9, 9), None),
    ])
    assert d.due_date == date(2022, 2, 14)
    assert d.paused
    assert d.text().endswith("; đang tạm dừng chờ bổ sung từ 09/02)")


@pytest.mark.parametrize(
    "pause, expected_due_at",
    [
        # Tue 08/02/2022 09:00 + 4 h -> 14:30; paused 10:00–10:30 (0.5 h) -> 15:00
        ((at(2022, 2, 8, 10), at(2022, 2, 8, 10, 30)), at(2022, 2, 8, 15)),
        # paused 11:00–13:30: 0.5 h before lunch + 0.5 h after -> 15:30
        ((at(2022, 2, 8, 11), at(2022, 2, 8, 13, 30)), at(2022, 2, 8, 15, 30)),
        # paused Tue 14:00 – Wed 08:00: 3 h + 0.5 h -> 14:30 + 3.5 h -> Wed 09/02 08:30
        ((at(2022, 2, 8, 14), at(2022, 2, 9, 8)), at(2022, 2, 9, 8, 30)),
        # paused 16:00 – Wed 10:00, after due_at 14:30: no move
        ((at(2022, 2, 8, 16), at(2022, 2, 9, 10)), at(2022, 2, 8, 14, 30)),
        # paused exactly at due_at 14:30 – 15:00: still counts -> 15:00
        ((at(2022, 2, 8, 14, 30), at(2022, 2, 8, 15)), at(2022, 2, 8, 15)),
    ],
)
def test_pause_of_an_hour_deadline(pause, expected_due_at):
    """D7 for hours: due_at moves by the office hours between P and Q, not when P > due_at."""
    d = due(at(2022, 2, 8, 9), 4, WH, pauses=[Pause(*pause)])
    assert d.due_at == expected_due_at
    assert d.due_date == expected_due_at.date()


@pytest.mark.parametrize(
    "pauses, message",
    [
        ([(at(2022, 1, 27), at(2022, 1, 31))], "before the dossier was received"),
        ([(at(2022, 2, 8), at(2022, 2, 10)), (at(2022, 2, 9), at(2022, 2, 11))], "overlap"),
        ([(at(2022, 2, 8), None), (at(2022, 2, 9), at(2022, 2, 11))], "only the last pause"),
    ],
)
def test_invalid_pauses_are_refused(pauses, message):
    """Pauses that cannot happen in the workflow are errors, not silently counted."""
    with pytest.raises(ValueError, match=message):
        due(at(2022, 1, 28), 5, pauses=[Pause(p, q) for p, q in pauses])


def test_pause_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        Pause(at(2022, 2, 9), at(2022, 2, 8))


# --- text() and explanation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "received_at, n, expected",
    [
        # Fri 28/01/2022 + 5 wd -> Fri 11/02/2022: the five Tết days are one range
        (at(2022, 1, 28), 5, "Hẹn trả 11/02/2022 (không tính 31/01–04/02: Tết Nguyên Đán)"),
        # Fri 08/04/2022 + 3 wd -> Thu 14/04/2022
        (at(2022, 4, 8), 3, "Hẹn trả 14/04/2022 (không tính 11/04: Ngày Giỗ Tổ Hùng Vương (nghỉ bù))"),
        # Thu 28/04/2022 + 10 wd -> Mon 16/05/2022: two different nghỉ bù days, weekend 30/04–01/05 not listed
        (at(2022, 4, 28), 10, "Hẹn trả 16/05/2022 (không tính 02/05: Ngày Chiến thắng (nghỉ bù), "
                              "03/05: Ngày Quốc tế Lao động (nghỉ bù))"),
        # Thu 19/01/2023 + 1 wd -> Fri 27/01/2023: Tết 20/01–26/01 is one range across its weekend
        (at(2023, 1, 19), 1, "Hẹn trả 27/01/2023 (không tính 20/01–26/01: Tết Nguyên Đán)"),
        # Thu 24/04/2025 + 3 wd -> Mon 28/04/2025: the make-up Saturday is named
        (at(2025, 4, 24), 3, "Hẹn trả 28/04/2025 (tính cả Thứ Bảy 26/04: Làm bù cho ngày nghỉ 02/05/2025)"),
        # Sun 06/02/2022 + 1 wd -> Tue 08/02/2022: counted from Mon 07/02
        (at(2022, 2, 6, 10), 1, "Hẹn trả 08/02/2022 (nhận Chủ nhật 06/02, tính từ 07/02)"),
        # Tue 08/02/2022 + 2 wd -> Thu 10/02/2022: a plain weekend-free span needs no note
        (at(2022, 2, 8), 2, "Hẹn trả 10/02/2022"),
        # Mon 01/02/2027 + 5 wd -> Mon 15/02/2027 (Tết 04–10/02/2027): 2027 is not announced yet
        (at(2027, 2, 1), 5, "Hẹn trả 15/02/2027 (không tính 04/02–10/02: Tết Nguyên Đán) "
                            "(lịch năm 2027 chưa chính thức)"),
        # Wed 30/12/2026 + 3 wd -> Tue 05/01/2027 (Fri 01/01 off); 2027 is not announced yet
        (at(2026, 12, 30), 3, "Hẹn trả 05/01/2027 (không tính 01/01: Tết Dương lịch) "
                              "(lịch năm 2027 chưa chính thức)"),
    ],
)
def test_text(received_at, n, expected):
    """One Vietnamese line: due date, skipped special days grouped, make-up days, pauses."""
    assert due(received_at, n).text() == expected


def test_text_groups_only_same_label_days():
    """Quốc khánh 2026: the swapped Monday and the two Quốc khánh days are listed apart, and a
    range in the previous year shows its year."""
    d = due(at(2026, 8, 28), 1)  # Fri 28/08/2026 + 1 wd -> Thu 03/09/2026
    assert d.text() == (
        "Hẹn trả 03/09/2026 (không tính 31/08: Ngày nghỉ (thay cho ngày 22/08/2026), "
        "01/09–02/09: Quốc khánh)"
    )
    d = due(at(2018, 12, 28), 1, cal=OLD)  # Fri 28/12/2018 + 1 wd -> Wed 02/01/2019 (31/12, 01/01 off)
    assert d.due_date == date(2019, 1, 2)
    assert d.text().startswith("Hẹn trả 02/01/2019 (không tính 31/12/2018: Ngày nghỉ")


def test_explanation_names_each_skipped_day_and_the_result():
    """One step per skipped day with its holiday name, then the due date."""
    steps = due(at(2022, 1, 28), 5).explanation
    assert steps[0].kind is StepKind.RECEIPT and "28/01/2022" in steps[0].text
    skipped = [(s.day, s.text.split(": ", 1)[1]) for s in steps if s.kind is StepKind.SKIPPED]
    assert skipped == [
        (date(2022, 1, 31), "Giao thừa Tết Nguyên Đán"),
        (date(2022, 2, 1), "Tết Nguyên Đán"),
        (date(2022, 2, 2), "Mùng hai Tết Nguyên Đán"),
        (date(2022, 2, 3), "Mùng ba Tết Nguyên Đán"),
        (date(2022, 2, 4), "Mùng bốn Tết Nguyên Đán"),
    ]
    assert steps[-1].kind is StepKind.DUE and "11/02/2022" in steps[-1].text


def test_explanation_of_a_sunday_receipt():
    """Received online on a Sunday: counted from the next working day."""
    first = due(at(2022, 2, 6, 10), 1).explanation[0]
    assert first.kind is StepKind.RECEIPT
    assert "Chủ nhật 06/02/2022" in first.text
    assert "ngày làm việc tiếp theo Thứ Hai 07/02/2022" in first.text


# --- D9 and D12: classification --------------------------------------------------------------


@pytest.mark.parametrize(
    "resolved_at, expected",
    [
        (at(2022, 2, 10, 16), "early"),  # Thu 10/02/2022, D = Fri 11/02
        (at(2022, 2, 11, 8), "on_time"),  # Fri 11/02/2022 morning
        (at(2022, 2, 11, 23, 59), "on_time"),  # Fri 11/02/2022 late evening: same date, on time
        (at(2022, 2, 12, 0, 1), "late"),  # Sat 12/02/2022
        (at(2022, 2, 14, 8), "late"),  # Mon 14/02/2022
        (datetime(2022, 2, 10, 17, 30, tzinfo=timezone.utc), "on_time"),  # = Fri 11/02 00:30 local
        (datetime(2022, 2, 11, 17, 30, tzinfo=timezone.utc), "late"),  # = Sat 12/02 00:30 local
    ],
)
def test_classify_day_deadline(resolved_at, expected):
    """D9 for day deadlines: compare local dates e and D."""
    d = due(at(2022, 1, 28), 5)  # D = Fri 11/02/2022
    assert classify_resolved(resolved_at=resolved_at, due=d, unit=WD) == expected
    assert classify_resolved(resolved_at=resolved_at, due_date=date(2022, 2, 11), unit="working_days") == expected


@pytest.mark.parametrize(
    "resolved_at, expected",
    [
        (at(2022, 2, 7, 16), "early"),  # Mon 07/02, the day before D
        (at(2022, 2, 8, 8), "on_time"),  # Tue 08/02 08:00, before due_at 14:30
        (at(2022, 2, 8, 14, 30), "on_time"),  # exactly due_at
        (at(2022, 2, 8, 14, 31), "late"),  # same date, after due_at
        (at(2022, 2, 9, 8), "late"),  # next day
    ],
)
def test_classify_hour_deadline(resolved_at, expected):
    """D9 for hour deadlines: on D itself, an end instant after due_at is late."""
    d = due(at(2022, 2, 8, 9), 4, WH)  # Tue 09:00 + 4 h -> Tue 08/02 14:30
    assert d.due_at == at(2022, 2, 8, 14, 30)
    assert classify_resolved(resolved_at=resolved_at, due=d, unit=WH) == expected
    assert classify_resolved(resolved_at=resolved_at, due_at=d.due_at, unit=WH) == expected


def test_classify_needs_consistent_inputs():
    """An hour deadline needs due_at; due and due_date together are ambiguous."""
    with pytest.raises(ValueError, match="due_at"):
        classify_resolved(resolved_at=at(2022, 2, 8, 10), due_date=date(2022, 2, 8), unit=WH)
    with pytest.raises(ValueError, match="either"):
        classify_resolved(resolved_at=at(2022, 2, 8), due=due(at(2022, 2, 7), 1),
                          due_date=date(2022, 2, 8), unit=WD)
    with pytest.raises(ValueError, match="needs"):
        classify_resolved(resolved_at=at(2022, 2, 8), unit=WD)


@pytest.mark.parametrize(
    "as_of, due_date, paused_on, expected",
    [
        (date(2022, 3, 14), date(2022, 3, 14), None, "within"),  # D = end of period
        (date(2022, 3, 14), date(2022, 3, 15), None, "within"),  # D after the period
        (date(2022, 3, 14), date(2022, 3, 11), None, "overdue"),  # D before the end
        (date(2022, 3, 14), date(2022, 3, 11), date(2022, 3, 10), "within"),  # paused before D
        (date(2022, 3, 14), date(2022, 3, 11), date(2022, 3, 11), "within"),  # paused on D
        (date(2022, 3, 14), date(2022, 3, 11), date(2022, 3, 12), "overdue"),  # paused after D
    ],
)
def test_classify_open(as_of, due_date, paused_on, expected):
    """D12: within iff D ≥ end of period; a paused dossier iff D ≥ the day it was paused."""
    assert classify_open(as_of=as_of, due_date=due_date, paused_on=paused_on) == expected


@pytest.mark.parametrize(
    "apology_at, due_date, late",
    [
        (at(2022, 2, 10, 9), date(2022, 2, 14), False),  # Thu, D = Mon 14/02: two working days before
        (at(2022, 2, 11, 16), date(2022, 2, 14), False),  # Fri 11/02: the working day before D
        (at(2022, 2, 12, 9), date(2022, 2, 14), True),  # Sat 12/02: after the working day before D
        (at(2022, 2, 14, 8), date(2022, 2, 14), True),  # on D itself
        (at(2022, 2, 15, 8), date(2022, 2, 14), True),  # after D
        (at(2022, 1, 28, 16), date(2022, 2, 7), False),  # Fri 28/01, D = Mon 07/02 after Tết
        (at(2022, 2, 2, 9), date(2022, 2, 7), True),  # during Tết, D = Mon 07/02
    ],
)
def test_is_late_apology(apology_at, due_date, late):
    """D8: an apology after the working day before D is late."""
    assert is_late_apology(apology_at=apology_at, due_date=due_date, cal=VN) is late


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: VN.is_working_day(date(2013, 12, 31)),
        lambda: VN.day_note(date(2031, 1, 1)),
        lambda: VN.add_working_days(date(2030, 12, 20), 30),
        lambda: VN.next_working_day(date(2030, 12, 31)),
        lambda: VN.working_days_between(date(2013, 12, 1), date(2014, 1, 5)),
        lambda: due(at(2031, 1, 2), 1),
        lambda: due(at(2030, 12, 28), 5),
        lambda: due(at(2030, 12, 28), 5, CD),
        lambda: due(at(2030, 12, 31, 16), 16, WH),
        lambda: VN.previous_working_day(date(2014, 1, 1)),
    ],
)
def test_out_of_range_raises(call):
    """Dates, and results, outside the calendar's range are errors, never guesses."""
    with pytest.raises(ValueError, match="calendar"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: due(datetime(2022, 1, 28, 9), 5),
        lambda: receipt_date(datetime(2022, 1, 28, 9), VN),
        lambda: VN.office_hours_between(datetime(2022, 1, 28, 9), at(2022, 1, 28, 10)),
        lambda: VN.add_office_hours(datetime(2022, 1, 28, 9), 2),
        lambda: Pause(datetime(2022, 1, 28, 9), None),
        lambda: classify_resolved(resolved_at=datetime(2022, 2, 8), due_date=date(2022, 2, 8), unit=WD),
        lambda: is_late_apology(apology_at=datetime(2022, 2, 8), due_date=date(2022, 2, 14), cal=VN),
    ],
)
def test_naive_datetimes_raise(call):
    """A naive datetime has no zone: refuse it rather than guess."""
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize(
    "amount, unit",
    [(-1, WD), (1.5, WD), (3, "weeks"), (-2, WH), (True, WD)],
)
def test_bad_amount_or_unit_raises(amount, unit):
    with pytest.raises(ValueError):
        due(at(2022, 1, 28), amount, unit)


def test_date_methods_refuse_datetimes():
    """A datetime's date depends on its zone: the date API wants a local date."""
    with pytest.raises(TypeError):
        VN.is_working_day(at(2022, 1, 28))


def test_calendar_range_must_not_be_empty():
    with pytest.raises(ValueError, match="empty"):
        WorkCalendar(first=date(2022, 2, 1), last=date(2022, 1, 1), holidays={},
                     weekend_workdays={})


def test_due_date_for_matches_compute_due():
    """The lean path gives the same D as compute_due, for each unit."""
    for unit, n in ((WD, 5), (CD, 6), (WH, 8)):
        r = at(2022, 1, 26, 10, 30)
        assert VN.due_date_for(r, n, unit) == due(r, n, unit).due_date


def test_due_dates_compare_by_value():
    """Two computations of the same deadline are equal, and a DueDate made directly works."""
    assert due(at(2022, 1, 28), 5) == due(at(2022, 1, 28), 5)
    assert due(at(2022, 1, 28), 5) != due(at(2022, 1, 28), 6)
    made = DueDate(date(2022, 1, 28), date(2022, 2, 11), date(2022, 2, 11),
                   at(2022, 2, 11, 17), False)
    assert made.due_date == date(2022, 2, 11)
    with pytest.raises(ValueError, match="compute_due"):
        made.text()


def test_text_omits_a_supplement_returned_the_same_day():
    """Mon 07/11/2022 + 5 wd; a pause 09:00–16:00 on Wed 09/11 adds no day and is not mentioned."""
    result = due(at(2022, 11, 7), 5, pauses=[Pause(start=at(2022, 11, 9, 9), end=at(2022, 11, 9, 16))])
    assert result.due_date == date(2022, 11, 14)
    assert "cộng 0" not in result.text()
    assert result.text() == "Hẹn trả 14/11/2022"


@pytest.mark.parametrize(
    "receipt, end, pauses, expected",
    [
        # Mon 07/03/2022 → Mon 14/03/2022: Tue–Fri and Mon = 5 working days.
        (date(2022, 3, 7), date(2022, 3, 14), [], 5),
        # paused Wed 09/03 → Fri 11/03: Thu and Fri do not count (p < w ≤ q) → 3.
        (date(2022, 3, 7), date(2022, 3, 14), [Pause(at(2022, 3, 9), at(2022, 3, 11))], 3),
        # a pause still open runs to the end: from Thu 10/03 → Fri, Mon off → 3.
        (date(2022, 3, 7), date(2022, 3, 14), [Pause(at(2022, 3, 10))], 3),
        # across Tết 2022 (31/01–04/02 off): Fri 28/01 → Mon 07/02 = Mon 07/02 only → 1.
        (date(2022, 1, 28), date(2022, 2, 7), [], 1),
        # resolved the day it was received: 0.
        (date(2022, 3, 7), date(2022, 3, 7), [], 0),
    ],
)
def test_working_days_used(receipt, end, pauses, expected):
    assert working_days_used(receipt=receipt, end=end, pauses=pauses, cal=VN) == expected
