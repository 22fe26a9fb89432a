"""Pages of the statistical report (Biểu 06/VPCP/KSTT) for leaders: the report of a period, the
dossiers behind every number, publishing (freezing) a period and comparing the frozen figures
with the current ones, and the exports.

Views parse, call ``reporting.selectors`` / ``reporting.services`` / ``reporting.export_tasks``
and render (style.md §2.1); the figures are never recomputed here, only laid out.

- **Who.** Leaders (their unit's subtree), administrators and superusers (any unit, or every
  unit): ``report_scope_for_user``. Anybody else gets 403, an anonymous visitor the login page,
  a unit outside a leader's subtree 404.
- **Which figures.** A frozen (published) report shows its stored figures, otherwise the figures
  computed now (``export_tasks.report_shown``); the exports take the same JSON, rendered by
  ``reporting.formats`` like ``manage.py report``.
- **Identities.** The report JSON is checked again row by row before it is laid out
  (``identity_failures``); a ``ReportIdentityError`` renders a loud red page (status 500), never
  a table.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.views.decorators.http import require_GET, require_POST

from dossiers.errors import DossierError
from dossiers.models import Dossier, Field, Unit
from dossiers.roles import ADMINISTRATOR, user_roles
from dossiers.selectors import calendar_get, staff_profile, unit_descendant_ids
from dossiers.templatetags.onecua import deadline_label
from onecua.replica import replica_reads
from reporting import export_tasks as ex
from reporting.formats import FORM_CODE, FORM_TITLE, FORM_UNIT, OFFICIAL_KEYS, number_vi, rate_vi
from reporting.hooks import report_sections
from reporting.periods import (
    BASES,
    CALENDAR,
    KIND_LABELS,
    KINDS,
    MONTH,
    QUARTER,
    REGULATORY,
    ROMAN,
    Period,
    PeriodError,
    period_from_params,
)
from reporting.selectors import (
    COLUMN_OF,
    DRILLABLE_FIGURES,
    FIGURE_LABELS,
    FLAG_BITS,
    LEVEL_NAMES,
    PREVIOUS_IDENTITY,
    ReportAccessError,
    ReportIdentityError,
    identity_failures,
    identity_terms,
    rate_percent,
    report_dossiers,
    report_scope_for_user,
    scope_unit_ids,
    vector,
)
from reporting.services import frozen_report_get, report_diff, report_freeze

logger = logging.getLogger(__name__)

DRILL_PAGE_SIZE = 30
DIFF_PAGE_SIZE = 50
#: an export is "long" (made by the Celery task, with a progress bar) when the report has more
#: rows than this (units + fields: a PDF of hundreds of rows takes WeasyPrint a while) …
ASYNC_EXPORT_MIN_ROWS = 150
#: … or when its figures were computed straight from this many dossiers (no roll-ups)
ASYNC_EXPORT_MIN_DOSSIERS = 20_000
FIRST_YEAR = 2018  # NĐ 61/2018: the one-stop shop's electronic reports start here

#: what a drill-down list is headed with (the column's group named: "(13) Quá hạn" alone is ambiguous)
DRILL_TITLES = {
    "received_total": N_("Số hồ sơ nhận giải quyết"),
    "received_online": N_("Nhận giải quyết – tiếp nhận mới trực tuyến"),
    "received_direct_postal": N_("Nhận giải quyết – tiếp nhận mới trực tiếp, dịch vụ bưu chính"),
    "carried_over": N_("Nhận giải quyết – từ kỳ trước chuyển qua"),
    "resolved_total": N_("Số hồ sơ đã giải quyết"),
    "resolved_early": N_("Đã giải quyết trước hạn"),
    "resolved_on_time": N_("Đã giải quyết đúng hạn"),
    "resolved_late": N_("Đã giải quyết quá hạn"),
    "in_progress_total": N_("Số hồ sơ đang giải quyết"),
    "in_progress_within": N_("Đang giải quyết trong hạn"),
    "in_progress_overdue": N_("Đang giải quyết quá hạn"),
    "withdrawn": N_("Rút hồ sơ (trong số đã giải quyết)"),
    "stopped": N_("Dừng giải quyết (trong số đã giải quyết)"),
    "on_the_spot": N_("Tiếp nhận mới “4 tại chỗ”"),
    "multi_supplement": N_("Yêu cầu bổ sung hơn một lần"),
}
#: when a figure is counted, said under the drill-down title ({start}/{end}: the period's dates)
DRILL_NOTES = {
    "received_total": N_("tiếp nhận đến hết ngày {end} và chưa giải quyết xong trước ngày {start}"),
    "carried_over": N_("tiếp nhận trước ngày {start}, chưa giải quyết xong trước ngày đó"),
    "in_progress_total": N_("chưa giải quyết xong tại cuối ngày {end}"),
    "in_progress_within": N_("chưa giải quyết xong và còn trong hạn tại cuối ngày {end}"),
    "in_progress_overdue": N_("chưa giải quyết xong và đã quá hạn tại cuối ngày {end}"),
}

EXTRA_KEYS = ("on_time_rate", "on_time_rate_766", "withdrawn", "stopped", "on_the_spot", "multi_supplement")
TOTAL_ROW = "total"


# --- parsing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRequest:
    """What a report URL asks for: the period, the scope unit (None: every unit)."""

    period: Period
    unit: Unit | None

    @property
    def unit_code(self) -> str:
        return self.unit.code if self.unit is not None else ""

    def params(self, **extra) -> dict:
        out = {"basis": self.period.basis, "kind": self.period.kind, "year": self.period.year,
               "number": self.period.number}
        if self.unit is not None:
            out["unit"] = self.unit.code
        out.update({k: v for k, v in extra.items() if v not in (None, "")})
        return out

    def url(self, name: str, **extra) -> str:
        return f"{reverse(name)}?{urlencode(self.params(**extra))}"

    def with_period(self, period: Period) -> ReportRequest:
        return ReportRequest(period=period, unit=self.unit)


def default_period(today=None) -> Period:
    """Without a period in the address: the last ended regulatory quarter (a report is read
    after its period; a running period's in-progress figures are not final)."""
    today = today or timezone.localdate()
    return Period.containing(today, kind=QUARTER, basis=REGULATORY).previous()


def _scope(request) -> Unit | None:
    try:
        return report_scope_for_user(user=request.user, unit_code=request.GET.get("unit") or request.POST.get("unit"))
    except ReportAccessError as exc:
        raise PermissionDenied(str(exc)) from exc
    except Unit.DoesNotExist as exc:
        raise Http404(_("Không có đơn vị này trong phạm vi bạn được xem báo cáo.")) from exc


def _period(params) -> Period:
    if not any((params.get(k) or "").strip() for k in ("year", "number", "quarter", "month", "half")):
        return default_period()
    return period_from_params(params)


def _parse(request) -> ReportRequest:
    """Scope first (403/404 before anything else), then the period (PeriodError)."""
    unit = _scope(request)
    params = request.GET if request.method == "GET" else request.POST
    return ReportRequest(period=_period(params), unit=unit)


# --- presentation helpers -------------------------------------------------------------------------


def _pct(n: int, d: int) -> str:
    return rate_vi(rate_percent(n, d))


def _identity_check(report: dict) -> int:
    """Check D12 on every row of the report JSON shown (computed or frozen); raises
    ReportIdentityError. Returns the number of rows checked."""
    totals = dict(report["totals"])
    previous = (report.get("identities") or {}).get("previous_in_progress")
    if previous is not None:
        totals["previous_in_progress"] = previous
    failures = identity_failures(totals, "Tổng số")
    rows = 1
    for level in report["levels"]:
        failures += identity_failures(level["totals"], level.get("name") or level["level"])
        rows += 1
        for u in level["units"]:
            failures += identity_failures(u["totals"], f"{u['code']} {u['name']}")
            rows += 1
    for f in report.get("fields", []):
        failures += identity_failures(f["totals"], f"Lĩnh vực {f['field']}")
        rows += 1
    if failures:
        raise ReportIdentityError(failures)
    return rows


def _identity_lines(report: dict) -> list[dict]:
    """The D12 identities on the totals, written out with the numbers."""
    previous = (report.get("identities") or {}).get("previous_in_progress")
    counts = dict(report["totals"], previous_in_progress=previous or 0)
    return [{"rule": _(rule) if rule == PREVIOUS_IDENTITY else rule,
             "numbers": f"{number_vi(left)} = " + " + ".join(number_vi(n) for n in right), "ok": left == sum(right)}
            for rule, left, right in identity_terms(vector(counts), previous=previous is not None)]


def _cells(req: ReportRequest, totals: dict, row: str, keys, *, frozen: bool) -> list[dict]:
    """The cells of one table row: text with Vietnamese separators, and the drill-down link."""
    out = []
    for key in keys:
        value = totals.get(key)
        cell = {"key": key, "col": COLUMN_OF.get(key), "value": value, "url": ""}
        if key in ("on_time_rate", "on_time_rate_766"):
            cell["text"] = rate_vi(value)
        else:
            cell["text"] = number_vi(value or 0)
            if value and key in DRILLABLE_FIGURES:
                cell["url"] = req.url("reporting:report_dossiers", figure=key, row=row,
                                      source="frozen" if frozen else None)
        out.append(cell)
    return out


def _table_rows(req: ReportRequest, report: dict, keys, *, frozen: bool) -> list[dict]:
    """Levels (I, II, …) each followed by its units (1, 2, …), then the total."""
    rows = []
    for i, level in enumerate(report["levels"]):
        key = f"level:{level['level']}"
        rows.append({"kind": "level", "stt": ROMAN.get(i + 1, str(i + 1)),
                     "name": _(level.get("name") or LEVEL_NAMES.get(level["level"], level["level"])),
                     "row": key, "cells": _cells(req, level["totals"], key, keys, frozen=frozen)})
        for j, u in enumerate(level["units"], 1):
            key = f"unit:{u['code']}"
            rows.append({"kind": "unit", "stt": str(j), "name": u["name"], "code": u["code"], "row": key,
                         "cells": _cells(req, u["totals"], key, keys, frozen=frozen)})
    rows.append({"kind": "total", "stt": "", "name": _("Tổng cộng"), "row": TOTAL_ROW,
                 "cells": _cells(req, report["totals"], TOTAL_ROW, keys, frozen=frozen)})
    return rows


def _field_rows(req: ReportRequest, report: dict, *, frozen: bool) -> list[dict]:
    rows = [{"kind": "field", "stt": str(i), "name": f["field"], "row": f"field:{f['id']}",
             "cells": _cells(req, f["totals"], f"field:{f['id']}", OFFICIAL_KEYS, frozen=frozen)}
            for i, f in enumerate(report.get("fields", []), 1)]
    rows.append({"kind": "total", "stt": "", "name": _("Tổng cộng"), "row": TOTAL_ROW,
                 "cells": _cells(req, report["totals"], TOTAL_ROW, OFFICIAL_KEYS, frozen=frozen)})
    return rows


def _rate_delta(now: str | None, before: str | None) -> tuple[str, int]:
    if now is None or before is None:
        return "—", 0
    d = Decimal(now) - Decimal(before)
    sign = 1 if d > 0 else -1 if d < 0 else 0
    text = f"{d:+.2f}".replace(".", ",") if d else "0,00"
    return _("%(d)s điểm %%") % {"d": text}, sign


def _count_delta(now: int, before: int) -> tuple[str, int]:
    d = now - before
    sign = 1 if d > 0 else -1 if d < 0 else 0
    text = ("+" if d > 0 else "−" if d < 0 else "") + number_vi(abs(d))
    if before:
        pct = rate_percent(abs(d), before)
        text += f" ({'+' if d > 0 else '−' if d < 0 else ''}{rate_vi(pct)})"
    return text, sign


#: comparison lines: (key, label, a rise is good (+1) / bad (−1) / neutral (0))
COMPARISON = (
    ("received_total", N_("Số hồ sơ nhận giải quyết (3)"), 0),
    ("received_new", N_("Trong đó tiếp nhận mới (4) + (5)"), 0),
    ("resolved_total", N_("Số hồ sơ đã giải quyết (7)"), 0),
    ("resolved_late", N_("Đã giải quyết quá hạn (10)"), -1),
    ("in_progress_overdue", N_("Đang giải quyết quá hạn (13)"), -1),
    ("on_time_rate", N_("Tỷ lệ giải quyết đúng hạn ((8)+(9))/(7)"), 1),
    ("on_time_rate_766", N_("Tỷ lệ đúng hạn theo Bộ chỉ số 766 ((8)+(9)+(12))/(3)"), 1),
)


def _comparison(report: dict, previous: dict | None) -> list[dict]:
    def value(t, key):
        if key == "received_new":
            return t["received_online"] + t["received_direct_postal"]
        return t[key]

    out = []
    for key, label, good in COMPARISON:
        now = value(report["totals"], key)
        is_rate = key.startswith("on_time_rate")
        line = {"key": key, "label": _(label), "now": rate_vi(now) if is_rate else number_vi(now),
                "before": "", "delta": "", "tone": ""}
        if previous is not None:
            before = value(previous["totals"], key)
            line["before"] = rate_vi(before) if is_rate else number_vi(before)
            line["delta"], sign = _rate_delta(now, before) if is_rate else _count_delta(now, before)
            line["tone"] = "" if not good or not sign else ("good" if sign == good else "bad")
        out.append(line)
    return out


def _segments(parts: list[tuple[str, str, int]], total: int) -> list[dict]:
    """A 100 % stacked bar: x and width in percent of the bar."""
    out, x = [], 0.0
    for key, label, n in parts:
        w = 100.0 * n / total if total else 0.0
        out.append({"key": key, "label": label, "n": number_vi(n), "pct": _pct(n, total), "x": f"{x:.3f}",
                    "w": f"{w:.3f}"})
        x += w
    return out


def _channel_chart(report: dict) -> dict:
    t = report["totals"]
    parts = [("online", _("Trực tuyến (4)"), t["received_online"]),
             ("direct", _("Trực tiếp, bưu chính (5)"), t["received_direct_postal"]),
             ("carried", _("Từ kỳ trước (6)"), t["carried_over"])]
    return {"total": number_vi(t["received_total"]), "segments": _segments(parts, t["received_total"]),
            "online_share_new": _pct(t["received_online"], t["received_online"] + t["received_direct_postal"])}


def _class_rows(report: dict) -> list[dict]:
    """Early / on time / late of the resolved dossiers, per level and in total."""
    rows = []
    for level in report["levels"] + [{"name": _("Tổng cộng"), "level": TOTAL_ROW, "totals": report["totals"]}]:
        t = level["totals"]
        parts = [("early", _("Trước hạn"), t["resolved_early"]), ("on_time", _("Đúng hạn"), t["resolved_on_time"]),
                 ("late", _("Quá hạn"), t["resolved_late"])]
        rows.append({"name": level.get("name") or level["level"], "total": number_vi(t["resolved_total"]),
                     "segments": _segments(parts, t["resolved_total"]), "is_total": level["level"] == TOTAL_ROW})
    return rows


#: the monthly trend chart's drawing area (SVG user units): bars above the axis, then one text
#: row each for the month, received, resolved and the on-time rate (readable for 12 months too)
TREND_W, TREND_H, TREND_LEFT, TREND_TOP, TREND_ROWS = 760, 250, 74, 8, 68


def _trend_chart(months: list[tuple[Period, dict]]) -> dict | None:
    """Received new ((4)+(5)) and resolved (7) per month, as grouped bars."""
    if len(months) < 2:
        return None
    data = [(p, r["totals"]["received_online"] + r["totals"]["received_direct_postal"], r["totals"]["resolved_total"],
             r["totals"]["on_time_rate"]) for p, r in months]
    top = max([1] + [max(a, b) for _p, a, b, _r in data])
    axis = TREND_H - TREND_ROWS
    plot_h = axis - TREND_TOP
    group = (TREND_W - TREND_LEFT) / len(data)
    bar = min(30.0, group * 0.3)
    out = []
    for i, (p, received, resolved, rate) in enumerate(data):
        cx = TREND_LEFT + i * group + group / 2
        bars = []
        for j, (key, n) in enumerate((("received", received), ("resolved", resolved))):
            h = plot_h * n / top
            bars.append({"key": key, "n": number_vi(n), "x": f"{cx - bar - 1 + j * (bar + 2):.1f}", "w": f"{bar:.1f}",
                         "y": f"{axis - h:.1f}", "h": f"{h:.1f}"})
        out.append({"label": f"T{p.number}", "title": p.label_vi(), "x": f"{cx:.1f}", "bars": bars,
                    "received": number_vi(received), "resolved": number_vi(resolved), "rate": rate_vi(rate)})
    rows = {"month": axis + 15, "received": axis + 31, "resolved": axis + 46, "rate": axis + 61}
    return {"w": TREND_W, "h": TREND_H, "months": out, "axis_y": axis, "left": TREND_LEFT, "right": TREND_W,
            "rows": rows, "caption_x": TREND_LEFT - 6}


def _picker(req: ReportRequest | None, request) -> dict:
    """Choices of the period picker and the unit select (leaders: their subtree only)."""
    today = timezone.localdate()
    period = req.period if req is not None else default_period(today)
    years = list(range(max(today.year, period.year), min(FIRST_YEAR, period.year) - 1, -1))
    numbers = {
        MONTH: [(m, _("Tháng %(m)s") % {"m": m}) for m in range(1, 13)],
        QUARTER: [(q, _("Quý %(q)s") % {"q": ROMAN[q]}) for q in range(1, 5)],
        "half": [(1, _("6 tháng đầu năm")), (2, _("6 tháng cuối năm"))],
        "nine_months": [(1, _("9 tháng"))],
        "year": [(1, _("Cả năm"))],
    }
    basis_labels = {REGULATORY: _("Theo quy định (15/12 – 14/03 …)"), CALENDAR: _("Theo dương lịch (01/01 – 31/03 …)")}
    user = request.user
    if user.is_superuser or ADMINISTRATOR in user_roles(user):
        units = Unit.objects.all()
        all_units = True
    else:
        profile = staff_profile(user)
        units = Unit.objects.filter(pk__in=unit_descendant_ids(profile.unit_id)) if profile else Unit.objects.none()
        all_units = False
    groups: dict[str, list] = {}
    for u in units.order_by("code").values("code", "name", "level"):
        groups.setdefault(u["level"], []).append(u)
    unit_groups = [{"label": _(LEVEL_NAMES.get(level, level)), "units": groups[level]}
                   for level in sorted(groups, key=lambda lv: list(LEVEL_NAMES).index(lv) if lv in LEVEL_NAMES else 99)]
    return {
        "bases": [(b, basis_labels[b]) for b in BASES],
        "kinds": [(k, _(KIND_LABELS[k])) for k in KINDS],
        "years": years,
        "numbers": numbers[period.kind],
        "numbers_by_kind": {k: [[n, str(label)] for n, label in v] for k, v in numbers.items()},
        "period": period,
        "unit_code": req.unit_code if req is not None else "",
        "unit_groups": unit_groups,
        "all_units": all_units,
    }


def _identity_error(request, req: ReportRequest | None, exc: ReportIdentityError, *, where: str = ""):
    logger.error("Report identity failure (%s): %s", req.period.key if req else "?", exc)
    return render(request, "reporting/identity_error.html", {
        "req": req, "failures": exc.failures, "picker": _picker(req, request), "where": where,
        "today": timezone.localdate(),
    }, status=500)


def _period_error(request, exc: PeriodError):
    return render(request, "reporting/report.html", {
        "period_error": exc.message, "period_error_field": exc.field, "picker": _picker(None, request),
        "scope_name": "",
    }, status=400)


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    return f"{timezone.localtime(datetime.fromisoformat(iso)):%H:%M %d/%m/%Y}"


def _scope_name(unit: Unit | None) -> str:
    return unit.name if unit is not None else _("Toàn bộ các đơn vị")


# --- the report page -------------------------------------------------------------------------------


@login_required
@require_GET
@replica_reads()
def report_quarterly(request):
    """The report of a period (default: the last ended regulatory quarter) for the user's scope."""
    try:
        req = _parse(request)
    except PeriodError as exc:
        return _period_error(request, exc)
    period = req.period
    try:
        report, frozen = ex.report_shown(period=period, unit=req.unit)
        rows_checked = _identity_check(report)
    except ReportIdentityError as exc:
        return _identity_error(request, req, exc)

    previous_period = period.previous()
    previous, previous_error = None, ""
    try:
        previous, _previous_frozen = ex.report_shown(period=previous_period, unit=req.unit)
        _identity_check(previous)
    except ReportIdentityError as exc:
        previous, previous_error = None, "\n".join(exc.failures)
    is_frozen = frozen is not None
    today = timezone.localdate()
    ended = period.end < today
    rows_count = sum(1 + len(lv["units"]) for lv in report["levels"]) + len(report.get("fields", []))
    long_export = rows_count > ASYNC_EXPORT_MIN_ROWS or (
        report.get("source") == "direct" and not is_frozen
        and report["totals"]["received_total"] > ASYNC_EXPORT_MIN_DOSSIERS)
    exports = [{"fmt": fmt, "label": label,
                "url": reverse("reporting:export_file", args=[fmt]) + "?" + urlencode(req.params()),
                "async_url": reverse("reporting:export_start", args=[fmt]) if long_export else ""}
               for fmt, label in (("xlsx", _("Excel (.xlsx)")), ("pdf", _("PDF (A4 ngang)")), ("csv", _("CSV")))]
    t = report["totals"]
    cmp_lines = _comparison(report, previous)
    by_key = {line["key"]: line for line in cmp_lines}

    def card(key, title, hint, url_key=None):
        line = by_key[key]
        url = ""
        if url_key and t[url_key]:
            url = req.url("reporting:report_dossiers", figure=url_key, row=TOTAL_ROW, source="frozen" if is_frozen else None)
        return {"key": key, "title": title, "value": line["now"], "hint": hint, "delta": line["delta"],
                "tone": line["tone"], "url": url}

    cards = [
        card("received_total", _("Nhận giải quyết"), _("cột (3)"), "received_total"),
        card("resolved_total", _("Đã giải quyết"), _("cột (7)"), "resolved_total"),
        card("on_time_rate", _("Tỷ lệ đúng hạn"), _("((8)+(9))/(7)")),
        card("on_time_rate_766", _("Tỷ lệ theo Bộ chỉ số 766"), _("((8)+(9)+(12))/(3)")),
        card("in_progress_overdue", _("Đang giải quyết quá hạn"), _("cột (13)"), "in_progress_overdue"),
    ]
    context = {
        "req": req,
        "period": period,
        "report": report,
        "frozen": frozen,
        "scope_name": _scope_name(req.unit),
        "picker": _picker(req, request),
        "form_code": FORM_CODE,
        "form_title": FORM_TITLE,
        "form_unit": FORM_UNIT,
        "rows": _table_rows(req, report, OFFICIAL_KEYS, frozen=is_frozen),
        "extra_rows": _table_rows(req, report, EXTRA_KEYS, frozen=is_frozen),
        "field_rows": _field_rows(req, report, frozen=is_frozen),
        "columns": [(COLUMN_OF[k], FIGURE_LABELS[k]) for k in OFFICIAL_KEYS],
        "identity_lines": _identity_lines(report),
        "rows_checked": rows_checked,
        "cards": cards,
        "comparison": cmp_lines,
        "previous_period": previous_period,
        "previous_url": req.with_period(previous_period).url("reporting:report_quarterly"),
        "next_url": req.with_period(period.next()).url("reporting:report_quarterly") if period.next().start <= today else "",
        "previous_error": previous_error,
        "channel_chart": _channel_chart(report),
        "class_rows": _class_rows(report),
        "trend_url": req.url("reporting:report_trend") if period.kind != MONTH else "",
        "totals": t,
        "totals_text": {k: number_vi(t.get(k, 0)) for k in ("withdrawn", "stopped", "on_the_spot", "multi_supplement")},
        "extra_urls": {k: (req.url("reporting:report_dossiers", figure=k, row=TOTAL_ROW,
                                   source="frozen" if is_frozen else None) if t.get(k) else "")
                       for k in ("withdrawn", "stopped", "on_the_spot", "multi_supplement")},
        "rates": {"a": rate_vi(t["on_time_rate"]), "b": rate_vi(t["on_time_rate_766"])},
        "generated_text": _when(report.get("generated_at")),
        "colnums": range(1, 3 + len(OFFICIAL_KEYS)),
        "source": report.get("source"),
        "ended": ended,
        "as_of": date.fromisoformat(report["as_of"]) if report.get("as_of") else period.end,
        # Every reader of this page is a leader, an administrator or a superuser (report_scope_for_user).
        "can_freeze": ended and not is_frozen,
        "freeze_url": reverse("reporting:report_freeze"),
        "diff_url": req.url("reporting:report_diff") if is_frozen else "",
        "exports": exports,
        # Sections of other apps (citizens' satisfaction and feedback), see reporting.hooks.
        "extra_sections": report_sections(request=request, req=req),
    }
    return render(request, "reporting/report.html", context)


@login_required
@require_GET
@replica_reads()
def report_trend(request):
    """The monthly trend chart of the report page, fetched after the page (static/js/report.js):
    one report per month, which costs a second each when the months are not rolled up yet."""
    try:
        req = _parse(request)
    except PeriodError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    try:
        months = [(m, ex.report_shown(period=m, unit=req.unit)[0]) for m in req.period.months()]
        for _m, r in months:
            _identity_check(r)
    except ReportIdentityError as exc:
        logger.error("Report identity failure in the monthly trend (%s): %s", req.period.key, exc)
        return render(request, "reporting/_trend.html", {"trend_error": exc.failures, "period": req.period}, status=500)
    return render(request, "reporting/_trend.html", {"trend": _trend_chart(months), "period": req.period})


# --- drill-down ---------------------------------------------------------------------------------------


def _frozen_dossiers(frozen, *, figure: str, unit: Unit | None, level: str | None, field_id: int | None):
    """The dossiers a frozen report counted in `figure` (its stored per-dossier entries), so
    that the list behind a frozen number has exactly that many rows."""
    bits = FLAG_BITS
    mask = {
        "received_total": 0,
        "resolved_total": bits["resolved_early"] | bits["resolved_on_time"] | bits["resolved_late"],
        "in_progress_total": bits["in_progress_within"] | bits["in_progress_overdue"],
    }.get(figure, bits.get(figure, 0))
    entries = frozen.entries.all()
    if mask:
        entries = entries.annotate(hit=F("flags").bitand(mask)).filter(hit__gt=0)
    if unit is not None:
        entries = entries.filter(resolving_unit=unit)
    if level is not None:
        entries = entries.filter(resolving_unit__level=level)
    if field_id is not None:
        entries = entries.filter(field_id=field_id)
    return Dossier.objects.filter(pk__in=entries.values("dossier_id"))


def _row_target(req: ReportRequest, row: str) -> tuple[str, dict]:
    """Parse ``row`` (total | level:<level> | unit:<code> | field:<id>) into a title and the
    filters of ``report_dossiers``; 404 for a row outside the report's scope."""
    kind, _sep, value = (row or TOTAL_ROW).partition(":")
    if kind == TOTAL_ROW:
        return _("Tổng cộng – %(scope)s") % {"scope": _scope_name(req.unit)}, {}
    if kind == "level" and value in LEVEL_NAMES:
        return LEVEL_NAMES[value], {"level": value}
    if kind == "unit":
        unit = Unit.objects.filter(code=value).first()
        scope = scope_unit_ids(req.unit)
        if unit is None or (scope is not None and unit.pk not in scope):
            raise Http404(_("Không có đơn vị này trong phạm vi báo cáo."))
        return f"{unit.name} ({unit.code})", {"unit": unit}
    if kind == "field" and value.isdigit():
        field = Field.objects.filter(pk=int(value)).first()
        if field is None:
            raise Http404(_("Không có lĩnh vực này."))
        return _("Lĩnh vực %(name)s") % {"name": field.name}, {"field": field.pk}
    raise Http404(_("Không có dòng này trong báo cáo."))


@login_required
@require_GET
@replica_reads()
def report_dossiers_page(request):
    """The dossiers behind one number of the report (``report_dossiers``; for a frozen report,
    the dossiers it counted), paginated, linking to each dossier."""
    try:
        req = _parse(request)
    except PeriodError as exc:
        raise Http404(exc.message) from exc
    figure = request.GET.get("figure", "")
    if figure not in DRILLABLE_FIGURES:
        raise Http404(_("Không có chỉ tiêu này."))
    row_title, filters = _row_target(req, request.GET.get("row", TOTAL_ROW))
    frozen = frozen_report_get(period=req.period, unit=req.unit) if request.GET.get("source") == "frozen" else None
    if frozen is not None:
        qs = _frozen_dossiers(frozen, figure=figure, unit=filters.get("unit"), level=filters.get("level"),
                              field_id=filters.get("field"))
    else:
        qs = report_dossiers(period=req.period, figure=figure, scope_unit=req.unit, **filters)
    qs = qs.select_related("procedure", "current_unit", "assigned_to").order_by("received_at", "pk")
    page = Paginator(qs, DRILL_PAGE_SIZE).get_page(request.GET.get("page"))
    today, now, cal = timezone.localdate(), timezone.now(), calendar_get()
    rows = list(page.object_list)
    for d in rows:
        d.deadline = deadline_label(d, today, cal, now=now)
    page.object_list = rows
    query = request.GET.copy()
    query.pop("page", None)
    col = COLUMN_OF.get(figure)
    return render(request, "reporting/dossiers.html", {
        "req": req, "period": req.period, "page_obj": page, "query": query.urlencode(),
        "figure": figure, "figure_label": _(DRILL_TITLES[figure]), "column": col, "row_title": row_title,
        "figure_note": _(DRILL_NOTES[figure]).format(start=f"{req.period.start:%d/%m/%Y}", end=f"{req.period.end:%d/%m/%Y}")
        if figure in DRILL_NOTES else "",
        "frozen": frozen, "scope_name": _scope_name(req.unit),
        "back_url": req.url("reporting:report_quarterly"),
        "empty_text": _("Không có hồ sơ nào."),
    })


# --- publishing ----------------------------------------------------------------------------------------


@login_required
@require_POST
def report_freeze_view(request):
    """Freeze (publish) the period's report for the scope; then back to the report."""
    try:
        req = _parse(request)
    except PeriodError as exc:
        messages.error(request, exc.message)
        return redirect("reporting:report_quarterly")
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Vui lòng xác nhận trước khi chốt số liệu."))
        return redirect(req.url("reporting:report_quarterly"))
    try:
        frozen = report_freeze(period=req.period, unit=req.unit, actor=request.user, note=request.POST.get("note", "")[:1000])
    except ReportIdentityError as exc:
        return _identity_error(request, req, exc, where=_("khi chốt số liệu"))
    except DossierError as exc:
        messages.error(request, exc.message)
        return redirect(req.url("reporting:report_quarterly"))
    messages.success(request, _("Đã chốt số liệu %(period)s – %(scope)s lúc %(at)s. Số liệu đã chốt không thay đổi.") % {
        "period": req.period.name_vi(), "scope": _scope_name(req.unit),
        "at": f"{timezone.localtime(frozen.frozen_at):%H:%M %d/%m/%Y}"})
    return redirect(req.url("reporting:report_quarterly"))


def _figure_names(keys) -> list[str]:
    out = []
    for k in keys:
        col = COLUMN_OF.get(k)
        label = _(DRILL_TITLES.get(k, FIGURE_LABELS.get(k, k)))
        out.append(f"({col}) {label}" if col else label)
    return out


@login_required
@require_GET
def report_diff_view(request):
    """The frozen report against a recomputation now: the figures that differ, and the
    dossiers that cause the differences."""
    try:
        req = _parse(request)
    except PeriodError as exc:
        raise Http404(exc.message) from exc
    frozen = frozen_report_get(period=req.period, unit=req.unit)
    if frozen is None:
        raise Http404(_("Báo cáo của kỳ này chưa được chốt."))
    try:
        diff = report_diff(frozen=frozen)
    except ReportIdentityError as exc:
        return _identity_error(request, req, exc, where=_("khi tính lại số liệu hiện tại"))
    figures = [{"name": c.name, "figure": _figure_names([c.figure])[0], "frozen": number_vi(c.frozen),
                "current": number_vi(c.current), "delta": ("+" if c.delta > 0 else "−") + number_vi(abs(c.delta)),
                "row": c.row} for c in diff.figures]
    page = Paginator(diff.dossiers, DIFF_PAGE_SIZE).get_page(request.GET.get("page"))
    unit_ids = {u for c in page.object_list for u in (c.unit_before, c.unit_after) if u}
    unit_names = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    dossiers = [{"code": c.code, "exists": c.dossier_id is not None, "before": _figure_names(c.before),
                 "after": _figure_names(c.after), "explanation": c.explanation,
                 "unit_before": unit_names.get(c.unit_before, ""), "unit_after": unit_names.get(c.unit_after, "")}
                for c in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reporting/diff.html", {
        "req": req, "period": req.period, "frozen": frozen, "diff": diff, "figures": figures, "dossiers": dossiers,
        "page_obj": page, "query": query.urlencode(), "scope_name": _scope_name(req.unit),
        "back_url": req.url("reporting:report_quarterly"), "now": timezone.localtime(),
    })


# --- exports --------------------------------------------------------------------------------------------


@login_required
def export(request, fmt: str, *, start: bool = False):
    """The report shown on the page as Excel, PDF or CSV: made now and downloaded (GET), or,
    for a long one (``start``, POST), made by the Celery task: 202 with the token and the status
    URL, polled by static/js/report.js."""
    if request.method != ("POST" if start else "GET"):
        return HttpResponseNotAllowed(["POST" if start else "GET"])
    if fmt not in ex.EXPORT_FORMATS:
        raise Http404(_("Không có định dạng này."))
    try:
        req = _parse(request)
    except PeriodError as exc:
        if start:
            return JsonResponse({"detail": exc.message, "errors": {exc.field: [exc.message]}}, status=400)
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    if start:
        token = ex.export_begin(user_id=request.user.pk, period=req.period, unit=req.unit, fmt=fmt)
        return JsonResponse({"token": token, "status_url": reverse("reporting:export_status", args=[token])}, status=202)
    try:
        with replica_reads():
            report, _frozen = ex.report_shown(period=req.period, unit=req.unit)
        _identity_check(report)
    except ReportIdentityError as exc:
        return _identity_error(request, req, exc, where=_("khi xuất báo cáo"))
    response = HttpResponse(ex.export_render(report, fmt), content_type=ex.EXPORT_FORMATS[fmt][0])
    filename = ex.export_filename(period=req.period, unit=req.unit, fmt=fmt)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export_state(request, token: str) -> dict:
    state = ex.export_state_get(token)
    if state is None or state.get("user_id") != request.user.pk:
        raise Http404(_("Không có tệp xuất này (hoặc đã quá 24 giờ)."))
    return state


@login_required
@require_GET
def export_status(request, token: str):
    """The progress of a long export, polled every second by static/js/report.js."""
    state = _export_state(request, token)
    body = {"state": state.get("state"), "progress": state.get("progress", 0), "message": state.get("message", ""),
            "filename": state.get("filename", ""), "download_url": ""}
    if state.get("state") == ex.DONE:
        body["download_url"] = reverse("reporting:export_download", args=[token])
    if state.get("failures"):
        body["failures"] = state["failures"]
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@login_required
@require_GET
def export_download(request, token: str):
    """The file of a finished export, for the user who asked for it only."""
    state = _export_state(request, token)
    if state.get("state") != ex.DONE:
        raise Http404(_("Tệp chưa sẵn sàng."))
    path = ex.export_path(state)
    if not path.is_file():
        raise Http404(_("Tệp đã bị xóa; vui lòng xuất lại."))
    return FileResponse(path.open("rb"), as_attachment=True, filename=state["filename"],
                        content_type=ex.EXPORT_FORMATS[state["format"]][0])
