"""Vietnam's national working-day calendar, from the ``holidays`` library (domain.md §8, D1).

No Django here: the caller passes the administrator's overrides (the ``CalendarOverride`` table)
in. What this module takes from ``holidays.VN(language="vi")`` (holidays 0.109):

- public holidays and nghỉ bù days with their Vietnamese names (Tết Dương lịch, the five days
  of Tết Nguyên Đán, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh, Ngày Văn hóa Việt Nam from
  2026, "... (nghỉ bù)", and the government's swapped days "Ngày nghỉ (thay cho ngày …)");
- the government's make-up Saturdays (``weekend_workdays``), with a reason naming the day off
  they pay for, read from the library's static swap table.

Always ``language="vi"``: without it the names follow the process locale (English under
``LANG=C.UTF-8``). The library only knows day swaps announced before its release; years after
:data:`LAST_ANNOUNCED_YEAR` are marked provisional (their Tết days are computed, any swap is
unknown) until an administrator confirms them with overrides.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

import holidays
from holidays.countries.vietnam import VietnamStaticHolidays

from dossiers.calendar import DEFAULT_OFFICE_HOURS, OfficeHours, WorkCalendar


def _government_swaps() -> dict[date, date]:
    """Make-up working day -> the day off it pays for, from the library's static table.

    Entries are ``year: (month, day, from_month, from_day[, from_year])`` or a tuple of them:
    the day off is (year, month, day), the make-up working day is (from_year or year,
    from_month, from_day).
    """
    swaps: dict[date, date] = {}
    for year, entries in VietnamStaticHolidays.special_public_holidays.items():
        if entries and isinstance(entries[0], int):
            entries = (entries,)
        for month, day, from_month, from_day, *from_year in entries:
            workday = date(from_year[0] if from_year else year, from_month, from_day)
            swaps[workday] = date(year, month, day)
    return swaps


_SWAPS = _government_swaps()

#: The last year for which the library has the government's day swaps (2026 in holidays 0.109).
#: Later years are provisional.
LAST_ANNOUNCED_YEAR: int = max(VietnamStaticHolidays.special_public_holidays)

TET_LABEL = "Tết Nguyên Đán"
_TET_DAY = re.compile(
    r"^(29 Tết|Giao thừa Tết Nguyên Đán|(Mùng \w+ )?Tết Nguyên Đán)( \((nghỉ bù, )?dự kiến\))?$"
)


def vn_note_label(note: str) -> str:
    """The label grouping a day in a due date's text: every day of the Tết holiday (29 Tết,
    Giao thừa, Mùng hai … Mùng sáu) is "Tết Nguyên Đán"; any other note is itself."""
    return TET_LABEL if _TET_DAY.match(note) else note


def make_up_reason(day_off: date | None) -> str:
    """Why a Saturday is worked: the day off it pays for."""
    if day_off is None:
        return "Ngày làm việc bù"
    return f"Làm bù cho ngày nghỉ {day_off.day:02d}/{day_off.month:02d}/{day_off.year}"


def build_vn_calendar(
    *,
    first_year: int,
    last_year: int,
    overrides: Mapping[date, tuple[bool, str]] = {},
    office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
    confirmed_years: Iterable[int] = (),
) -> WorkCalendar:
    """The working-day calendar for 1 January ``first_year`` – 31 December ``last_year``.

    A day is a working day iff ``holidays.VN(language="vi").is_working_day(day)``, unless
    ``overrides`` (date -> (is_working_day, reason)) says otherwise (D1). Years after
    :data:`LAST_ANNOUNCED_YEAR` are provisional, except those in ``confirmed_years`` (the
    administrator entered that year's official swaps as overrides).
    """
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    # One year either side: a swap can cross the new year (work Sat 27/12/2014 for Fri
    # 2/1/2015), and the library files it under the year of the day off.
    vn = holidays.VN(language="vi", years=range(first_year - 1, last_year + 2))
    first, last = date(first_year, 1, 1), date(last_year, 12, 31)
    holiday_names = {d: name for d, name in vn.items() if first <= d <= last}
    weekend_workdays = {
        d: make_up_reason(_SWAPS.get(d))
        for d in vn.weekend_workdays
        if first <= d <= last
    }
    confirmed = set(confirmed_years)
    provisional = [
        y for y in range(first_year, last_year + 1)
        if y > LAST_ANNOUNCED_YEAR and y not in confirmed
    ]
    return WorkCalendar(
        first=first,
        last=last,
        holidays=holiday_names,
        weekend_workdays=weekend_workdays,
        overrides=overrides,
        provisional_years=provisional,
        office_hours=office_hours,
        note_label=vn_note_label,
    )
