"""When a live intake may say it was received (pure, no Django): the bounds of ``received_at``.

A system that sends online dossiers may give the instant the citizen submitted (the API's
``received_at``); a clerk's page always takes "now". Backdating moves the legal clock, so a
live intake's instant must be:

- not before the working-day calendar's first day (2010-01-01: before it no due date can be
  computed; this answered 500 before);
- not in the future (a few minutes of clock difference between systems are tolerated);
- not older than ``INTAKE_BACKDATE_DAYS`` days (a submission the sending system held back that
  long is handled at the counter, with its real date, or imported as history).

``import_dossiers`` replays old histories and never applies the window (its own checks keep
every instant inside the calendar and not in the future).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: clock difference tolerated between the sending system and ours
FUTURE_TOLERANCE = timedelta(minutes=5)

MSG_BEFORE_CALENDAR = "Thời điểm tiếp nhận không được trước ngày {first:%d/%m/%Y} (ngày đầu của lịch làm việc)."
MSG_FUTURE = "Thời điểm tiếp nhận không được ở tương lai."
MSG_BACKDATE = "Thời điểm tiếp nhận không được sớm hơn {days} ngày trước hiện tại."


def received_at_error(*, received_at: datetime, now: datetime, first_day: date, backdate_days: int | None) -> str | None:
    """The Vietnamese message for an instant outside the bounds, else None (``backdate_days``
    None: no window, as for an import)."""
    if received_at.astimezone(LOCAL_TZ).date() < first_day:
        return MSG_BEFORE_CALENDAR.format(first=first_day)
    if received_at > now + FUTURE_TOLERANCE:
        return MSG_FUTURE
    if backdate_days is not None and received_at < now - timedelta(days=backdate_days):
        return MSG_BACKDATE.format(days=backdate_days)
    return None
