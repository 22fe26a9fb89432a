"""Leaders' pages of citizens' satisfaction and feedback, and the Quyết định 766 scorecard.

Same readers, period picker and scope as the report (``reporting.views``): leaders see their
unit's subtree, administrators and superusers any unit; others 403, a unit outside the scope
404. Views parse, call ``citizens.report`` / ``citizens.scorecard`` and lay out.

:func:`report_section` is the section of the leaders' report page, registered in
``reporting.hooks.REPORT_SECTION_HOOKS`` by :func:`register_report_hooks` (``CitizensConfig.ready``).
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.views.decorators.http import require_GET

from citizens import report as cr
from citizens import scorecard as sc
from citizens.models import Feedback
from citizens.scoring import CRITERIA, Band
from dossiers.models import Unit
from reporting import hooks
from reporting.formats import number_vi, rate_vi
from reporting.periods import PeriodError
from reporting.selectors import scope_unit_ids
from reporting.presenters import scope_name as _scope_name
from reporting.views import ReportRequest, _parse, _picker

PAGE_SIZE = 30
TOTAL_ROW = "total"

EVALUATION_TITLES = {
    "evaluations": N_("Phiếu đánh giá"),
    "satisfied": N_("Phiếu đánh giá hài lòng"),
    "not_satisfied": N_("Phiếu đánh giá chưa hài lòng"),
    **{f"band_{b.value}": b.label for b in Band},
}
FEEDBACK_TITLES = {
    "received_total": N_("Phản ánh, kiến nghị nhận trong kỳ"),
    "received_complaint": N_("Phản ánh nhận trong kỳ"),
    "received_proposal": N_("Kiến nghị nhận trong kỳ"),
    "answered_total": N_("Phản ánh, kiến nghị đã trả lời trong kỳ"),
    "answered_on_time": N_("Trả lời đúng hạn"),
    "answered_late": N_("Trả lời muộn"),
    "open_total": N_("Chưa trả lời tại cuối kỳ"),
    "open_within": N_("Chưa trả lời, còn trong hạn tại cuối kỳ"),
    "open_overdue": N_("Chưa trả lời, đã quá hạn tại cuối kỳ"),
}
SORT_LABELS = {
    "name": N_("Tên"),
    "evaluations": N_("Số phiếu"),
    "average": N_("Điểm trung bình"),
    "satisfied_share": N_("Tỷ lệ hài lòng"),
}


def _dec(value: str | None) -> str:
    """"12.50" → "12,50"; None → "—"."""
    return "—" if value is None else value.replace(".", ",")


def _parse_or_404(request) -> ReportRequest:
    try:
        return _parse(request)
    except PeriodError as exc:
        raise Http404(exc.message) from exc


def _row_filter(req: ReportRequest, row: str) -> tuple[str, cr.RowFilter | None]:
    """``row``: total | unit:<code> | officer:<ref> | officer:none → (title, filter); 404 outside
    the scope (an officer's ref is opaque and names only officers of this report: citizens.report.officer_ref)."""
    kind, _sep, value = (row or TOTAL_ROW).partition(":")
    if kind == TOTAL_ROW:
        return _("Tổng cộng – %(scope)s") % {"scope": _scope_name(req.unit)}, None
    if kind == "unit":
        unit = Unit.objects.filter(code=value).first()
        scope = scope_unit_ids(req.unit)
        if unit is None or (scope is not None and unit.pk not in scope):
            raise Http404(_("Không có đơn vị này trong phạm vi báo cáo."))
        return f"{unit.name} ({unit.code})", cr.RowFilter(unit=unit)
    if kind == "officer" and value == "none":
        return _("Không ghi nhận cán bộ"), cr.RowFilter(no_officer=True)
    if kind == "officer" and value:
        officer_id = cr.officer_by_ref(ref=value, period=req.period, unit=req.unit)
        user = get_user_model().objects.filter(pk=officer_id).first() if officer_id else None
        if user is None:
            raise Http404(_("Không có cán bộ này."))
        return user.get_full_name() or user.get_username(), cr.RowFilter(officer_id=user.pk)
    raise Http404(_("Không có dòng này trong báo cáo."))


def _eval_url(req: ReportRequest, figure: str, row: str = TOTAL_ROW) -> str:
    return req.url("citizens:satisfaction_evaluations", figure=figure, row=row)


def _feedback_url(req: ReportRequest, figure: str, row: str = TOTAL_ROW) -> str:
    return req.url("citizens:feedback_report", figure=figure, row=row)


def _sat_cells(req: ReportRequest, f: dict, row: str) -> dict:
    """Texts and drill-down links of one row of satisfaction figures."""
    def link(n, figure):
        return _eval_url(req, figure, row) if n else ""

    return {
        "evaluations": number_vi(f["evaluations"]), "evaluations_url": link(f["evaluations"], "evaluations"),
        "average": _dec(f["average_total"]),
        "bands": [{"key": b.value, "label": b.label, "n": number_vi(f["bands"][b.value]),
                   "url": link(f["bands"][b.value], f"band_{b.value}")} for b in Band],
        "satisfied": number_vi(f["satisfied"]), "satisfied_url": link(f["satisfied"], "satisfied"),
        "share": rate_vi(f["satisfied_share"]),
        "criteria": [_dec(v) for v in f["criteria_average"]],
    }


def _feedback_cells(req: ReportRequest, f: dict, row: str) -> list[dict]:
    return [{"key": key, "text": number_vi(f[key]), "url": _feedback_url(req, key, row) if f[key] else ""}
            for key in cr.FEEDBACK_FIGURES] + [{"key": "answered_on_time_share",
                                               "text": rate_vi(f["answered_on_time_share"]), "url": ""}]


def _nav(req: ReportRequest) -> dict:
    return {
        "report": req.url("reporting:report_quarterly"),
        "units": req.url("citizens:satisfaction_units"),
        "officers": req.url("citizens:satisfaction_officers"),
        "scorecard": req.url("citizens:scorecard"),
    }


# --- the section of the report page -----------------------------------------------------------------


def report_section(*, request, req: ReportRequest) -> str:
    """Satisfaction and feedback of the period, beside the Biểu 06 figures."""
    sat = cr.satisfaction_figures(period=req.period, unit=req.unit)
    fb = cr.feedback_figures(period=req.period, unit=req.unit)
    return render_to_string("citizens/report/_report_section.html", {
        "req": req, "sat": sat, "cells": _sat_cells(req, sat, TOTAL_ROW),
        "criteria": [{"n": i, "label": label, "avg": _dec(avg)}
                     for i, (label, avg) in enumerate(zip(CRITERIA, sat["criteria_average"]), 1)],
        "fb": {k: number_vi(v) if isinstance(v, int) else v for k, v in fb.items()},
        "fb_urls": {k: _feedback_url(req, k) if fb[k] else "" for k in cr.FEEDBACK_FIGURES},
        "fb_share": rate_vi(fb["answered_on_time_share"]),
        "pages": _nav(req),
    }, request=request)


def report_menu(user, roles):
    """Menu entries for leaders: satisfaction per unit and the index 766 scorecard."""
    from dossiers.roles import ADMINISTRATOR, LEADER

    if not roles & {LEADER, ADMINISTRATOR}:
        return []
    return [
        (_("Mức độ hài lòng"), reverse("citizens:satisfaction_units"), None),
        (_("Bộ chỉ số 766"), reverse("citizens:scorecard"), None),
    ]


def register_report_hooks() -> None:
    """Called from ``CitizensConfig.ready()``: the report page's section and the JSON keys,
    and the leaders' menu entries."""
    from dossiers.context_processors import MENU_HOOKS

    hooks.register(hooks.REPORT_SECTION_HOOKS, report_section)
    hooks.register(hooks.REPORT_JSON_HOOKS, cr.report_json_keys)
    if report_menu not in MENU_HOOKS:
        MENU_HOOKS.append(report_menu)


# --- per unit / per officer -----------------------------------------------------------------------------


def _sort_params(request) -> tuple[str, bool]:
    sort = request.GET.get("sort", "name")
    if sort not in cr.SORT_KEYS:
        sort = "name"
    return sort, request.GET.get("dir") == "desc"


def _satisfaction_table(request, by: str):
    req = _parse_or_404(request)
    sort, desc = _sort_params(request)
    select = cr.satisfaction_by_unit if by == "unit" else cr.satisfaction_by_officer
    rows = select(period=req.period, unit=req.unit, sort=sort, descending=desc)
    page_name = "citizens:satisfaction_units" if by == "unit" else "citizens:satisfaction_officers"
    headers = []
    for key in cr.SORT_KEYS:
        active = key == sort
        # A figure sorts best first the first time; a second click reverses.
        next_desc = (not desc) if active else key != "name"
        headers.append({"key": key, "label": _(SORT_LABELS[key]), "active": active, "desc": desc,
                        "url": req.url(page_name, sort=key, dir="desc" if next_desc else "asc")})
    total = cr.satisfaction_figures(period=req.period, unit=req.unit)
    table = [{"stt": i, "name": r["name"] or _("(Không ghi nhận cán bộ)"), "code": r["code"], "key": r["key"],
              "cells": _sat_cells(req, r["figures"], r["key"])} for i, r in enumerate(rows, 1)]
    feedback_rows = []
    if by == "unit":
        feedback_rows = [{"stt": i, "name": r["name"], "code": r["code"], "key": r["key"],
                          "cells": _feedback_cells(req, r["figures"], r["key"])}
                         for i, r in enumerate(cr.feedback_by_unit(period=req.period, unit=req.unit), 1)]
        fb_total = cr.feedback_figures(period=req.period, unit=req.unit)
        feedback_total = _feedback_cells(req, fb_total, TOTAL_ROW)
    else:
        feedback_total = []
    picker = _picker(req, request)
    picker["action"] = reverse(page_name)
    return render(request, "citizens/report/satisfaction.html", {
        "req": req, "period": req.period, "by": by, "rows": table, "headers": headers,
        "total": _sat_cells(req, total, TOTAL_ROW), "bands": list(Band), "picker": picker,
        "feedback_rows": feedback_rows, "feedback_total": feedback_total,
        "feedback_columns": [(k, _(FEEDBACK_TITLES[k])) for k in cr.FEEDBACK_FIGURES],
        "scope_name": _scope_name(req.unit), "pages": _nav(req), "sort": sort, "desc": desc,
    })


@login_required
@require_GET
def satisfaction_units(request):
    """Satisfaction (and feedback) per unit of the scope, sortable."""
    return _satisfaction_table(request, "unit")


@login_required
@require_GET
def satisfaction_officers(request):
    """Satisfaction per officer of the scope, sortable."""
    return _satisfaction_table(request, "officer")


# --- drill-down lists ------------------------------------------------------------------------------------


def _page(request, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


@login_required
@require_GET
def satisfaction_evaluations(request):
    """The evaluations behind one number: dossier code, date, total, band."""
    req = _parse_or_404(request)
    figure = request.GET.get("figure", "evaluations")
    if figure not in cr.EVALUATION_FIGURES:
        raise Http404(_("Không có chỉ tiêu này."))
    row_title, row = _row_filter(req, request.GET.get("row", TOTAL_ROW))
    page, query = _page(request, cr.evaluation_list(period=req.period, figure=figure, unit=req.unit, row=row))
    return render(request, "citizens/report/evaluations.html", {
        "req": req, "period": req.period, "page_obj": page, "query": query,
        "title": _(EVALUATION_TITLES[figure]), "row_title": row_title, "scope_name": _scope_name(req.unit),
        "offset": page.start_index() - 1 if page.paginator.count else 0, "pages": _nav(req),
    })


@login_required
@require_GET
def feedback_report(request):
    """The feedback behind one number: dossier, kind, dates, and whether answered in time."""
    req = _parse_or_404(request)
    figure = request.GET.get("figure", "received_total")
    if figure not in cr.FEEDBACK_FIGURES:
        raise Http404(_("Không có chỉ tiêu này."))
    row_title, row = _row_filter(req, request.GET.get("row", TOTAL_ROW))
    if row is not None and row.unit is None:
        raise Http404(_("Không có dòng này trong báo cáo."))
    page, query = _page(request, cr.feedback_list(period=req.period, figure=figure, unit=req.unit, row=row))
    end = req.period.end
    items = []
    for f in page.object_list:
        if f.answered_on is not None and f.answered_on <= end:
            state, tone = (_("Trả lời đúng hạn"), "green") if f.answered_on <= f.answer_due else (_("Trả lời muộn"), "red")
        else:
            state, tone = (_("Chưa trả lời, trong hạn"), "green") if f.answer_due >= end else (_("Chưa trả lời, quá hạn"), "red")
        items.append({"obj": f, "state": state, "tone": tone})
    return render(request, "citizens/report/feedback.html", {
        "req": req, "period": req.period, "page_obj": page, "query": query, "items": items,
        "title": _(FEEDBACK_TITLES[figure]), "row_title": row_title, "scope_name": _scope_name(req.unit),
        "offset": page.start_index() - 1 if page.paginator.count else 0, "pages": _nav(req),
        "kinds": dict(Feedback.Kind.choices),
    })


# --- the 766 scorecard ----------------------------------------------------------------------------------


def _indicator_view(req: ReportRequest, ind: sc.Indicator) -> dict:
    def link(kind, figure):
        if kind == "dossiers":
            return req.url("reporting:report_dossiers", figure=figure, row="total")
        if kind == "feedback":
            return _feedback_url(req, figure)
        return _eval_url(req, figure)

    out = {"ind": ind, "rate": rate_vi(ind.rate), "attainment": rate_vi(ind.attainment),
           "numerator": number_vi(ind.numerator) if ind.numerator is not None else "",
           "denominator": number_vi(ind.denominator) if ind.denominator is not None else "",
           "value": _dec(ind.value_text) if ind.value_text or ind.code == "2.2" else "",
           "links": [{"label": label, "url": link(kind, figure)} for label, kind, figure in ind.links],
           "details": [], "procedures": []}
    if ind.code == "2.2":
        out["procedures"] = [{**p, "average": _dec(p["average"]), "dossiers": number_vi(p["dossiers"])}
                             for p in ind.details]
    else:
        out["details"] = [{"label": d["label"], "n": number_vi(d["n"]),
                           "rate": rate_vi(d["rate"]) if "rate" in d else ""} for d in ind.details]
    return out


@login_required
@require_GET
def scorecard(request):
    """Bộ chỉ số 766 of the scope unit and period: formulas, figures, and what OneCua lacks."""
    req = _parse_or_404(request)
    card = sc.scorecard(period=req.period, unit=req.unit)
    groups = [{"number": g["number"], "title": g["title"], "max": g["max"],
               "indicators": [_indicator_view(req, i) for i in g["indicators"]]} for g in card["groups"]]
    picker = _picker(req, request)
    picker["action"] = reverse("citizens:scorecard")
    return render(request, "citizens/report/scorecard.html", {
        "req": req, "period": req.period, "groups": groups, "card": card, "picker": picker,
        "scope_name": _scope_name(req.unit), "pages": _nav(req), "now": timezone.localtime(),
        "thresholds": {"dossiers_online": sc.THRESHOLD_DOSSIERS_ONLINE},
    })
