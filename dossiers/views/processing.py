"""Pages of the processing officer and the leader: lists, inbox, search, the dossier page with
its actions, and the printed slips of processing (Mẫu 02 during processing, Mẫu 04, Mẫu 05).

Views parse, call a selector or a service, and render (style.md §2.1). What a user may see is
``selectors.dossiers_visible_to``; a dossier outside it is a 404. What a user may do is the
workflow table (``workflow.actions_available``) intersected with :data:`ACTION_ROLES`; a role
without the action is a 403. Two people acting at once: every form carries the version the
user saw, the service refuses a stale one (``ConflictError``), and the page is shown again,
fresh, with the conflict message and status 409.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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

from dossiers.action_forms import ACTION_FORMS, AssignForm, DossierFilterForm, SearchForm
from dossiers.roles import ACTION_ROLES as API_ACTION_ROLES
from dossiers.roles import ASSIGNEE_ROLES
from dossiers.errors import ConflictError, DossierError
from dossiers.models import Dossier, DossierStep, Outcome, Unit
from dossiers.pdf import render_form
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, role_group_name, user_roles
from dossiers.selectors import (
    COUNT_CAP, COUNTED_STATES, calendar_get, count_capped, dossier_counts_by_state, dossier_get_for_user,
    dossiers_search, dossiers_visible_to, plain_planning, user_unit_ids,
)
from dossiers.services import lifecycle
from dossiers.templatetags.onecua import deadline_label
from dossiers.workflow import OPEN_STATES, Action, DossierState, actions_available
from onecua.forms import add_service_errors

S = DossierState
PAGE_SIZE = 30

ON_THE_SPOT = "on-the-spot"

#: page action -> the roles that may perform it: the API's table (one place for both), plus
#: the counter's one-sitting "4 tại chỗ" (receive, appraise, approve and return at the desk).
#: The workflow table says *when* an action is possible; this says *who*.
ACTION_ROLES: dict[str, frozenset[str]] = {
    **{action: roles for action, roles in API_ACTION_ROLES.items() if action in ACTION_FORMS},
    ON_THE_SPOT: frozenset({COUNTER_CLERK, ADMINISTRATOR}),
}

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
    qs = dossiers_visible_to(request.user).filter(state__in=states).select_related(*_LIST_RELATED)
    if form.is_bound:
        qs = _sorted(_filtered(qs, form, date_field), form, ordering)
    else:
        qs = qs.order_by(*ordering)
    count = None
    capped = False
    if not set(states) <= set(COUNTED_STATES):
        # "Đã trả kết quả" grows with every year kept: counted up to COUNT_CAP, never in full
        count, capped = count_capped(qs)
    elif unit_ids is not None and not (form.is_bound and any(form.cleaned_data.get(name) for name in _FILTERS)):
        # A unit scope, unfiltered: the visibility rule counted as disjoint index scans
        # (COUNT(*) over its OR and EXISTS read every row: 5 s at a million open dossiers); the
        # left menu shows the same fresh counts. Without a scope COUNT(*) is a plain index count.
        by_state = dossier_counts_by_state(unit_ids=unit_ids)
        request.menu_counts_by_state = by_state
        count = sum(by_state.get(state, 0) for state in states)
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


@dataclass
class PageAction:
    name: str
    label: str
    confirm: str
    form: object
    is_open: bool = False
    danger: bool = False
    button: str = ""


def _roles(user) -> set[str]:
    return user_roles(user)


def role_allows(roles: set[str], action: str) -> bool:
    return bool(ACTION_ROLES.get(action, frozenset()) & roles)


def _current_or_next_step(steps: list[DossierStep]) -> DossierStep | None:
    return next((s for s in steps if s.state == DossierStep.State.CURRENT), None) or next(
        (s for s in steps if s.state == DossierStep.State.WAITING), None
    )


def _transfer_target(dossier: Dossier, steps: list[DossierStep]) -> DossierStep | None:
    """The step a transfer hands the dossier to (None when the current step is the last)."""
    waiting = [s for s in steps if s.state == DossierStep.State.WAITING]
    has_current = any(s.state == DossierStep.State.CURRENT for s in steps)
    if dossier.state == S.RECEIVED and not has_current:
        waiting = waiting[1:]  # the first step starts and finishes with the transfer
    return waiting[0] if waiting else None


def _officers(unit: Unit | None):
    """Whom an assignment may choose: the officers and leaders (the API's ``ASSIGNEE_ROLES``)
    of the unit doing the step to be worked on."""
    if unit is None:
        return get_user_model().objects.none()
    groups = [role_group_name(r) for r in ASSIGNEE_ROLES]
    return (
        get_user_model().objects.filter(is_active=True, staff__unit=unit, groups__name__in=groups)
        .select_related("staff").order_by("first_name", "username").distinct()
    )


def _available(dossier: Dossier, roles: set[str], steps: list[DossierStep]) -> list[str]:
    names = [a for a in actions_available(dossier.state) if role_allows(roles, a)]
    if Action.TRANSFER in names and _transfer_target(dossier, steps) is None:
        names.remove(Action.TRANSFER)
    if Action.APOLOGIZE in names and dossier.apologized_at is not None:
        names.remove(Action.APOLOGIZE)  # once only (D8); the service refuses a second one
    if dossier.on_the_spot and dossier.state == S.RECEIVED and role_allows(roles, ON_THE_SPOT):
        names.insert(0, ON_THE_SPOT)
    return names


def _confirm_text(action: str, dossier: Dossier, steps: list[DossierStep]) -> tuple[str, str]:
    """(what will happen, the button's words) for an action on this dossier."""
    code = dossier.code
    due = f"{dossier.due_date:%d/%m/%Y}" if dossier.due_date else "—"
    step = _current_or_next_step(steps)
    if action == Action.TRANSFER:
        target = _transfer_target(dossier, steps)
        return (_("Chuyển hồ sơ sang %(unit)s (bước “%(step)s”)?") % {"unit": target.unit.name, "step": target.name},
                _("Chuyển hồ sơ"))
    texts = {
        Action.ACCEPT: (_("Tiếp nhận hồ sơ %(code)s? Thời hạn giải quyết bắt đầu tính từ lúc này.") % {"code": code}, _("Tiếp nhận")),
        Action.REJECT: (_("Không tiếp nhận hồ sơ %(code)s? Người nộp được thông báo lý do; hồ sơ không được tính.") % {"code": code}, _("Không tiếp nhận")),
        Action.ASSIGN: (_("Giao hồ sơ cho chuyên viên của %(unit)s xử lý?") % {"unit": (step.unit.name if step else dossier.current_unit.name)}, _("Giao xử lý")),
        Action.REQUEST_SUPPLEMENT: (_("Trả hồ sơ để người nộp bổ sung? Thời hạn tạm dừng đến khi nhận đủ bổ sung; sau khi lưu, in Phiếu yêu cầu bổ sung (Mẫu 02).") , _("Yêu cầu bổ sung")),
        Action.RESUME: (_("Đã nhận đủ hồ sơ bổ sung? Thời hạn tiếp tục tính và ngày hẹn trả lùi tương ứng (hiện là %(due)s).") % {"due": due}, _("Nhận bổ sung")),
        Action.APPROVE: (_("Phê duyệt kết quả hồ sơ %(code)s? Kết quả chuyển về %(unit)s chờ trả cho người nộp.") % {"code": code, "unit": dossier.receiving_unit.name}, _("Phê duyệt")),
        Action.REFUSE: (_("Từ chối giải quyết hồ sơ %(code)s? Hồ sơ kết thúc; văn bản từ chối được trả cho người nộp.") % {"code": code}, _("Từ chối giải quyết")),
        Action.APOLOGIZE: (_("Lập Phiếu xin lỗi và hẹn lại ngày trả (Mẫu 04)? Chỉ được hẹn lại một lần; hồ sơ vẫn tính trễ hạn theo ngày hẹn %(due)s.") % {"due": due}, _("Lập phiếu xin lỗi")),
        Action.RETURN_RESULT: (_("Trả kết quả hồ sơ %(code)s cho %(name)s?") % {"code": code, "name": dossier.applicant_name}, _("Trả kết quả")),
        Action.WITHDRAW: (_("Rút hồ sơ %(code)s theo đề nghị của người nộp? Hồ sơ kết thúc.") % {"code": code}, _("Rút hồ sơ")),
        ON_THE_SPOT: (_("Giải quyết tại chỗ: phê duyệt và trả kết quả hồ sơ %(code)s ngay bây giờ?") % {"code": code}, _("Giải quyết tại chỗ")),
    }
    return texts[action]


def _action_label(action: str) -> str:
    if action == ON_THE_SPOT:
        return _("Giải quyết tại chỗ")
    if action == Action.ASSIGN:
        return _("Phân công xử lý")
    return Action(action).label


def _make_form(action: str, data, dossier: Dossier, user, roles: set[str], steps: list[DossierStep]):
    form_class = ACTION_FORMS[action]
    if form_class is AssignForm:
        step = _current_or_next_step(steps)
        unit = step.unit if step else dossier.current_unit
        officers = _officers(unit)
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
    user = request.user
    roles = _roles(user)
    steps = list(dossier.steps.select_related("unit", "assigned_to").order_by("order"))
    events = list(dossier.events.select_related("unit", "to_unit").order_by("at", "id"))
    pauses = list(dossier.pauses.select_related("requested_by", "completed_by").order_by("requested_at"))
    # Assignments record the officer's username: show their name.
    usernames = {e.data.get("officer") for e in events if isinstance(e.data, dict) and e.data.get("officer")}
    if usernames:
        names = {
            u.username: (u.get_full_name() or u.username)
            for u in get_user_model().objects.filter(username__in=usernames).only("username", "first_name", "last_name")
        }
        for e in events:
            if isinstance(e.data, dict) and e.data.get("officer"):
                e.officer_name = names.get(e.data["officer"], e.data["officer"])
    actions = []
    for name in _available(dossier, roles, steps):
        if bound and bound[0] == name:
            form, is_open = bound[1], True
        else:
            form, is_open = _make_form(name, None, dossier, user, roles, steps), False
        confirm, button = _confirm_text(name, dossier, steps)
        actions.append(PageAction(
            name=name, label=_action_label(name), confirm=confirm, form=form, is_open=is_open, button=button,
            danger=name in (Action.REFUSE, Action.WITHDRAW, Action.REJECT),
        ))
    if bound and bound[0] not in {a.name for a in actions}:
        # The action is no longer on offer (e.g. a transfer at the last step): say why anyway.
        for error in bound[1].non_field_errors():
            messages.error(request, error)
    dossier.deadline = deadline_label(dossier, timezone.localdate(), calendar_get(), now=timezone.now())
    coordinating = []
    for s in steps:
        if s.unit_id != dossier.resolving_unit_id and s.unit not in coordinating:
            coordinating.append(s.unit)
    return render(request, "dossiers/detail.html", {
        "dossier": dossier, "steps": steps, "events": events, "pauses": pauses, "actions": actions,
        "coordinating": coordinating, "title": dossier.code,
    }, status=status)


@login_required
@require_GET
def dossier_detail(request, code: str):
    """The dossier page: header, steps, history, pauses, documents and the actions I may take."""
    return _render_detail(request, _dossier_or_404(request.user, code))


def _perform(action: str, dossier: Dossier, user, cd: dict) -> tuple[Dossier, str]:
    """Call the service for `action`; return the dossier and the success message."""
    v = cd["version"]
    common = {"dossier": dossier, "actor": user, "expected_version": v}
    code = dossier.code
    if action == Action.ACCEPT:
        d = lifecycle.dossier_accept(**common)
        return d, _("Đã tiếp nhận hồ sơ %(code)s. Ngày hẹn trả: %(due)s.") % {"code": code, "due": f"{d.due_date:%d/%m/%Y}"}
    if action == Action.REJECT:
        lifecycle.dossier_reject(**common, reason=cd["reason"])
        return dossier, _("Đã từ chối tiếp nhận hồ sơ %(code)s.") % {"code": code}
    if action == Action.ASSIGN:
        officer = cd["officer"]
        d = lifecycle.dossier_assign(**common, officer=officer, note=cd.get("note", ""))
        return d, _("Đã giao hồ sơ %(code)s cho %(name)s.") % {"code": code, "name": officer.get_full_name() or officer.get_username()}
    if action == Action.TRANSFER:
        d = lifecycle.dossier_transfer(**common, note=cd.get("note", ""))
        d = Dossier.objects.select_related("current_unit").get(pk=d.pk)
        return d, _("Đã chuyển hồ sơ %(code)s sang %(unit)s.") % {"code": code, "unit": d.current_unit.name}
    if action == Action.REQUEST_SUPPLEMENT:
        d = lifecycle.dossier_request_supplement(**common, reason=cd["reason"], documents=cd.get("documents", ""))
        pause = d.pauses.order_by("-requested_at", "-id").first()
        url = reverse("dossiers:supplement_slip", args=[code, pause.pk])
        return d, format_html(
            "{} <a href=\"{}\" target=\"_blank\">{}</a>",
            _("Đã yêu cầu bổ sung hồ sơ %(code)s; thời hạn tạm dừng.") % {"code": code}, url,
            _("In Phiếu yêu cầu bổ sung (Mẫu 02)"),
        )
    if action == Action.RESUME:
        d = lifecycle.dossier_resume(**common, note=cd.get("note", ""))
        return d, _("Đã nhận bổ sung hồ sơ %(code)s; ngày hẹn trả mới: %(due)s.") % {"code": code, "due": f"{d.due_date:%d/%m/%Y}"}
    if action == Action.APPROVE:
        d = lifecycle.dossier_approve(**common, note=cd.get("note", ""))
        return d, _("Đã phê duyệt kết quả hồ sơ %(code)s; hồ sơ chờ trả kết quả.") % {"code": code}
    if action == Action.REFUSE:
        d = lifecycle.dossier_refuse(**common, reason=cd["reason"])
        return d, _("Đã từ chối giải quyết hồ sơ %(code)s.") % {"code": code}
    if action == Action.APOLOGIZE:
        d = lifecycle.dossier_apologize(**common, new_date=cd["new_date"], reason=cd["reason"])
        url = reverse("dossiers:apology_slip", args=[code])
        return d, format_html(
            "{} <a href=\"{}\" target=\"_blank\">{}</a>",
            _("Đã hẹn lại ngày trả hồ sơ %(code)s: %(date)s.") % {"code": code, "date": f"{cd['new_date']:%d/%m/%Y}"},
            url, _("In Phiếu xin lỗi và hẹn lại ngày trả (Mẫu 04)"),
        )
    if action == Action.RETURN_RESULT:
        d = lifecycle.dossier_return_result(**common, return_channel=cd["return_channel"], note=cd.get("note", ""))
        return d, _("Đã trả kết quả hồ sơ %(code)s.") % {"code": code}
    if action == Action.WITHDRAW:
        d = lifecycle.dossier_withdraw(**common, reason=cd["reason"])
        return d, _("Đã rút hồ sơ %(code)s.") % {"code": code}
    if action == ON_THE_SPOT:
        d = lifecycle.dossier_on_the_spot_complete(dossier=dossier, actor=user, expected_version=v)
        return d, _("Đã giải quyết tại chỗ và trả kết quả hồ sơ %(code)s.") % {"code": code}
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def dossier_action(request, code: str, action: str):
    """POST an action: success → back to the dossier page with a message naming what happened;
    bad input → the page again with the errors next to the fields (400); a stale page or a
    wrong state → the page again, fresh, with the conflict message (409)."""
    if action not in ACTION_FORMS:
        raise Http404(_("Không có thao tác này."))
    dossier = _dossier_or_404(request.user, code)
    roles = _roles(request.user)
    if not role_allows(roles, action):
        raise PermissionDenied(_("Vai trò của bạn không được thực hiện thao tác này."))
    detail_url = reverse("dossiers:detail", args=[code])
    if request.method == "GET":
        return redirect(f"{detail_url}#action-{action}")
    steps = list(dossier.steps.select_related("unit").order_by("order"))
    form = _make_form(action, request.POST, dossier, request.user, roles, steps)
    if not form.is_valid():
        return _render_detail(request, dossier, bound=(action, form), status=400)
    try:
        _dossier, message = _perform(action, dossier, request.user, form.cleaned_data)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, _dossier_or_404(request.user, code), status=409)
    except DossierError as exc:
        add_service_errors(form, exc)
        return _render_detail(request, _dossier_or_404(request.user, code), bound=(action, form), status=400)
    messages.success(request, message)
    return redirect(detail_url)


# --- printed slips ---------------------------------------------------------------------------


@login_required
@require_GET
def receipt(request, code: str):
    """Mẫu 01 (the intake module renders it)."""
    from dossiers.views.intake import render_receipt

    return render_receipt(request, _dossier_or_404(request.user, code))


@dataclass
class HandOff:
    """One row of Mẫu 05: who gave the dossier to whom, when, and how the giver did."""

    giver: object  # Unit, or a str
    receiver: object
    at: datetime | None
    giver_name: str = ""
    receiver_name: str = ""
    result: str = ""  # classification key of the giver's part (early / on_time / late)
    notes: list[str] = field(default_factory=list)

    @property
    def result_label(self) -> str:
        from dossiers.models import Classification

        return Classification(self.result).label if self.result else ""


def _place(unit) -> str:
    """The place name printed before ", ngày …": the unit's, else its nearest ancestor's."""
    while unit is not None:
        if unit.place:
            return unit.place
        unit = unit.parent
    return ""


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def control_sheet_rows(dossier: Dossier, steps, events, pauses) -> list[HandOff]:
    """The hand-offs of Mẫu 05, from the steps (when each started and finished, how it was
    classified) and the history (who handed over). Steps not reached yet give rows without a
    time, to be filled by hand on the paper sheet."""
    by_time: dict[tuple[str, datetime], object] = {}
    for e in events:
        by_time.setdefault((e.action, e.at), e)
    receive = next((e for e in events if e.action in ("receive", Action.ACCEPT)), None)

    def actor_of(actions, at):
        for a in actions:
            e = by_time.get((a, at))
            if e is not None:
                return e.actor_name
        return ""

    def pause_notes(start, end):
        out = []
        for p in pauses:
            if (start is None or p.requested_at >= start) and (end is None or p.requested_at < end):
                text = _("Yêu cầu bổ sung lúc %(at)s") % {"at": f"{timezone.localtime(p.requested_at):%H:%M %d/%m/%Y}"}
                if p.completed_at:
                    text += _("; nhận bổ sung lúc %(at)s") % {"at": f"{timezone.localtime(p.completed_at):%H:%M %d/%m/%Y}"}
                out.append(text)
        return out

    rows: list[HandOff] = []
    prev_unit, prev_step = dossier.receiving_unit, None
    prev_name = receive.actor_name if receive else ""
    for s in steps:
        at = s.started_at
        row = HandOff(
            giver=prev_unit, receiver=s.unit, at=at,
            giver_name=(actor_of((Action.TRANSFER,), at) if prev_step else prev_name) if at else "",
            receiver_name=_name(s.assigned_to) if at else "",
            result=prev_step.classification if prev_step else "",
        )
        start = prev_step.started_at if prev_step else dossier.received_at
        row.notes = pause_notes(start, at) if (prev_step or at) else []
        due = _("hạn %(d)s") % {"d": f"{s.due_date:%d/%m/%Y}"} if s.due_date else ""
        row.notes.insert(0, f"{s.order}. {s.name}" + (f" ({due})" if due else ""))
        rows.append(row)
        prev_unit, prev_step = s.unit, s
    if prev_step is not None:
        end = dossier.resolved_at
        final = HandOff(giver=prev_unit, receiver=dossier.receiving_unit, at=end if dossier.outcome != Outcome.WITHDRAWN else None,
                        giver_name=actor_of((Action.APPROVE, Action.REFUSE), end) if end else "",
                        result=prev_step.classification)
        final.notes = pause_notes(prev_step.started_at, end) if prev_step.started_at else []
        if dossier.outcome:
            final.notes.append(Outcome(dossier.outcome).label + (f": {dossier.outcome_note}" if dossier.outcome_note and dossier.outcome != Outcome.APPROVED else ""))
        if dossier.returned_at:
            final.receiver_name = actor_of((Action.RETURN_RESULT,), dossier.returned_at)
        rows.append(final)
    if dossier.returned_at:
        rows.append(HandOff(
            giver=dossier.receiving_unit, receiver=_("Tổ chức, cá nhân: %(name)s") % {"name": dossier.applicant_name},
            at=dossier.returned_at, giver_name=actor_of((Action.RETURN_RESULT,), dossier.returned_at),
            receiver_name=dossier.applicant_name, result=dossier.classification,
            notes=[_("Trả kết quả (%(how)s)") % {"how": dossier.get_return_channel_display()}],
        ))
    return rows


@login_required
@require_GET
def control_sheet(request, code: str):
    """Mẫu 05 Phiếu kiểm soát quá trình giải quyết hồ sơ (A4 portrait, printable)."""
    dossier = _dossier_or_404(request.user, code)
    if dossier.received_at is None:
        raise Http404(_("Hồ sơ chưa được tiếp nhận nên chưa có phiếu kiểm soát."))
    steps = list(dossier.steps.select_related("unit", "assigned_to").order_by("order"))
    events = list(dossier.events.order_by("at", "id"))
    pauses = list(dossier.pauses.order_by("requested_at"))
    coordinating = []
    for s in steps:
        if s.unit_id != dossier.resolving_unit_id and s.unit not in coordinating:
            coordinating.append(s.unit)
    return render_form(request, "dossiers/forms/mau05_control_sheet.html", {
        "dossier": dossier, "rows": control_sheet_rows(dossier, steps, events, pauses),
        "coordinating": coordinating, "issuer": dossier.receiving_unit, "doc_date": timezone.localdate(dossier.received_at) if dossier.received_at else None,
        "place": _place(dossier.receiving_unit),
        "title": _("Phiếu kiểm soát %(code)s") % {"code": dossier.code},
    }, filename=f"phieu-kiem-soat-{dossier.code}.pdf")


@login_required
@require_GET
def supplement_slip(request, code: str, pause_id: int):
    """Mẫu 02 during processing: the supplement request with its reason and documents."""
    dossier = _dossier_or_404(request.user, code)
    pause = dossier.pauses.select_related("requested_by", "requested_by__staff__unit").filter(pk=pause_id).first()
    if pause is None:
        raise Http404(_("Không có yêu cầu bổ sung này."))
    event = dossier.events.select_related("unit", "unit__parent").filter(
        action=Action.REQUEST_SUPPLEMENT, at=pause.requested_at
    ).first()
    issuer = (event.unit if event and event.unit else dossier.current_unit)
    requester = pause.requested_by
    profile = getattr(requester, "staff", None) if requester else None
    return render_form(request, "dossiers/forms/mau02_supplement.html", {
        "dossier": dossier, "pause": pause, "issuer": issuer, "doc_date": timezone.localdate(pause.requested_at),
        "place": _place(issuer),
        "requester_name": _name(requester), "requester_phone": getattr(profile, "phone", ""),
        "title": _("Phiếu yêu cầu bổ sung %(code)s") % {"code": dossier.code},
    }, filename=f"phieu-yeu-cau-bo-sung-{dossier.code}-{pause.pk}.pdf")


@login_required
@require_GET
def apology_slip(request, code: str):
    """Mẫu 04 Phiếu xin lỗi và hẹn lại ngày trả kết quả (only after an apology was recorded)."""
    dossier = _dossier_or_404(request.user, code)
    if dossier.apologized_at is None:
        raise Http404(_("Hồ sơ %(code)s chưa có phiếu xin lỗi.") % {"code": code})
    event = dossier.events.filter(action=Action.APOLOGIZE).order_by("at").first()
    issuer = Unit.objects.select_related("parent").get(pk=dossier.resolving_unit_id)
    return render_form(request, "dossiers/forms/mau04_apology.html", {
        "dossier": dossier, "issuer": issuer, "doc_date": timezone.localdate(dossier.apologized_at), "place": _place(issuer),
        "original_due": event.due_date if event and event.due_date else dossier.due_date,
        "signer_name": event.actor_name if event else "",
        "title": _("Phiếu xin lỗi %(code)s") % {"code": dossier.code},
    }, filename=f"phieu-xin-loi-{dossier.code}.pdf")
