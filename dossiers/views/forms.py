"""Printed forms of a dossier (ux.md "Printed forms"), each a page and, with ``?format=pdf``, a PDF.

The numbering follows the dossier's receipt date (``dossiers.form_sets``): Thông tư 03/2025
from 15/9/2025 (01 receipt, 02 supplement request, 04 apology and extension request, 05
notice of stopping, 06 control sheet, 07 tracking register), Thông tư 01/2018 before.

- ``receipt``: Mẫu 01 (rendered by ``intake.render_receipt``);
- ``control_sheet``: the control sheet (Mẫu 06, old 05), one row per hand-off;
- ``supplement_slip``: Mẫu 02 during processing; ``apology_slip``: Mẫu 04;
- ``stop_notice``: Mẫu 05 Thông báo dừng giải quyết hồ sơ (D16), from the ``stop`` event;
- ``register``: the tracking register (Mẫu 07, old 06) of one book for a date range, A4
  landscape with its header repeated on every page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from dossiers.access import page_required
from dossiers.form_sets import APOLOGY, CONTROL, REGISTER, STOP, SUPPLEMENT, form_set_for
from dossiers.models import Classification, Dossier, RegisterBook, Unit
from dossiers.pdf import render_form
from dossiers.selectors import dossier_get_for_user, staff_profile, user_unit_ids
from dossiers.workflow import Action

STOP_ACTION = Action.STOP
SKIPPED = "skipped"  # DossierStep state of a step marked "not needed" (D17)


def staff_name(user) -> str:
    """A staff member as printed and shown: the full name (the login name only when the account
    has none)."""
    return (user.get_full_name() or user.get_username()) if user else ""


def _dossier_or_404(user, code: str) -> Dossier:
    try:
        return dossier_get_for_user(user=user, code=code)
    except Dossier.DoesNotExist:
        raise Http404(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code}) from None


def _forms_of(dossier: Dossier):
    return form_set_for(timezone.localdate(dossier.received_at) if dossier.received_at else None)


def _label(choices, value: str) -> str:
    try:
        return choices(value).label
    except ValueError:
        return value


# --- Mẫu 01 ----------------------------------------------------------------------------------


@login_required
@require_GET
def receipt(request, code: str):
    """Mẫu 01 (the intake module renders it)."""
    from dossiers.views.intake import render_receipt

    return render_receipt(request, _dossier_or_404(request.user, code))


# --- the control sheet (Mẫu 06 of TT 03/2025, Mẫu 05 of TT 01/2018) --------------------------


@dataclass
class HandOff:
    """One row of the control sheet: who gave the dossier to whom, when, and how the receiving
    unit did its part (its step's class; on the return to the counter, the dossier's)."""

    giver: object  # Unit, or a str
    receiver: object
    at: datetime | None
    giver_name: str = ""
    receiver_name: str = ""
    result: str = ""  # classification key (early / on_time / late)
    notes: list[str] = field(default_factory=list)

    @property
    def result_label(self) -> str:
        return _label(Classification, self.result) if self.result else ""


def _stamp(at: datetime) -> str:
    return f"{timezone.localtime(at):%H:%M %d/%m/%Y}"


def _pause_note(p) -> str:
    text = _("Yêu cầu bổ sung lúc %(at)s") % {"at": _stamp(p.requested_at)}
    if p.completed_at:
        text += _("; nhận bổ sung lúc %(at)s") % {"at": _stamp(p.completed_at)}
    return text


def control_sheet_rows(dossier: Dossier, steps, events, pauses) -> list[HandOff]:
    """The hand-offs of the control sheet: one row per step (the hand-over into it), one for the
    return of the result to the counter and one for the hand-back to the applicant.

    Each row: the giving and receiving units, the instant, the person who gave (the actor of the
    hand-over) and the one who received (whoever of the receiving unit took it up: the assigned
    officer, else the first of that unit to act; never the giver), the receiving unit's result,
    and the notes of that step only (a supplement requested while the step was current goes on
    that step's row). Steps not reached yet give rows without a time, to be filled by hand.
    """
    events = sorted(events, key=lambda e: (e.at, e.id or 0))
    receive = next((e for e in events if e.action in ("receive", Action.ACCEPT)), None)

    def acted_at(actions, at) -> str:
        return next((e.actor_name for e in events if e.at == at and e.action in actions and e.actor_name), "")

    def taker(unit_id, start, end, giver_name, assigned) -> str:
        candidates = [staff_name(assigned)] + [
            e.actor_name for e in events
            if e.unit_id == unit_id and e.at >= start and (end is None or e.at <= end)
        ]
        return next((n for n in candidates if n and n != giver_name), "")

    started = [s for s in steps if s.started_at and s.state != SKIPPED]
    notes_of: dict[int, list[str]] = {s.pk: [] for s in steps}
    for p in pauses:  # at the last step started by then (before any: the first step's row)
        at_step = [s for s in started if s.started_at <= p.requested_at]
        home = at_step[-1] if at_step else (started[0] if started else (steps[0] if steps else None))
        if home is not None:
            notes_of[home.pk].append(_pause_note(p))

    rows: list[HandOff] = []
    prev_unit = dossier.receiving_unit
    first = True
    for s in steps:
        due = _("hạn %(d)s") % {"d": f"{s.due_date:%d/%m/%Y}"} if s.due_date else ""
        notes = [f"{s.order}. {s.name}" + (f" ({due})" if due else "")]
        if s.state == SKIPPED:
            rows.append(HandOff(giver=prev_unit, receiver=s.unit, at=None,
                                notes=notes + [_("Không cần thực hiện")]))
            continue
        at = s.started_at
        giver_name = receiver_name = ""
        if at:
            giver_name = acted_at((Action.TRANSFER,), at) or ("" if not first else (receive.actor_name if receive else ""))
            receiver_name = taker(s.unit_id, at, s.finished_at, giver_name, s.assigned_to)
        rows.append(HandOff(giver=prev_unit, receiver=s.unit, at=at, giver_name=giver_name,
                            receiver_name=receiver_name, result=s.classification, notes=notes + notes_of[s.pk]))
        prev_unit, first = s.unit, False
    if steps:
        end = dossier.resolved_at
        withdrawn = dossier.outcome == "withdrawn"
        final = HandOff(giver=prev_unit, receiver=dossier.receiving_unit, at=end if not withdrawn else None,
                        result=dossier.classification)
        if end and not withdrawn:
            final.giver_name = acted_at((Action.APPROVE, Action.REFUSE, STOP_ACTION), end)
            final.receiver_name = taker(dossier.receiving_unit_id, end, None, final.giver_name, None)
        if dossier.outcome:
            from dossiers.models import Outcome

            text = _label(Outcome, dossier.outcome)
            if dossier.outcome_note and dossier.outcome != "approved":
                text += f": {dossier.outcome_note}"
            final.notes.append(text)
        rows.append(final)
    if dossier.returned_at:
        rows.append(HandOff(
            giver=dossier.receiving_unit, receiver=_("Tổ chức, cá nhân: %(name)s") % {"name": dossier.applicant_name},
            at=dossier.returned_at, giver_name=acted_at((Action.RETURN_RESULT,), dossier.returned_at),
            receiver_name=dossier.applicant_name,
            notes=[_("Trả kết quả (%(how)s)") % {"how": dossier.get_return_channel_display()}],
        ))
    return rows


@login_required
@require_GET
def control_sheet(request, code: str):
    """Phiếu kiểm soát quá trình giải quyết hồ sơ (A4 portrait, printable)."""
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
    fs = _forms_of(dossier)
    return render_form(request, "dossiers/forms/mau05_control_sheet.html", {
        "dossier": dossier, "rows": control_sheet_rows(dossier, steps, events, pauses),
        "coordinating": coordinating, "issuer": dossier.receiving_unit,
        "doc_date": timezone.localdate(dossier.received_at), "place": dossier.receiving_unit.place_on_forms(),
        "form_label": fs.label(CONTROL), "form_title": fs.titles[CONTROL],
        "title": _("Phiếu kiểm soát %(code)s") % {"code": dossier.code},
    }, filename=f"phieu-kiem-soat-{dossier.code}.pdf")


# --- Mẫu 02 during processing, Mẫu 04, Mẫu 05 --------------------------------------------------


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
    fs = _forms_of(dossier)
    return render_form(request, "dossiers/forms/mau02_supplement.html", {
        "dossier": dossier, "pause": pause, "issuer": issuer, "doc_date": timezone.localdate(pause.requested_at),
        "place": issuer.place_on_forms(), "form_label": fs.label(SUPPLEMENT),
        "requester_name": staff_name(requester), "requester_phone": getattr(profile, "phone", ""),
        "title": _("Phiếu yêu cầu bổ sung %(code)s") % {"code": dossier.code},
    }, filename=f"phieu-yeu-cau-bo-sung-{dossier.code}-{pause.pk}.pdf")


@login_required
@require_GET
def apology_slip(request, code: str):
    """Mẫu 04: "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết" (TT 03/2025), "Phiếu xin
    lỗi và hẹn lại ngày trả kết quả" (TT 01/2018); only after an apology was recorded."""
    dossier = _dossier_or_404(request.user, code)
    if dossier.apologized_at is None:
        raise Http404(_("Hồ sơ %(code)s chưa có phiếu xin lỗi.") % {"code": code})
    event = dossier.events.filter(action=Action.APOLOGIZE).order_by("at").first()
    issuer = Unit.objects.select_related("parent").get(pk=dossier.resolving_unit_id)
    fs = _forms_of(dossier)
    return render_form(request, "dossiers/forms/mau04_apology.html", {
        "dossier": dossier, "issuer": issuer, "doc_date": timezone.localdate(dossier.apologized_at), "place": issuer.place_on_forms(),
        "original_due": event.due_date if event and event.due_date else dossier.due_date,
        "signer_name": event.actor_name if event else "",
        "form_label": fs.label(APOLOGY), "form_title": fs.titles[APOLOGY], "tt03": fs.numbers.get(STOP) is not None,
        "title": _("Phiếu xin lỗi %(code)s") % {"code": dossier.code},
    }, filename=f"phieu-xin-loi-{dossier.code}.pdf")


@login_required
@require_GET
def stop_notice(request, code: str):
    """Mẫu 05 of TT 03/2025 "Thông báo dừng giải quyết hồ sơ" (D16): the lead unit's notice,
    with the reason written on the ``stop`` event, signed by the leader who stopped it."""
    dossier = _dossier_or_404(request.user, code)
    event = dossier.events.select_related("unit", "unit__parent").filter(action=STOP_ACTION).order_by("-at", "-id").first()
    if event is None:
        raise Http404(_("Hồ sơ %(code)s không bị dừng giải quyết.") % {"code": code})
    issuer = event.unit or Unit.objects.select_related("parent").get(pk=dossier.resolving_unit_id)
    fs = _forms_of(dossier)
    return render_form(request, "dossiers/forms/mau05_stop_notice.html", {
        "dossier": dossier, "event": event, "issuer": issuer, "doc_date": timezone.localdate(event.at),
        "place": issuer.place_on_forms(), "reason": event.note, "signer_name": event.actor_name,
        "form_label": fs.label(STOP) if STOP in fs.numbers else "",
        "title": _("Thông báo dừng giải quyết %(code)s") % {"code": dossier.code},
    }, filename=f"thong-bao-dung-{dossier.code}.pdf")


# --- the tracking register (Mẫu 07 of TT 03/2025, Mẫu 06 of TT 01/2018) ------------------------


def register_books_for(user):
    """The books a user may print: those of their units (every book for administrators)."""
    unit_ids = user_unit_ids(user)
    qs = RegisterBook.objects.select_related("unit", "counter").order_by("-year", "unit__name", "counter_key")
    return qs if unit_ids is None else qs.filter(unit_id__in=unit_ids)


class RegisterFilterForm(forms.Form):
    book = forms.ModelChoiceField(queryset=RegisterBook.objects.none(), required=False, label=gettext_lazy("Quyển sổ"))
    date_from = forms.DateField(label=gettext_lazy("Từ ngày"), required=False, input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                                error_messages={"invalid": gettext_lazy("Ngày không hợp lệ, nhập theo dạng dd/mm/yyyy.")})
    date_to = forms.DateField(label=gettext_lazy("Đến ngày"), required=False, input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                              error_messages={"invalid": gettext_lazy("Ngày không hợp lệ, nhập theo dạng dd/mm/yyyy.")})

    def __init__(self, *args, books, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["book"].queryset = books
        self.fields["book"].label_from_instance = _book_label
        self.fields["book"].empty_label = _("Sổ của quầy tôi, năm nay")

    def clean(self):
        cd = super().clean()
        a, b = cd.get("date_from"), cd.get("date_to")
        if a and b and a > b:
            self.add_error("date_to", _("“Đến ngày” phải từ “Từ ngày” trở đi."))
        return cd


def _book_label(book: RegisterBook) -> str:
    where = book.counter.name if book.counter_id else _("Sổ của đơn vị (không qua quầy)")
    return _("Quyển số %(n)s – %(unit)s – %(where)s") % {"n": book.number, "unit": book.unit.name, "where": where}


def register_entries(book: RegisterBook, start: date, end: date):
    """The book's entries received (local date of R) in [start, end], by "số thứ tự"."""
    from dossiers.calendar import LOCAL_TZ

    lo = datetime.combine(start, datetime.min.time(), tzinfo=LOCAL_TZ)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_TZ)
    return (Dossier.objects.filter(register_book=book, received_at__gte=lo, received_at__lt=hi)
            .select_related("procedure", "resolving_unit").order_by("register_number"))


@page_required("dossiers:register")  # counter clerks, leaders, administrators (dossiers.access)
@require_GET
def register(request):
    """The tracking register of one book for a date range: A4 landscape, the column header
    repeated on every page, pages numbered (print and PDF alike)."""
    books = register_books_for(request.user)
    today = timezone.localdate()
    data = request.GET.copy()
    form = RegisterFilterForm(data, books=books)
    book = entries = None
    start, end = today.replace(day=1), today
    if form.is_valid():
        cd = form.cleaned_data
        start, end = cd["date_from"] or start, cd["date_to"] or end
        book = cd["book"]
        if book is None:
            profile = staff_profile(request.user)
            mine = books.filter(year=end.year)
            if profile is not None:
                mine = mine.filter(unit_id=profile.unit_id, counter_key=profile.counter_id or 0)
            book = mine.first()
        if book is not None:
            entries = list(register_entries(book, start, end))
    fs = form_set_for(start)
    return render_form(request, "dossiers/forms/mau07_register.html", {
        "form": form, "book": book, "entries": entries, "start": start, "end": end,
        "issuer": book.unit if book else None, "place": book.unit.place_on_forms() if book else "",
        "form_label": fs.label(REGISTER), "form_title": fs.titles[REGISTER],
        "title": _("Sổ theo dõi hồ sơ"),
    }, filename=f"so-theo-doi-{book.number.replace('/', '-') if book else 'trong'}-{start:%Y%m%d}-{end:%Y%m%d}.pdf")
