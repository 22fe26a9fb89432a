"""The report page's presenter: the figures of a period (the report JSON, computed or frozen)
laid out for ``templates/reporting/report.html`` and the monthly trend fragment: table rows with
their drill-down links, the D12 lines, cards, comparison with the previous period, charts and
exports. Only layout: the figures come from ``reporting.selectors`` and are never recomputed.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from dossiers.models import Unit
from reporting.formats import FORM_CODE, FORM_TITLE, FORM_UNIT, OFFICIAL_KEYS, number_vi, rate_vi
from reporting.periods import MONTH, ROMAN, Period
from reporting.selectors import (
    COLUMN_OF,
    DRILLABLE_FIGURES,
    FIGURE_LABELS,
    LEVEL_NAMES,
    PREVIOUS_IDENTITY,
    identity_terms,
    rate_percent,
    vector,
)

if TYPE_CHECKING:
    from reporting.views import ReportRequest

#: an export is "long" (made by the Celery task, with a progress bar) when the report has more
#: rows than this (units + fields: a PDF of hundreds of rows takes WeasyPrint a while) …
ASYNC_EXPORT_MIN_ROWS = 150
#: … or when its figures were computed straight from this many dossiers (no roll-ups)
ASYNC_EXPORT_MIN_DOSSIERS = 20_000

EXTRA_KEYS = ("on_time_rate", "on_time_rate_766", "withdrawn", "stopped", "on_the_spot", "multi_supplement")
TOTAL_ROW = "total"


def _pct(n: int, d: int) -> str:
    return rate_vi(rate_percent(n, d))


def _identity_lines(report: dict) -> list[dict]:
    """The D12 identities on the totals, written out with the numbers."""
    previous = (report.get("identities") or {}).get("previous_in_progress")
    counts = dict(report["totals"], previous_in_progress=previous or 0)
    return [{"rule": _(rule) if rule == PREVIOUS_IDENTITY else rule,
             "numbers": f"{number_vi(left)} = " + " + ".join(number_vi(n) for n in right), "ok": left == sum(right)}
            for rule, left, right in identity_terms(vector(counts), previous=previous is not None)]


_FIGURE_QUERY = {key: urlencode({"figure": key}) for key in DRILLABLE_FIGURES}


def _cells(req: ReportRequest, totals: dict, row: str, keys, *, frozen: bool) -> list[dict]:
    """The cells of one table row: text with Vietnamese separators, and the drill-down link."""
    out = []
    # the drill-down address: reversed and encoded once per request and row, not once per cell
    # (a province's page holds some 2,300 of them)
    drill = req.drill_base
    tail = urlencode({"row": row, **({"source": "frozen"} if frozen else {})})
    for key in keys:
        value = totals.get(key)
        cell = {"key": key, "col": COLUMN_OF.get(key), "value": value, "url": ""}
        if key in ("on_time_rate", "on_time_rate_766"):
            cell["text"] = rate_vi(value)
        else:
            cell["text"] = number_vi(value or 0)
            if value and key in DRILLABLE_FIGURES:
                cell["url"] = f"{drill}&{_FIGURE_QUERY[key]}&{tail}"
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


def trend_chart(months: list[tuple[Period, dict]]) -> dict | None:
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


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    return f"{timezone.localtime(datetime.fromisoformat(iso)):%H:%M %d/%m/%Y}"


def scope_name(unit: Unit | None) -> str:
    return unit.name if unit is not None else _("Toàn bộ các đơn vị")


def report_page(*, req: ReportRequest, report: dict, frozen, rows_checked: int, previous: dict | None,
                previous_error: str, today: date) -> dict:
    """The report page's context from the figures shown (computed or frozen) and the previous
    period's (None when they fail an identity, ``previous_error`` then says which): the tables
    with their drill-down links, the identity lines, the cards, the comparison, the charts,
    the exports (long ones by the Celery task) and what the page offers (freeze, diff)."""
    period = req.period
    previous_period = period.previous()
    is_frozen = frozen is not None
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
    return {
        "req": req,
        "period": period,
        "report": report,
        "frozen": frozen,
        "scope_name": scope_name(req.unit),
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
    }
