"""Report figures (Biểu 06/VPCP/KSTT): the direct computation, the sum of roll-ups, and the
dossiers behind every figure. Reads only.

The rules are domain.md §6 and §13 D9–D14. For a period [S, T] (local dates; instants
``[start_at, end_at)`` from :meth:`reporting.periods.Period.instants`):

- **received** (col. 3) = every dossier with a receipt instant R before ``end_at`` that was
  not resolved before S. Of those, **new** ones (R ≥ ``start_at``) are split by submission
  channel into online (col. 4) and direct + postal (col. 5); the others are **carried over**
  (col. 6). Online submissions never received (``received_at`` empty: still submitted, or
  rejected) are not counted (D10).
- **resolved** (col. 7) = resolution date e (``resolved_on``) in [S, T], split by the
  dossier's class (D9; ``Dossier.classification``) into early / on time / late (col. 8–10);
  **withdrawn** is a sub-count of resolved.
- **in progress** (col. 11) = received and not resolved by the end of T (``received_at <
  end_at ≤ resolved_at``, or never resolved; ``resolved_on`` is the local date of
  ``resolved_at``, so this is "resolved_on > T"), split (col. 12–13)
  with ``dossiers.calendar.classify_open`` against the due date **as it was at the end of
  T**: the ``due_date`` of the dossier's last ``DossierEvent`` before ``end_at`` (events carry
  the due date of their moment; a later resume or calendar change does not rewrite the past).
  A dossier paused at the end of T (a supplement request before ``end_at`` not completed
  before it) is within its deadline iff D ≥ p, p the local date of the request.
- **"4 tại chỗ"** = new in the period with the flag; **multi_supplement** = received dossiers
  with more than one supplement request by the end of T (resolved ones: every request; in
  progress ones: requests before ``end_at``).
- Rates (D14): ``on_time_rate`` = (early + on time) / resolved and ``on_time_rate_766`` =
  (early + on time + within) / received, in percent with two decimals rounded half up, as
  strings; ``None`` (shown "—") when the denominator is 0.

Grouping (D13 as refined by D20): a dossier is counted under its lead resolving unit **as at
the end of the period, or as at its resolution if it was resolved by then** (:func:`lead_unit`:
the ``resolving_unit`` unless a reorganisation moved the dossier after that instant, in which
case the unit it was moved from), grouped by that unit's level (a unit's level does not change
over its validity: a unit of another level after a reform is a new unit with ``valid_from``),
and by the procedure's field. Reports of periods ending before a reorganisation are therefore
unchanged by it, and a dossier moved at M counts under its successor in every period ending
on or after M. (Only open dossiers move, so a dossier's moves all precede its resolution.)

Identities (D12) are checked on every row (totals, levels, units, fields); a failure raises
:class:`ReportIdentityError` instead of printing a wrong table. The direct computation counts
every figure with its own condition (received, resolved and in-progress totals are counted
independently of their parts) and computes the in-progress stock of the previous day a second
way, so every identity is a real check.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, connections, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from dossiers import calendar as wcal
from dossiers.models import (
    Channel, Classification, Dossier, DossierEvent, DossierMove, DossierPause, Field, Outcome, Procedure, Unit,
)
from dossiers.selectors import unit_descendant_ids, unit_scope_ids
from reporting.models import DailyReceipt, DailyStock, RollupDay, RollupSegment, SegmentStatistic
from reporting.periods import LOCAL_TZ, Period, local_midnight, segment_end, segments_in

# --- figure keys --------------------------------------------------------------------------------

#: the counts of the report, in the order of the official columns, then the extra sub-counts
COUNT_KEYS = (
    "received_total", "received_online", "received_direct_postal", "carried_over",
    "resolved_total", "resolved_early", "resolved_on_time", "resolved_late",
    "in_progress_total", "in_progress_within", "in_progress_overdue",
    "withdrawn", "on_the_spot", "multi_supplement", "stopped",
)
RATE_KEYS = ("on_time_rate", "on_time_rate_766")
FIGURE_KEYS = COUNT_KEYS + RATE_KEYS

#: official column number (Biểu 06) of each count
COLUMN_OF = {
    "received_total": 3, "received_online": 4, "received_direct_postal": 5, "carried_over": 6,
    "resolved_total": 7, "resolved_early": 8, "resolved_on_time": 9, "resolved_late": 10,
    "in_progress_total": 11, "in_progress_within": 12, "in_progress_overdue": 13,
}

FIGURE_LABELS = {
    "received_total": "Số hồ sơ nhận giải quyết – Tổng số",
    "received_online": "Trong đó: Trực tuyến",
    "received_direct_postal": "Trong đó: Trực tiếp, dịch vụ bưu chính",
    "carried_over": "Từ kỳ trước",
    "resolved_total": "Số hồ sơ đã giải quyết – Tổng số",
    "resolved_early": "Trước hạn",
    "resolved_on_time": "Đúng hạn",
    "resolved_late": "Quá hạn",
    "in_progress_total": "Số hồ sơ đang giải quyết – Tổng số",
    "in_progress_within": "Trong hạn",
    "in_progress_overdue": "Quá hạn",
    "withdrawn": "Rút hồ sơ (trong số đã giải quyết)",
    "on_the_spot": "“4 tại chỗ”",
    "multi_supplement": "Yêu cầu bổ sung hơn một lần",
    "stopped": "Dừng giải quyết (trong số đã giải quyết)",
    "on_time_rate": "Tỷ lệ giải quyết đúng hạn (%)",
    "on_time_rate_766": "Tỷ lệ đúng hạn theo Bộ chỉ số 766 (%)",
}

#: the level order of the report and how a row of levels is headed
LEVEL_ORDER = (Unit.Level.MINISTRY, Unit.Level.PROVINCE, Unit.Level.DISTRICT, Unit.Level.COMMUNE)
LEVEL_NAMES = {
    Unit.Level.MINISTRY: "Bộ, ngành",
    Unit.Level.PROVINCE: "Cấp tỉnh (sở, ban, ngành)",
    Unit.Level.DISTRICT: "Cấp huyện",
    Unit.Level.COMMUNE: "Cấp xã",
}

#: per-dossier membership bits (frozen-report entries, differences, drill-down)
FLAG_BITS = {
    "received_online": 1 << 0,
    "received_direct_postal": 1 << 1,
    "carried_over": 1 << 2,
    "resolved_early": 1 << 3,
    "resolved_on_time": 1 << 4,
    "resolved_late": 1 << 5,
    "in_progress_within": 1 << 6,
    "in_progress_overdue": 1 << 7,
    "withdrawn": 1 << 8,
    "on_the_spot": 1 << 9,
    "multi_supplement": 1 << 10,
    "stopped": 1 << 11,
}

SOURCE_AUTO = "auto"
SOURCE_ROLLUP = "rollup"
SOURCE_DIRECT = "direct"
SOURCES = (SOURCE_AUTO, SOURCE_ROLLUP, SOURCE_DIRECT)

_ONLINE = Channel.ONLINE.value
#: the outcome of a dossier stopped by its lead unit (D16)
STOPPED = Outcome.STOPPED.value
_OPEN_STATUS_WITHIN = wcal.OpenStatus.WITHIN

MSG_IDENTITY = "Số liệu báo cáo không khớp (vi phạm đẳng thức D12), không thể in báo cáo:\n{failures}"
MSG_ROLLUP_MISSING = (
    "Chưa tổng hợp số liệu cho {n} ngày của kỳ (từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}). "
    "Chạy: python manage.py rollup --from {first:%Y-%m-%d} --to {last:%Y-%m-%d}"
)
MSG_NO_DUE = "Hồ sơ {code} đang giải quyết nhưng không có ngày hẹn trả tại thời điểm {at:%d/%m/%Y}."


class ReportIdentityError(Exception):
    """The figures break an identity of D12: the report must not be printed."""

    def __init__(self, failures: list[str]):
        self.failures = failures
        super().__init__(MSG_IDENTITY.format(failures="\n".join(failures)))


class RollupMissingError(Exception):
    """Some days of the period (or the day before it) have not been rolled up."""

    def __init__(self, days: list[date]):
        self.days = days
        super().__init__(MSG_ROLLUP_MISSING.format(n=len(days), first=days[0], last=days[-1]))


# --- count vectors ---------------------------------------------------------------------------------

#: a row of counts is a list in this order; ``previous_in_progress`` is the in-progress stock at
#: the end of the previous period computed independently (checked against ``carried_over``)
VECTOR_KEYS = COUNT_KEYS + ("previous_in_progress",)
IX = {key: i for i, key in enumerate(VECTOR_KEYS)}
WIDTH = len(VECTOR_KEYS)
(I_RECEIVED, I_ONLINE, I_DIRECT, I_CARRIED, I_RESOLVED, I_EARLY, I_ON_TIME, I_LATE, I_PROGRESS, I_WITHIN,
 I_OVERDUE, I_WITHDRAWN, I_SPOT, I_MULTI, I_STOPPED, I_PREVIOUS) = range(WIDTH)


def zero() -> list[int]:
    return [0] * WIDTH


def add_into(target: list[int], other: list[int]) -> None:
    for i, v in enumerate(other):
        if v:
            target[i] += v


def vector(counts: dict[str, int]) -> list[int]:
    return [int(counts.get(key, 0) or 0) for key in VECTOR_KEYS]


# --- rates ---------------------------------------------------------------------------------------


def decimal_half_up(numerator: int, denominator: int, places: int = 2) -> str | None:
    """numerator / denominator with `places` decimals rounded half up, exactly (integers only);
    None for a zero denominator (D14)."""
    if not denominator:
        return None
    scale = 10 ** places
    scaled = (numerator * scale * 2 + denominator) // (2 * denominator)
    whole, frac = divmod(scaled, scale)
    return f"{whole}.{frac:0{places}d}" if places else str(whole)


def rate_percent(numerator: int, denominator: int) -> str | None:
    """A percentage with two decimals rounded half up (D14), or None for a zero denominator."""
    return decimal_half_up(numerator * 100, denominator)


def figures_from_vector(v: list[int]) -> dict:
    """The figures of one report row: every count and both rates."""
    out = dict(zip(COUNT_KEYS, v))
    out["on_time_rate"] = rate_percent(v[I_EARLY] + v[I_ON_TIME], v[I_RESOLVED])
    out["on_time_rate_766"] = rate_percent(v[I_EARLY] + v[I_ON_TIME] + v[I_WITHIN], v[I_RECEIVED])
    return out


def figures_from_counts(counts: dict[str, int]) -> dict:
    return figures_from_vector(vector(counts))


# --- identities ----------------------------------------------------------------------------------

#: The D12 identities, the one place they are written: (the rule, its words, the column on the
#: left, the columns summed on the right); then (6) against the in-progress stock at the end of the
#: previous period, computed independently (``previous_in_progress``). The checks, the report
#: JSON's ``identities.rules``, the exports' footers and the report page's lines all read them.
SUM_IDENTITIES = (
    ("(3) = (4) + (5) + (6)", "nhận giải quyết = trực tuyến + trực tiếp, bưu chính + từ kỳ trước", 3, (4, 5, 6)),
    ("(3) = (7) + (11)", "nhận giải quyết = đã giải quyết + đang giải quyết", 3, (7, 11)),
    ("(7) = (8) + (9) + (10)", "đã giải quyết = trước hạn + đúng hạn + quá hạn", 7, (8, 9, 10)),
    ("(11) = (12) + (13)", "đang giải quyết = trong hạn + quá hạn", 11, (12, 13)),
)
PREVIOUS_IDENTITY = N_("(6) = (11) kỳ trước")  # translated on the report page
IDENTITY_RULES = tuple(f"{rule}: {words}" for rule, words, _left, _right in SUM_IDENTITIES) + (
    "(6) = (11) của kỳ trước: từ kỳ trước = đang giải quyết cuối kỳ trước",
)
_AT_COLUMN = {column: IX[key] for key, column in COLUMN_OF.items()}


def identity_terms(v: list[int], *, previous: bool = True) -> list[tuple[str, int, tuple[int, ...]]]:
    """Each D12 identity with the counts of `v`: (the rule, the left count, the right counts);
    with ``previous``, (6) against the previous period's in-progress stock too."""
    terms = [(rule, v[_AT_COLUMN[left]], tuple(v[_AT_COLUMN[c]] for c in right))
             for rule, _words, left, right in SUM_IDENTITIES]
    if previous:
        terms.append((PREVIOUS_IDENTITY, v[I_CARRIED], (v[I_PREVIOUS],)))
    return terms


def vector_failures(v: list[int], where: str, *, previous: bool = True) -> list[str]:
    """The D12 identities that the counts `v` break (none: an empty list)."""
    checks = [(rule.replace(" + ", "+"), left, sum(right)) for rule, left, right in identity_terms(v, previous=previous)]
    checks += [
        ("rút hồ sơ ≤ (7)", v[I_RESOLVED], max(v[I_RESOLVED], v[I_WITHDRAWN])),
        ("dừng giải quyết ≤ (7)", v[I_RESOLVED], max(v[I_RESOLVED], v[I_STOPPED])),
    ]
    return [f"{where}: {name}: {left} ≠ {right}" for name, left, right in checks if left != right]


def identity_failures(counts: dict[str, int], where: str) -> list[str]:
    """The D12 identities that `counts` breaks (``previous_in_progress``, when present, is the
    in-progress stock at the end of the previous period computed independently)."""
    return vector_failures(vector(counts), where, previous="previous_in_progress" in counts)


# --- scope ---------------------------------------------------------------------------------------


def scope_unit_ids(unit: Unit | None) -> set[int] | None:
    """The lead resolving units a report of `unit` covers: its subtree; None = every unit, also
    for a unit over the whole tree (the province's People's Committee): the same rows without an
    IN list of every unit in each of the report's queries (190 units × some twenty queries:
    25 ms of writing and parsing SQL per page at ten million dossiers)."""
    return None if unit is None else unit_scope_ids(unit.pk)


def _scoped(qs: QuerySet, scope_ids: set[int] | None, field: str = "resolving_unit_id") -> QuerySet:
    return qs if scope_ids is None else qs.filter(**{f"{field}__in": scope_ids})


# --- the lead unit as at an instant (D13 refined by D20) ---------------------------------------------

#: the annotation every dossier query of a report groups and scopes on
LEAD = "lead_unit_id"


def moves_after(at: datetime) -> bool:
    """Whether a reorganisation moved the lead unit of some dossier at or after `at`."""
    return DossierMove.objects.filter(lead=True, at__gte=at).exists()


def lead_unit(at: datetime):
    """The expression of a dossier's lead unit as at instant `at` (a period's end, a local
    midnight): the unit the first reorganisation at or after `at` moved it from, else its
    ``resolving_unit``. Without such a move (every period after the last reorganisation) it is
    the plain column, so queries and indexes stay as they were."""
    if not moves_after(at):
        return F("resolving_unit_id")
    first = DossierMove.objects.filter(dossier=OuterRef("pk"), lead=True, at__gte=at).order_by("at", "id")
    return Coalesce(Subquery(first.values("from_unit_id")[:1]), F("resolving_unit_id"), output_field=BigIntegerField())


def with_lead(qs: QuerySet, at: datetime, scope_ids: set[int] | None = None) -> QuerySet:
    """`qs` annotated with :data:`LEAD` as at `at`, scoped on it."""
    return _scoped(qs.annotate(**{LEAD: lead_unit(at)}), scope_ids, LEAD)


# --- the dossier sets of a period ----------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A period's dates and instants: [S, T] and [start_at, end_at)."""

    start: date
    end: date
    start_at: datetime
    end_at: datetime

    @classmethod
    def of(cls, start: date, end: date) -> Window:
        return cls(start, end, local_midnight(start), local_midnight(end + timedelta(days=1)))

    @classmethod
    def of_period(cls, period: Period) -> Window:
        return cls.of(period.start, period.end)

    def q_received(self) -> Q:
        """Counted as received: R before the end of T and not resolved before S."""
        return Q(received_at__lt=self.end_at) & (Q(resolved_on__isnull=True) | Q(resolved_on__gte=self.start))



#: PostgreSQL: "in progress at instant t" as a range containment, answered by the GiST index
#: ``reporting_dossier_open_range`` (PostgreSQL only: dossiers migration 0014_indexes_declared_here) without scanning the dossiers resolved later.
_OPEN_AT_PG = "tstzrange(dossiers_dossier.received_at, dossiers_dossier.resolved_at, '(]') @> %s::timestamptz"


def _open_at(end_at: datetime) -> QuerySet[Dossier]:
    """Dossiers in progress at instant `end_at` (a local midnight): received before it and not
    resolved before it, i.e. received_at < end_at ≤ resolved_at (or never resolved). This is
    D12's "R ≤ T and not resolved by the end of T" for end_at = the midnight after T, since
    ``resolved_on`` is the local date of ``resolved_at``."""
    qs = Dossier.objects.filter(received_at__isnull=False)
    if connection.vendor == "postgresql":
        return qs.filter(RawSQL(_OPEN_AT_PG, (end_at,), output_field=BooleanField()))
    return qs.filter(Q(received_at__lt=end_at) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end_at)))


def _stock_queryset(day: date, scope_ids: set[int] | None, lead_at: datetime | None = None) -> QuerySet:
    """Dossiers in progress at the end of `day`, annotated with what the history says about
    that moment: ``due_then`` (due date of the last event before midnight), ``paused_then``
    (request instant of a supplement pause open at midnight) and ``requests_then`` (supplement
    requests before midnight), and :data:`LEAD`, the lead unit as at `lead_at` (default: that
    midnight; a report's carried-over stock is counted under the units of the report's end)."""
    end_at = local_midnight(day + timedelta(days=1))
    events = DossierEvent.objects.filter(dossier=OuterRef("pk"), at__lt=end_at).order_by("-at", "-id")
    pauses = DossierPause.objects.filter(dossier=OuterRef("pk"), requested_at__lt=end_at)
    open_pause = pauses.filter(Q(completed_at__isnull=True) | Q(completed_at__gte=end_at)).order_by("-requested_at")
    n_requests = pauses.order_by().values("dossier").annotate(n=Count("pk")).values("n")
    return with_lead(_open_at(end_at), lead_at or end_at, scope_ids).order_by().annotate(
        due_then=Subquery(events.values("due_date")[:1]),
        # Dossiers never paused (the vast majority) skip the pause lookups.
        paused_then=Case(
            When(supplement_count=0, then=Value(None)),
            default=Subquery(open_pause.values("requested_at")[:1]),
            output_field=DateTimeField(),
        ),
        requests_then=Case(
            When(supplement_count__lte=1, then=F("supplement_count")),
            default=Coalesce(Subquery(n_requests, output_field=IntegerField()), Value(0)),
            output_field=IntegerField(),
        ),
    )


def _open_status(*, pk: int, day: date, due_then: date | None, paused_then: datetime | None) -> str:
    if due_then is None:
        code = Dossier.objects.filter(pk=pk).values_list("code", flat=True).first()
        raise ReportIdentityError([MSG_NO_DUE.format(code=code, at=day)])
    paused_on = paused_then.astimezone(LOCAL_TZ).date() if paused_then is not None else None
    return wcal.classify_open(as_of=day, due_date=due_then, paused_on=paused_on)


def stock_at_end_of(day: date, *, scope_ids: set[int] | None = None, group: tuple[str, ...],
                    lead_at: datetime | None = None) -> Iterator[tuple]:
    """Stream (group values…, within?, multi?) for every dossier in progress at the end of `day`.

    Read in one transaction; on PostgreSQL with JIT compilation off for it (a per-row lookup
    query whose estimated cost would otherwise trigger half a second of compiling)."""
    # Only columns the covering GiST index carries (PostgreSQL answers from the index alone).
    qs = _stock_queryset(day, scope_ids, lead_at).values_list("pk", "due_then", "paused_then", "requests_then", *group)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        for pk, due_then, paused_then, requests_then, *key in qs.iterator(chunk_size=5000):
            status = _open_status(pk=pk, day=day, due_then=due_then, paused_then=paused_then)
            yield (*key, status == _OPEN_STATUS_WITHIN, requests_then > 1)


# --- the direct computation (the reference) -----------------------------------------------------


@dataclass
class Cells:
    """Counts per lead resolving unit and per field (the report's rows come from these)."""

    by_unit: dict[int, list[int]]
    by_field: dict[int, list[int]]

    @classmethod
    def from_pairs(cls, pairs: dict[tuple[int, int], list[int]]) -> Cells:
        by_unit: dict[int, list[int]] = {}
        by_field: dict[int, list[int]] = {}
        for (unit_id, field_id), v in pairs.items():
            add_into(by_unit.setdefault(unit_id, zero()), v)
            add_into(by_field.setdefault(field_id, zero()), v)
        return cls(by_unit, by_field)

    def as_dicts(self) -> tuple[dict, dict]:
        """{unit: {key: count ≠ 0}}, {field: {…}}, without the internal check value."""
        def clean(d):
            out = {}
            for k, v in d.items():
                row = {key: n for key, n in zip(COUNT_KEYS, v) if n}
                if row:
                    out[k] = row
            return out
        return clean(self.by_unit), clean(self.by_field)


_FLOW_INDEXES = (I_RECEIVED, I_ONLINE, I_DIRECT, I_CARRIED, I_RESOLVED, I_EARLY, I_ON_TIME, I_LATE, I_WITHDRAWN,
                 I_SPOT, I_MULTI, I_STOPPED)


def _flow_annotations(w: Window) -> dict:
    new = Q(received_at__gte=w.start_at)
    resolved = Q(resolved_on__lte=w.end)  # inside the received set: resolved_on ≥ S already
    # In the order of _FLOW_INDEXES.
    return {
        "received_total": Count("pk"),
        "received_online": Count("pk", filter=new & Q(channel=_ONLINE)),
        "received_direct_postal": Count("pk", filter=new & ~Q(channel=_ONLINE)),
        "carried_over": Count("pk", filter=Q(received_at__lt=w.start_at)),
        "resolved_total": Count("pk", filter=resolved),
        "resolved_early": Count("pk", filter=resolved & Q(classification=Classification.EARLY)),
        "resolved_on_time": Count("pk", filter=resolved & Q(classification=Classification.ON_TIME)),
        "resolved_late": Count("pk", filter=resolved & Q(classification=Classification.LATE)),
        "withdrawn": Count("pk", filter=resolved & Q(outcome=Outcome.WITHDRAWN)),
        "on_the_spot": Count("pk", filter=new & Q(on_the_spot=True)),
        "resolved_multi": Count("pk", filter=resolved & Q(supplement_count__gt=1)),
        "stopped": Count("pk", filter=resolved & Q(outcome=STOPPED)),
    }


def _raw_rows(qs: QuerySet) -> list[tuple]:
    """Run a values_list queryset without Django's per-value converters (plain integers)."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:  # the replica when the router chose it (onecua/replica.py)
        cursor.execute(sql, params)
        return cursor.fetchall()


def cells_direct(period: Period, *, scope_ids: set[int] | None = None) -> Cells:
    """The report's counts straight from the dossiers (grouped by unit and field in SQL)."""
    w = Window.of_period(period)
    pairs: dict[tuple[int, int], list[int]] = {}
    flows = with_lead(Dossier.objects.filter(w.q_received()), w.end_at, scope_ids).values_list(
        LEAD, "procedure__field_id").annotate(**_flow_annotations(w)).order_by()
    for unit_id, field_id, *counts in _raw_rows(flows):
        v = pairs.setdefault((unit_id, field_id), zero())
        for i, n in zip(_FLOW_INDEXES, counts):
            v[i] += n
    for unit_id, field_id, within, multi in stock_at_end_of(
            w.end, scope_ids=scope_ids, group=(LEAD, "procedure__field_id")):
        v = pairs.setdefault((unit_id, field_id), zero())
        v[I_PROGRESS] += 1
        v[I_WITHIN if within else I_OVERDUE] += 1
        v[I_MULTI] += multi
    # (6) = (11) of the previous period: the stock at the end of S − 1, classified again.
    for unit_id, field_id, within, _multi in stock_at_end_of(
            period.day_before(), scope_ids=scope_ids, group=(LEAD, "procedure__field_id"), lead_at=w.end_at):
        v = pairs.setdefault((unit_id, field_id), zero())
        v[I_PREVIOUS] += 1
    return Cells.from_pairs(pairs)


# --- the sum of roll-ups --------------------------------------------------------------------------


def rollup_missing_days(period: Period) -> list[date]:
    """Days a report of `period` from roll-ups lacks: a day of [S, T] never rolled up, S − 1 or
    T without a stock snapshot, or the days of a half-month segment rebuilt before one of its
    days (a backfill interrupted between a day and its segment)."""
    start, end = period.day_before(), period.end
    markers = {d: (stock, at) for d, stock, at in RollupDay.objects.filter(day__gte=start, day__lte=end).values_list(
        "day", "has_stock", "rebuilt_at")}
    segments = segments_in(period.start, period.end)
    segment_at = dict(RollupSegment.objects.filter(segment__in=segments).values_list("segment", "rebuilt_at"))
    out, day = set(), start
    while day <= end:
        if day not in markers or (day in (start, end) and not markers[day][0]):
            out.add(day)
        day += timedelta(days=1)
    for seg in segments:
        days = [seg + timedelta(days=i) for i in range((segment_end(seg) - seg).days + 1)]
        rebuilt = segment_at.get(seg)
        if rebuilt is None or any(d in markers and markers[d][1] > rebuilt for d in days):
            out.update(days)
    return sorted(out)


def rollup_covers(period: Period) -> bool:
    return not rollup_missing_days(period)


def cells_from_rollups(period: Period, *, scope_ids: set[int] | None = None, fields: bool = True,
                       checked: bool = False) -> Cells:
    """The report's counts from the roll-ups: flows summed over the period's half-month
    segments, stocks read at the end of T and of S − 1 (carried over); grouped per unit and
    (unless not `fields`: ``by_field`` stays empty) per field in SQL. Raises
    RollupMissingError when a day is missing (not looked for again when the caller has just
    `checked` that none is)."""
    missing = [] if checked else rollup_missing_days(period)
    if missing:
        raise RollupMissingError(missing)
    segments = _scoped(SegmentStatistic.objects.filter(segment__in=segments_in(period.start, period.end)), scope_ids)
    flow_sums = [Sum(f) for f in ("received_online", "received_direct_postal", "received_on_the_spot", "resolved",
                                  "resolved_early", "resolved_on_time", "resolved_late", "withdrawn",
                                  "resolved_multi_supplement")]
    flow_ix = (I_ONLINE, I_DIRECT, I_SPOT, I_RESOLVED, I_EARLY, I_ON_TIME, I_LATE, I_WITHDRAWN, I_MULTI)
    stock_sums = [Sum(f) for f in ("open_total", "open_within", "open_overdue", "open_multi_supplement")]
    out = Cells({}, {})
    groups = (("resolving_unit_id", out.by_unit), ("field_id", out.by_field))
    for group, target in groups if fields else groups[:1]:
        for key, *sums in _raw_rows(segments.values_list(group).annotate(*flow_sums).order_by()):
            v = target.setdefault(key, zero())
            for i, n in zip(flow_ix, sums):
                v[i] += n or 0
        for day, at_end in ((period.end, True), (period.day_before(), False)):
            stock = _scoped(DailyStock.objects.filter(day=day), scope_ids).values_list(group).annotate(
                *stock_sums).order_by()
            for key, total, within, overdue, multi in _raw_rows(stock):
                v = target.setdefault(key, zero())
                if at_end:
                    v[I_PROGRESS] += total
                    v[I_WITHIN] += within
                    v[I_OVERDUE] += overdue
                    v[I_MULTI] += multi
                else:
                    v[I_CARRIED] += total
                    v[I_PREVIOUS] += within + overdue
        # Stopped dossiers (D16) are not in the roll-up tables: few, counted from the dossiers.
        w = Window.of_period(period)
        stopped = _scoped(Dossier.objects.filter(outcome=STOPPED, resolved_on__gte=w.start, resolved_on__lte=w.end),
                          scope_ids)
        key_of = "resolving_unit_id" if group == "resolving_unit_id" else "procedure__field_id"
        for key, n in _raw_rows(stopped.values_list(key_of).annotate(n=Count("pk")).order_by()):
            target.setdefault(key, zero())[I_STOPPED] += n
    _apply_moves(out, Window.of_period(period), scope_ids)
    for target in (out.by_unit, out.by_field):
        for v in target.values():
            v[I_RECEIVED] = v[I_ONLINE] + v[I_DIRECT] + v[I_CARRIED]
    return out


def _lead_shifts(w: Window) -> Iterator[tuple[int, int, int, int, dict[int, int]]]:
    """What the roll-ups count under another lead unit than the period's (D20), dossier by
    dossier: ``(receiving unit, field, unit rolled up, unit at the end of T, counts)``.

    A day's roll-up counts a new dossier under its lead unit as at the end of its receipt day,
    and the stock at the end of S − 1 (carried over) as at that midnight; the report counts
    both under the lead unit as at the end of T (resolved flows and the stock at the end of T
    are already right: a dossier's moves precede its resolution). Only dossiers whose lead unit
    a reorganisation moved inside [S, T] differ; the counts are the report's columns to shift
    (``I_*`` → 1)."""
    moves = DossierMove.objects.filter(lead=True, at__gte=w.start_at, at__lt=w.end_at)
    if not moves.exists():
        return
    candidates = Dossier.objects.filter(pk__in=moves.values("dossier_id")).filter(w.q_received())
    history: dict[int, list[tuple[datetime, int]]] = {}
    for dossier_id, at, from_unit in DossierMove.objects.filter(
            lead=True, dossier_id__in=candidates.values("pk")).order_by("at", "pk").values_list(
            "dossier_id", "at", "from_unit_id"):
        history.setdefault(dossier_id, []).append((at, from_unit))

    def lead_at(pk: int, at: datetime, current: int) -> int:
        for moved_at, from_unit in history.get(pk, ()):
            if moved_at >= at:
                return from_unit
        return current

    for pk, received_at, channel, spot, current, field_id, receiving in candidates.values_list(
            "pk", "received_at", "channel", "on_the_spot", "resolving_unit_id", "procedure__field_id",
            "receiving_unit_id").iterator(chunk_size=5000):
        u_end = lead_at(pk, w.end_at, current)
        if received_at >= w.start_at:
            u_rolled = lead_at(pk, local_midnight(received_at.astimezone(LOCAL_TZ).date() + timedelta(days=1)), current)
            delta = {I_ONLINE if channel == _ONLINE else I_DIRECT: 1}
            if spot:
                delta[I_SPOT] = 1
        else:
            u_rolled = lead_at(pk, w.start_at, current)
            delta = {I_CARRIED: 1, I_PREVIOUS: 1}
        if u_rolled != u_end:
            yield receiving, field_id, u_rolled, u_end, delta


def _apply_moves(cells: Cells, w: Window, scope_ids: set[int] | None) -> None:
    """Re-attribute what the roll-ups count under another unit than the period's
    (:func:`_lead_shifts`): shift those dossiers' counts from one unit to the other (the field
    stays; a unit outside the scope takes or gives nothing)."""
    touched: set[tuple[int, int]] = set()
    for _receiving, field_id, u_from, u_to, delta in _lead_shifts(w):
        for unit_id, sign in ((u_from, -1), (u_to, 1)):
            if scope_ids is not None and unit_id not in scope_ids:
                continue
            for which, target, key in ((0, cells.by_unit, unit_id), (1, cells.by_field, field_id)):
                v = target.setdefault(key, zero())
                touched.add((which, key))
                for i, n in delta.items():
                    v[i] += sign * n
    for which, key in touched:  # a row emptied by the shift is not a row (as in the direct count)
        target = (cells.by_unit, cells.by_field)[which]
        if key in target and not any(target[key]):
            del target[key]


# --- the report ------------------------------------------------------------------------------------


def _unit_rows(unit_ids: Iterable[int], period: Period, scope_ids: set[int] | None) -> dict[int, tuple]:
    """Units to show: those with figures, and the resolving units of active procedures valid
    during the period (a row of zeros is information too). id -> (code, name, level)."""
    wanted = set(unit_ids)
    active = set(Procedure.objects.filter(is_active=True).values_list("resolving_unit_id", flat=True).distinct())
    qs = Unit.objects.all() if scope_ids is None else Unit.objects.filter(pk__in=scope_ids)
    out = {}
    for pk, code, name, level, valid_from, valid_to in qs.values_list(
            "pk", "code", "name", "level", "valid_from", "valid_to").order_by("code"):
        if pk in wanted or (pk in active and (valid_from is None or valid_from <= period.end)
                            and (valid_to is None or valid_to >= period.start)):
            out[pk] = (code, name, level)
    return out


def report_assemble(*, period: Period, cells: Cells, scope_unit: Unit | None, scope_ids: set[int] | None,
                    source: str, fields: bool = True) -> dict:
    """Build the report JSON (interfaces.md "Reports") from counts per unit and per field and
    check every identity on every row (raises :class:`ReportIdentityError`). Not `fields`: the
    units' rows only (``"fields": []``, no cross-check with them)."""
    units = _unit_rows(cells.by_unit, period, scope_ids)
    failures: list[str] = []
    totals, by_field_total = zero(), zero()
    level_vectors: dict[str, list[int]] = {}
    level_rows: dict[str, list[dict]] = {}
    empty = zero()
    for unit_id, (code, name, level) in units.items():  # in code order
        v = cells.by_unit.get(unit_id, empty)
        failures += vector_failures(v, f"{code} {name}")
        add_into(level_vectors.setdefault(level, zero()), v)
        add_into(totals, v)
        level_rows.setdefault(level, []).append({"code": code, "name": name, "totals": figures_from_vector(v)})
    failures += vector_failures(totals, "Tổng số")
    levels = []
    for level in [lv for lv in LEVEL_ORDER if lv in level_rows] + sorted(set(level_rows) - set(LEVEL_ORDER)):
        name = LEVEL_NAMES.get(level, str(level))
        failures += vector_failures(level_vectors[level], name)
        levels.append({"level": str(level), "name": name, "totals": figures_from_vector(level_vectors[level]),
                       "units": level_rows[level]})
    by_field = cells.by_field if fields else {}
    field_names = dict(Field.objects.filter(pk__in=list(by_field)).values_list("pk", "name")) if by_field else {}
    field_rows = []
    for field_id, v in sorted(by_field.items(), key=lambda kv: field_names.get(kv[0], "")):
        failures += vector_failures(v, f"Lĩnh vực {field_names.get(field_id, field_id)}")
        add_into(by_field_total, v)
        field_rows.append({"field": field_names.get(field_id, ""), "id": field_id, "totals": figures_from_vector(v)})
    if fields and by_field_total != totals:
        failures.append(f"Tổng theo lĩnh vực ≠ tổng theo đơn vị: {by_field_total} ≠ {totals}")
    if failures:
        raise ReportIdentityError(failures)
    return {
        "period": period.as_dict(),
        "scope": None if scope_unit is None else {"code": scope_unit.code, "name": scope_unit.name},
        "source": source,
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "totals": figures_from_vector(totals),
        "levels": levels,
        "fields": field_rows,
        "identities": {"ok": True, "rules": list(IDENTITY_RULES),
                       "rows_checked": 2 + len(levels) + len(units) + len(field_rows),
                       "previous_in_progress": totals[I_PREVIOUS]},
    }


@dataclass(frozen=True)
class RunningPeriod:
    """A period that has not ended, as of local date `as_of` (D12a): its days [S, as_of]. It
    answers what the report's computation asks of a period (the report still names the whole
    period)."""

    period: Period
    as_of: date

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        # before the period starts: an empty window, whose stock is the carried-over one
        return max(self.as_of, self.period.start - timedelta(days=1))

    def day_before(self) -> date:
        return self.period.day_before()

    def as_dict(self) -> dict:
        return self.period.as_dict()


def report_as_of(period: Period, today: date | None = None) -> tuple[bool, date]:
    """(provisional?, as_of) of a report of `period` made on local date `today` (D12a): a
    period not ended yet is reported as of today, a finished one as of its end."""
    today = today or timezone.localdate()
    return (True, today) if period.end >= today else (False, period.end)


def report_figures(*, period: Period, unit: Unit | None = None, source: str = SOURCE_AUTO,
                   today: date | None = None, detail: bool = True) -> dict:
    """The report of `period` for the units under `unit` (None: every unit).

    ``source``: ``rollup`` (sum of the daily roll-ups; RollupMissingError if a day is
    missing), ``direct`` (straight from the dossiers), ``auto`` (roll-ups when every day of
    the period and the day before are rolled up, else direct).

    A period that has not ended by `today` (default: the local date) is provisional (D12a):
    new and resolved count up to today, an open dossier is overdue iff its due date is before
    today, and the JSON says ``"provisional": true, "as_of": today`` (always computed
    directly: today is never rolled up). A finished period: ``false`` and its end.

    Not `detail` (the report page's comparison with the period before, which reads only the
    totals): from roll-ups the per-field rows and the receipts by counter are left out
    (``"fields": []``, ``"receiving": []``); the units' rows and their identities stay.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    scope_ids = scope_unit_ids(unit)
    provisional, as_of = report_as_of(period, today)
    counted = RunningPeriod(period, as_of) if provisional else period
    checked = False  # the roll-ups just found to cover the period
    if provisional:
        source = SOURCE_DIRECT
    elif source == SOURCE_AUTO:
        checked = rollup_covers(period)
        source = SOURCE_ROLLUP if checked else SOURCE_DIRECT
    rolled_up = source == SOURCE_ROLLUP
    full = detail or not rolled_up  # a direct count has the fields anyway
    cells = cells_from_rollups(period, scope_ids=scope_ids, fields=full, checked=checked) if rolled_up else (
        cells_direct(counted, scope_ids=scope_ids))
    report = report_assemble(period=counted, cells=cells, scope_unit=unit, scope_ids=scope_ids, source=source,
                             fields=full)
    report["provisional"] = provisional
    report["as_of"] = as_of.isoformat()
    if not full:
        report["receiving"] = []
    elif rolled_up:
        report["receiving"] = receipts_from_rollups(period, scope_ids=scope_ids)
    else:
        report["receiving"] = receipts_by_counter(counted, scope_ids=scope_ids)
    return report


def receipts_by_counter(period, *, scope_ids: set[int] | None = None) -> list[dict]:
    """D13's other dimension: the dossiers new in the period (received in [S, T], the report's
    "new" columns 4 + 5) by receiving unit, and under it by lead unit as at the end of T (D20,
    as the report's rows: a reorganisation leaves the receipts of an earlier period as they
    were); in scope when that lead unit is. A level procedure taken in at the provincial centre
    for a commune (D19) shows under the centre, beside its count under the commune in
    ``levels``. Counted from the dossiers (:func:`receipts_from_rollups`: the same from the
    roll-ups).

    ``[{"code", "name", "received_new", "for_other_units", "lead_units": [{"code", "name",
    "received_new"}]}]``, by receiving unit code; ``for_other_units``: those whose lead unit is
    not the receiving unit itself (receipt regardless of boundary)."""
    w = Window.of(period.start, period.end)
    qs = with_lead(Dossier.objects.filter(received_at__gte=w.start_at, received_at__lt=w.end_at), w.end_at, scope_ids)
    rows = qs.values_list("receiving_unit_id", LEAD).annotate(n=Count("*")).order_by()
    return _receipts_rows({(receiving, lead): n for receiving, lead, n in rows})


def receipts_from_rollups(period: Period, *, scope_ids: set[int] | None = None) -> list[dict]:
    """:func:`receipts_by_counter` from the roll-ups: ``DailyReceipt`` summed over [S, T] (each
    day's under the lead unit as at its end), then the dossiers a reorganisation moved inside
    the period shifted to their lead unit at the end of T (:func:`_lead_shifts`). The caller
    has checked that the roll-ups cover the period."""
    pairs: dict[tuple[int, int], int] = {}
    rows = _scoped(DailyReceipt.objects.filter(day__gte=period.start, day__lte=period.end), scope_ids)
    for receiving, lead, n in _raw_rows(rows.values_list("receiving_unit_id", "resolving_unit_id").annotate(
            Sum("received")).order_by()):
        pairs[(receiving, lead)] = n
    for receiving, _field, u_from, u_to, delta in _lead_shifts(Window.of_period(period)):
        if I_CARRIED in delta:  # carried over: not new in the period
            continue
        for unit_id, sign in ((u_from, -1), (u_to, 1)):
            if scope_ids is None or unit_id in scope_ids:
                pairs[(receiving, unit_id)] = pairs.get((receiving, unit_id), 0) + sign
    return _receipts_rows(pairs)


def _receipts_rows(pairs: dict[tuple[int, int], int]) -> list[dict]:
    """The receipts by counter (:func:`receipts_by_counter`) of {(receiving, lead): count}."""
    pairs = {k: n for k, n in pairs.items() if n}
    names = {u["id"]: (u["code"], u["name"]) for u in Unit.objects.filter(
        pk__in={a for a, _b in pairs} | {b for _a, b in pairs}).values("id", "code", "name")}
    out: dict[int, dict] = {}
    for (receiving, lead), n in pairs.items():
        entry = out.setdefault(receiving, {"code": names[receiving][0], "name": names[receiving][1],
                                           "received_new": 0, "for_other_units": 0, "lead_units": []})
        entry["received_new"] += n
        if lead != receiving:
            entry["for_other_units"] += n
        entry["lead_units"].append({"code": names[lead][0], "name": names[lead][1], "received_new": n})
    for entry in out.values():
        entry["lead_units"].sort(key=lambda x: x["code"])
    return sorted(out.values(), key=lambda x: x["code"])


def report_quarterly(*, year: int, quarter: int, basis: str = "regulatory", unit: Unit | None = None,
                     source: str = SOURCE_AUTO) -> dict:
    return report_figures(period=Period.quarter(year, quarter, basis), unit=unit, source=source)


# --- the dossiers behind the figures ---------------------------------------------------------------


@dataclass(frozen=True)
class DossierFlags:
    id: int
    code: str
    resolving_unit_id: int
    field_id: int
    flags: int

    def figures(self) -> list[str]:
        return flags_to_figures(self.flags)


def flags_to_figures(flags: int) -> list[str]:
    return [key for key, bit in FLAG_BITS.items() if flags & bit]


def dossier_flags(period: Period, *, scope_ids: set[int] | None = None) -> Iterator[DossierFlags]:
    """Every dossier counted in the period's report with the figures it is counted in.

    Computed dossier by dossier (a third way besides the grouped direct query and the
    roll-ups; freezing a report checks that the three agree)."""
    w = Window.of_period(period)
    stock: dict[int, tuple[bool, bool]] = {}
    for pk, within, multi in stock_at_end_of(w.end, scope_ids=scope_ids, group=("pk",)):
        stock[pk] = (within, multi)
    qs = with_lead(Dossier.objects.filter(w.q_received()), w.end_at, scope_ids).values_list(
        "pk", "code", LEAD, "procedure__field_id", "channel", "received_at", "resolved_on",
        "classification", "outcome", "on_the_spot", "supplement_count",
    ).order_by("pk")
    b = FLAG_BITS
    for pk, code, unit_id, field_id, channel, received_at, resolved_on, cls, outcome, spot, n_supp in qs.iterator(
            chunk_size=5000):
        flags = 0
        if received_at >= w.start_at:
            flags |= b["received_online"] if channel == _ONLINE else b["received_direct_postal"]
            if spot:
                flags |= b["on_the_spot"]
        else:
            flags |= b["carried_over"]
        if resolved_on is not None and resolved_on <= w.end:
            flags |= b.get(f"resolved_{cls}", 0)
            if outcome == Outcome.WITHDRAWN:
                flags |= b["withdrawn"]
            if outcome == STOPPED:
                flags |= b["stopped"]
            if n_supp > 1:
                flags |= b["multi_supplement"]
        else:
            within, multi = stock[pk]
            flags |= b["in_progress_within"] if within else b["in_progress_overdue"]
            if multi:
                flags |= b["multi_supplement"]
        yield DossierFlags(pk, code, unit_id, field_id, flags)


_FLAG_INDEX = {key: IX[key] for key in FLAG_BITS}
_RESOLVED_BITS = FLAG_BITS["resolved_early"] | FLAG_BITS["resolved_on_time"] | FLAG_BITS["resolved_late"]
_PROGRESS_BITS = FLAG_BITS["in_progress_within"] | FLAG_BITS["in_progress_overdue"]


def counts_from_flags(entries: Iterable[DossierFlags]) -> Cells:
    """Counts from per-dossier flags (the totals are counted, not summed; the previous stock is
    taken equal to the carried-over count: the per-dossier path has no second computation)."""
    pairs: dict[tuple[int, int], list[int]] = {}
    for e in entries:
        v = pairs.setdefault((e.resolving_unit_id, e.field_id), zero())
        v[I_RECEIVED] += 1
        for key, bit in FLAG_BITS.items():
            if e.flags & bit:
                v[_FLAG_INDEX[key]] += 1
        v[I_RESOLVED] += bool(e.flags & _RESOLVED_BITS)
        v[I_PROGRESS] += bool(e.flags & _PROGRESS_BITS)
        v[I_PREVIOUS] = v[I_CARRIED]
    return Cells.from_pairs(pairs)


#: figures whose dossiers are found by one database condition
_FLOW_FIGURES = {
    "received_total", "received_online", "received_direct_postal", "carried_over", "resolved_total",
    "resolved_early", "resolved_on_time", "resolved_late", "withdrawn", "on_the_spot", "in_progress_total", "stopped",
}
DRILLABLE_FIGURES = _FLOW_FIGURES | {"in_progress_within", "in_progress_overdue", "multi_supplement"}


def report_dossiers(
    *, period: Period, figure: str, scope_unit: Unit | None = None, unit: Unit | None = None,
    level: str | None = None, field: Field | int | None = None,
) -> QuerySet[Dossier]:
    """The dossiers behind one figure of the report (for a unit, a level or a field row, or the
    totals): the list a leader gets by clicking a number."""
    if figure not in DRILLABLE_FIGURES:
        raise ValueError(f"unknown figure {figure!r}")
    provisional, as_of = report_as_of(period)  # the same days as the report's figures (D12a)
    w = Window.of_period(RunningPeriod(period, as_of) if provisional else period)
    scope_ids = scope_unit_ids(scope_unit)
    qs = with_lead(Dossier.objects.filter(w.q_received()), w.end_at, scope_ids)
    if unit is not None:
        qs = qs.filter(**{LEAD: unit.pk})
    if level is not None:
        qs = qs.filter(**{f"{LEAD}__in": Unit.objects.filter(level=level).values("pk")})
    if field is not None:
        qs = qs.filter(procedure__field_id=getattr(field, "pk", field))
    new = Q(received_at__gte=w.start_at)
    resolved = Q(resolved_on__lte=w.end)
    conditions = {
        "received_total": Q(),
        "received_online": new & Q(channel=_ONLINE),
        "received_direct_postal": new & ~Q(channel=_ONLINE),
        "carried_over": Q(received_at__lt=w.start_at),
        "resolved_total": resolved,
        "resolved_early": resolved & Q(classification=Classification.EARLY),
        "resolved_on_time": resolved & Q(classification=Classification.ON_TIME),
        "resolved_late": resolved & Q(classification=Classification.LATE),
        "withdrawn": resolved & Q(outcome=Outcome.WITHDRAWN),
        "stopped": resolved & Q(outcome=STOPPED),
        "on_the_spot": new & Q(on_the_spot=True),
        "in_progress_total": Q(resolved_on__isnull=True) | Q(resolved_on__gt=w.end),
    }
    if figure in conditions:
        return qs.filter(conditions[figure])
    # The in-progress split, in SQL (so that the list can be paged without loading ids): the
    # rule of dossiers.calendar.classify_open at the end of T on the annotations of the stock
    # query (a test checks both give the same dossiers).
    stock = _stock_queryset(w.end, scope_ids).filter(pk__in=qs.values("pk")).annotate(
        paused_on_then=TruncDate("paused_then", tzinfo=LOCAL_TZ))
    within = (Q(paused_then__isnull=True) & Q(due_then__gte=w.end)) | (
        Q(paused_then__isnull=False) & Q(due_then__gte=F("paused_on_then")))
    if figure == "in_progress_within":
        return stock.filter(within)
    if figure == "in_progress_overdue":
        return stock.filter(~within)
    open_multi = stock.filter(requests_then__gt=1).values("pk")
    return qs.filter(Q(pk__in=open_multi) | (resolved & Q(supplement_count__gt=1)))


# --- Sổ theo dõi hồ sơ (Mẫu 06) ---------------------------------------------------------------------

TRACKING_BOOK_COLUMNS = (
    "code", "procedure_code", "procedure_name", "applicant_name", "applicant_address", "applicant_phone",
    "receiving_unit_code", "resolving_unit_code", "resolving_unit_name", "received_at", "due_date",
    "resolved_at", "returned_at", "return_channel", "outcome", "classification",
)
TRACKING_BOOK_LABELS = {
    "code": "Mã hồ sơ",
    "procedure_code": "Mã thủ tục",
    "procedure_name": "Tên thủ tục hành chính",
    "applicant_name": "Tên tổ chức, cá nhân",
    "applicant_address": "Địa chỉ",
    "applicant_phone": "Số điện thoại",
    "receiving_unit_code": "Nơi tiếp nhận",
    "resolving_unit_code": "Mã cơ quan chủ trì",
    "resolving_unit_name": "Cơ quan chủ trì giải quyết",
    "received_at": "Ngày, giờ nhận hồ sơ",
    "due_date": "Ngày hẹn trả kết quả",
    "resolved_at": "Ngày có kết quả",
    "returned_at": "Ngày trả kết quả",
    "return_channel": "Phương thức nhận kết quả",
    "outcome": "Kết quả",
    "classification": "Đánh giá",
}


def _iso_local(dt: datetime | None) -> str:
    return dt.astimezone(LOCAL_TZ).isoformat(timespec="seconds") if dt else ""


def tracking_book_rows(*, start: date, end: date, unit: Unit | None = None) -> Iterator[dict[str, str]]:
    """Mẫu 06 (Sổ theo dõi hồ sơ): one row per dossier received (local date of R) in
    [start, end], in receipt order; `unit` keeps the dossiers received by a unit of its subtree
    (the book is kept by the counters). ``classification`` is empty while a dossier is open."""
    w = Window.of(start, end)
    qs = Dossier.objects.filter(received_at__gte=w.start_at, received_at__lt=w.end_at)
    qs = _scoped(qs, scope_unit_ids(unit), "receiving_unit_id")
    qs = qs.select_related("procedure", "receiving_unit", "resolving_unit").order_by("received_at", "pk")
    for d in qs.iterator(chunk_size=2000):
        yield {
            "code": d.code,
            "procedure_code": d.procedure.code,
            "procedure_name": d.procedure.name,
            "applicant_name": d.applicant_name,
            "applicant_address": d.applicant_address,
            "applicant_phone": d.applicant_phone,
            "receiving_unit_code": d.receiving_unit.code,
            "resolving_unit_code": d.resolving_unit.code,
            "resolving_unit_name": d.resolving_unit.name,
            "received_at": _iso_local(d.received_at),
            "due_date": d.due_date.isoformat() if d.due_date else "",
            "resolved_at": _iso_local(d.resolved_at),
            "returned_at": _iso_local(d.returned_at),
            "return_channel": d.return_channel if d.returned_at else "",
            "outcome": d.outcome,
            "classification": d.classification if d.resolved_at else "",
        }


# --- who may read which report ------------------------------------------------------------------

MSG_NO_REPORT_ACCESS = "Chỉ lãnh đạo và quản trị hệ thống được xem báo cáo thống kê."
MSG_UNIT_NOT_FOUND = "Không có đơn vị mã “{code}” trong phạm vi được xem."


class ReportAccessError(Exception):
    """The user may not read reports at all (403)."""


def report_scope_for_user(*, user, unit_code: str | None) -> Unit | None:
    """The unit whose subtree `user` may read a report of.

    Superusers and administrators: any unit (None = every unit). Leaders: their own unit's
    subtree only; without `unit_code` their own unit. Anybody else: ReportAccessError. A code
    that does not exist or lies outside the leader's subtree raises ``Unit.DoesNotExist`` (the
    API answers 404, as for a dossier outside the caller's units).
    """
    from dossiers.roles import ADMINISTRATOR, LEADER, user_roles
    from dossiers.selectors import staff_profile

    if not user.is_authenticated:
        raise ReportAccessError(MSG_NO_REPORT_ACCESS)
    roles = user_roles(user)
    unit_code = (unit_code or "").strip() or None
    if user.is_superuser or ADMINISTRATOR in roles:
        return Unit.objects.get(code=unit_code) if unit_code else None
    profile = staff_profile(user)
    if LEADER not in roles or profile is None:
        raise ReportAccessError(MSG_NO_REPORT_ACCESS)
    if unit_code is None:
        return profile.unit
    unit = Unit.objects.get(code=unit_code)
    if unit.pk not in unit_descendant_ids(profile.unit_id):
        raise Unit.DoesNotExist(MSG_UNIT_NOT_FOUND.format(code=unit_code))
    return unit
