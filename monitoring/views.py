"""Pages of the supervisor dashboard and the notifications (parse, call a selector or a service,
render). The dashboard is for leaders and administrators (403 for other staff); a unit or an
officer outside the user's subtree in a filter answers 404."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dossiers.models import Procedure, Unit
from dossiers.selectors import calendar_get, staff_profile
from dossiers.templatetags.onecua import DeadlineLabel, deadline_label
from monitoring import selectors as sel
from monitoring.forms import ListFilterForm
from monitoring.models import Notification
from monitoring.services.outbox import notification_mark_read, notifications_mark_all_read

PAGE_SIZE = 30


MSG_SUPERVISORS_ONLY = "Trang theo dõi tiến độ dành cho lãnh đạo đơn vị."


def _require_supervisor(user) -> None:
    if not sel.dashboard_allowed(user):
        raise PermissionDenied(_(MSG_SUPERVISORS_ONLY))


def _scope_label(user) -> str:
    profile = staff_profile(user)
    if sel.dashboard_unit_ids(user) is None:
        return _("Tất cả đơn vị")
    return profile.unit.name if profile else ""


@login_required
@require_GET
def dashboard(request):
    """Big numbers first, each a link to its list; then per unit / officer / procedure."""
    _require_supervisor(request.user)
    board = sel.dashboard_get(user=request.user, clock=sel.Clock.at())
    data = sel.dashboard_as_json(board)
    cards = [
        {"key": k, "title": str(sel.BUCKET_TITLES[k]), "n": data["totals"][k]["n"], "url": data["totals"][k]["url"]}
        for k in ("open", "due_today", "due_soon", "overdue", "paused")
    ]
    columns = [(k, str(sel.BUCKET_TITLES[k])) for k in sel.BUCKETS]

    def rows(items):
        return [
            {**r, "cells": [{"key": k, "label": label, **r["cells"][k]} for k, label in columns]} for r in items
        ]

    tables = [
        {"key": key, "title": title, "head": head, "rows": rows(data[key]), "more": board.more.get(key, 0)}
        for key, title, head in (
            ("units", _("Theo đơn vị đang xử lý"), _("Đơn vị")),
            ("officers", _("Theo cán bộ xử lý"), _("Cán bộ")),
            ("procedures", _("Theo thủ tục"), _("Thủ tục")),
        )
    ]
    return render(request, "monitoring/dashboard.html", {
        "board": board, "cards": cards, "tables": tables, "scope": _scope_label(request.user), "columns": columns,
    })


@login_required
@require_GET
def dashboard_data(request):
    """The dashboard's numbers as JSON, for the refresh without reloading (static/js/dashboard.js)."""
    _require_supervisor(request.user)
    board = sel.dashboard_get(user=request.user, clock=sel.Clock.at())
    return JsonResponse(sel.dashboard_as_json(board), json_dumps_params={"ensure_ascii": False})


def _labels(rows, bucket: str, clock: sel.Clock) -> list:
    rows = list(rows)
    cal = calendar_get()
    for d in rows:
        d.deadline = deadline_label(d, clock.today, cal, now=clock.now)
        if bucket == "overdue" and d.deadline is not None and d.deadline.key == "paused":
            # Overdue before the clock stopped (D12): say so in red; the state column says "Chờ bổ sung".
            d.deadline = DeadlineLabel(
                "overdue", _("Quá hạn"),
                _("Đã quá hạn %(due)s trước khi tạm dừng chờ bổ sung") % {"due": f"{d.due_date:%d/%m/%Y}"},
            )
    return rows


@login_required
@require_GET
def dossier_list(request, bucket: str):
    """The dossiers behind one number, most urgent first, with filters."""
    _require_supervisor(request.user)
    key = sel.SLUG_BUCKETS.get(bucket)
    if key is None:
        raise Http404(_("Không có danh sách này."))
    g = request.GET
    dates = ListFilterForm(g, units=Unit.objects.none(), procedures=Procedure.objects.none())
    dates.is_valid()  # only the date fields are read from it; a bad date is left out and said (issue 14)
    date_errors = {name: dates.errors[name] for name in ("date_from", "date_to") if name in dates.errors}
    try:
        filters = sel.dashboard_filters(
            user=request.user, unit=g.get("unit"), officer=g.get("officer"), procedure=g.get("procedure"),
            field=g.get("field"), channel=g.get("channel"), text=g.get("q"),
            received_from=dates.cleaned_data.get("date_from"), received_to=dates.cleaned_data.get("date_to"),
        )
    except sel.OutOfScope as exc:
        raise Http404(_("Không tìm thấy đơn vị, cán bộ hoặc thủ tục này trong phạm vi bạn theo dõi.")) from exc
    clock = sel.Clock.at()
    qs = sel.dashboard_list(user=request.user, bucket=key, clock=clock, filters=filters)
    paginator = Paginator(qs, PAGE_SIZE)
    paginator.count = sel.dashboard_list_count(user=request.user, bucket=key, clock=clock, filters=filters)
    page = paginator.get_page(g.get("page"))
    page.object_list = _labels(page.object_list, key, clock)
    query = g.copy()
    query.pop("page", None)
    scope = sel.dashboard_unit_ids(request.user)
    units = Unit.objects.order_by("name") if scope is None else Unit.objects.filter(pk__in=scope).order_by("name")
    form = ListFilterForm(initial=g.dict(), units=units, procedures=sel.procedures_in_scope(scope))
    tabs = [
        {"key": k, "title": str(sel.BUCKET_TITLES[k]), "url": sel.dashboard_list_url(k, filters.params()), "active": k == key}
        for k in sel.BUCKETS
    ]
    chips = []
    if filters.unit is not None:
        chips.append((_("Đơn vị"), filters.unit.name, "unit"))
    if filters.officer is not None:
        chips.append((_("Cán bộ"), filters.officer.get_full_name() or filters.officer.get_username(), "officer"))
    if filters.unassigned:
        chips.append((_("Cán bộ"), _("Chưa phân công"), "officer"))
    if filters.procedure is not None:
        chips.append((_("Thủ tục"), f"{filters.procedure.code} – {filters.procedure.name}", "procedure"))
    chip_links = []
    for label, value, name in chips:
        rest = query.copy()
        rest.pop(name, None)
        chip_links.append({"label": label, "value": value, "url": f"?{rest.urlencode()}" if rest else "?"})
    return render(request, "monitoring/list.html", {
        "title": str(sel.BUCKET_TITLES[key]), "bucket": key, "tabs": tabs, "form": form, "page_obj": page,
        "query": query.urlencode(), "chips": chip_links, "scope": _scope_label(request.user), "clock": clock,
        "empty_text": _("Không có hồ sơ nào."), "date_errors": date_errors,
    })


@login_required
@require_GET
def notifications(request):
    """The user's notifications, newest first; unread ones marked."""
    only_unread = request.GET.get("chua-doc") == "1"
    qs = sel.notifications_for(user=request.user, unread_only=only_unread).select_related("dossier")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "monitoring/notifications.html", {
        "page_obj": page, "only_unread": only_unread, "unread": sel.notifications_unread_count(user=request.user),
    })


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark a notification read, then go where it points (or back to the list)."""
    try:
        n = notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist as exc:
        raise Http404(_("Không tìm thấy thông báo.")) from exc
    target = request.POST.get("next") or n.url or ""
    if request.POST.get("stay") or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "monitoring:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    n = notifications_mark_all_read(user=request.user)
    messages.success(request, _("Đã đánh dấu %(n)s thông báo là đã đọc.") % {"n": n})
    return redirect("monitoring:notifications")
