"""The deadline state of a dossier as every page shows it (ux.md "Lists"): one pure rule.

Plain data in, a decision out; no ORM, no clock, no calendar object (the next working day is
given), like ``dossiers/calendar.py``. The worklist, the dossier page, the lists, the dashboard's
lists and the API's ``overdue`` all call :func:`deadline_status`; the dashboard's SQL buckets
(``monitoring/selectors.py``) are tested equal to it on the same dossiers
(``tests/dossiers/test_deadlines.py``).

The rule, for a dossier on local day T at the instant ``now``, N = the next working day after T:

- resolved (it has a classification, D9): **early / on_time / late** (Trước hạn, Đúng hạn,
  Trễ hạn); never overdue;
- not open (submitted online and not accepted, rejected) or without a due date: no label;
- waiting for the applicant's supplement (``paused_on`` set, or the state says so):
  **paused** (Tạm dừng); it counts as overdue iff it was already overdue when the clock
  stopped, i.e. due date < the pause day (D12);
- running, due date < T, or an hour deadline ("4 tại chỗ", "02 giờ làm việc") whose
  ``due_at`` has passed (D9: an hour deadline is missed at its instant, even on its due day):
  **overdue** (Quá hạn);
- running, due date ≤ N (due today or on the next working day): **soon** (Sắp đến hạn);
- otherwise **within** (Trong hạn).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from dossiers.workflow import OPEN_STATES, DossierState

#: ``Procedure.TimeUnit.WORKING_HOURS`` (a string here, to keep this module free of models)
WORKING_HOURS = "working_hours"


class DeadlineKey(StrEnum):
    """A deadline state; also the CSS class suffix of its label (``label-<key>``)."""

    WITHIN = "within"  # Trong hạn
    SOON = "soon"  # Sắp đến hạn
    OVERDUE = "overdue"  # Quá hạn
    PAUSED = "paused"  # Tạm dừng
    EARLY = "early"  # Trước hạn
    ON_TIME = "on_time"  # Đúng hạn
    LATE = "late"  # Trễ hạn


#: the keys of an open dossier
OPEN_KEYS = frozenset({DeadlineKey.WITHIN, DeadlineKey.SOON, DeadlineKey.OVERDUE, DeadlineKey.PAUSED})


@dataclass(frozen=True)
class DeadlineStatus:
    """``key`` as shown; ``overdue``: open and past its deadline (a paused dossier: already
    past it when the clock stopped), the dashboard's "Quá hạn" count."""

    key: DeadlineKey
    overdue: bool = False

    @property
    def due_soon(self) -> bool:
        return self.key == DeadlineKey.SOON


def deadline_status(
    *,
    state: str,
    classification: str = "",
    due_date: date | None,
    due_at: datetime | None = None,
    time_unit: str = "",
    paused_on: date | None = None,
    today: date,
    now: datetime,
    next_working_day: date,
) -> DeadlineStatus | None:
    """The deadline state of a dossier on day `today` at `now` (rule in the module docstring);
    None for a dossier without one. `now` is aware; `next_working_day` is the first working
    day after `today`."""
    if classification:
        return DeadlineStatus(DeadlineKey(classification))
    if state not in OPEN_STATES or due_date is None:
        return None
    if paused_on is not None or state == DossierState.AWAITING_SUPPLEMENT:
        judged_on = paused_on or today
        return DeadlineStatus(DeadlineKey.PAUSED, overdue=due_date < judged_on)
    hour_missed = time_unit == WORKING_HOURS and due_at is not None and due_at < now
    if due_date < today or hour_missed:
        return DeadlineStatus(DeadlineKey.OVERDUE, overdue=True)
    if due_date <= next_working_day:
        return DeadlineStatus(DeadlineKey.SOON)
    return DeadlineStatus(DeadlineKey.WITHIN)


def dossier_deadline_status(dossier, *, today: date, now: datetime, next_working_day: date) -> DeadlineStatus | None:
    """:func:`deadline_status` of anything with a dossier's fields (a model instance, a row)."""
    return deadline_status(
        state=dossier.state, classification=dossier.classification or "", due_date=dossier.due_date,
        due_at=dossier.due_at, time_unit=dossier.time_unit, paused_on=dossier.paused_on,
        today=today, now=now, next_working_day=next_working_day,
    )
