"""Pages of the processing officer and the leader: lists, inbox, search, the dossier page with
its actions (the printed slips are in ``dossiers.views.forms``).

Views parse, call a selector or a service, and render (style.md §2.1). What a user may see is
``selectors.dossiers_visible_to``; a dossier outside it is a 404. What a user may do is
``dossiers.core`` (domain.md D17: by the unit the dossier is at), the same rules as the API;
an action the user may never take on the dossier is a 403 with the reason. Two people acting at once: every form carries the version the
user saw, the service refuses a stale one (``ConflictError``), and the page is shown again,
fresh, with the conflict message and status 409.
"""
from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dossiers import hooks
from dossiers.action_forms import ACTION_FORMS, AssignForm, DossierFilterForm, SearchForm
from dossiers.roles import ASSIGNEE_ROLES, LEADER
from dossiers.errors import ConflictError, DossierError, ForbiddenError
from dossiers.models import Dossier, DossierStep, Unit
from dossiers.presenters.detail import ON_THE_SPOT, current_or_next_step, detail_page
from dossiers.roles import role_group_name, user_roles
from dossiers.selectors import (
    COUNT_CAP, COUNTED_STATES, calendar_get, count_capped, dossier_counts_by_state_shared, dossier_get_for_user,
    dossiers_scoped_count, dossiers_scoped_top,
    dossiers_search, dossiers_visible_to, plain_planning, user_unit_ids,
)
from dossiers.services import lifecycle
from dossiers.templatetags.onecua import deadline_label
from dossiers.workflow import OPEN_STATES, Action, DossierState
from onecua.forms import add_service_errors

S = DossierState
PAGE_SIZE = 30


# Due soonest first. ``due_date`` is the local date of ``due_at``, so leading with it changes
# nothing in the order, but lets PostgreSQL walk the open dossiers' index ``monitoring_open_due``
# in that order and stop after a page (a million open dossiers: 8.4 s → 0.2 s for a district).
_URGENCY = (F("due_date").asc(nulls_last=True), F("due_at").asc(nulls_last=True), "received_at", "id")
#: list tab -> (title, states, ordering, date field the date range filters on)
TABS: dict[str, tuple[str, tuple[str, ...], tuple, str]] = {
    "submitted": ("Hồ sơ chờ tiếp nhận", (S.SUBMITTED,), ("submitted_at", "id"), "submitted_at"),
    "processing": ("Hồ sơ đang xử lý", (S.RECEIVED, S.IN_PROCESSING), _URGENCY, "received_at"),
    "supplement": ("Hồ sơ chờ bổ sung", (S.AWAITING_SUPPLEMENT,), _URGENCY, "received_at"),
    # Waiting longest at the counter first.
    "result": ("Hồ sơ chờ trả kết quả", (S.APPROVED, S.REFUSED), ("resolved_at", "id"), "received_at"),
    "returned": ("Hồ sơ đã trả kết quả", (S.RETURNED,), ("-returned_at", "-id"), "received_at"),
}

_LIST_RELATED = ("procedure", "current_unit", "assigned_to")


# --- helpers ---------------------------------------------------------------------------------


def _dossier_or_404(user, code: str) -> Dossier:
    try:
        return dossier_get_for_user(user=user, code=code)
    except Dossier.DoesNotExist as exc:
        raise Http404(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code}) from exc


def _with_labels(rows) -> list[Dossier]:
    """Attach each row's deadline label (computed once per row, no query)."""
    rows = list(rows)
    if rows:
        today, now, cal = timezone.localdate(), timezone.now(), calendar_get()
        for d in rows:
            d.deadline = deadline_label(d, today, cal, now=now)
    return rows


class _CountedPaginator(Paginator):
    """A paginator told how many rows there are instead of asking ``COUNT(*)``."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _page(request, qs, *, count: int | None = None):
    paginator = Paginator(qs, PAGE_SIZE) if count is None else _CountedPaginator(qs, PAGE_SIZE, count=count)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = _with_labels(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _visible_units(ids: set[int] | None):
    qs = Unit.objects.order_by("name")
    return qs if ids is None else qs.filter(id__in=ids)


_FILTERS = ("procedure", "field", "unit", "channel", "date_from", "date_to")


def _filtered(qs, form: DossierFilterForm, date_field: str):
    form.is_valid()  # invalid fields are left out of cleaned_data and ignored
    cd = form.cleaned_data
    if cd.get("procedure"):
        text = cd["procedure"].strip()
        qs = qs.filter(Q(procedure__code__iexact=text) | Q(procedure__name__icontains=text))
    if cd.get("field"):
        qs = qs.filter(procedure__field=cd["field"])
    if cd.get("unit"):
        qs = qs.filter(Q(current_unit=cd["unit"]) | Q(resolving_unit=cd["unit"]))
    if cd.get("channel"):
        qs = qs.filter(channel=cd["channel"])
    if cd.get("date_from"):
        qs = qs.filter(**{f"{date_field}__date__gte": cd["date_from"]})
    if cd.get("date_to"):
        qs = qs.filter(**{f"{date_field}__date__lte": cd["date_to"]})
    return qs


def _sorted(qs, form: DossierFilterForm, default):
    sort = form.cleaned_data.get("sort") if hasattr(form, "cleaned_data") else ""
    if sort == "received":
        return qs.order_by(F("received_at").desc(nulls_last=True), "-id")
    if sort == "code":
        return qs.order_by("code")
    return qs.order_by(*default)


# --- lists -----------------------------------------------------------------------------------


@login_required
@require_GET
def dossier_list(request, tab: str):
    """A list tab over the dossiers the user may see, most urgent first, 30 rows a page."""
    if tab not in TABS:
        raise Http404(_("Không có danh sách này."))
    title, states, ordering, date_field = TABS[tab]
    unit_ids = user_unit_ids(request.user)
    form = DossierFilterForm(request.GET or None, units=_visible_units(unit_ids))
    scoped = bool(unit_ids)  # a unit scope: counted and cut part by part of the visibility rule
    # A unit scope's visibility rule is applied by its parts (dossiers_scoped_count / _top: each
    # part a condition on the user's units, together exactly dossiers_visible_to), so the rows
    # they read are not also tried against the rule's OR, which needs the table row of every
    # dossier a part looks at (a commune's 38,000 returned dossiers at ten million, 170 ms).
    base = Dossier.objects.all() if scoped else dossiers_visible_to(request.user)
    qs = base.filter(state__in=states).select_related(*_LIST_RELATED)
    if form.is_bound:
        qs = _sorted(_filtered(qs, form, date_field), form, ordering)
    else:
        qs = qs.order_by(*ordering)
    count = None
    capped = False
    filtered = form.is_bound and any(form.cleaned_data.get(name) for name in _FILTERS)
    if not set(states) <= set(COUNTED_STATES):
        # "Đã trả kết quả" grows with every year kept: counted up to COUNT_CAP, never in full
        count, capped = dossiers_scoped_count(qs, unit_ids=unit_ids, capped=True) if scoped else count_capped(qs)
    elif not filtered:
        # Unfiltered: the left menu's counts (a unit scope: the visibility rule counted as
        # disjoint index scans, where COUNT(*) over its OR and EXISTS read every row, 5 s at a
        # million open dossiers). A scope of MENU_COUNTS_CACHE_FROM dossiers or more (the
        # province) shares them through the cache for 30 s, as the menu does, instead of
        # counting its 110,000 open dossiers again on every page (280 ms at a million).
        by_state = dossier_counts_by_state_shared(unit_ids=unit_ids)
        request.menu_counts_by_state = by_state
        count = sum(by_state.get(state, 0) for state in states)
    elif scoped:
        count = dossiers_scoped_count(qs, unit_ids=unit_ids)[0]
    if scoped:
        # the page's rows among each part's first rows (the page asked for, or the last one)
        pages = max(1, -(-count // PAGE_SIZE))
        number = request.GET.get("page", "1")
        number = min(int(number), pages) if number.isdigit() and int(number) > 0 else 1
        qs = dossiers_scoped_top(qs, unit_ids=unit_ids, ordering=qs.query.order_by, depth=number * PAGE_SIZE)
    page, query = _page(request, qs, count=count)
    return render(request, "dossiers/list.html", {
        "title": _(title), "tab": tab, "form": form, "page_obj": page, "query": query,
        "show_filters": True, "count_capped": capped, "count_cap": COUNT_CAP,
    })


@login_required
@require_GET
def inbox(request):
    """"Hồ sơ của tôi": open dossiers assigned to me, due soonest first; paused ones last."""
    paused_last = Case(When(paused_at__isnull=False, then=Value(1)), default=Value(0), output_field=IntegerField())
    qs = (
        dossiers_visible_to(request.user)
        .filter(assigned_to=request.user, state__in=OPEN_STATES)
        .select_related(*_LIST_RELATED)
        .order_by(paused_last, *_URGENCY)
    )
    page, query = _page(request, qs)
    return render(request, "dossiers/list.html", {
        "title": _("Hồ sơ của tôi"), "tab": "inbox", "page_obj": page, "query": query, "show_filters": False,
        "empty_text": _("Chưa có hồ sơ nào được giao cho bạn."),
    })


@login_required
@require_GET
def search(request):
    """One search over code (or its start), CCCD, phone and applicant name, ignoring case and
    diacritics, best match first (``selectors.dossiers_search``)."""
    form = SearchForm(request.GET or None)
    page = query = None
    q = ""
    capped = False
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
    if q:
        with transaction.atomic():
            plain_planning()  # no JIT: the plan looks costly at ten million rows, the rows read are few
            qs = dossiers_search(user=request.user, text=q).select_related(*_LIST_RELATED)
            count, capped = count_capped(qs)
            page, query = _page(request, qs, count=count)
    return render(request, "dossiers/list.html", {
        "title": _("Tra cứu hồ sơ"), "tab": "search", "search_form": form, "q": q, "page_obj": page,
        "query": query, "show_filters": False, "count_capped": capped, "count_cap": COUNT_CAP,
        "empty_text": _("Không tìm thấy hồ sơ nào khớp với “%(q)s”.") % {"q": q},
        "empty_hint": _(
            "Hãy thử: mã hồ sơ đầy đủ hoặc phần đầu của mã (ví dụ 000.00.12.H23-2201), số CCCD đủ 12 chữ số, "
            "số điện thoại, hoặc họ tên người nộp — có dấu hay không dấu đều được (ví dụ “nguyen van an”). "
            "Bạn chỉ thấy hồ sơ thuộc đơn vị mình được xem."
        ),
    })


# --- the dossier page ------------------------------------------------------------------------


def _officers(unit: Unit | None):
    """Whom an assignment may choose: the officers and leaders (``ASSIGNEE_ROLES``) of the unit
    holding the step."""
    if unit is None:
        return get_user_model().objects.none()
    groups = [role_group_name(r) for r in ASSIGNEE_ROLES]
    return (
        get_user_model().objects.filter(is_active=True, staff__unit=unit, groups__name__in=groups)
        .select_related("staff").order_by("first_name", "username").distinct()
    )


def _make_form(action: str, data, dossier: Dossier, user, steps: list[DossierStep]):
    form_class = ACTION_FORMS[action]
    if form_class is AssignForm:
        step = current_or_next_step(steps)
        unit = step.unit if step else dossier.current_unit
        officers = _officers(unit)
        if LEADER not in user_roles(user):  # an officer takes the dossier himself (D17)
            officers = officers.filter(pk=user.pk)
        choices = list(officers)
        form = AssignForm(data, dossier=dossier, officers=officers, prefix=action)
        form.no_officers = not choices
        if not form.is_bound:
            mine = [u for u in choices if u.pk == user.pk]
            if mine or len(choices) == 1:  # "take it myself" is the common case
                form.initial["officer"] = (mine or choices)[0].pk
        return form
    return form_class(data, dossier=dossier, prefix=action)


def _render_detail(request, dossier: Dossier, *, bound: tuple[str, object] | None = None, status: int = 200):
    context, lost_errors = detail_page(dossier, request.user, make_form=_make_form, bound=bound)
    for error in lost_errors:
        messages.error(request, error)
    context["panels"] = hooks.panels(hooks.PAGE_PANELS, request, dossier)
    return render(request, "dossiers/detail.html", context, status=status)



@login_required
@require_GET
def dossier_detail(request, code: str):
    """The dossier page: header, steps, history, pauses, documents and the actions I may take."""
    return _render_detail(request, _dossier_or_404(request.user, code))


def _due(d: Dossier) -> str:
    return f"{d.due_date:%d/%m/%Y}" if d.due_date else "—"


def _slip_link(message: str, url: str, label: str):
    return format_html("{} <a href=\"{}\" target=\"_blank\">{}</a>", message, url, label)


def _on_supplement(d: Dossier, cd: dict):
    pause = d.pauses.order_by("-requested_at", "-id").first()
    return _slip_link(_("Đã yêu cầu bổ sung hồ sơ %(code)s; thời hạn tạm dừng.") % {"code": d.code},
                      reverse("dossiers:supplement_slip", args=[d.code, pause.pk]), _("In Phiếu yêu cầu bổ sung (Mẫu 02)"))


def _on_apology(d: Dossier, cd: dict):
    return _slip_link(_("Đã hẹn lại ngày trả hồ sơ %(code)s: %(date)s.") % {"code": d.code, "date": f"{cd['new_date']:%d/%m/%Y}"},
                      reverse("dossiers:apology_slip", args=[d.code]), _("In Văn bản xin lỗi và đề nghị gia hạn (Mẫu 04)"))


def _unit_of(d: Dossier) -> str:
    return Unit.objects.filter(pk=d.current_unit_id).values_list("name", flat=True).first() or ""


#: page action -> (the service call with the form's data, the message on success)
_SERVICES: dict[str, tuple[Callable, Callable]] = {
    Action.ACCEPT: (lambda c, cd: lifecycle.dossier_accept(**c),
                    lambda d, cd: _("Đã tiếp nhận hồ sơ %(code)s. Ngày hẹn trả: %(due)s.") % {"code": d.code, "due": _due(d)}),
    Action.REJECT: (lambda c, cd: lifecycle.dossier_reject(**c, reason=cd["reason"]),
                    lambda d, cd: _("Đã từ chối tiếp nhận hồ sơ %(code)s.") % {"code": d.code}),
    Action.ASSIGN: (lambda c, cd: lifecycle.dossier_assign(**c, officer=cd["officer"], note=cd.get("note", "")),
                    lambda d, cd: _("Đã giao hồ sơ %(code)s cho %(name)s.") % {
                        "code": d.code, "name": cd["officer"].get_full_name() or cd["officer"].get_username()}),
    Action.TRANSFER: (lambda c, cd: lifecycle.dossier_transfer(**c, note=cd.get("note", "")),
                      lambda d, cd: _("Đã chuyển hồ sơ %(code)s sang %(unit)s.") % {"code": d.code, "unit": _unit_of(d)}),
    Action.SEND_BACK: (lambda c, cd: lifecycle.dossier_send_back(**c, reason=cd["reason"]),
                       lambda d, cd: _("Đã trả hồ sơ %(code)s về %(unit)s.") % {"code": d.code, "unit": _unit_of(d)}),
    Action.SKIP_STEP: (lambda c, cd: lifecycle.dossier_skip_step(**c, step=cd["step"], reason=cd["reason"]),
                       lambda d, cd: _("Đã đánh dấu bước %(step)s không cần thực hiện.") % {"step": cd["step"]}),
    Action.REQUEST_SUPPLEMENT: (lambda c, cd: lifecycle.dossier_request_supplement(**c, reason=cd["reason"], documents=cd.get("documents", "")),
                                _on_supplement),
    Action.RESUME: (lambda c, cd: lifecycle.dossier_resume(**c, note=cd.get("note", "")),
                    lambda d, cd: _("Đã nhận bổ sung hồ sơ %(code)s; ngày hẹn trả mới: %(due)s.") % {"code": d.code, "due": _due(d)}),
    Action.APPROVE: (lambda c, cd: lifecycle.dossier_approve(**c, note=cd.get("note", "")),
                     lambda d, cd: _("Đã phê duyệt kết quả hồ sơ %(code)s; hồ sơ chờ trả kết quả.") % {"code": d.code}),
    Action.REFUSE: (lambda c, cd: lifecycle.dossier_refuse(**c, reason=cd["reason"]),
                    lambda d, cd: _("Đã từ chối giải quyết hồ sơ %(code)s.") % {"code": d.code}),
    Action.STOP: (lambda c, cd: lifecycle.dossier_stop(**c, reason=cd["reason"]),
                  lambda d, cd: _("Đã dừng giải quyết hồ sơ %(code)s.") % {"code": d.code}),
    Action.APOLOGIZE: (lambda c, cd: lifecycle.dossier_apologize(**c, new_date=cd["new_date"], reason=cd["reason"]), _on_apology),
    Action.RETURN_RESULT: (lambda c, cd: lifecycle.dossier_return_result(**c, return_channel=cd["return_channel"], note=cd.get("note", "")),
                           lambda d, cd: _("Đã trả kết quả hồ sơ %(code)s.") % {"code": d.code}),
    Action.WITHDRAW: (lambda c, cd: lifecycle.dossier_withdraw(**c, reason=cd["reason"]),
                      lambda d, cd: _("Đã rút hồ sơ %(code)s.") % {"code": d.code}),
    ON_THE_SPOT: (lambda c, cd: lifecycle.dossier_on_the_spot_complete(**c),
                  lambda d, cd: _("Đã giải quyết tại chỗ và trả kết quả hồ sơ %(code)s.") % {"code": d.code}),
}


@login_required
@require_http_methods(["GET", "POST"])
def dossier_action(request, code: str, action: str):
    """POST an action: success → back to the dossier page with a message naming what happened;
    an action this user may never take here → 403 with the reason (D17); bad input → the page
    again with the errors next to the fields (400); a stale page or an action not possible now →
    the page again, fresh, with the message (409)."""
    if action not in ACTION_FORMS:
        raise Http404(_("Không có thao tác này."))
    dossier = _dossier_or_404(request.user, code)
    detail_url = reverse("dossiers:detail", args=[code])
    try:
        lifecycle.dossier_check(dossier=dossier, action=Action.APPROVE if action == ON_THE_SPOT else action,
                                user=request.user)
    except ForbiddenError as exc:
        raise PermissionDenied(exc.message) from exc
    except ConflictError as exc:
        if request.method == "GET":
            return redirect(detail_url)
        messages.error(request, exc.message)
        return _render_detail(request, dossier, status=409)
    if request.method == "GET":
        return redirect(f"{detail_url}#action-{action}")
    steps = list(dossier.steps.select_related("unit").order_by("order"))
    form = _make_form(action, request.POST, dossier, request.user, steps)
    if not form.is_valid():
        return _render_detail(request, dossier, bound=(action, form), status=400)
    call, message = _SERVICES[action]
    cd = form.cleaned_data
    try:
        done = call({"dossier": dossier, "actor": request.user, "expected_version": cd["version"]}, cd)
    except ForbiddenError as exc:
        raise PermissionDenied(exc.message) from exc
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, _dossier_or_404(request.user, code), status=409)
    except DossierError as exc:
        add_service_errors(form, exc)
        return _render_detail(request, _dossier_or_404(request.user, code), bound=(action, form), status=400)
    messages.success(request, message(done, cd))
    return redirect(detail_url)


# The printed slips (Mẫu 01, 02, 04, 05, 06, 07) are in dossiers.views.forms.
