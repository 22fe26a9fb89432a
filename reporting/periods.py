"""Report periods (kỳ báo cáo): regulatory and calendar months, quarters, halves, nine months, years.

Pure: standard library only (``zoneinfo``); no Django. Decisions from domain.md §6 and §13 D11:

- A period is a closed range of **local dates** ``[start, end]`` (Asia/Ho_Chi_Minh). Queries
  use the equivalent half-open range of instants ``[start_at, end_at)`` from local midnight of
  ``start`` to local midnight of the day after ``end`` (:meth:`Period.instants`), so that an
  instant at a period's edge belongs to exactly one period (style.md principle 9).
- **Regulatory basis** (the default, NĐ 09/2019 as mirrored by provincial regulations): a
  period ends on the 14th and starts on the 15th of the month before its first month.
  Month m is 15/(m−1) – 14/m (month 1 starts on 15/12 of the previous year); quarter q is the
  months 3q−2 … 3q (Q1 = 15/12 – 14/03, Q2 = 15/03 – 14/06, Q3 = 15/06 – 14/09,
  Q4 = 15/09 – 14/12); half h the months 6h−5 … 6h; nine months = months 1 … 9
  (15/12 – 14/09); year = months 1 … 12 (15/12 – 14/12). *Choice for months (the law fixes
  only quarters, halves, nine months and the year):* "regulatory month m" ends on the 14th of
  month m, so that every regulatory quarter is exactly its three regulatory months.
- **Calendar basis**: ordinary months, quarters (1/1 – 31/3 …), halves, nine months, years.
- :meth:`Period.previous` is the period of the same basis and kind just before (Q1 → Q4 of
  the previous year; nine months and years → the same span one year earlier). For months,
  quarters, halves and years it ends the day before ``start``; carried-over figures are the
  in-progress figures at the end of ``start − 1 day`` (:meth:`Period.day_before`).

Every period boundary, in both bases, is the 1st, the 14th/15th or the last day of a month,
which is what lets roll-ups be summed per day without cutting a day in two.
"""
from __future__ import annotations

import calendar as std_calendar
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

REGULATORY = "regulatory"
CALENDAR = "calendar"
BASES = (REGULATORY, CALENDAR)
DEFAULT_BASIS = REGULATORY

MONTH = "month"
QUARTER = "quarter"
HALF = "half"
NINE_MONTHS = "nine_months"
YEAR = "year"
KINDS = (MONTH, QUARTER, HALF, NINE_MONTHS, YEAR)

#: kind -> (number of months, largest period number in a year)
_SHAPE = {MONTH: (1, 12), QUARTER: (3, 4), HALF: (6, 2), NINE_MONTHS: (9, 1), YEAR: (12, 1)}

#: regulatory periods end on this day of the month and start the day after, one month earlier
REGULATORY_CUTOFF_DAY = 14

BASIS_LABELS = {REGULATORY: "Kỳ báo cáo theo quy định (15 – 14)", CALENDAR: "Theo năm dương lịch"}
KIND_LABELS = {MONTH: "Tháng", QUARTER: "Quý", HALF: "6 tháng", NINE_MONTHS: "9 tháng", YEAR: "Năm"}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

MIN_YEAR = 2000
MAX_YEAR = 2100

MSG_BASIS = "Cách tính kỳ “{value}” không hợp lệ: chọn regulatory (15 – 14) hoặc calendar (dương lịch)."
MSG_KIND = "Loại kỳ “{value}” không hợp lệ: chọn month, quarter, half, nine_months hoặc year."
MSG_YEAR = "Năm “{value}” không hợp lệ."
MSG_YEAR_REQUIRED = "Vui lòng chọn năm báo cáo."
MSG_NUMBER = "Số kỳ “{value}” không hợp lệ: {kind} chỉ có từ 1 đến {max}."
MSG_NUMBER_REQUIRED = "Vui lòng chọn {kind}."


class PeriodError(ValueError):
    """A period that cannot exist; ``field`` names the offending parameter."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


def _month_shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> int:
    return std_calendar.monthrange(year, month)[1]


def local_midnight(day: date) -> datetime:
    """The aware instant at which local date `day` begins (UTC+7, no daylight saving)."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


@dataclass(frozen=True, order=True)
class Period:
    """A report period: ``Period(basis, kind, year, number)``; ``number`` counts months,
    quarters or halves within the year (1 for nine months and years)."""

    basis: str
    kind: str
    year: int
    number: int = 1

    def __post_init__(self) -> None:
        if self.basis not in BASES:
            raise PeriodError(MSG_BASIS.format(value=self.basis), field="basis")
        if self.kind not in KINDS:
            raise PeriodError(MSG_KIND.format(value=self.kind), field="kind")
        if not isinstance(self.year, int) or not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PeriodError(MSG_YEAR.format(value=self.year), field="year")
        largest = _SHAPE[self.kind][1]
        if not isinstance(self.number, int) or not 1 <= self.number <= largest:
            raise PeriodError(
                MSG_NUMBER.format(value=self.number, kind=KIND_LABELS[self.kind].lower(), max=largest),
                field="number",
            )

    # --- constructors -------------------------------------------------------------------------

    @classmethod
    def quarter(cls, year: int, quarter: int, basis: str = DEFAULT_BASIS) -> Period:
        return cls(basis, QUARTER, year, quarter)

    @classmethod
    def month(cls, year: int, month: int, basis: str = DEFAULT_BASIS) -> Period:
        return cls(basis, MONTH, year, month)

    @classmethod
    def containing(cls, day: date, *, kind: str = QUARTER, basis: str = DEFAULT_BASIS) -> Period:
        """The period of this kind and basis that contains local date `day`."""
        year, month = day.year, day.month
        if basis == REGULATORY and day.day > REGULATORY_CUTOFF_DAY:
            year, month = _month_shift(year, month, 1)
        months = _SHAPE[kind][0]
        if kind in (NINE_MONTHS,) and month > 9:
            raise PeriodError(f"Ngày {day:%d/%m/%Y} không thuộc kỳ 9 tháng nào.", field="number")
        number = 1 if kind in (NINE_MONTHS, YEAR) else (month - 1) // months + 1
        return cls(basis, kind, year, number)

    # --- bounds -------------------------------------------------------------------------------

    def _first_last_month(self) -> tuple[int, int]:
        months = _SHAPE[self.kind][0]
        if self.kind in (NINE_MONTHS, YEAR):
            return 1, months
        first = (self.number - 1) * months + 1
        return first, first + months - 1

    @property
    def start(self) -> date:
        first, _last = self._first_last_month()
        if self.basis == CALENDAR:
            return date(self.year, first, 1)
        y, m = _month_shift(self.year, first, -1)
        return date(y, m, REGULATORY_CUTOFF_DAY + 1)

    @property
    def end(self) -> date:
        _first, last = self._first_last_month()
        if self.basis == CALENDAR:
            return date(self.year, last, _last_day(self.year, last))
        return date(self.year, last, REGULATORY_CUTOFF_DAY)

    def instants(self) -> tuple[datetime, datetime]:
        """The half-open range ``[start_at, end_at)`` of aware instants covering the period."""
        return local_midnight(self.start), local_midnight(self.end + timedelta(days=1))

    def day_before(self) -> date:
        """The last day of the previous period: carried-over figures are its end-of-day stock."""
        return self.start - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def days(self) -> Iterator[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    # --- navigation ---------------------------------------------------------------------------

    def previous(self) -> Period:
        """The period of the same basis and kind just before this one."""
        if self.kind in (NINE_MONTHS, YEAR) or self.number == 1:
            largest = _SHAPE[self.kind][1]
            return Period(self.basis, self.kind, self.year - 1, largest)
        return Period(self.basis, self.kind, self.year, self.number - 1)

    def next(self) -> Period:
        largest = _SHAPE[self.kind][1]
        if self.number == largest:
            return Period(self.basis, self.kind, self.year + 1, 1)
        return Period(self.basis, self.kind, self.year, self.number + 1)

    def months(self) -> list[Period]:
        """The months of the same basis making up this period (for monthly trends)."""
        first, last = self._first_last_month()
        return [Period(self.basis, MONTH, self.year, m) for m in range(first, last + 1)]

    # --- text ---------------------------------------------------------------------------------

    def name_vi(self) -> str:
        """"Quý I năm 2022", "Tháng 3 năm 2022", "6 tháng đầu năm 2022", "9 tháng năm 2022", "Năm 2022"."""
        if self.kind == QUARTER:
            return f"Quý {ROMAN[self.number]} năm {self.year}"
        if self.kind == MONTH:
            return f"Tháng {self.number} năm {self.year}"
        if self.kind == HALF:
            return f"6 tháng {'đầu' if self.number == 1 else 'cuối'} năm {self.year}"
        if self.kind == NINE_MONTHS:
            return f"9 tháng năm {self.year}"
        return f"Năm {self.year}"

    def name(self) -> str:
        """:meth:`name_vi` in the active language (pages; exports keep the official Vietnamese)."""
        from django.utils.translation import gettext as _

        if self.kind == QUARTER:
            return _("Quý %(q)s năm %(y)s") % {"q": ROMAN[self.number], "y": self.year}
        if self.kind == MONTH:
            return _("Tháng %(m)s năm %(y)s") % {"m": self.number, "y": self.year}
        if self.kind == HALF:
            return (_("6 tháng đầu năm %(y)s") if self.number == 1 else _("6 tháng cuối năm %(y)s")) % {"y": self.year}
        if self.kind == NINE_MONTHS:
            return _("9 tháng năm %(y)s") % {"y": self.year}
        return _("Năm %(y)s") % {"y": self.year}

    def label(self) -> str:
        """:meth:`label_vi` in the active language."""
        from django.utils.translation import gettext as _

        return _("%(name)s (từ ngày %(start)s đến ngày %(end)s)") % {
            "name": self.name(), "start": f"{self.start:%d/%m/%Y}", "end": f"{self.end:%d/%m/%Y}"}

    def label_vi(self) -> str:
        """"Quý I năm 2022 (từ ngày 15/12/2021 đến ngày 14/03/2022)"."""
        return f"{self.name_vi()} (từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y})"

    def as_dict(self) -> dict:
        """The ``period`` object of the report JSON (interfaces.md "Reports")."""
        out: dict = {"basis": self.basis, "kind": self.kind, "year": self.year}
        if self.kind == QUARTER:
            out["quarter"] = self.number
        elif self.kind == MONTH:
            out["month"] = self.number
        elif self.kind == HALF:
            out["half"] = self.number
        out.update(number=self.number, start=self.start.isoformat(), end=self.end.isoformat(),
                   label=self.label_vi())
        return out

    @property
    def key(self) -> str:
        """A stable text key, e.g. ``regulatory:quarter:2022:1``."""
        return f"{self.basis}:{self.kind}:{self.year}:{self.number}"

    @classmethod
    def from_key(cls, key: str) -> Period:
        basis, kind, year, number = key.split(":")
        return cls(basis, kind, int(year), int(number))


# --- boundary days and half-month segments --------------------------------------------------------


def is_boundary_day(day: date) -> bool:
    """Whether a period of either basis can end on `day` (or start the day after): the 14th or
    the last day of a month. Stocks are snapshotted on these days."""
    return day.day == REGULATORY_CUTOFF_DAY or day.day == _last_day(day.year, day.month)


def segment_start(day: date) -> date:
    """The first day of the half-month segment of `day`: the 1st (days 1–14) or the 15th."""
    return day.replace(day=1 if day.day <= REGULATORY_CUTOFF_DAY else REGULATORY_CUTOFF_DAY + 1)


def segment_end(start: date) -> date:
    if start.day == 1:
        return start.replace(day=REGULATORY_CUTOFF_DAY)
    return start.replace(day=_last_day(start.year, start.month))


def segments_in(start: date, end: date) -> list[date]:
    """The segments exactly covering [start, end]; ValueError if the range cuts a segment
    (every period of both bases is made of whole segments)."""
    if segment_start(start) != start or not is_boundary_day(end):
        raise ValueError(f"{start}–{end} is not made of whole half-month segments")
    out, s = [], start
    while s <= end:
        out.append(s)
        s = segment_end(s) + timedelta(days=1)
    return out


def _int(value, *, field: str, message: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise PeriodError(message.format(value=value), field=field) from None


def period_from_params(params: Mapping[str, object], *, default_kind: str = QUARTER) -> Period:
    """Parse a period from query parameters or command options.

    Keys: ``basis`` (default regulatory), ``kind`` (default `default_kind`), ``year``
    (required), and the number as ``number`` or by its kind's name: ``quarter``, ``month`` or
    ``half``. Raises :class:`PeriodError` with a Vietnamese message and the field at fault.
    """
    def get(name):
        value = params.get(name)
        return None if value is None or str(value).strip() == "" else value

    basis = str(get("basis") or DEFAULT_BASIS).strip()
    if basis not in BASES:
        raise PeriodError(MSG_BASIS.format(value=basis), field="basis")
    kind = str(get("kind") or default_kind).strip()
    if kind not in KINDS:
        raise PeriodError(MSG_KIND.format(value=kind), field="kind")
    year_raw = get("year")
    if year_raw is None:
        raise PeriodError(MSG_YEAR_REQUIRED, field="year")
    year = _int(year_raw, field="year", message=MSG_YEAR)
    if kind in (NINE_MONTHS, YEAR):
        number_field, number_raw = "number", get("number") or 1
    else:
        number_field = kind if get(kind) is not None else "number"
        number_raw = get(kind) if get(kind) is not None else get("number")
        if number_raw is None:
            raise PeriodError(MSG_NUMBER_REQUIRED.format(kind=KIND_LABELS[kind].lower()), field=kind)
    number = _int(number_raw, field=number_field, message=MSG_NUMBER.format(
        value="{value}", kind=KIND_LABELS[kind].lower(), max=_SHAPE[kind][1]))
    try:
        return Period(basis, kind, year, number)
    except PeriodError as exc:
        raise PeriodError(exc.message, field=number_field if exc.field == "number" else exc.field) from None
