"""Template filters and tags for the dossier pages and printed forms.

:func:`deadline_label` dresses the one deadline rule, ``dossiers.deadlines.deadline_status``,
as the coloured label every list and the dossier page show (ux.md "Lists"): its text and a
tooltip (the due date, the working days left or late). Views call it once per row (templates
run no queries).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from dossiers import calendar as wcal
from dossiers.deadlines import DeadlineKey, dossier_deadline_status
from dossiers.workflow import DossierState
from dossiers.workflow import action_label as workflow_action_label

register = template.Library()


@dataclass(frozen=True)
class DeadlineLabel:
    """A deadline state as shown: ``key`` is also the CSS class suffix (``label-<key>``)."""

    key: str  # within | soon | overdue | paused | early | on_time | late
    text: str
    title: str = ""

    @property
    def css(self) -> str:
        return f"label label-{self.key}"

    def __html__(self) -> str:
        return format_html('<span class="{}" title="{}">{}</span>', self.css, self.title, self.text)

    def __str__(self) -> str:
        # Templates stringify before escaping: "{{ label }}" prints the coloured span.
        return self.__html__()


def _dmy(d: date | None) -> str:
    return f"{d:%d/%m/%Y}" if d else ""


def deadline_label(dossier, today: date, cal: wcal.WorkCalendar, now: datetime | None = None) -> DeadlineLabel | None:
    """The deadline label of `dossier` on local date `today` at `now` (aware; default: the
    present instant), by the rule of ``dossiers.deadlines``; None for a dossier without one."""
    status = dossier_deadline_status(
        dossier, today=today, now=now or timezone.now(), next_working_day=cal.next_working_day(today)
    )
    if status is None:
        return None
    key, due = status.key, dossier.due_date
    if key in (DeadlineKey.EARLY, DeadlineKey.ON_TIME, DeadlineKey.LATE):
        texts = {"early": _("Trước hạn"), "on_time": _("Đúng hạn"), "late": _("Trễ hạn")}
        resolved = dossier.resolved_on or (timezone.localdate(dossier.resolved_at) if dossier.resolved_at else None)
        title = _("Giải quyết ngày %(resolved)s, hạn %(due)s") % {"resolved": _dmy(resolved), "due": _dmy(due)}
        return DeadlineLabel(key, texts[key], title)
    if key == DeadlineKey.PAUSED:
        paused_on = dossier.paused_on or today
        if status.overdue:
            title = _("Chờ bổ sung từ %(p)s; đã quá hạn %(due)s trước khi tạm dừng") % {"p": _dmy(paused_on), "due": _dmy(due)}
        else:
            title = _("Chờ bổ sung từ %(p)s; thời hạn tạm dừng, hạn sẽ được lùi khi nhận bổ sung") % {"p": _dmy(paused_on)}
        return DeadlineLabel("paused", _("Tạm dừng"), title)
    if key == DeadlineKey.OVERDUE:
        late_days = cal.working_days_between(due, today) if due < today else 0
        if late_days:
            title = _("Hạn %(due)s, đã quá %(n)s ngày làm việc") % {"due": _dmy(due), "n": late_days}
        else:
            title = _("Hạn %(due)s") % {"due": _dmy(due)}
        return DeadlineLabel("overdue", _("Quá hạn"), title)
    if key == DeadlineKey.SOON:
        title = _("Hạn hôm nay %(due)s") % {"due": _dmy(due)} if due == today else _("Hạn %(due)s (ngày làm việc tiếp theo)") % {"due": _dmy(due)}
        return DeadlineLabel("soon", _("Sắp đến hạn"), title)
    left = cal.working_days_between(today, due)
    return DeadlineLabel("within", _("Trong hạn"), _("Hạn %(due)s, còn %(n)s ngày làm việc") % {"due": _dmy(due), "n": left})


# --- filters ---------------------------------------------------------------------------------


def _local(value):
    if isinstance(value, datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    return value


@register.filter
def dmy(value) -> str:
    """A date (or the local date of an aware datetime) as dd/mm/yyyy; empty for None."""
    if not value:
        return ""
    value = _local(value)
    return f"{value:%d/%m/%Y}"


@register.filter
def iso_dmy(value) -> str:
    """An ISO date string (as stored in event data) as dd/mm/yyyy; the input when unparsable."""
    if not value:
        return ""
    try:
        return f"{date.fromisoformat(str(value)[:10]):%d/%m/%Y}"
    except ValueError:
        return str(value)


@register.filter
def hm_dmy(value) -> str:
    """An aware datetime as "HH:mm dd/mm/yyyy" in local time; empty for None."""
    if not value:
        return ""
    value = _local(value)
    return f"{value:%H:%M %d/%m/%Y}"


@register.filter
def long_date(value) -> str:
    """"ngày 05 tháng 3 năm 2022" as printed forms write a date; dotted blanks for None."""
    if not value:
        return _("ngày …… tháng …… năm ……")
    value = _local(value)
    # As the document header writes it: days 1–9 and months 1–2 take a leading zero.
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return _("ngày %(d)02d tháng %(m)s năm %(y)d") % {"d": value.day, "m": month, "y": value.year}


@register.filter
def long_time(value) -> str:
    """"10 giờ 30 phút" in local time; dotted blanks for None."""
    if not value:
        return _("…… giờ …… phút")
    value = _local(value)
    return _("%(h)02d giờ %(mi)02d phút") % {"h": value.hour, "mi": value.minute}


@register.filter
def long_datetime(value) -> str:
    """"10 giờ 30 phút, ngày 05 tháng 3 năm 2022" (Mẫu 01/05 style); dotted blanks for None."""
    if not value:
        return _("…… giờ …… phút, ngày …… tháng …… năm ……")
    value = _local(value)
    return _("%(h)02d giờ %(mi)02d phút, %(date)s") % {"h": value.hour, "mi": value.minute, "date": long_date(value)}


@register.filter
def mask_id(value) -> str:
    """A CCCD with its middle digits hidden for lists: 0010******45 (dossiers.pii)."""
    from dossiers.pii import mask_id_number

    return mask_id_number(value)


@register.filter
def mask_phone(value) -> str:
    """A phone with its middle digits hidden: 0912****78 (dossiers.pii)."""
    from dossiers.pii import mask_phone as _mask_phone

    return _mask_phone(value)


@register.simple_tag(takes_context=True)
def pii_full(context, dossier) -> bool:
    """``{% pii_full dossier as show %}``: may the current user see this dossier's CCCD and
    phone in full (a member of one of its own units, NĐ 13/2023)?"""
    from dossiers.pii import pii_visible_to

    request = context.get("request")
    return bool(request is not None and pii_visible_to(request.user, dossier))


@register.filter
def state_label(state: str) -> str:
    try:
        return DossierState(state).label
    except ValueError:
        return state


#: event actions that are not workflow actions
_EVENT_LABELS = {
    "receive": "Tiếp nhận hồ sơ",
    "submit": "Nộp hồ sơ trực tuyến",
    "recompute-due": "Tính lại hạn (lịch làm việc thay đổi)",
    "on-the-spot": "Giải quyết tại chỗ",
    "reorganise": "Chuyển theo sắp xếp đơn vị hành chính",
}


@register.filter
def action_label(action: str, from_state: str = "") -> str:
    """The Vietnamese name of a workflow action or history event (``e.action|action_label:e.from_state``:
    the counter's hand-over reads "Chuyển xử lý", ``dossiers.workflow.action_label``)."""
    if action in _EVENT_LABELS:
        return _(_EVENT_LABELS[action])
    try:
        return workflow_action_label(action, from_state=from_state or "")
    except ValueError:
        return action


@register.filter
def lines(value) -> list[str]:
    """Non-empty lines of a text (documents to supplement, one per line)."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


@register.simple_tag
def deadline_badge(dossier):
    """The deadline label of a row: the one the view attached (``dossier.deadline``), else
    computed now (a page showing a single dossier)."""
    label = getattr(dossier, "deadline", None)
    if label is None and not hasattr(dossier, "deadline"):
        from dossiers.selectors import calendar_get

        label = deadline_label(dossier, timezone.localdate(), calendar_get(), now=timezone.now())
    return label or ""


# --- the dossier page's progress line (issue 14) ---------------------------------------------------


def _folded(text: str) -> str:
    from dossiers.views.intake import fold

    return " ".join(fold(text or "").split())


@register.simple_tag
def progress_edges(steps) -> dict:
    """Which synthetic nodes the progress line adds around the steps: "Tiếp nhận" unless the
    first step already is the reception ("1. Tiếp nhận hồ sơ"), "Trả kết quả" unless the last
    step already is the return. No node twice."""
    steps = list(steps)
    first = _folded(steps[0].name) if steps else ""
    last = _folded(steps[-1].name) if steps else ""
    return {"start": not first.startswith("tiep nhan"), "end": "tra ket qua" not in last}


@register.simple_tag
def form_numbers(dossier) -> dict:
    """The form numbers of the dossier's form set ({"receipt": "01", "control": "06", …}):
    Thông tư 03/2025 from 15/9/2025, 01/2018 before (dossiers.form_sets)."""
    from dossiers.form_sets import form_set_for

    received = timezone.localdate(dossier.received_at) if dossier.received_at else None
    return form_set_for(received).numbers


# --- the due date's explanation in the reader's language (issue 14) --------------------------------

#: (pattern of dossiers.calendar.DueDate.text's Vietnamese pieces, its translation)
_DUE_TEXT_PIECES = (
    (r"^Hẹn trả (\d\d:\d\d) ngày ", lambda m: _("Hẹn trả %(t)s ngày ") % {"t": m[1]}),
    (r"^Hẹn trả ", lambda m: _("Hẹn trả ")),
    (r"không tính ", lambda m: _("không tính ")),
    (r"tính cả ", lambda m: _("tính cả ")),
    (r"nhận sau (\d\d:\d\d)", lambda m: _("nhận sau %(t)s") % {"t": m[1]}),
    (r", tính từ ", lambda m: _(", tính từ ")),
    (r"\bnhận (Thứ [^ ]+|Chủ nhật) ", lambda m: _("nhận %(day)s ") % {"day": _(m[1])}),
    (r"cộng (\d+) ngày làm việc chờ bổ sung", lambda m: _("cộng %(n)s ngày làm việc chờ bổ sung") % {"n": m[1]}),
    (r"đang tạm dừng chờ bổ sung từ ", lambda m: _("đang tạm dừng chờ bổ sung từ ")),
    (r"tạm dừng từ ([\d/]+) sau hạn: không cộng", lambda m: _("tạm dừng từ %(d)s sau hạn: không cộng") % {"d": m[1]}),
    (r"lịch năm ([\d, ]+) chưa chính thức", lambda m: _("lịch năm %(y)s chưa chính thức") % {"y": m[1]}),
)


@register.filter
def due_text(text: str) -> str:
    """A stored due-date explanation ("Hẹn trả 11/02/2022 (không tính 31/01–04/02: Tết Nguyên
    Đán)") in the active language: its fixed pieces translated, dates and holiday names kept."""
    import re

    from django.utils.translation import get_language

    if not text or (get_language() or "vi").startswith("vi"):
        return text
    for pattern, repl in _DUE_TEXT_PIECES:
        text = re.sub(pattern, repl, text)
    return text


@register.simple_tag(takes_context=True)
def stylesheet(context, name: str):
    """``<link rel="stylesheet">`` to a static CSS file: its static URL on screen, its file:// URL
    in a PDF (WeasyPrint reads it without a server). Page styles live in static files, never in
    a ``<style>`` element, so the Content-Security-Policy needs no 'unsafe-inline'."""
    from pathlib import Path

    from django.contrib.staticfiles import finders
    from django.templatetags.static import static
    from django.utils.html import format_html

    if context.get("pdf"):
        found = finders.find(name)
        href = Path(found).as_uri() if found else static(name)
    else:
        href = static(name)
    return format_html('<link rel="stylesheet" href="{}">', href)


@register.simple_tag(takes_context=True)
def dossier_panels(context, dossier):
    """Panels other apps add to the dossier page (``dossiers.panels.DOSSIER_PANELS``)."""
    from dossiers.panels import dossier_panels_render

    return dossier_panels_render(context.get("request"), dossier)
