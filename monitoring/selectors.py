"""Reads for deadline monitoring: the deadline buckets, the supervisor dashboard, notifications.

**The deadline buckets** (one definition, used by the sweep, the dashboard, its lists and the
digest): the rule of ``dossiers.deadlines.deadline_status`` written as SQL, tested equal to it on
the same dossiers (``tests/dossiers/test_deadlines.py``).
An open dossier (received, in processing, or waiting for a supplement) on local day T, at
instant ``now``, with N = the next working day after T:

- **paused** (Tạm dừng): waiting for the applicant's supplement (``paused_on`` set);
- **overdue** (Quá hạn): ``dossiers.selectors.dossiers_overdue(on=T)`` (due date before T; a
  paused dossier judged at its pause: due date before the pause day, D12), and also an hour
  deadline ("4 tại chỗ", "02 giờ làm việc") whose ``due_at`` has passed on T itself (D9);
- **due soon** (Sắp đến hạn, due within one working day): not paused, not overdue, and
  T ≤ due date ≤ N;
- **due today** (Đến hạn hôm nay): the part of "due soon" with due date = T.

A paused dossier that was already overdue when it was paused is both paused and overdue; the
big numbers are therefore not a partition (open ≠ the sum of the others), as staff expect.

**Who sees what.** Leaders (and administrators) see the dashboard. Its scope is the leader's
subtree (``dossiers.selectors.user_unit_ids``): the open dossiers held now or led (resolving
unit) by one of those units — the units answering for the deadline; a subset of what
``dossiers_visible_to`` lets them open. A unit or officer outside that subtree, used as a
filter, is "not found" (404), never an empty list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers import calendar as wcal
from dossiers.models import Dossier, DossierStep, Procedure, ProcedureStep, StaffProfile, Unit
from dossiers.roles import ADMINISTRATOR, LEADER, role_group_name, user_roles
from dossiers.selectors import calendar_get, dossiers_open, scope_cache_key, user_unit_ids
from monitoring.models import Notification

User = get_user_model()
HOURS = Procedure.TimeUnit.WORKING_HOURS

#: bucket key -> URL slug (Vietnamese, as staff read it in the address bar)
BUCKET_SLUGS: dict[str, str] = {
    "open": "dang-xu-ly",
    "due_today": "den-han-hom-nay",
    "due_soon": "sap-den-han",
    "overdue": "qua-han",
    "paused": "tam-dung",
}
SLUG_BUCKETS = {slug: key for key, slug in BUCKET_SLUGS.items()}
BUCKET_TITLES = {
    "open": gettext_lazy("Đang xử lý"),
    "due_today": gettext_lazy("Đến hạn hôm nay"),
    "due_soon": gettext_lazy("Sắp đến hạn"),
    "overdue": gettext_lazy("Quá hạn"),
    "paused": gettext_lazy("Tạm dừng"),
}
BUCKETS = tuple(BUCKET_SLUGS)
#: rows shown in each breakdown table of the dashboard (the worst first); the lists have all
TABLE_ROWS = 15


class OutOfScope(Exception):
    """A filter names a unit, officer or procedure the user may not look at (→ 404)."""


# --- the clock ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """"Now" for deadline questions: the local day T, the instant, and the next working day N."""

    today: date
    now: datetime
    next_working_day: date

    @classmethod
    def at(cls, now: datetime | None = None, cal: wcal.WorkCalendar | None = None) -> Clock:
        now = now or timezone.now()
        today = timezone.localdate(now)
        cal = cal or calendar_get()
        return cls(today=today, now=now, next_working_day=cal.next_working_day(today))


# --- the deadline buckets as Q objects (``prefix`` reaches a dossier from a step) ----------------


def _k(prefix: str, name: str) -> str:
    return f"{prefix}{name}"


def q_open(prefix: str = "") -> Q:
    from dossiers.workflow import OPEN_STATES

    return Q(**{_k(prefix, "state__in"): sorted(OPEN_STATES), _k(prefix, "due_date__isnull"): False})


def q_paused(prefix: str = "") -> Q:
    return Q(**{_k(prefix, "paused_on__isnull"): False})


def q_running(prefix: str = "") -> Q:
    return Q(**{_k(prefix, "paused_on__isnull"): True})


def q_hour_late(clock: Clock, prefix: str = "") -> Q:
    """An hour deadline whose instant has passed (its local date is then T or earlier)."""
    return Q(**{_k(prefix, "time_unit"): HOURS, _k(prefix, "due_at__lt"): clock.now})


def q_not_hour_late(clock: Clock, prefix: str = "") -> Q:
    return ~Q(**{_k(prefix, "time_unit"): HOURS}) | Q(**{_k(prefix, "due_at__gte"): clock.now})


def q_overdue(clock: Clock) -> Q:
    """``dossiers_overdue`` (D12) plus hour deadlines already past on day T (D9).

    "Due before the pause day, or before today if not paused" is written as one comparison,
    ``due_date < COALESCE(paused_on, T)``: the same rule, evaluated a million times cheaper.
    The bound ``due_date <= T`` is implied (a pause never starts after today) and lets the
    database read the due-date index range instead of guessing a third of the table.
    """
    judged_on = Coalesce(F("paused_on"), Value(clock.today, output_field=DateField()))
    return Q(due_date__lte=clock.today) & (
        Q(due_date__lt=judged_on) | (q_running() & Q(due_date=clock.today) & q_hour_late(clock))
    )


def q_due_soon(clock: Clock) -> Q:
    return q_running() & Q(due_date__gte=clock.today, due_date__lte=clock.next_working_day) & q_not_hour_late(clock)


def q_due_today(clock: Clock) -> Q:
    return q_running() & Q(due_date=clock.today) & q_not_hour_late(clock)


def q_bucket(bucket: str, clock: Clock) -> Q:
    if bucket == "open":
        return Q()
    if bucket == "paused":
        return q_paused()
    return {"overdue": q_overdue, "due_soon": q_due_soon, "due_today": q_due_today}[bucket](clock)


def dossiers_in_bucket(*, bucket: str, clock: Clock, qs: QuerySet[Dossier] | None = None) -> QuerySet[Dossier]:
    """Open dossiers of `qs` in a deadline bucket on the clock's day."""
    if bucket not in BUCKETS:
        raise KeyError(bucket)
    return dossiers_open(qs).filter(q_open()).filter(q_bucket(bucket, clock))


def dossiers_overdue_now(*, clock: Clock, qs: QuerySet[Dossier] | None = None) -> QuerySet[Dossier]:
    """The overdue bucket; equal to ``dossiers_overdue(on=T)`` plus late hour deadlines."""
    return dossiers_in_bucket(bucket="overdue", clock=clock, qs=qs)


# Candidate sets of the sweep (each becomes one INSERT … SELECT; see services.sweep). Each one
# carries a range on ``due_date`` so that PostgreSQL reads the (state, due_date) index instead
# of the whole table: overdue means due on or before today (a pause never starts after today,
# so "due before the pause day" is also "due before today").


def sweep_overdue(clock: Clock) -> QuerySet[Dossier]:
    return dossiers_open().filter(q_open(), due_date__lte=clock.today).filter(q_overdue(clock))


def sweep_due_soon(clock: Clock) -> QuerySet[Dossier]:
    return dossiers_open().filter(q_open(), q_due_soon(clock))


def sweep_apology_reminder(clock: Clock) -> QuerySet[Dossier]:
    """D8: due on the next working day (strictly after today), no result and no apology yet:
    the agency must send the apology (Mẫu 04) no later than one working day before D."""
    return dossiers_open().filter(
        q_open(), q_running(), apologized_at__isnull=True,
        due_date__gt=clock.today, due_date__lte=clock.next_working_day,
    )


def sweep_appointment_soon(clock: Clock) -> QuerySet[Dossier]:
    """Rescheduled by an apology (D8): an overdue or soon-due dossier whose new appointment is
    within one working day. (It stays late against its original due date; this warns about
    the promise made to the citizen, which cannot be moved again.)"""
    return dossiers_open().filter(
        q_open(), q_running(), due_date__lte=clock.next_working_day, appointment_date__isnull=False,
        appointment_date__gte=clock.today, appointment_date__lte=clock.next_working_day,
    )


def _steps_current(clock: Clock) -> QuerySet[DossierStep]:
    """Current steps of running open dossiers whose own deadline comes before the dossier's
    (the last step's deadline is the dossier's: flagged once, on the dossier)."""
    return DossierStep.objects.filter(
        q_open("dossier__"), q_running("dossier__"), state=DossierStep.State.CURRENT,
        due_date__isnull=False, due_date__lt=F("dossier__due_date"),
    )


def sweep_step_overdue(clock: Clock) -> QuerySet[DossierStep]:
    late_hours = Q(dossier__time_unit=HOURS, due_at__lt=clock.now)
    return _steps_current(clock).filter(due_date__lte=clock.today).filter(Q(due_date__lt=clock.today) | late_hours)


def sweep_step_due_soon(clock: Clock) -> QuerySet[DossierStep]:
    return _steps_current(clock).filter(
        due_date__gte=clock.today, due_date__lte=clock.next_working_day,
    ).filter(~Q(dossier__time_unit=HOURS) | Q(due_at__gte=clock.now))


# --- people --------------------------------------------------------------------------------------


def users_with_role_in_units(*, role: str, unit_ids) -> QuerySet:
    """Active users holding `role` whose staff profile is in one of `unit_ids`."""
    return User.objects.filter(
        is_active=True, groups__name=role_group_name(role), staff__unit_id__in=list(unit_ids)
    ).distinct()


def leaders_by_unit(unit_ids) -> dict[int, list[int]]:
    """unit id -> ids of the active leaders (Lãnh đạo) whose staff profile is that unit."""
    out: dict[int, list[int]] = {}
    rows = (
        StaffProfile.objects.filter(
            unit_id__in=list(unit_ids), user__is_active=True, user__groups__name=role_group_name(LEADER)
        )
        .values_list("unit_id", "user_id")
        .distinct()
    )
    for unit_id, user_id in rows:
        out.setdefault(unit_id, []).append(user_id)
    return out


def dashboard_allowed(user) -> bool:
    return user.is_authenticated and bool(user_roles(user) & {LEADER, ADMINISTRATOR})


# --- the supervisor dashboard ------------------------------------------------------------------


def dashboard_unit_ids(user) -> set[int] | None:
    """Units the user supervises (None: all; ``user_unit_ids`` already says None for a leader
    of the whole tree, so that no filter at all is applied)."""
    return user_unit_ids(user)


_ASK = object()


def dashboard_dossiers(user, *, scope=_ASK) -> QuerySet[Dossier]:
    """Open dossiers in the user's dashboard scope: held now by a unit of the user's subtree, or
    led by one (the resolving unit, cơ quan chủ trì, answers for the whole deadline, D13).

    A subset of ``dossiers_visible_to`` (which also shows dossiers merely received or once
    stepped through there), so every dossier listed opens. Both columns are in the covering
    index ``monitoring_open_board``: the dashboard never reads the wide dossier rows.
    """
    qs = dossiers_open().filter(q_open())
    ids = dashboard_unit_ids(user) if scope is _ASK else scope
    if ids is None:
        return qs
    if not ids:
        return qs.none()
    return qs.filter(Q(current_unit_id__in=ids) | Q(resolving_unit_id__in=ids))


@dataclass
class DashboardFilters:
    unit: Unit | None = None
    officer: object | None = None  # a User
    unassigned: bool = False
    procedure: Procedure | None = None
    field_id: int | None = None
    channel: str = ""
    text: str = ""
    received_from: date | None = None
    received_to: date | None = None

    def apply(self, qs: QuerySet[Dossier]) -> QuerySet[Dossier]:
        if self.unit is not None:
            qs = qs.filter(current_unit=self.unit)
        if self.officer is not None:
            qs = qs.filter(assigned_to=self.officer)
        if self.unassigned:
            qs = qs.filter(assigned_to__isnull=True)
        if self.procedure is not None:
            qs = qs.filter(procedure=self.procedure)
        if self.field_id:
            qs = qs.filter(procedure__field_id=self.field_id)
        if self.channel:
            qs = qs.filter(channel=self.channel)
        if self.text:
            qs = qs.filter(Q(code__icontains=self.text) | Q(applicant_name__icontains=self.text))
        if self.received_from:
            qs = qs.filter(receipt_date__gte=self.received_from)
        if self.received_to:
            qs = qs.filter(receipt_date__lte=self.received_to)
        return qs

    def params(self) -> dict[str, str]:
        out = {}
        if self.unit is not None:
            out["unit"] = str(self.unit.pk)
        if self.officer is not None:
            out["officer"] = str(self.officer.pk)
        if self.unassigned:
            out["officer"] = "none"
        if self.procedure is not None:
            out["procedure"] = str(self.procedure.pk)
        return out


def procedures_in_scope(scope: set[int] | None) -> QuerySet[Procedure]:
    """The active procedures a supervisor's filter offers (issue 14): those led by a unit of the
    scope or with a step at one (every procedure for a scope of every unit)."""
    qs = Procedure.objects.filter(is_active=True)
    if scope is not None:
        steps = ProcedureStep.objects.filter(procedure=OuterRef("pk"), unit_id__in=scope)
        qs = qs.filter(Q(resolving_unit_id__in=scope) | Exists(steps))
    return qs.order_by("code")


def _int(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise OutOfScope(value) from exc


def dashboard_filters(*, user, unit: str | None = None, officer: str | None = None, procedure: str | None = None,
                      field: str | None = None, channel: str | None = None, text: str | None = None,
                      received_from: date | None = None, received_to: date | None = None) -> DashboardFilters:
    """Resolve list filters from the query string; a unit or officer outside the user's
    subtree (or an unknown procedure) raises ``OutOfScope``. Receipt dates are local dates."""
    scope = dashboard_unit_ids(user)
    f = DashboardFilters(channel=(channel or "").strip(), text=(text or "").strip()[:100],
                         received_from=received_from, received_to=received_to)
    unit_id = _int(unit)
    if unit_id is not None:
        if scope is not None and unit_id not in scope:
            raise OutOfScope(unit)
        f.unit = Unit.objects.filter(pk=unit_id).first()
        if f.unit is None:
            raise OutOfScope(unit)
    if officer == "none":
        f.unassigned = True
    elif officer:
        officer_id = _int(officer)
        person = User.objects.filter(pk=officer_id).select_related("staff").first()
        profile = getattr(person, "staff", None) if person else None
        if person is None or (scope is not None and (profile is None or profile.unit_id not in scope)):
            raise OutOfScope(officer)
        f.officer = person
    procedure_id = _int(procedure)
    if procedure_id is not None:
        f.procedure = Procedure.objects.filter(pk=procedure_id).first()
        if f.procedure is None:
            raise OutOfScope(procedure)
    f.field_id = _int(field) if field else None
    return f


def _counts_by_day(clock: Clock) -> dict:
    """The bucket counts judged by dates only (cheap per row); hour deadlines already past
    today are moved afterwards by :func:`_hour_corrections`. Same result as :func:`_counts`.
    Keys in ``BUCKETS`` order."""
    running = q_running()
    return {
        "open": Count("due_date"),
        "due_today": Count("due_date", filter=running & Q(due_date=clock.today)),
        "due_soon": Count("due_date", filter=running & Q(due_date__gte=clock.today, due_date__lte=clock.next_working_day)),
        "overdue": Count("due_date", filter=Q(due_date__lt=Coalesce(F("paused_on"), Value(clock.today, output_field=DateField())))),
        "paused": Count("paused_on"),
    }


def _hour_corrections(qs: QuerySet[Dossier], clock: Clock, keys: tuple[str, ...]) -> list[dict]:
    """Open, running hour-deadline dossiers due today whose instant has passed: counted as due
    today and due soon by date, but overdue (D9). Usually a handful: their ids come from the
    ``monitoring_open_due`` index alone, then only those rows are read."""
    late = list(
        dossiers_open().filter(q_open(), q_running(), q_hour_late(clock), due_date=clock.today)
        .order_by().values_list("id", flat=True)
    )
    if not late:
        return []
    return list(qs.filter(pk__in=late).values(*keys).annotate(n=Count("due_date")))


def _counts(clock: Clock) -> dict:
    # COUNT(due_date), not COUNT(id): an open dossier always has a due date (q_open), and the id
    # is not in the covering index (reading it would cost a visit to every wide dossier row).
    return {
        "open": Count("due_date"),
        "due_today": Count("due_date", filter=q_due_today(clock)),
        "due_soon": Count("due_date", filter=q_due_soon(clock)),
        "overdue": Count("due_date", filter=q_overdue(clock)),
        "paused": Count("paused_on"),  # = COUNT(*) FILTER (paused_on IS NOT NULL)
    }


@dataclass
class DashboardRow:
    key: str
    label: str
    sub: str
    counts: dict[str, int]
    filter_param: tuple[str, str] | None  # (name, value) of the list filter, None = no drill-down


@dataclass
class Dashboard:
    clock: Clock
    totals: dict[str, int]
    units: list[DashboardRow] = field(default_factory=list)
    officers: list[DashboardRow] = field(default_factory=list)
    procedures: list[DashboardRow] = field(default_factory=list)
    more: dict[str, int] = field(default_factory=dict)  # table -> rows not shown


def no_jit() -> None:
    """Inside a transaction on PostgreSQL: no JIT compilation for its statements.

    The monitoring queries are large by the planner's estimate (above ``jit_above_cost``) but
    simple; compiling them costs 100–200 ms each and saves nothing (measured in
    bench/bench_sweep.py). ``SET LOCAL`` ends with the transaction.
    """
    from django.db import connection

    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _worst_first(rows: dict) -> list:
    return sorted(rows.items(), key=lambda kv: (-kv[1]["overdue"], -kv[1]["due_soon"], -kv[1]["open"], str(kv[0])))


#: the dashboard's three tables: by unit holding the dossier, by officer, by procedure
BOARD_KEYS = ("current_unit_id", "assigned_to_id", "procedure_id")
BOARD_TABLES = ("units", "officers", "procedures")


def board_parts(qs: QuerySet[Dossier], scope: set[int] | None) -> list[QuerySet[Dossier]]:
    """The open dossiers of a dashboard (`qs`, ``dashboard_dossiers``) as disjoint parts. A
    subtree's scope is two parts, each an index-only range scan: held now by one of its units
    (the first key of ``monitoring_open_board``), and led by one but held elsewhere
    (``dossier_vis_resolving``, dossiers migration 0003). With "held OR led" in one query
    PostgreSQL read all of ``monitoring_open_board`` (a million entries, ~200 ms) for a district
    of 11 units."""
    if scope is None:
        return [qs]
    if not scope:  # no units: nothing to count
        return []
    return [
        dossiers_open().filter(q_open(), current_unit_id__in=scope),
        dossiers_open().filter(q_open(), resolving_unit_id__in=scope).exclude(current_unit_id__in=scope),
    ]


def _board_sql(part: QuerySet[Dossier], counts: dict) -> tuple[str, tuple]:
    """A part's open dossiers grouped per (unit, officer, procedure) with the bucket counts."""
    return part.order_by().values_list(*BOARD_KEYS).annotate(**counts).query.sql_with_params()


def _board_sums(parts: list[QuerySet[Dossier]], counts: dict) -> tuple[list[int], dict[str, dict]]:
    """(totals, {table: {key: counts}}) of the open dossiers of the disjoint `parts`, each count
    a list in ``BUCKETS`` order: the parts are grouped per (unit, officer, procedure) in SQL and
    summed here (the reference for :func:`_board_sums_grouped`; SQLite)."""
    from django.db import connection

    width = len(counts)
    totals = [0] * width
    by: dict[str, dict] = {t: {} for t in BOARD_TABLES}
    tables = [by[t] for t in BOARD_TABLES]
    with connection.cursor() as cursor:
        for part in parts:
            # rows of plain integers, fetched without the ORM's per-row converters
            cursor.execute(*_board_sql(part, counts))
            for row in cursor.fetchall():
                values = row[3:]
                for table, key in zip(tables, row[:3]):
                    acc = table.get(key)
                    if acc is None:
                        table[key] = list(values)
                    else:
                        for i in range(width):
                            acc[i] += values[i]
                for i in range(width):
                    totals[i] += values[i]
    return totals, by


def _board_sums_grouped(parts: list[QuerySet[Dossier]], counts: dict) -> tuple[list[int], dict[str, dict]]:
    """:func:`_board_sums` in one PostgreSQL statement: the parts' (unit, officer, procedure)
    groups summed again by ``GROUPING SETS`` per unit, per officer, per procedure and in all. A
    province's 100,000 open dossiers make some 23,000 such groups; summing them in Python was
    three quarters of its dashboard's time (bench/bench_scale.py, issue 19)."""
    from django.db import connection

    width = len(counts)
    totals = [0] * width
    by: dict[str, dict] = {t: {} for t in BOARD_TABLES}
    if not parts:
        return totals, by
    sqls, params = [], []
    for part in parts:
        sql, p = _board_sql(part, counts)
        sqls.append(f"({sql})")
        params += p
    names = [f"c{i}" for i in range(width)]
    sums = ", ".join(f"SUM({n})::bigint" for n in names)
    statement = (
        f"SELECT GROUPING(k0, k1, k2), k0, k1, k2, {sums} "
        f"FROM ({' UNION ALL '.join(sqls)}) AS combos(k0, k1, k2, {', '.join(names)}) "
        "GROUP BY GROUPING SETS ((k0), (k1), (k2), ())")
    # GROUPING(): a bit per key, set when the row sums over that key
    table_of = {0b011: ("units", 1), 0b101: ("officers", 2), 0b110: ("procedures", 3)}
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for grouping, *row in cursor.fetchall():
            values = [int(n or 0) for n in row[3:]]
            if grouping == 0b111:
                totals = values
            else:
                table, column = table_of[grouping]
                by[table][row[column - 1]] = values
    return totals, by


#: A dashboard of at least this many open dossiers (a province's, some 100,000 to a million)
#: is shared by everyone with its scope through the cache for ``BOARD_CACHE_SECONDS``, like the
#: left menu's counts (``dossiers.selectors.MENU_COUNTS_CACHE_FROM``): its one pass reads every
#: open dossier's entry of ``monitoring_open_board`` (220 ms at a million open dossiers,
#: bench/bench_scale.py at ten million), and each leader's page refreshes every 60 s. The page
#: says when its figures were counted ("Cập nhật lúc"); a smaller scope is counted fresh.
BOARD_CACHE_FROM = 50_000
BOARD_CACHE_SECONDS = 30
_BOARD_KEY = "onecua:board:"


def _board_key(scope: set[int] | None, clock: Clock) -> str:
    return scope_cache_key(f"{_BOARD_KEY}{clock.today.isoformat()}:", scope)


def _board_figures_shared(user, scope: set[int] | None, clock: Clock) -> tuple[Clock, dict, dict]:
    """:func:`_board_figures`, shared through the cache (``BOARD_CACHE_FROM``): the clock the
    figures were counted at, with them; never across a change of day."""
    from django.core.cache import cache

    key = _board_key(scope, clock)
    shared = cache.get(key)
    if shared is not None:
        return shared
    totals, by = _board_figures(user, scope, clock)
    if totals["open"] >= BOARD_CACHE_FROM:
        cache.set(key, (clock, totals, by), BOARD_CACHE_SECONDS)
    return clock, totals, by


def _board_figures(user, scope: set[int] | None, clock: Clock) -> tuple[dict, dict]:
    """(totals, {table: {key: counts}}) of the user's dashboard at `clock`, each counts a dict
    by bucket (``BUCKETS``)."""
    from django.db import connection, transaction

    qs = dashboard_dossiers(user, scope=scope).order_by()
    counts = _counts_by_day(clock)  # in BUCKETS order
    with transaction.atomic():
        no_jit()
        sums = _board_sums_grouped if connection.vendor == "postgresql" else _board_sums
        totals_l, by = sums(board_parts(qs, scope), counts)
        late = _hour_corrections(qs, clock, BOARD_KEYS)
    # hour deadlines already past today: overdue, not due today / soon (D9)
    i_today, i_soon, i_over = (BUCKETS.index(k) for k in ("due_today", "due_soon", "overdue"))
    for r in late:
        for acc in (totals_l, by["units"].get(r["current_unit_id"]), by["officers"].get(r["assigned_to_id"]),
                    by["procedures"].get(r["procedure_id"])):
            if acc is not None:
                acc[i_today] -= r["n"]
                acc[i_soon] -= r["n"]
                acc[i_over] += r["n"]
    for table in by.values():
        for key, acc in table.items():
            table[key] = dict(zip(BUCKETS, acc))
    return dict(zip(BUCKETS, totals_l)), by


def dashboard_get(*, user, clock: Clock) -> Dashboard:
    """The big numbers and the per unit / officer / procedure tables of the user's scope.

    ONE scan: the open dossiers counted per (current unit, officer, procedure) with the five
    bucket counts by date (plus a tiny query for hour deadlines already past today), then summed
    into the totals and the three tables (:func:`_board_sums`; on PostgreSQL by the same
    statement, :func:`_board_sums_grouped`). On PostgreSQL it reads only the covering index
    ``monitoring_open_board`` (``Dossier.Meta.indexes``), never the wide dossier rows. A scope
    of ``BOARD_CACHE_FROM`` open dossiers or more is shared for ``BOARD_CACHE_SECONDS``: the
    board's clock is then the one its figures were counted at.
    """
    scope = dashboard_unit_ids(user)
    clock, totals, by = _board_figures_shared(user, scope, clock)
    board = Dashboard(clock=clock, totals=totals)

    def in_scope(unit_id) -> bool:
        return scope is None or unit_id in scope

    unit_rows = _worst_first(by["units"])[:TABLE_ROWS]
    units = Unit.objects.in_bulk([k for k, _c in unit_rows])
    for uid, counts in unit_rows:
        u = units.get(uid)
        board.units.append(DashboardRow(
            key=str(uid), label=u.name if u else "?", sub=u.code if u else "", counts=counts,
            filter_param=("unit", str(uid)) if in_scope(uid) else None,
        ))
    officer_rows = _worst_first(by["officers"])[:TABLE_ROWS]
    people = User.objects.select_related("staff", "staff__unit").in_bulk([k for k, _c in officer_rows if k])
    for uid, counts in officer_rows:
        if uid is None:
            board.officers.append(DashboardRow(key="none", label=_("Chưa phân công"), sub="", counts=counts,
                                               filter_param=("officer", "none")))
            continue
        person = people.get(uid)
        profile = getattr(person, "staff", None)
        board.officers.append(DashboardRow(
            key=str(uid), label=(person.get_full_name() or person.get_username()) if person else "?",
            sub=profile.unit.name if profile else "", counts=counts,
            filter_param=("officer", str(uid)) if profile is not None and in_scope(profile.unit_id) else None,
        ))
    procedure_rows = _worst_first(by["procedures"])[:TABLE_ROWS]
    procs = Procedure.objects.in_bulk([k for k, _c in procedure_rows])
    for pid, counts in procedure_rows:
        p = procs.get(pid)
        board.procedures.append(DashboardRow(
            key=str(pid), label=p.name if p else "?", sub=p.code if p else "", counts=counts,
            filter_param=("procedure", str(pid)),
        ))
    board.more = {table: max(len(rows) - TABLE_ROWS, 0) for table, rows in by.items()}
    return board


def dashboard_list(*, user, bucket: str, clock: Clock, filters: DashboardFilters | None = None) -> QuerySet[Dossier]:
    """The dossiers behind a dashboard number, most urgent first: earliest due date first (the
    most overdue at the top), then by due instant, then in order of receipt (id). The order
    follows the ``monitoring_open_due`` index, so a page of 30 is read without sorting them all."""
    qs = dossiers_in_bucket(bucket=bucket, clock=clock, qs=dashboard_dossiers(user))
    if filters is not None:
        qs = filters.apply(qs)
    return qs.select_related("procedure", "current_unit", "assigned_to").order_by(
        "due_date", F("due_at").asc(nulls_last=True), "id"
    )


def dashboard_list_count(*, user, bucket: str, clock: Clock, filters: DashboardFilters | None = None) -> int:
    """How many dossiers ``dashboard_list`` holds (its paginator's count), counted like the
    dashboard: for a subtree, "held now by one of its units" and "led by one, held elsewhere"
    separately, each a range of an index, instead of one pass over every open dossier with the
    OR (a district's "Đang xử lý" list: ~150 ms → ~25 ms at a million open dossiers)."""
    scope = dashboard_unit_ids(user)
    if not scope:
        return dashboard_list(user=user, bucket=bucket, clock=clock, filters=filters).order_by().count()
    total = 0
    for part in (
        dossiers_open().filter(q_open(), current_unit_id__in=scope),
        dossiers_open().filter(q_open(), resolving_unit_id__in=scope).exclude(current_unit_id__in=scope),
    ):
        qs = dossiers_in_bucket(bucket=bucket, clock=clock, qs=part)
        if filters is not None:
            qs = filters.apply(qs)
        total += qs.order_by().count()
    return total


def dashboard_list_url(bucket: str, params: dict[str, str] | None = None) -> str:
    from urllib.parse import urlencode

    url = reverse("monitoring:list", args=[BUCKET_SLUGS[bucket]])
    return f"{url}?{urlencode(params)}" if params else url


def dashboard_as_json(board: Dashboard) -> dict:
    """The dashboard as the JSON the page refreshes from (every number with its list URL)."""

    def cells(counts: dict[str, int], param: tuple[str, str] | None) -> dict:
        return {
            k: {"n": counts[k], "url": dashboard_list_url(k, dict([param])) if param else None} for k in BUCKETS
        }

    def rows(items: list[DashboardRow]) -> list[dict]:
        return [{"key": r.key, "label": r.label, "sub": r.sub, "cells": cells(r.counts, r.filter_param)} for r in items]

    return {
        "as_of": board.clock.now.isoformat(),
        "today": board.clock.today.isoformat(),
        "next_working_day": board.clock.next_working_day.isoformat(),
        "totals": {k: {"n": board.totals[k], "url": dashboard_list_url(k)} for k in BUCKETS},
        "units": rows(board.units),
        "officers": rows(board.officers),
        "procedures": rows(board.procedures),
        "more": board.more,
    }


def digest_facts(*, user, clock: Clock, top: int = 10) -> dict:
    """What a supervisor's daily digest says: the big numbers and the most overdue dossiers."""
    qs = dashboard_dossiers(user).order_by()
    totals = qs.aggregate(**_counts(clock))
    worst = list(
        dossiers_in_bucket(bucket="overdue", clock=clock, qs=dashboard_dossiers(user))
        .select_related("procedure", "current_unit")
        .order_by("due_date", "id")[:top]
        .values_list("code", "due_date", "procedure__name", "current_unit__name")
    )
    return {
        "today": clock.today.isoformat(),
        "totals": {k: totals[k] or 0 for k in BUCKETS},
        "overdue_top": [
            {"code": c, "due_date": d.isoformat(), "procedure": p, "unit": u} for c, d, p, u in worst
        ],
    }


# --- notifications -------------------------------------------------------------------------------


def notifications_for(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def notifications_unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def nav_bell(request) -> dict:
    """The header bell (registered into ``dossiers.context_processors.NAV_HOOKS``)."""
    return {
        "unread": notifications_unread_count(user=request.user),
        "notifications_url": reverse("monitoring:notifications"),
    }
