"""The counter clerk's pages (ux.md "Intake screen", "Printed forms").

- ``intake``: one keyboard-first page to receive a dossier (tiếp nhận) and print Mẫu 01;
- ``procedure_search``, ``due_preview``, ``applicant_lookup``: the JSON the page asks for as the
  clerk types;
- ``counter_slip``: Mẫu 02 (guidance for an incomplete dossier) and Mẫu 03 (refusal) at the
  counter, which create no dossier (domain.md D10);
- ``worklist``: "Việc hôm nay", the clerk's start page;
- ``render_receipt``: Mẫu 01 as a page or a PDF, called by ``forms.receipt``.

Views parse, call a service or selector, and render; deadlines come from ``dossiers.calendar``
through ``selectors.calendar_get()`` only.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers import calendar as wcal
from dossiers.access import page_required
from dossiers.templatetags.onecua import due_text as due_text_in_language
from dossiers import admin_units, competence, hooks, reference, selectors
from dossiers.errors import DossierError
from dossiers.forms import CounterSlipForm, IntakeForm, add_service_errors
from dossiers.form_sets import RECEIPT, REFUSAL, SUPPLEMENT, form_set_for
from dossiers.identity import IdentityError, normalize_id_number
from dossiers.models import Dossier, Procedure, RegisterBook, ReturnChannel
from dossiers.pdf import render_form
from dossiers.search import fold
from dossiers.selectors import (
    applicant_last_by_id_number,
    calendar_get,
    dossiers_visible_to,
    staff_profile,
)
from dossiers.services.intake_keys import intake_once
from dossiers.services.lifecycle import MSG_CCCD, dossier_register
from dossiers.templatetags.onecua import deadline_label
from dossiers.workflow import DossierState

#: procedures offered per keystroke
SEARCH_LIMIT = 15
#: rows per worklist section (the full lists are one click away)
WORKLIST_LIMIT = 50
MSG_NO_CONTACT = ("Hồ sơ %(code)s không có số điện thoại và số CCCD của người nộp: người nộp sẽ không tra cứu "
                  "được hồ sơ trên cổng tra cứu. Nên bổ sung ít nhất một trong hai thông tin.")
SLIP_KINDS = {"huong-dan": "mau02", "tu-choi": "mau03"}
#: intake keys of the counter page's one-time form tokens (the API's keys are the caller's own)
PAGE_KEY_PREFIX = "page:"


# --- access ----------------------------------------------------------------------------------


def clerk_required(view):
    """Logged in, and a counter clerk or an administrator (others: 403): the rule of the
    counter's pages in ``dossiers.access`` (the menu reads the same). Taking a dossier in is
    stricter, clerks only (D17): :func:`intake` has the intake page's own rule."""
    return page_required("dossiers:worklist")(view)


# --- helpers ---------------------------------------------------------------------------------


def _time_text(amount: int, unit: str) -> str:
    if unit == Procedure.TimeUnit.WORKING_DAYS and amount == 0:
        return _("trong ngày")
    return f"{amount} {Procedure.TimeUnit(unit).label}"


def _procedure_json(p: Procedure) -> dict:
    return {
        "code": p.code,
        "name": p.name,
        "field": p.field.name,
        "resolving_unit": p.competent_text(),
        "resolving_level": p.resolving_level,
        "processing_time": p.processing_time,
        "time_unit": p.time_unit,
        "time_text": p.time_text(),
        "on_the_spot": p.on_the_spot,
        "documents": p.document_list,
    }


def _due_preview(procedure: Procedure, at: datetime) -> dict:
    """What the engine will say at receipt: due date and its one-line explanation."""
    due = wcal.compute_due(
        received_at=at, amount=procedure.processing_time, unit=procedure.time_unit, cal=calendar_get()
    )
    provisional = any(step.kind == wcal.StepKind.PROVISIONAL for step in due.explanation)
    rule = next((step.text for step in due.explanation if step.kind == wcal.StepKind.RULE), "")
    due_at = timezone.localtime(due.due_at)
    return {
        "procedure": procedure.code,
        "received_at": timezone.localtime(at).isoformat(),
        "receipt_date": due.receipt_date.isoformat(),
        "due_date": due.due_date.isoformat(),
        "due_date_display": f"{due.due_date:%d/%m/%Y}",
        "due_at": due_at.isoformat(),
        "due_time_display": f"{due_at:%H:%M}",
        "hours": procedure.time_unit == Procedure.TimeUnit.WORKING_HOURS,
        "text": due_text_in_language(due.text()),  # "Hẹn trả …" in the page's language
        "rule": rule[:1].upper() + rule[1:],
        "provisional": provisional,
        "time_text": procedure.time_text(),
    }


def _daily_number(code: str) -> str:
    """NNNN of `<unit>-<YYMMDD>-<NNNN>` (D15); an imported code of another shape gives ''."""
    tail = code.rsplit("-", 1)[-1]
    return tail if tail.isdigit() and tail != code else ""


# --- JSON for the intake page -----------------------------------------------------------------


@clerk_required
def procedure_search(request):
    """Active procedures matching every word of ``q`` in their code, name or field.

    Accent-insensitive ("dang ky khai sinh" finds "Đăng ký khai sinh"); codes that start with
    the query come first, then names that start with it.
    """
    q = fold(request.GET.get("q", "")).strip()
    if not q:
        return JsonResponse({"results": [], "count": 0})
    words = q.split()
    ranked = []
    rows = Procedure.objects.filter(is_active=True).values_list("id", "code", "name", "field__name")
    for pk, code, name, field in rows:
        f_code, f_name, f_field = code.lower(), fold(name), fold(field)
        haystack = f"{f_code} {f_name} {f_field}"
        if not all(w in haystack for w in words):
            continue
        if f_code.startswith(q):
            rank = 0
        elif f_name.startswith(q):
            rank = 1
        elif all(w in f_name for w in words):
            rank = 2
        else:
            rank = 3
        ranked.append((rank, f_name, pk))
    ranked.sort()
    ids = [pk for _rank, _name, pk in ranked[:SEARCH_LIMIT]]
    by_id = Procedure.objects.select_related("field", "resolving_unit").in_bulk(ids)
    return JsonResponse({"results": [_procedure_json(by_id[pk]) for pk in ids], "count": len(ranked)})


#: competent units offered per keystroke
UNIT_LIMIT = 20


@clerk_required
def competent_units(request):
    """The units the clerk may choose as the competent unit (D19) of ``procedure`` received
    today, matching ``q``; with ``address``, the commune it names (or its pre-2025 form
    converted to the new communes) as a suggestion, and the D19 default at the clerk's unit."""
    procedure = Procedure.objects.select_related("resolving_unit").filter(
        code=request.GET.get("procedure", ""), is_active=True).first()
    if procedure is None:
        msg = _("Không tìm thấy thủ tục này hoặc thủ tục đã ngừng áp dụng.")
        return JsonResponse({"detail": msg, "errors": {"procedure": [msg]}}, status=404)
    today = timezone.localdate()
    units = selectors.competent_units(procedure=procedure, day=today, q=request.GET.get("q", "")[:100])
    body = {"by_level": procedure.by_level, "level": procedure.resolving_level, "count": len(units),
            "results": [{"code": u.code, "name": u.name} for u in units[:UNIT_LIMIT]],
            "default": None, "suggestion": None, "conversion": None}
    address = request.GET.get("address", "")[:500]
    conversion = admin_units.convert_old_address(address) if address else None
    if conversion is not None:  # shown for any procedure: the clerk decides whether to use it
        body["conversion"] = {"old": conversion.old_commune, "new": conversion.new_commune,
                              "province": conversion.new_province, "text": conversion.text}
    if not procedure.by_level:
        body["default"] = body["results"][0] if body["results"] else None
        return JsonResponse(body)
    profile = staff_profile(request.user)
    facts = reference.unit_facts()
    if profile is not None:
        default_id = competence.default_for(resolving_level=procedure.resolving_level,
                                            receiving=facts[profile.unit_id], units=facts.values(), day=today)
        if default_id:
            body["default"] = {"code": facts[default_id].code, "name": facts[default_id].name}
    if address:
        valid = selectors.competent_units(procedure=procedure, day=today)
        names = {u.id: u.name for u in valid}
        found, via = admin_units.commune_in_address(address, names), "address"
        if conversion is not None:
            converted = admin_units.commune_in_address(conversion.new_commune, names)
            if converted:  # the old address names a commune that no longer exists: the new one
                found, via = converted, "conversion"
        if found:
            body["suggestion"] = {"code": facts[found].code, "name": facts[found].name, "via": via}
    return JsonResponse(body)


@clerk_required
def due_preview(request):
    """The due date a dossier of ``procedure`` received now would get, with its explanation."""
    procedure = Procedure.objects.filter(code=request.GET.get("procedure", ""), is_active=True).first()
    if procedure is None:
        msg = _("Không tìm thấy thủ tục này hoặc thủ tục đã ngừng áp dụng.")
        return JsonResponse({"detail": msg, "errors": {"procedure": [msg]}}, status=404)
    return JsonResponse(_due_preview(procedure, timezone.now()))


@clerk_required
def applicant_lookup(request):
    """The applicant's data from their latest dossier this user may see (reuse by CCCD)."""
    try:
        id_number = normalize_id_number(request.GET.get("id_number"))
    except IdentityError as exc:
        return JsonResponse({"detail": exc.message, "errors": {"id_number": [exc.message]}}, status=400)
    if not id_number:
        return JsonResponse({"detail": MSG_CCCD, "errors": {"id_number": [MSG_CCCD]}}, status=400)
    d = applicant_last_by_id_number(id_number=id_number, user=request.user)
    if d is None:
        return JsonResponse({"found": False})
    return JsonResponse({
        "found": True,
        "applicant": {
            "name": d.applicant_name, "id_number": d.applicant_id_number, "phone": d.applicant_phone,
            "address": d.applicant_address, "email": d.applicant_email,
        },
        "dossier": {
            "code": d.code,
            "procedure": d.procedure.name,
            "received": f"{timezone.localtime(d.received_at):%d/%m/%Y}" if d.received_at else "",
        },
    })


# --- intake ----------------------------------------------------------------------------------


def _checklist_for(form: IntakeForm, procedure: Procedure | None) -> list[dict]:
    if form.checklist:
        return form.checklist
    if procedure is None:
        return []
    return [{"name": name, "on": False, "originals": 0, "copies": 1} for name in procedure.document_list]


@page_required("dossiers:intake")
def intake(request):
    """Tiếp nhận hồ sơ: save → ``dossier_register`` → the receipt (Mẫu 01) ready to print."""
    profile = staff_profile(request.user)
    need_unit = profile is None
    if request.method == "POST":
        form = IntakeForm(request.POST, need_unit=need_unit)
        if form.is_valid():
            data = form.cleaned_data

            def register():
                return dossier_register(
                    procedure=data["procedure"],
                    receiving_unit=profile.unit if profile else data["receiving_unit"],
                    counter=profile.counter if profile else None,
                    resolving_unit=data.get("resolving_unit"),
                    channel=data["channel"],
                    return_channel=data["return_channel"],
                    applicant=form.applicant(),
                    actor=request.user,
                    on_the_spot=data["on_the_spot"],
                    documents=form.documents(),
                    request_content=data["request_content"],
                    copies=data["copies"],
                ), ""

            try:
                if data["once"]:  # the form's one-time token: a form sent again takes in nothing
                    done = intake_once(user=request.user, key=PAGE_KEY_PREFIX + data["once"], digest=PAGE_KEY_PREFIX,
                                       register=register)
                    dossier, replayed = done.dossier, done.replayed
                else:
                    dossier, replayed = register()[0], False
            except DossierError as exc:
                add_service_errors(form, exc)
            else:
                if replayed:
                    messages.info(request, _("Hồ sơ này đã được tiếp nhận (mã %(code)s).") % {"code": dossier.code})
                    return redirect("dossiers:receipt", dossier.code)
                messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s") % {"code": dossier.code})
                if not (dossier.applicant_phone or dossier.applicant_id_number):  # issue 14: said, not refused
                    messages.warning(request, _(MSG_NO_CONTACT) % {"code": dossier.code})
                for hook in hooks.INTAKE_SAVED:  # papers: the scans attached to the checklist
                    hook(request, dossier)
                return redirect(reverse("dossiers:receipt", args=[dossier.code]) + "?print=1")
        procedure = form.procedure_obj
    else:
        procedure = Procedure.objects.select_related("field", "resolving_unit").filter(
            code=request.GET.get("procedure", ""), is_active=True
        ).first()
        initial = {"procedure": procedure.code if procedure else "", "request_content": procedure.name if procedure else ""}
        form = IntakeForm(initial=initial, need_unit=need_unit)
    rows = _checklist_for(form, procedure)
    competent_code = (form["resolving_unit"].value() or "") if form.is_bound else ""
    competent = reference.unit_get(competent_code) if competent_code else None
    context = {
        "competent_code": competent_code,
        "competent_label": f"{competent.name} ({competent.code})" if competent else competent_code,
        "form": form,
        "procedure": procedure,
        "checklist": [r for r in rows if not r.get("extra")],
        "doc_extra": "\n".join(r["name"] for r in rows if r.get("extra")),
        "due": _due_preview(procedure, timezone.now()) if procedure else None,
        "profile": profile,
        "msg_cccd": MSG_CCCD,
        "on_the_spot_checked": bool(form["on_the_spot"].value()),
        "panels": hooks.panels(hooks.INTAKE_PANELS, request),
    }
    return render(request, "dossiers/intake.html", context)


# --- Mẫu 01 ----------------------------------------------------------------------------------


def _receiver_name(dossier: Dossier) -> str:
    event = dossier.events.filter(action__in=["receive", "accept"]).order_by("at", "id").first()
    if event and event.actor_name:
        return event.actor_name
    if dossier.created_by:
        return dossier.created_by.get_full_name() or dossier.created_by.get_username()
    return ""


def _documents(dossier: Dossier) -> list[dict]:
    rows = []
    for doc in dossier.documents or []:
        if isinstance(doc, str):
            rows.append({"name": doc, "originals": "", "copies": ""})
        elif isinstance(doc, dict) and doc.get("name"):
            rows.append({"name": doc["name"], "originals": doc.get("originals", ""), "copies": doc.get("copies", "")})
    return rows


def render_receipt(request, dossier: Dossier):
    """Mẫu 01 "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" (two copies), HTML or ``?format=pdf``.

    The caller has already checked that the user may see the dossier.
    """
    if dossier.received_at is None:
        raise Http404(_("Hồ sơ chưa được tiếp nhận nên chưa có giấy tiếp nhận."))
    unit = dossier.receiving_unit
    number = _daily_number(dossier.code)
    received = timezone.localtime(dossier.received_at)
    due_at = timezone.localtime(dossier.due_at) if dossier.due_at else None
    book = RegisterBook.objects.select_related("counter").filter(pk=dossier.register_book_id).first()
    fs = form_set_for(timezone.localdate(dossier.received_at))
    context = {
        "dossier": dossier,
        "unit": unit,
        "number": f"{number}/TNHS" if number else "",
        "book": book.number if book else "",  # "Quyển số" (issue 14; none for an imported dossier)
        "book_number": dossier.register_number or "",  # "Số thứ tự" in that book
        "form_label": fs.label(RECEIPT),
        "place": unit.place_on_forms(),
        "doc_date": received.date(),
        "received": received,
        "due_at": due_at,
        "time_text": _time_text(dossier.processing_time, dossier.time_unit),
        "documents": _documents(dossier),
        "receiver_name": _receiver_name(dossier),
        "copies": [_("Liên 1: lưu"), _("Liên 2: giao khách hàng")],
        "return_postal": dossier.return_channel == ReturnChannel.POSTAL,
        "autoprint": request.GET.get("print") == "1",
        "can_complete_on_the_spot": dossier.on_the_spot and dossier.state == DossierState.RECEIVED,
    }
    return render_form(
        request, "dossiers/forms/mau01_receipt.html", context, filename=f"giay-tiep-nhan-{dossier.code}.pdf"
    )


# --- Mẫu 02 / 03 before receipt ------------------------------------------------------------------


def _slip_prefill(post) -> dict:
    """Initial slip data from the intake form's fields (the unticked documents are missing)."""
    initial = {key: post.get(key, "") for key in (
        "applicant_name", "applicant_id_number", "applicant_phone", "applicant_address", "applicant_email",
        "procedure", "request_content", "reason",
    )}
    if "missing" in post:  # back from a printed slip to correct it
        initial["missing"] = post.get("missing", "")
        return initial
    missing = []
    try:
        count = min(int(post.get("doc-count", 0)), 60)
    except (TypeError, ValueError):
        count = 0
    for i in range(count):
        name = (post.get(f"doc-{i}-name") or "").strip()
        if name and not post.get(f"doc-{i}-on"):
            missing.append(name)
    initial["missing"] = "\n".join(missing)
    return initial


@clerk_required
def counter_slip(request, kind: str):
    """Mẫu 02 (kind ``huong-dan``) or Mẫu 03 (``tu-choi``) at the counter: no dossier (D10)."""
    if kind not in SLIP_KINDS:
        raise Http404(kind)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    profile = staff_profile(request.user)
    procedure = None
    if request.method == "POST" and request.POST.get("prefill"):
        form = CounterSlipForm(initial=_slip_prefill(request.POST), kind=kind)
        procedure = Procedure.objects.filter(code=request.POST.get("procedure", ""), is_active=True).first()
    elif request.method == "POST":
        form = CounterSlipForm(request.POST, kind=kind)
        if form.is_valid():
            data = form.cleaned_data
            clerk = request.user.get_full_name() or request.user.get_username()
            unit = profile.unit if profile else data["procedure"].resolving_unit
            context = {
                "kind": kind,
                "unit": unit,
                "place": unit.place_on_forms(),
                "doc_date": timezone.localdate(),
                "procedure": data["procedure"],
                "applicant": form.applicant(),
                "request_content": data["request_content"] or data["procedure"].name,
                "missing": form.missing_list() if kind == "huong-dan" else [],
                "reason": data["reason"],
                "clerk_name": clerk,
                "clerk_phone": profile.phone if profile else "",
                "post_data": request.POST,
                "autoprint": request.POST.get("print") == "1",
                # before any dossier exists: the forms in force today (TT 03/2025)
                "form_label": form_set_for(None).label(SUPPLEMENT if kind == "huong-dan" else REFUSAL),
            }
            template = f"dossiers/forms/{SLIP_KINDS[kind]}_{'guidance' if kind == 'huong-dan' else 'refusal'}.html"
            return render_form(request, template, context, filename=f"{SLIP_KINDS[kind]}-{timezone.localdate():%Y%m%d}.pdf")
        procedure = form.procedure_obj
    else:
        procedure = Procedure.objects.filter(code=request.GET.get("procedure", ""), is_active=True).first()
        form = CounterSlipForm(initial={"procedure": procedure.code if procedure else ""}, kind=kind)
    context = {
        "kind": kind,
        "form": form,
        "msg_cccd": MSG_CCCD,
        "procedure": procedure,
        "title": _("Phiếu hướng dẫn bổ sung, hoàn thiện hồ sơ (Mẫu 02)") if kind == "huong-dan"
        else _("Phiếu từ chối tiếp nhận giải quyết hồ sơ (Mẫu 03)"),
    }
    return render(request, "dossiers/forms/counter_slip_form.html", context)


# --- worklist --------------------------------------------------------------------------------


def _rows(qs, *, today, cal, now):
    rows = []
    for d in qs:
        label = deadline_label(d, today, cal, now=now)  # the one rule (dossiers.deadlines)
        rows.append({"d": d, "label_key": label.key if label else "", "label_text": label.text if label else ""})
    return rows


@clerk_required
def worklist(request):
    """Việc hôm nay: today's intake at the clerk's unit, results to hand back, returns by post."""
    profile = staff_profile(request.user)
    now = timezone.now()
    today = timezone.localdate(now)
    cal = calendar_get()
    start = timezone.make_aware(datetime.combine(today, time.min))
    end = start + timedelta(days=1)
    base = dossiers_visible_to(request.user, Dossier.objects.select_related("procedure", "current_unit"))
    if profile is not None:
        base = base.filter(receiving_unit=profile.unit)
    received_today = base.filter(received_at__gte=start, received_at__lt=end).order_by("-received_at")
    # D18: still at the counter, the oldest hand-over deadline first (late ones flagged)
    to_hand_over = base.filter(state=DossierState.RECEIVED).order_by("handover_due_at", "id")
    results = base.filter(state__in=[DossierState.APPROVED, DossierState.REFUSED])
    at_counter = results.filter(~Q(return_channel=ReturnChannel.POSTAL)).order_by("resolved_at")
    by_post = results.filter(return_channel=ReturnChannel.POSTAL).order_by("resolved_at")
    sections = [
        {"key": "handover", "title": _("Hồ sơ chờ chuyển cho đơn vị xử lý"), "count": to_hand_over.count(),
         "rows": _rows(to_hand_over[:WORKLIST_LIMIT], today=today, cal=cal, now=now),
         "empty": _("Không có hồ sơ nào chờ chuyển.")},
        {"key": "today", "title": _("Hồ sơ tiếp nhận hôm nay"), "count": received_today.count(),
         "rows": _rows(received_today[:WORKLIST_LIMIT], today=today, cal=cal, now=now),
         "empty": _("Hôm nay chưa tiếp nhận hồ sơ nào.")},
        {"key": "counter", "title": _("Kết quả chờ trả tại bộ phận một cửa"), "count": at_counter.count(),
         "rows": _rows(at_counter[:WORKLIST_LIMIT], today=today, cal=cal, now=now),
         "empty": _("Không có kết quả chờ trả.")},
        {"key": "postal", "title": _("Kết quả trả qua bưu chính"), "count": by_post.count(),
         "rows": _rows(by_post[:WORKLIST_LIMIT], today=today, cal=cal, now=now),
         "empty": _("Không có kết quả chờ gửi bưu chính.")},
    ]
    return render(request, "dossiers/worklist.html", {
        "sections": sections, "today": today, "profile": profile, "limit": WORKLIST_LIMIT,
    })
