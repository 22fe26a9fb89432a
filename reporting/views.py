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
from functools import cached_property
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

from reporting.errors import ReportError
from dossiers.models import Dossier, Field, Unit
from dossiers.roles import ADMINISTRATOR, user_roles
from dossiers.selectors import calendar_get, staff_profile, unit_descendant_ids
from dossiers.templatetags.onecua import deadline_label
from onecua.replica import replica_reads
from reporting import export_tasks as ex
from reporting import presenters
from reporting.formats import number_vi
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
    ReportAccessError,
    ReportIdentityError,
    identity_failures,
    report_dossiers,
    report_scope_for_user,
    scope_unit_ids,
)
from reporting.presenters import TOTAL_ROW, scope_name
from reporting.services import frozen_report_get, report_diff, report_freeze

logger = logging.getLogger(__name__)

DRILL_PAGE_SIZE = 30
DIFF_PAGE_SIZE = 50
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

    @cached_property
    def drill_base(self) -> str:
        """The drill-down page's address for this period and scope, built once per request (the
        report page appends a figure and a row to it some 2,300 times)."""
        return self.url("reporting:report_dossiers")

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
        # only its totals are compared: no per-field rows, no receipts by counter
        previous, _previous_frozen = ex.report_shown(period=previous_period, unit=req.unit, detail=False)
        _identity_check(previous)
    except ReportIdentityError as exc:
        previous, previous_error = None, "\n".join(exc.failures)
    today = timezone.localdate()
    context = presenters.report_page(req=req, report=report, frozen=frozen, rows_checked=rows_checked,
                                     previous=previous, previous_error=previous_error, today=today)
    context["picker"] = _picker(req, request)
    # Sections of other apps (citizens' satisfaction and feedback), see reporting.hooks.
    context["extra_sections"] = report_sections(request=request, req=req)
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
    return render(request, "reporting/_trend.html", {"trend": presenters.trend_chart(months), "period": req.period})


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
        return _("Tổng cộng – %(scope)s") % {"scope": scope_name(req.unit)}, {}
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
        "frozen": frozen, "scope_name": scope_name(req.unit),
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
    except ReportError as exc:
        messages.error(request, exc.message)
        return redirect(req.url("reporting:report_quarterly"))
    messages.success(request, _("Đã chốt số liệu %(period)s – %(scope)s lúc %(at)s. Số liệu đã chốt không thay đổi.") % {
        "period": req.period.name_vi(), "scope": scope_name(req.unit),
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
        "page_obj": page, "query": query.urlencode(), "scope_name": scope_name(req.unit),
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
