"""Template filters and tags for the dossier pages and printed forms.

The one rule kept here is :func:`deadline_label`, the coloured deadline state that every list
and the dossier page show (ux.md "Lists"). It is a pure function of the dossier's stored
deadline facts, "today" and the working-day calendar, so it can be tested on its own and
views call it once per row (templates run no queries).

Label rule (one place):

- a resolved dossier (approved, refused, withdrawn, returned) shows its classification (D9):
  **Trước hạn** / **Đúng hạn** / **Trễ hạn**;
- an open dossier waiting for the applicant's supplement shows **Tạm dừng** (grey); its
  tooltip says whether it was already overdue when the clock stopped (D12);
- an open dossier past its due date (by local date; an hour deadline also by ``due_at``)
  shows **Quá hạn** (red);
- an open dossier due within one working day, i.e. ``due_date <= next_working_day(today)``
  (due today, or on the next working day), shows **Sắp đến hạn** (amber);
- any other open dossier shows **Trong hạn** (green);
- a dossier not received yet (online, waiting for acceptance) or not received at all has no
  label.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from dossiers import calendar as wcal
from dossiers.workflow import OPEN_STATES, Action, DossierState

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
    """The deadline state of `dossier` on local date `today` (rule in the module docstring).

    `now` (aware) refines hour deadlines ("4 tại chỗ", "02 giờ làm việc"): past ``due_at`` on
    the due date itself is already overdue. Day deadlines are judged by date only (D9).
    """
    if dossier.classification:
        key = dossier.classification
        texts = {"early": _("Trước hạn"), "on_time": _("Đúng hạn"), "late": _("Trễ hạn")}
        resolved = dossier.resolved_on or (timezone.localdate(dossier.resolved_at) if dossier.resolved_at else None)
        title = _("Giải quyết ngày %(resolved)s, hạn %(due)s") % {"resolved": _dmy(resolved), "due": _dmy(dossier.due_date)}
        return DeadlineLabel(key, texts.get(key, key), title)
    if dossier.state not in OPEN_STATES or dossier.due_date is None:
        return None
    due = dossier.due_date
    if dossier.paused_on is not None or dossier.state == DossierState.AWAITING_SUPPLEMENT:
        paused_on = dossier.paused_on or today
        status = wcal.classify_open(as_of=today, due_date=due, paused_on=paused_on)
        if status == wcal.OpenStatus.OVERDUE:
            title = _("Chờ bổ sung từ %(p)s; đã quá hạn %(due)s trước khi tạm dừng") % {"p": _dmy(paused_on), "due": _dmy(due)}
        else:
            title = _("Chờ bổ sung từ %(p)s; thời hạn tạm dừng, hạn sẽ được lùi khi nhận bổ sung") % {"p": _dmy(paused_on)}
        return DeadlineLabel("paused", _("Tạm dừng"), title)
    overdue = wcal.classify_open(as_of=today, due_date=due) == wcal.OpenStatus.OVERDUE
    if (
        not overdue and now is not None and dossier.due_at is not None
        and dossier.time_unit == wcal.TimeUnit.WORKING_HOURS and now > dossier.due_at
    ):
        overdue = True
    if overdue:
        late_days = cal.working_days_between(due, today)
        if late_days:
            title = _("Hạn %(due)s, đã quá %(n)s ngày làm việc") % {"due": _dmy(due), "n": late_days}
        else:
            title = _("Hạn %(due)s") % {"due": _dmy(due)}
        return DeadlineLabel("overdue", _("Quá hạn"), title)
    if due <= cal.next_working_day(today):
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
}


@register.filter
def action_label(action: str) -> str:
    """The Vietnamese name of a workflow action or history event."""
    if action in _EVENT_LABELS:
        return _(_EVENT_LABELS[action])
    try:
        return Action(action).label
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


@register.simple_tag(takes_context=True)
def dossier_panels(context, dossier):
    """Panels other apps add to the dossier page (``dossiers.panels.DOSSIER_PANELS``)."""
    from dossiers.panels import dossier_panels_render

    return dossier_panels_render(context.get("request"), dossier)
