"""Working days, office hours and dossier deadlines: a pure calculator.

Pure on purpose (style.md principle 7): standard library and ``zoneinfo`` only; no Django, no
ORM, no settings and no ``now()``. "Today" and every instant are parameters. Always import this
module as ``dossiers.calendar`` (``from dossiers import calendar as wcal``), never bare
``calendar``.

**What a working day is** (domain.md §8 rule 1 and decision D1). Monday to Friday, except a
public holiday or a nghỉ bù (compensation) day; a Saturday or Sunday is a working day only when
the government declared it a make-up working day (làm bù). An administrator's override for a
date always wins over both (it records why, e.g. "Thông báo 6150/TB-BNV"). Exactly as
``holidays.HolidayBase.is_working_day``: a weekend date is working iff it is a make-up day, a
weekday is working iff it is not a holiday; then the override.

**Where holidays come from.** Not from here: the caller passes them in. In OneCua
``dossiers.vn_calendar.build_vn_calendar`` reads ``holidays.VN(language="vi")`` (national
holidays, nghỉ bù and the government's day swaps) and the administrator's overrides table.
Years whose government day swaps are not announced yet are *provisional*; due dates that touch
them say so.

**Time.** Instants are timezone-aware datetimes; a naive datetime is a ``ValueError``. Local
dates and office hours are read in Asia/Ho_Chi_Minh (:data:`LOCAL_TZ`), which has been UTC+7
without daylight saving since 1975, so wall-clock arithmetic on local times is exact.

**Deadlines** (domain.md §13, D2–D9), implemented by :func:`compute_due`:

- D2 receipt date r: the local date of the receipt instant R if it is a working day, otherwise
  the next working day.
- D3 N ≥ 1 working days: due date D = the N-th working day after r (r is not counted). N = 0
  ("trong ngày"): D = r, except that R on a working day at or after 15:00
  (:data:`SAME_DAY_CUTOFF`) gives the next working day after r.
- D4 N working hours: start at R, or at the next moment inside office hours, and count N hours
  of office time; that instant is ``due_at`` and its local date is D.
- D5 N calendar days: D = local date of R + N; when that is not a working day, the next
  working day.
- D6 for day deadlines ``due_at`` is the close of the office day on D (17:00).
- D7 pauses (waiting for the applicant's supplement), in time order, from P (date p) to Q
  (date q): D moves forward by k = the number of working days d with p < d ≤ q; for hour
  deadlines ``due_at`` moves forward by the office hours between P and Q. **Decision:** a pause
  that starts after the deadline already passed (p > the current D; for hour deadlines
  P > ``due_at``) moves nothing: the dossier was already late, and time spent with the citizen
  afterwards cannot make it on time. A pause starting on D itself (or exactly at ``due_at``)
  still counts. An open pause (no end yet) adds nothing yet and marks the due date ``paused``.
  Pauses must not overlap, must not start before R, and only the last one may be open.
- D8 an apology is late when issued after the working day before D (:func:`is_late_apology`).
- D9 classification compares local **dates** (Civil Code art. 148: a period ends at the end of
  its last day): e < D early, e = D on time, e > D late; for hour deadlines an end instant
  after ``due_at`` on D itself is late.

Performance: a :class:`WorkCalendar` precomputes, over its whole range, one flag per day, the
cumulative count of working days and the sorted list of working days, so
``add_working_days`` and ``working_days_between`` are O(1) and :func:`compute_due` costs a few
microseconds. The human explanation of a due date is built only when asked for
(:attr:`DueDate.explanation`, :meth:`DueDate.text`).
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_UTC = timezone.utc

#: D3: a same-day procedure received on a working day at or after this local time is due the
#: next working day.
SAME_DAY_CUTOFF = time(15, 0)

_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 24 * _US_PER_HOUR

WEEKDAY_NAMES_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _local(dt: datetime, what: str = "datetime") -> datetime:
    """``dt`` in local time; a naive datetime is an error (its zone would be a guess)."""
    if type(dt) is datetime:  # the common cases first, kept cheap
        tz = dt.tzinfo
        if tz is LOCAL_TZ:
            return dt
        if tz is _UTC:
            return dt.astimezone(LOCAL_TZ)
    if not isinstance(dt, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got naive {dt.isoformat()})")
    return dt.astimezone(LOCAL_TZ)


def _check_date(d: date, what: str = "date") -> None:
    # A datetime is a date subclass: reject it, its local date depends on a zone we would guess.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"{what} must be a date, got {type(d).__name__}")


# --- office hours ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeHours:
    """The office periods of a working day, local wall-clock times (D1: 07:30–11:30, 13:00–17:00).

    Periods are in order and do not overlap; each starts before it ends.
    """

    periods: tuple[tuple[time, time], ...] = (
        (time(7, 30), time(11, 30)),
        (time(13, 0), time(17, 0)),
    )

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("office hours need at least one period")
        previous_end: time | None = None
        for start, end in self.periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("office hours are local wall-clock times without tzinfo")
            if not start < end:
                raise ValueError(f"office period {start}–{end} must start before it ends")
            if previous_end is not None and start < previous_end:
                raise ValueError("office periods must be in order and must not overlap")
            previous_end = end

    @property
    def open(self) -> time:
        """Start of the office day (07:30)."""
        return self.periods[0][0]

    @property
    def close(self) -> time:
        """End of the office day (17:00): ``due_at`` of a day deadline (D6)."""
        return self.periods[-1][1]

    @cached_property
    def spans_us(self) -> tuple[tuple[int, int], ...]:
        """The periods as (start, end) microseconds since local midnight."""
        return tuple((_time_us(s), _time_us(e)) for s, e in self.periods)

    @cached_property
    def daily_us(self) -> int:
        return sum(e - s for s, e in self.spans_us)

    @property
    def daily(self) -> timedelta:
        """Office time in one working day (8 hours by default)."""
        return timedelta(microseconds=self.daily_us)

    def label(self) -> str:
        return ", ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in self.periods)


DEFAULT_OFFICE_HOURS = OfficeHours()


class TimeUnit(StrEnum):
    """How a procedure's processing time is counted (D3, D4, D5)."""

    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"


_UNITS: dict[str, TimeUnit] = {u.value: u for u in TimeUnit}


def _unit(unit: TimeUnit | str) -> TimeUnit:
    try:
        return _UNITS[unit]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown time unit {unit!r}; expected one of {', '.join(_UNITS)}"
        ) from None


# --- the calendar ----------------------------------------------------------------------------


def _identity(note: str) -> str:
    return note


class WorkCalendar:
    """Working days and office hours, precomputed over ``[first, last]`` (local dates).

    Every method raises ``ValueError`` for a date outside the range, or when a result would
    fall after ``last``: a deadline is never silently computed on a calendar that does not
    cover it.

    :param holidays: public holidays and nghỉ bù days -> name. Weekend dates may be included
        (a holiday on a Saturday); they do not make a weekend less of a rest day.
    :param weekend_workdays: Saturdays/Sundays declared make-up working days -> reason. A
        weekday in this mapping changes nothing.
    :param overrides: date -> (is_working_day, reason); always wins (D1).
    :param provisional_years: years whose government day swaps are not announced yet.
    :param note_label: maps a day's note to the label used to group consecutive skipped days
        in :meth:`DueDate.text` (e.g. every day of Tết to "Tết Nguyên Đán"); identity by default.
    """

    def __init__(
        self,
        *,
        first: date,
        last: date,
        holidays: Mapping[date, str],
        weekend_workdays: Mapping[date, str],
        overrides: Mapping[date, tuple[bool, str]] = {},
        provisional_years: Iterable[int] = (),
        office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        note_label: Callable[[str], str] | None = None,
    ) -> None:
        _check_date(first, "first")
        _check_date(last, "last")
        if first > last:
            raise ValueError(f"calendar range is empty: first {first} is after last {last}")
        self.first = first
        self.last = last
        self.office_hours = office_hours
        self._close = office_hours.close
        self.note_label: Callable[[str], str] = note_label or _identity
        self.provisional_years = frozenset(int(y) for y in provisional_years)

        first_ord = first.toordinal()
        n = last.toordinal() - first_ord + 1
        self._first_ord = first_ord
        self._n = n

        def offsets(mapping: Mapping) -> dict[int, object]:
            out = {}
            for d, value in mapping.items():
                _check_date(d)
                if first <= d <= last:
                    out[d.toordinal() - first_ord] = value
            return out

        hol = offsets(holidays)
        make_up = offsets(weekend_workdays)
        over = offsets(overrides)

        # date.weekday() of ordinal o is (o + 6) % 7 (ordinal 1, 1/1/0001, was a Monday).
        working = bytearray(n)
        notes: dict[int, str] = {}
        for i in range(n):
            if (first_ord + i + 6) % 7 >= 5:
                working[i] = i in make_up
            else:
                working[i] = i not in hol
        for i, name in hol.items():
            notes[i] = str(name)
        for i, reason in make_up.items():
            if working[i] and i not in notes:
                notes[i] = str(reason)
        for i, (is_working, reason) in over.items():
            working[i] = bool(is_working)
            notes[i] = str(reason)

        cum = [0] * (n + 1)  # cum[i] = working days among offsets < i
        working_dates: list[date] = []
        count = 0
        for i in range(n):
            if working[i]:
                count += 1
                working_dates.append(date.fromordinal(first_ord + i))
            cum[i + 1] = count
        self._working = working
        self._cum = cum
        self._wdates = working_dates
        self._notes = notes
        self._special = sorted(notes)

    def __repr__(self) -> str:
        return f"<WorkCalendar {self.first}–{self.last}, {len(self._wdates)} working days>"

    # -- dates --

    def _off(self, d: date) -> int:
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(f"expected a date, got {type(d).__name__}")
        i = d.toordinal() - self._first_ord
        if i < 0 or i >= self._n:
            raise ValueError(
                f"{d.isoformat()} is outside the working-day calendar "
                f"({self.first.isoformat()} to {self.last.isoformat()})"
            )
        return i

    def _working_date(self, index: int, after: date | datetime) -> date:
        if index >= len(self._wdates):
            raise ValueError(
                f"the result after {after.isoformat()} falls beyond the end of the working-day "
                f"calendar ({self.last.isoformat()})"
            )
        return self._wdates[index]

    def is_working_day(self, d: date) -> bool:
        """True iff ``d`` is a working day (module docstring; override wins)."""
        return bool(self._working[self._off(d)])

    def day_note(self, d: date) -> str | None:
        """Why ``d`` is special: the override reason, else the holiday name, else the make-up
        day reason; ``None`` for an ordinary day (a plain weekend included)."""
        return self._notes.get(self._off(d))

    def is_provisional(self, d: date) -> bool:
        """True when ``d``'s year has no announced government day swaps yet."""
        self._off(d)
        return d.year in self.provisional_years

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self._working_date(self._cum[self._off(d) + 1], d)

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        index = self._cum[self._off(d)] - 1
        if index < 0:
            raise ValueError(
                f"no working day before {d.isoformat()} in the calendar "
                f"(starts {self.first.isoformat()})"
            )
        return self._wdates[index]

    def working_day_on_or_after(self, d: date) -> date:
        """``d`` if it is a working day, otherwise the next working day."""
        i = self._off(d)
        return d if self._working[i] else self._working_date(self._cum[i + 1], d)

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day strictly after ``d`` (n ≥ 1); ``d`` itself when n == 0."""
        i = self._off(d)
        if n < 0:
            raise ValueError(f"cannot add a negative number of working days ({n})")
        if n == 0:
            return d
        return self._working_date(self._cum[i + 1] + n - 1, d)

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days w with a < w ≤ b (0 when b ≤ a)."""
        ia, ib = self._off(a), self._off(b)
        if ib <= ia:
            return 0
        return self._cum[ib + 1] - self._cum[ia + 1]

    def working_days_in(self, start: date, end: date) -> int:
        """The number of working days w with start ≤ w ≤ end (both ends included)."""
        i0, i1 = self._off(start), self._off(end)
        if i1 < i0:
            return 0
        return self._cum[i1 + 1] - self._cum[i0]

    def special_days_between(self, a: date, b: date) -> list[tuple[date, bool, str]]:
        """Days in (a, b] with a note, as (date, is_working_day, note), in date order:
        holidays and non-working overrides, make-up working days and working overrides."""
        ia, ib = self._off(a), self._off(b)
        lo = bisect.bisect_right(self._special, ia)
        hi = bisect.bisect_right(self._special, ib)
        fo = self._first_ord
        return [
            (date.fromordinal(fo + i), bool(self._working[i]), self._notes[i])
            for i in self._special[lo:hi]
        ]

    # -- office hours --

    def _overlap_us(self, d: date, a_us: int, b_us: int) -> int:
        if not self._working[self._off(d)]:
            return 0
        total = 0
        for s, e in self.office_hours.spans_us:
            lo = a_us if a_us > s else s
            hi = b_us if b_us < e else e
            if hi > lo:
                total += hi - lo
        return total

    def office_hours_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time within [start, end) on working days (zero when end ≤ start)."""
        s = _local(start, "start")
        e = _local(end, "end")
        if e <= s:
            return timedelta(0)
        sd, ed = s.date(), e.date()
        s_us = _time_us(s.time())
        e_us = _time_us(e.time())
        if sd == ed:
            total = self._overlap_us(sd, s_us, e_us)
        else:
            total = self._overlap_us(sd, s_us, _US_PER_DAY) + self._overlap_us(ed, 0, e_us)
            # whole working days strictly between sd and ed
            inner = self.working_days_between(sd, ed) - self._working[self._off(ed)]
            total += inner * self.office_hours.daily_us
        return timedelta(microseconds=total)

    def add_office_hours(self, start: datetime, hours: float | int | timedelta) -> datetime:
        """D4: from ``start``, or the next moment inside office hours, count ``hours`` of office
        time on working days; return that instant (local time). Ending exactly at the end of a
        period gives that end (e.g. 11:30), not the start of the next one. Zero hours gives the
        first office moment at or after ``start``."""
        if isinstance(hours, timedelta):
            remaining = (hours.days * 86_400 + hours.seconds) * 1_000_000 + hours.microseconds
        else:
            if isinstance(hours, bool) or not isinstance(hours, (int, float)):
                raise TypeError(f"hours must be a number or a timedelta, got {hours!r}")
            remaining = round(hours * _US_PER_HOUR)
        if remaining < 0:
            raise ValueError(f"cannot add negative office time ({hours!r})")
        return self._add_office_us(_local(start, "start"), remaining)

    def _add_office_us(self, local: datetime, remaining: int) -> datetime:
        o = local.toordinal() - self._first_ord
        if o < 0 or o >= self._n:
            raise ValueError(
                f"{local.date().isoformat()} is outside the working-day calendar "
                f"({self.first.isoformat()} to {self.last.isoformat()})"
            )
        spans = self.office_hours.spans_us
        if self._working[o]:
            t_us = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 \
                + local.microsecond
            for s, e in spans:
                if t_us < e:
                    begin = t_us if t_us > s else s
                    available = e - begin
                    if remaining <= available:
                        return self._at(self._wdates[self._cum[o]], begin + remaining)
                    remaining -= available
        # Continue at the start of the next working day, skipping whole office days at once.
        index = self._cum[o + 1]
        daily = self.office_hours.daily_us
        if remaining > daily:
            full_days = (remaining - 1) // daily
            index += full_days
            remaining -= full_days * daily
        d = self._working_date(index, local)
        for s, e in spans:
            available = e - s
            if remaining <= available:
                return self._at(d, s + remaining)
            remaining -= available
        raise AssertionError("unreachable: remaining office time exceeds one office day")

    @staticmethod
    def _at(d: date, us: int) -> datetime:
        """Local instant ``us`` microseconds after midnight of ``d`` (us < one day)."""
        seconds, micro = divmod(us, 1_000_000)
        minutes, seconds = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return datetime(d.year, d.month, d.day, hours, minutes, seconds, micro, LOCAL_TZ)

    # -- the fast path of compute_due --

    def _due_indexes(self, local: datetime, n: int, unit: TimeUnit,
                     cutoff: time) -> tuple[int, int, bool]:
        """Indexes into the working-day list of the receipt date r (D2) and of D for a day
        deadline (D3, D5), and whether the same-day cutoff applied."""
        o = local.toordinal() - self._first_ord
        if o < 0 or o >= self._n:
            raise ValueError(
                f"received on {local.date().isoformat()}, outside the working-day calendar "
                f"({self.first.isoformat()} to {self.last.isoformat()})"
            )
        # cum[o] = working days before R's local date = the index of the first working day on
        # or after it, i.e. of r.
        ri = self._cum[o]
        if unit is TimeUnit.CALENDAR_DAYS:
            o2 = o + n
            if o2 >= self._n:
                raise ValueError(
                    f"{n} days after {local.date().isoformat()} is outside the working-day "
                    f"calendar (ends {self.last.isoformat()})"
                )
            return ri, self._cum[o2], False
        if n == 0 and self._working[o] and local.time() >= cutoff:
            return ri, ri + 1, True
        return ri, ri + n, False

    def due_date_for(
        self,
        received_at: datetime,
        amount: int,
        unit: TimeUnit | str = TimeUnit.WORKING_DAYS,
        *,
        same_day_cutoff: time = SAME_DAY_CUTOFF,
    ) -> date:
        """The due date D only (D2–D5, no pauses): the lean path for bulk recomputation."""
        u = _unit(unit)
        _check_amount(amount, u)
        local = _local(received_at, "received_at")
        if u is TimeUnit.WORKING_HOURS:
            self._working_date(self._cum[self._off(local.date())], local)
            return self._add_office_us(local, round(amount * _US_PER_HOUR)).date()
        ri, di, _ = self._due_indexes(local, amount, u, same_day_cutoff)
        return self._working_date(di, local)


def _check_amount(amount: int | float, unit: TimeUnit) -> None:
    if type(amount) is int and amount >= 0:
        return
    if unit is TimeUnit.WORKING_HOURS and type(amount) is float and amount >= 0:
        return
    raise ValueError(f"processing time must be a whole number ≥ 0, got {amount!r}")


# --- due dates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    """A wait for the applicant's supplement, from ``start`` (P) to ``end`` (Q); ``end`` None
    while still waiting. Both aware."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        _local(self.start, "pause start")
        if self.end is not None:
            _local(self.end, "pause end")
            if self.end < self.start:
                raise ValueError(
                    f"pause ends ({self.end.isoformat()}) before it starts "
                    f"({self.start.isoformat()})"
                )


class StepKind(StrEnum):
    """What a line of a due-date explanation is about."""

    RECEIPT = "receipt"  # R and the receipt date r (D2)
    RULE = "rule"  # how the processing time is counted (D3–D5)
    SKIPPED = "skipped"  # a weekday that is not a working day (holiday, nghỉ bù, override)
    MAKEUP = "makeup"  # a Saturday/Sunday counted as a working day
    PAUSE = "pause"  # a closed pause and what it added (D7)
    PAUSE_IGNORED = "pause_ignored"  # a pause that started after the deadline had passed
    PAUSE_OPEN = "pause_open"  # still waiting for the applicant
    PROVISIONAL = "provisional"  # the calendar of a year involved is not official yet
    DUE = "due"  # the result


@dataclass(frozen=True)
class Step:
    """One line of the derivation of a due date (Vietnamese ``text``)."""

    kind: StepKind
    text: str
    day: date | None = None  # the day concerned; for a pause, the local date it started
    until: date | None = None  # for a pause, the local date it ended
    days: int = 0  # PAUSE of a day deadline: working days added
    hours: timedelta | None = None  # PAUSE of an hour deadline: office time added
    label: str = ""  # SKIPPED/MAKEUP: the note, grouped (e.g. "Tết Nguyên Đán")
    years: tuple[int, ...] = ()  # PROVISIONAL: the years concerned


@dataclass(frozen=True)
class _PauseEffect:
    pause: Pause
    kind: StepKind
    due_before: date
    due_after: date
    days: int = 0
    hours: timedelta | None = None


def _dm(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}"


def _dmy(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def _wd_dmy(d: date) -> str:
    return f"{WEEKDAY_NAMES_VI[d.weekday()]} {_dmy(d)}"


def _hours_vi(td: timedelta) -> str:
    minutes = round(td.total_seconds() / 60)
    h, m = divmod(minutes, 60)
    if m == 0:
        return f"{h} giờ"
    if h == 0:
        return f"{m} phút"
    return f"{h} giờ {m} phút"


@dataclass(frozen=True)
class DueDate:
    """The due date of a dossier and how it was reached (D2–D7).

    ``explanation`` and :meth:`text` are computed on first use from the inputs kept here.
    """

    receipt_date: date  # D2
    base_due_date: date  # before pauses
    due_date: date  # D, after pauses (D7)
    due_at: datetime  # aware: 17:00 on D for day deadlines (D6), the D4 instant for hours
    paused: bool  # an open pause exists
    unit: TimeUnit = TimeUnit.WORKING_DAYS
    amount: int | float = 0
    received_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()
    calendar: WorkCalendar | None = field(default=None, repr=False, compare=False)
    _effects: tuple[_PauseEffect, ...] = field(default=(), repr=False, compare=False)
    _after_cutoff: bool = field(default=False, repr=False, compare=False)

    @cached_property
    def explanation(self) -> tuple[Step, ...]:
        """The derivation, in order: receipt, counting rule, skipped special days, make-up days,
        pauses, provisional years, result."""
        return tuple(self._steps())

    def _window_start(self) -> date:
        """Special days after this date (and up to D) are listed as skipped/counted."""
        local_r = _local(self.received_at).date()
        if self.unit is TimeUnit.CALENDAR_DAYS:
            # from the nominal date (R + N) on: days before it are counted, holidays included
            start = local_r + timedelta(days=self.amount - 1)
        elif self.unit is TimeUnit.WORKING_HOURS:
            start = local_r
        else:
            start = self.receipt_date
        return max(start, self.calendar.first)

    def _steps(self) -> list[Step]:
        cal = self.calendar
        if cal is None or self.received_at is None:
            raise ValueError("this DueDate was not made by compute_due: nothing to explain")
        local = _local(self.received_at)
        local_r = local.date()
        r = self.receipt_date
        steps: list[Step] = []

        # Receipt (D2)
        if local_r != r:
            note = cal.day_note(local_r)
            why = f" ({note})" if note else ""
            steps.append(Step(
                StepKind.RECEIPT,
                f"nhận ngày {_wd_dmy(local_r)}{why} lúc {local:%H:%M} → tính từ ngày làm việc "
                f"tiếp theo {_wd_dmy(r)}",
                day=local_r,
            ))
        else:
            steps.append(Step(
                StepKind.RECEIPT, f"nhận {_wd_dmy(r)} lúc {local:%H:%M}", day=r,
            ))

        # Counting rule (D3–D5)
        n = self.amount
        if self.unit is TimeUnit.WORKING_DAYS:
            if n == 0 and self._after_cutoff:
                text = (f"giải quyết trong ngày; nhận sau {SAME_DAY_CUTOFF:%H:%M} → hẹn ngày làm "
                        f"việc tiếp theo {_dmy(self.base_due_date)}")
            elif n == 0:
                text = f"giải quyết trong ngày: hẹn {_dmy(self.base_due_date)}"
            else:
                text = (f"{n} ngày làm việc, không tính ngày nhận {_dmy(r)}: hạn "
                        f"{_wd_dmy(self.base_due_date)}")
        elif self.unit is TimeUnit.CALENDAR_DAYS:
            nominal = local_r + timedelta(days=n)
            text = f"{n} ngày theo lịch từ {_dmy(local_r)}: {_wd_dmy(nominal)}"
            if nominal != self.base_due_date:
                text += f" không phải ngày làm việc → {_wd_dmy(self.base_due_date)}"
        else:
            base_at = self._base_due_at()
            text = (f"{n} giờ làm việc ({cal.office_hours.label()}) từ lúc nhận: hạn "
                    f"{base_at:%H:%M} {_wd_dmy(base_at.date())}")
        steps.append(Step(StepKind.RULE, text))

        # Special days inside the counted window
        for d, working, note in cal.special_days_between(self._window_start(), self.due_date):
            weekday = d.weekday() < 5
            if not working and weekday:
                steps.append(Step(
                    StepKind.SKIPPED, f"không tính {_wd_dmy(d)}: {note}", day=d,
                    label=cal.note_label(note),
                ))
            elif working and not weekday:
                steps.append(Step(
                    StepKind.MAKEUP, f"tính {_wd_dmy(d)} là ngày làm việc: {note}", day=d,
                    label=note,
                ))

        # Pauses (D7)
        for eff in self._effects:
            p = _local(eff.pause.start)
            if eff.kind is StepKind.PAUSE_OPEN:
                steps.append(Step(
                    eff.kind, f"đang tạm dừng chờ bổ sung từ {p:%H:%M} {_dmy(p.date())}: chưa cộng "
                    "thời gian", day=p.date(),
                ))
                continue
            q = _local(eff.pause.end)
            span = f"{_dmy(p.date())}–{_dmy(q.date())}"
            if eff.kind is StepKind.PAUSE_IGNORED:
                steps.append(Step(
                    eff.kind, f"tạm dừng chờ bổ sung {span} bắt đầu sau hạn "
                    f"{_dmy(eff.due_before)}: không cộng", day=p.date(), until=q.date(),
                ))
            elif eff.hours is not None:
                steps.append(Step(
                    eff.kind, f"tạm dừng chờ bổ sung {span}: cộng {_hours_vi(eff.hours)} làm việc "
                    f"→ {_dmy(eff.due_after)}", day=p.date(), until=q.date(), hours=eff.hours,
                ))
            else:
                steps.append(Step(
                    eff.kind, f"tạm dừng chờ bổ sung {span}: cộng {eff.days} ngày làm việc → "
                    f"{_dmy(eff.due_after)}", day=p.date(), until=q.date(), days=eff.days,
                ))

        # Provisional calendar years
        years = tuple(
            y for y in range(local_r.year, self.due_date.year + 1) if y in cal.provisional_years
        )
        if years:
            steps.append(Step(
                StepKind.PROVISIONAL,
                f"lịch năm {', '.join(map(str, years))} chưa chính thức (chưa công bố lịch nghỉ, "
                "làm bù)", years=years,
            ))

        if self.unit is TimeUnit.WORKING_HOURS:
            due_text = f"hẹn trả {self.due_at:%H:%M} {_wd_dmy(self.due_date)}"
        else:
            due_text = f"hẹn trả {_wd_dmy(self.due_date)} (trước {self.due_at:%H:%M})"
        steps.append(Step(StepKind.DUE, due_text, day=self.due_date))
        return steps

    def _base_due_at(self) -> datetime:
        if self._effects:
            return self.calendar.add_office_hours(_local(self.received_at), self.amount)
        return self.due_at

    def text(self) -> str:
        """One line for the citizen, e.g.
        "Hẹn trả 11/02/2022 (không tính 31/01–04/02: Tết Nguyên Đán)".

        Consecutive skipped weekdays with the same label form one range (weekends and other
        days off in between do not break it); plain weekends are not listed; days of a year
        other than D's show their year.
        """
        cal = self.calendar
        steps = self.explanation
        year = self.due_date.year

        def short(d: date) -> str:
            return _dm(d) if d.year == year else _dmy(d)

        parts: list[str] = []
        receipt = steps[0]
        if receipt.day != self.receipt_date:
            parts.append(f"nhận {WEEKDAY_NAMES_VI[receipt.day.weekday()]} {short(receipt.day)}, "
                         f"tính từ {short(self.receipt_date)}")
        if self._after_cutoff:
            parts.append(f"nhận sau {SAME_DAY_CUTOFF:%H:%M}")

        groups: list[list] = []  # [first, last, label]
        for s in steps:
            if s.kind is not StepKind.SKIPPED:
                continue
            if groups:
                g = groups[-1]
                if (g[2] == s.label
                        and cal.working_days_between(g[1], s.day) == 0):
                    g[1] = s.day
                    continue
            groups.append([s.day, s.day, s.label])
        if groups:
            parts.append("không tính " + ", ".join(
                (f"{short(a)}–{short(b)}" if a != b else short(a)) + f": {label}"
                for a, b, label in groups
            ))
        makeup = [s for s in steps if s.kind is StepKind.MAKEUP]
        if makeup:
            parts.append("tính cả " + ", ".join(
                f"{WEEKDAY_NAMES_VI[s.day.weekday()]} {short(s.day)}: {s.label}" for s in makeup
            ))
        for s in steps:
            if s.kind is StepKind.PAUSE and not (s.hours or s.days):
                continue  # a supplement returned within the same working day moves nothing
            if s.kind is StepKind.PAUSE:
                if s.hours is not None:
                    parts.append(f"cộng {_hours_vi(s.hours)} làm việc chờ bổ sung")
                else:
                    parts.append(f"cộng {s.days} ngày làm việc chờ bổ sung")
            elif s.kind is StepKind.PAUSE_IGNORED:
                parts.append(f"tạm dừng từ {short(s.day)} sau hạn: không cộng")
            elif s.kind is StepKind.PAUSE_OPEN:
                parts.append(f"đang tạm dừng chờ bổ sung từ {short(s.day)}")

        if self.unit is TimeUnit.WORKING_HOURS:
            line = f"Hẹn trả {self.due_at:%H:%M} ngày {_dmy(self.due_date)}"
        else:
            line = f"Hẹn trả {_dmy(self.due_date)}"
        if parts:
            line += f" ({'; '.join(parts)})"
        for s in steps:
            if s.kind is StepKind.PROVISIONAL:
                line += f" (lịch năm {', '.join(map(str, s.years))} chưa chính thức)"
        return line


def _new_due(receipt, base, due, due_at, paused, unit, amount, received_at, pauses, cal, effects,
             after_cutoff) -> DueDate:
    """DueDate(...) without the frozen dataclass __init__, whose one object.__setattr__ per
    field was half the cost of compute_due. Same fields in the same order (checked below)."""
    obj = object.__new__(DueDate)
    d = obj.__dict__
    d["receipt_date"] = receipt
    d["base_due_date"] = base
    d["due_date"] = due
    d["due_at"] = due_at
    d["paused"] = paused
    d["unit"] = unit
    d["amount"] = amount
    d["received_at"] = received_at
    d["pauses"] = pauses
    d["calendar"] = cal
    d["_effects"] = effects
    d["_after_cutoff"] = after_cutoff
    return obj


if tuple(DueDate.__dataclass_fields__) != (
    "receipt_date", "base_due_date", "due_date", "due_at", "paused", "unit", "amount",
    "received_at", "pauses", "calendar", "_effects", "_after_cutoff",
):  # pragma: no cover - a guard for whoever adds a field
    raise RuntimeError("keep _new_due in step with DueDate's fields")


def receipt_date(received_at: datetime, cal: WorkCalendar) -> date:
    """D2: the local date of ``received_at`` if it is a working day, else the next one."""
    return cal.working_day_on_or_after(_local(received_at, "received_at").date())


def working_days_used(*, receipt: date, end: date, pauses: Sequence[Pause], cal: WorkCalendar) -> int:
    """Working days a dossier took: w with receipt < w ≤ end, less the working days inside its
    pauses (p < w ≤ q, as D7 counts them; a pause still open runs to ``end``). Never negative.
    Index 766's average resolution time (domain.md §7, indicator 2.2) is built on it."""
    used = cal.working_days_between(receipt, end)
    for pause in pauses:
        p = _local(pause.start, "pause start").date()
        q = _local(pause.end, "pause end").date() if pause.end is not None else end
        used -= cal.working_days_between(p, min(q, end))
    return max(used, 0)


def _sorted_pauses(pauses: Sequence[Pause], received_at: datetime) -> tuple[Pause, ...]:
    ordered = tuple(sorted(pauses, key=lambda p: p.start))
    previous: Pause | None = None
    for p in ordered:
        if not isinstance(p, Pause):
            raise TypeError(f"expected Pause, got {type(p).__name__}")
        if p.start < received_at:
            raise ValueError(
                f"pause starts ({p.start.isoformat()}) before the dossier was received "
                f"({received_at.isoformat()})"
            )
        if previous is not None:
            if previous.end is None:
                raise ValueError("only the last pause may still be open")
            if p.start < previous.end:
                raise ValueError(
                    f"pauses overlap: one ends {previous.end.isoformat()}, the next starts "
                    f"{p.start.isoformat()}"
                )
        previous = p
    return ordered


def compute_due(
    *,
    received_at: datetime,
    amount: int,
    unit: TimeUnit | str,
    cal: WorkCalendar,
    pauses: Sequence[Pause] = (),
    same_day_cutoff: time = SAME_DAY_CUTOFF,
) -> DueDate:
    """The due date of a dossier received at ``received_at`` with a processing time of
    ``amount`` ``unit`` (D2–D6), moved by its supplement pauses (D7, see the module docstring
    for a pause that starts after the deadline).
    """
    u = _unit(unit)
    _check_amount(amount, u)
    local = _local(received_at, "received_at")
    if u is TimeUnit.WORKING_HOURS:
        r = cal._working_date(cal._cum[cal._off(local.date())], local)
        due_at = cal._add_office_us(local, round(amount * _US_PER_HOUR))
        base = due_at.date()
        after_cutoff = False
    else:
        ri, di, after_cutoff = cal._due_indexes(local, amount, u, same_day_cutoff)
        wdates = cal._wdates
        if di >= len(wdates):
            cal._working_date(di, local)  # raises the out-of-range error
        r = wdates[ri]
        base = wdates[di]
        due_at = datetime.combine(base, cal._close, LOCAL_TZ)

    if not pauses:
        return _new_due(r, base, base, due_at, False, u, amount, received_at, (), cal, (),
                        after_cutoff)

    ordered = _sorted_pauses(pauses, received_at)
    due = base
    paused = False
    effects: list[_PauseEffect] = []
    for pause in ordered:
        if pause.end is None:
            paused = True
            effects.append(_PauseEffect(pause, StepKind.PAUSE_OPEN, due, due))
            break
        if u is TimeUnit.WORKING_HOURS:
            if pause.start > due_at:
                effects.append(_PauseEffect(pause, StepKind.PAUSE_IGNORED, due, due))
                continue
            added = cal.office_hours_between(pause.start, pause.end)
            if added:
                due_at = cal.add_office_hours(due_at, added)
            before, due = due, due_at.date()
            effects.append(_PauseEffect(pause, StepKind.PAUSE, before, due, hours=added))
        else:
            p = _local(pause.start).date()
            if p > due:
                effects.append(_PauseEffect(pause, StepKind.PAUSE_IGNORED, due, due))
                continue
            k = cal.working_days_between(p, _local(pause.end).date())
            before, due = due, cal.add_working_days(due, k)
            effects.append(_PauseEffect(pause, StepKind.PAUSE, before, due, days=k))
    if u is not TimeUnit.WORKING_HOURS:
        due_at = datetime.combine(due, cal._close, LOCAL_TZ)
    return _new_due(r, base, due, due_at, paused, u, amount, received_at, ordered, cal,
                    tuple(effects), after_cutoff)


# --- classification --------------------------------------------------------------------------


class Timeliness(StrEnum):
    """D9: how a resolved dossier met its deadline."""

    EARLY = "early"  # trước hạn
    ON_TIME = "on_time"  # đúng hạn
    LATE = "late"  # quá hạn


class OpenStatus(StrEnum):
    """D12: an open dossier at the end of a period."""

    WITHIN = "within"  # trong hạn
    OVERDUE = "overdue"  # quá hạn


def classify_resolved(
    *,
    resolved_at: datetime,
    due: DueDate | None = None,
    due_date: date | None = None,
    due_at: datetime | None = None,
    unit: TimeUnit | str,
) -> Timeliness:
    """D9: by local date, e < D early, e = D on time, e > D late; for hour deadlines an end
    instant after ``due_at`` is late even on D itself. Give ``due``, or ``due_date`` and/or
    ``due_at`` (hour deadlines need ``due_at``)."""
    u = _unit(unit)
    e = _local(resolved_at, "resolved_at").date()
    if due is not None:
        if due_date is not None or due_at is not None:
            raise ValueError("give either due or due_date/due_at, not both")
        due_date, due_at = due.due_date, due.due_at
    if due_at is not None:
        local_due = _local(due_at, "due_at").date()
        if due_date is None:
            due_date = local_due
    if due_date is None:
        raise ValueError("classify_resolved needs due, due_date or due_at")
    _check_date(due_date, "due_date")
    if e < due_date:
        return Timeliness.EARLY
    if e > due_date:
        return Timeliness.LATE
    if u is TimeUnit.WORKING_HOURS:
        if due_at is None:
            raise ValueError("an hour deadline is classified against due_at: pass due or due_at")
        return Timeliness.LATE if resolved_at > due_at else Timeliness.ON_TIME
    return Timeliness.ON_TIME


def classify_open(*, as_of: date, due_date: date, paused_on: date | None = None) -> OpenStatus:
    """D12: an open dossier at the end of day ``as_of`` is within its deadline iff
    due_date ≥ as_of; one paused at ``as_of`` (since ``paused_on``) iff due_date ≥ paused_on,
    i.e. it was not already overdue when the clock stopped."""
    _check_date(as_of, "as_of")
    _check_date(due_date, "due_date")
    reference = as_of
    if paused_on is not None:
        _check_date(paused_on, "paused_on")
        reference = paused_on
    return OpenStatus.WITHIN if due_date >= reference else OpenStatus.OVERDUE


def is_late_apology(*, apology_at: datetime, due_date: date, cal: WorkCalendar) -> bool:
    """D8: an apology must be issued by the end of the working day before D; one issued later
    (on a later day, including a weekend just before D, D itself or after) is late."""
    _check_date(due_date, "due_date")
    deadline = cal.previous_working_day(due_date)
    return _local(apology_at, "apology_at").date() > deadline
