"""Administrators' page of connected systems and notices to citizens (server-rendered, Vietnamese),
and the notice log panel of the dossier page. Views parse, call a service, render."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connected import selectors
from connected.events import NOTICE_KINDS
from connected.forms import NoticeTemplateForm, SubscriptionForm
from connected.models import Delivery, NoticeTemplate, Subscription
from connected.notice_defaults import DEFAULTS
from connected.notice_text import PLACEHOLDERS
from connected.services import notices as notice_svc
from connected.services import webhooks as hook_svc
from dossiers.roles import ADMINISTRATOR, user_roles
from onecua.forms import add_service_errors


def _require_admin(user) -> None:
    if ADMINISTRATOR not in user_roles(user):
        raise PermissionDenied(_("Chỉ quản trị viên được quản lý hệ thống kết nối và mẫu thông báo."))


def admin_menu(user, roles):
    """``context_processors.ADMIN_MENU_HOOKS``."""
    if ADMINISTRATOR in roles:
        return [(_("Kết nối, thông báo"), reverse("connected:admin"))]
    return []


def dossier_panel(request, dossier) -> str | None:
    """``dossiers.panels.DOSSIER_PANELS``: notices to the citizen sent (or not) for this dossier."""
    notices = selectors.notices_of_dossier(dossier.pk)
    if not notices and not (dossier.notify_email or dossier.notify_sms):
        return None
    for n in notices:
        n.kind_label = NOTICE_KINDS.get(n.kind, n.kind)
    return render_to_string("connected/_dossier_panel.html", {"dossier": dossier, "notices": notices}, request=request)


def _templates_table():
    saved = {(t.kind, t.channel): t for t in NoticeTemplate.objects.all()}
    rows = []
    for (kind, channel) in DEFAULTS:
        rows.append({"kind": kind, "channel": channel, "kind_label": NOTICE_KINDS[kind],
                     "channel_label": NoticeTemplate.Channel(channel).label, "saved": saved.get((kind, channel))})
    return rows


@login_required
def connected_admin(request, form: SubscriptionForm | None = None, status: int = 200):
    _require_admin(request.user)
    return render(request, "connected/admin.html", {
        "title": _("Hệ thống kết nối, thông báo công dân"),
        "subscriptions": selectors.subscriptions_overview(),
        "failed": selectors.deliveries_failed(),
        "failed_notices": selectors.notices_failed(),
        "templates": _templates_table(),
        "form": form or SubscriptionForm(initial={"all_events": True}),
    }, status=status)


@login_required
@require_POST
def subscription_add(request):
    _require_admin(request.user)
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        try:
            sub = hook_svc.subscription_create(
                url=form.cleaned_data["url"], secret=form.cleaned_data["secret"], events=form.chosen_events(),
                name=form.cleaned_data["name"], actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Đã đăng ký gửi sự kiện tới %(url)s.") % {"url": sub.url})
            return redirect("connected:admin")
    return connected_admin(request, form=form, status=400)


@login_required
@require_POST
def subscription_end(request, pk: int):
    _require_admin(request.user)
    sub = get_object_or_404(Subscription, pk=pk, ended_at__isnull=True)
    hook_svc.subscription_end(subscription=sub)
    messages.success(request, _("Đã ngừng gửi sự kiện tới %(url)s.") % {"url": sub.url})
    return redirect("connected:admin")


@login_required
@require_POST
def delivery_resend(request, pk: int):
    _require_admin(request.user)
    d = get_object_or_404(Delivery, pk=pk)
    try:
        hook_svc.delivery_resend(delivery=d)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Đã xếp lượt gửi lại sự kiện %(id)s.") % {"id": d.event_id})
    return redirect(reverse("connected:admin") + "#that-bai")


@login_required
def notice_template_edit(request, kind: str, channel: str):
    _require_admin(request.user)
    if (kind, channel) not in DEFAULTS:
        raise Http404
    subject, body = notice_svc.notice_template_get(kind, channel)
    preview = None
    status = 200
    if request.method == "POST":
        form = NoticeTemplateForm(request.POST)
        if form.is_valid():
            subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
            if "preview" in request.POST:
                preview = notice_svc.notice_preview(subject=subject, body=body)
            else:
                try:
                    notice_svc.notice_template_save(kind=kind, channel=channel, subject=subject, body=body, actor=request.user)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                    status = 400
                else:
                    messages.success(request, _("Đã lưu mẫu thông báo “%(kind)s” (%(channel)s).") % {
                        "kind": NOTICE_KINDS[kind], "channel": NoticeTemplate.Channel(channel).label})
                    return redirect("connected:admin")
    else:
        form = NoticeTemplateForm(initial={"subject": subject, "body": body})
    return render(request, "connected/template_edit.html", {
        "title": _("Mẫu thông báo: %(kind)s") % {"kind": NOTICE_KINDS[kind]},
        "form": form, "kind": kind, "channel": channel, "kind_label": NOTICE_KINDS[kind],
        "channel_label": NoticeTemplate.Channel(channel).label, "is_email": channel == "email",
        "placeholders": PLACEHOLDERS, "preview": preview,
    }, status=status)
