"""Satisfaction and feedback figures of a report period (selectors: reads only).

Periods are ``reporting.periods.Period`` (both bases, domain.md D11) and the scope is a unit's
subtree as in ``reporting.selectors.report_scope_for_user`` (None: every unit). Rules:

- **Evaluations** count in the period of their ``submitted_on`` (local date of the evaluation),
  under the unit copied on the row (the dossier's lead resolving unit, D13) and its officer.
  Figures: the number of evaluations; the average total (of 18) and the average of each of the
  nine criteria (of 2), two decimals rounded half up; the count per band
  (``citizens.scoring.Band``); *satisfied* = total ≥ ``SATISFIED_MIN_TOTAL``
  (``scoring.is_satisfied``) and its share of the evaluations (D14: "—" for no evaluation).
- **Feedback** (phản ánh, kiến nghị) in [S, T], mirroring Biểu 06:
  *received* = ``submitted_on`` in [S, T], by kind; *answered* = ``answered_on`` in [S, T],
  on time iff ``answered_on ≤ answer_due``, else late; *open at the period end* = submitted on
  or before T and not answered by the end of T (never answered, or answered after T), within
  its deadline iff ``answer_due ≥ T`` (as D12 for dossiers), else overdue.

Every number is a count of rows that a drill-down list (:func:`evaluation_list`,
:func:`feedback_list`) shows one by one.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.crypto import constant_time_compare, salted_hmac

from citizens.models import Evaluation, Feedback
from citizens.scoring import CRITERIA_COUNT, MAX_POINTS_PER_CRITERION, MAX_TOTAL, SATISFIED_MIN_TOTAL, Band
from dossiers.models import Unit
from reporting.periods import Period
from reporting.selectors import decimal_half_up, rate_percent, scope_unit_ids

CRITERION_FIELDS = tuple(f"c{i}" for i in range(1, CRITERIA_COUNT + 1))

#: what a drill-down of evaluations may ask for
EVALUATION_FIGURES = ("evaluations", "satisfied", "not_satisfied", *(f"band_{b.value}" for b in Band))
#: what a drill-down of feedback may ask for
FEEDBACK_FIGURES = (
    "received_total", "received_complaint", "received_proposal",
    "answered_total", "answered_on_time", "answered_late",
    "open_total", "open_within", "open_overdue",
)

#: sort keys of the per-unit and per-officer tables
SORT_KEYS = ("name", "evaluations", "average", "satisfied_share")
_SORT_FIGURE = {"evaluations": "evaluations", "average": "average_total", "satisfied_share": "satisfied_share"}


# --- evaluations ---------------------------------------------------------------------------------


def evaluations_in(*, period: Period, unit: Unit | None = None) -> QuerySet[Evaluation]:
    """The evaluations counted in `period` for `unit`'s subtree (None: every unit)."""
    qs = Evaluation.objects.filter(submitted_on__gte=period.start, submitted_on__lte=period.end)
    scope = scope_unit_ids(unit)
    return qs if scope is None else qs.filter(unit_id__in=scope)


def _aggregates() -> dict:
    out = {"n": Count("pk"), "points": Sum("total"),
           "satisfied": Count("pk", filter=Q(total__gte=SATISFIED_MIN_TOTAL))}
    out.update({f"sum_{c}": Sum(c) for c in CRITERION_FIELDS})
    out.update({f"band_{b.value}": Count("pk", filter=Q(band=b.value)) for b in Band})
    return out


def _figures(row: dict) -> dict:
    """The JSON-ready satisfaction figures from one aggregate row."""
    n = row.get("n") or 0
    points = row.get("points") or 0
    satisfied = row.get("satisfied") or 0
    return {
        "evaluations": n,
        "points_total": points,
        "average_total": decimal_half_up(points, n),
        "max_total": MAX_TOTAL,
        "bands": {b.value: row.get(f"band_{b.value}") or 0 for b in Band},
        "criteria_average": [decimal_half_up(row.get(f"sum_{c}") or 0, n) for c in CRITERION_FIELDS],
        "max_per_criterion": MAX_POINTS_PER_CRITERION,
        "satisfied": satisfied,
        "satisfied_share": rate_percent(satisfied, n),
        "satisfied_min_total": SATISFIED_MIN_TOTAL,
    }


def satisfaction_figures(*, period: Period, unit: Unit | None = None) -> dict:
    """The satisfaction figures of `period` for `unit`'s subtree."""
    return _figures(evaluations_in(period=period, unit=unit).aggregate(**_aggregates()))


def _sorted(rows: list[dict], sort: str, descending: bool) -> list[dict]:
    """Rows sorted by a figure; rows without a value (no evaluation) always last."""
    if sort not in SORT_KEYS:
        sort = "name"
    if sort == "name":
        return sorted(rows, key=lambda r: (r["name"].casefold(), r["key"]), reverse=descending)
    key = _SORT_FIGURE[sort]
    with_value = [r for r in rows if r["figures"][key] is not None]
    without = [r for r in rows if r["figures"][key] is None]

    def value(r):
        v = r["figures"][key]
        return (float(v) if isinstance(v, str) else v, r["name"].casefold())

    return sorted(with_value, key=value, reverse=descending) + sorted(without, key=lambda r: r["name"].casefold())


def satisfaction_by_unit(*, period: Period, unit: Unit | None = None, sort: str = "name",
                         descending: bool = False) -> list[dict]:
    """One row per unit with evaluations in the period: ``{"key", "code", "name", "figures"}``."""
    grouped = evaluations_in(period=period, unit=unit).order_by().values("unit_id").annotate(**_aggregates())
    units = {u.pk: u for u in Unit.objects.filter(pk__in=[g["unit_id"] for g in grouped])}
    rows = [{"key": f"unit:{units[g['unit_id']].code}", "code": units[g["unit_id"]].code,
             "name": units[g["unit_id"]].name, "figures": _figures(g)} for g in grouped]
    return _sorted(rows, sort, descending)


def _person_name(user) -> str:
    return (user.get_full_name() or user.get_username()).strip()


def officer_ref(officer_id: int) -> str:
    """The opaque reference of an officer's row in the satisfaction tables and their drill-down
    links (``?row=officer:<ref>``): a keyed hash of the id, so that a URL neither shows a staff
    id nor lets anyone walk through ids to read staff names (issue 18)."""
    return salted_hmac("citizens.report.officer-row", str(officer_id)).hexdigest()[:24]


def officer_by_ref(*, ref: str, period: Period, unit: Unit | None = None) -> int | None:
    """The id of the officer whose row ``ref`` names, among the officers with evaluations in
    the report's period and scope (anyone else is no row of this report), else None."""
    ids = evaluations_in(period=period, unit=unit).exclude(officer=None).order_by().values_list("officer_id", flat=True)
    for officer_id in set(ids):
        if constant_time_compare(officer_ref(officer_id), ref):
            return officer_id
    return None


def satisfaction_by_officer(*, period: Period, unit: Unit | None = None, sort: str = "name",
                            descending: bool = False) -> list[dict]:
    """One row per officer (the dossier's officer copied on the evaluation; evaluations without
    one form the row ``officer:none``); the key names an officer by :func:`officer_ref`."""
    grouped = evaluations_in(period=period, unit=unit).order_by().values("officer_id").annotate(**_aggregates())
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=[g["officer_id"] for g in grouped if g["officer_id"]])}
    rows = []
    for g in grouped:
        officer = users.get(g["officer_id"])
        # staff are shown by their full names, never their login names (issue 14); by opaque reference
        rows.append({"key": f"officer:{officer_ref(g['officer_id']) if g['officer_id'] else 'none'}", "code": "",
                     "name": _person_name(officer) if officer else "",  # the view names the row
                     "figures": _figures(g)})
    return _sorted(rows, sort, descending)


@dataclass(frozen=True)
class RowFilter:
    """A row of a satisfaction or feedback table: every row, one unit, or one officer."""

    unit: Unit | None = None
    officer_id: int | None = None
    no_officer: bool = False

    def apply(self, qs: QuerySet) -> QuerySet:
        if self.unit is not None:
            qs = qs.filter(unit=self.unit)
        if self.officer_id is not None:
            qs = qs.filter(officer_id=self.officer_id)
        if self.no_officer:
            qs = qs.filter(officer__isnull=True)
        return qs


def evaluation_list(*, period: Period, figure: str, unit: Unit | None = None,
                    row: RowFilter | None = None) -> QuerySet[Evaluation]:
    """The evaluations behind one number (``EVALUATION_FIGURES``), oldest first."""
    if figure not in EVALUATION_FIGURES:
        raise ValueError(f"unknown figure {figure!r}")
    qs = evaluations_in(period=period, unit=unit)
    if row is not None:
        qs = row.apply(qs)
    if figure == "satisfied":
        qs = qs.filter(total__gte=SATISFIED_MIN_TOTAL)
    elif figure == "not_satisfied":
        qs = qs.filter(total__lt=SATISFIED_MIN_TOTAL)
    elif figure.startswith("band_"):
        qs = qs.filter(band=figure.removeprefix("band_"))
    return qs.select_related("dossier", "dossier__procedure", "unit", "officer").order_by("submitted_at", "pk")


# --- feedback ------------------------------------------------------------------------------------


def _feedback_scoped(unit: Unit | None) -> QuerySet[Feedback]:
    scope = scope_unit_ids(unit)
    qs = Feedback.objects.all()
    return qs if scope is None else qs.filter(unit_id__in=scope)


def _feedback_conditions(period: Period) -> dict[str, Q]:
    s, t = period.start, period.end
    received = Q(submitted_on__gte=s, submitted_on__lte=t)
    answered = Q(answered_on__gte=s, answered_on__lte=t)
    on_time = Q(answered_on__lte=F("answer_due"))
    open_ = Q(submitted_on__lte=t) & (Q(answered_on__isnull=True) | Q(answered_on__gt=t))
    return {
        "received_total": received,
        "received_complaint": received & Q(kind=Feedback.Kind.COMPLAINT),
        "received_proposal": received & Q(kind=Feedback.Kind.PROPOSAL),
        "answered_total": answered,
        "answered_on_time": answered & on_time,
        "answered_late": answered & ~on_time,
        "open_total": open_,
        "open_within": open_ & Q(answer_due__gte=t),
        "open_overdue": open_ & Q(answer_due__lt=t),
    }


def feedback_figures(*, period: Period, unit: Unit | None = None, row: RowFilter | None = None) -> dict:
    """Feedback counts of `period` (``FEEDBACK_FIGURES``) and the on-time share of the answers."""
    qs = _feedback_scoped(unit)
    if row is not None:
        qs = row.apply(qs)
    counts = qs.aggregate(**{key: Count("pk", filter=cond) for key, cond in _feedback_conditions(period).items()})
    out = {key: counts[key] or 0 for key in FEEDBACK_FIGURES}
    out["answered_on_time_share"] = rate_percent(out["answered_on_time"], out["answered_total"])
    return out


def feedback_by_unit(*, period: Period, unit: Unit | None = None) -> list[dict]:
    """Feedback figures per unit (units with any feedback counted in the period), by code."""
    conds = _feedback_conditions(period)
    grouped = _feedback_scoped(unit).order_by().values("unit_id").annotate(
        **{key: Count("pk", filter=cond) for key, cond in conds.items()})
    units = {u.pk: u for u in Unit.objects.filter(pk__in=[g["unit_id"] for g in grouped])}
    rows = []
    for g in grouped:
        figures = {key: g[key] or 0 for key in FEEDBACK_FIGURES}
        if not any(figures.values()):
            continue
        figures["answered_on_time_share"] = rate_percent(figures["answered_on_time"], figures["answered_total"])
        u = units[g["unit_id"]]
        rows.append({"key": f"unit:{u.code}", "code": u.code, "name": u.name, "figures": figures})
    return sorted(rows, key=lambda r: r["code"])


def feedback_list(*, period: Period, figure: str, unit: Unit | None = None,
                  row: RowFilter | None = None) -> QuerySet[Feedback]:
    """The feedback behind one number (``FEEDBACK_FIGURES``), by submission time."""
    if figure not in FEEDBACK_FIGURES:
        raise ValueError(f"unknown figure {figure!r}")
    qs = _feedback_scoped(unit).filter(_feedback_conditions(period)[figure])
    if row is not None and row.unit is not None:
        qs = qs.filter(unit=row.unit)
    return qs.select_related("dossier", "unit").order_by("submitted_at", "pk")


# --- the report JSON (new keys only) ------------------------------------------------------------


def report_json_keys(*, period: Period, unit: Unit | None) -> dict:
    """``satisfaction`` and ``feedback`` for the report JSON (reporting.hooks.REPORT_JSON_HOOKS)."""
    return {"satisfaction": satisfaction_figures(period=period, unit=unit),
            "feedback": feedback_figures(period=period, unit=unit)}
