"""The working-day calendar for administrators: a year at a glance and overrides with a preview.

Everyone on the staff may look at the calendar; only administrators change it. Saving an
override first shows how many open dossiers would move and by how much (D1, issue 3 item 5).
"""
from calendar import Calendar as MonthGrid
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.errors import DossierError
from dossiers.models import CalendarOverride
from dossiers.roles import ADMINISTRATOR, user_roles
from dossiers.selectors import CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR, calendar_get
from dossiers.services.calendar_overrides import (
    calendar_override_delete,
    calendar_override_impact,
    calendar_override_save,
)
from onecua.forms import add_service_errors

WEEKDAYS = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]


def _is_admin(user) -> bool:
    return ADMINISTRATOR in user_roles(user)


@login_required
def calendar_year(request, year: int | None = None):
    today = timezone.localdate()
    year = year or today.year
    if not CALENDAR_FIRST_YEAR <= year <= CALENDAR_LAST_YEAR:
        raise Http404
    cal = calendar_get()
    overrides = {o.date: o for o in CalendarOverride.objects.filter(date__year=year)}
    grid = MonthGrid(firstweekday=0)
    months = []
    non_working = 0
    for month in range(1, 13):
        weeks = []
        for week in grid.monthdatescalendar(year, month):
            cells = []
            for d in week:
                if d.month != month:
                    cells.append(None)
                    continue
                working = cal.is_working_day(d)
                weekend = d.weekday() >= 5
                note = cal.day_note(d)
                if d in overrides:
                    kind = "override-work" if working else "override-off"
                elif not working and not weekend:
                    kind = "holiday"
                elif working and weekend:
                    kind = "makeup"
                elif weekend:
                    kind = "weekend"
                else:
                    kind = "work"
                non_working += not working
                cells.append({"day": d, "kind": kind, "note": note or "", "today": d == today})
            weeks.append(cells)
        months.append({"number": month, "weeks": weeks})
    specials = [
        {"day": d, "working": working, "note": note, "override": overrides.get(d)}
        for d, working, note in cal.special_days_between(date(year - 1, 12, 31), date(year, 12, 31))
    ]
    return render(request, "dossiers/calendar_year.html", {
        "year": year,
        "months": months,
        "weekdays": WEEKDAYS,
        "provisional": cal.is_provisional(date(year, 1, 1)),
        "specials": specials,
        "working_days": 365 + (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) - non_working,
        "can_edit": _is_admin(request.user),
        "prev_year": year - 1 if year > CALENDAR_FIRST_YEAR else None,
        "next_year": year + 1 if year < CALENDAR_LAST_YEAR else None,
    })


class OverrideForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Ngày"), input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                           widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy", "autofocus": True}))
    is_working_day = forms.TypedChoiceField(
        label=gettext_lazy("Ngày này là"),
        choices=[("0", gettext_lazy("Ngày nghỉ")), ("1", gettext_lazy("Ngày làm việc (làm bù)")), ("", gettext_lazy("Bỏ điều chỉnh, theo lịch quốc gia"))],
        coerce=lambda v: {"1": True, "0": False}.get(v), empty_value=None, required=False,
    )
    reason = forms.CharField(label=gettext_lazy("Lý do"), max_length=255, required=False)
    legal_source = forms.CharField(label=gettext_lazy("Căn cứ"), max_length=255, required=False,
                                   widget=forms.TextInput(attrs={"placeholder": "Thông báo 6150/TB-BNV"}))

    def clean_date(self):
        d = self.cleaned_data["date"]
        if not date(CALENDAR_FIRST_YEAR, 1, 1) <= d <= date(CALENDAR_LAST_YEAR, 12, 31):
            raise forms.ValidationError(_("Ngày phải trong khoảng %(a)s–%(b)s.") % {"a": CALENDAR_FIRST_YEAR, "b": CALENDAR_LAST_YEAR})
        return d


@login_required
def override_form(request):
    """Preview, then confirm: an override is saved only after its impact was shown."""
    if not _is_admin(request.user):
        raise PermissionDenied
    initial = {}
    if request.method == "GET" and request.GET.get("date"):
        try:
            initial["date"] = date.fromisoformat(request.GET["date"])
        except ValueError:
            pass
    form = OverrideForm(request.POST or None, initial=initial)
    impact = None
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["date"]
        working = form.cleaned_data["is_working_day"]
        impact = calendar_override_impact(day=day, is_working_day=working)
        if request.POST.get("confirm") == "1":
            try:
                if working is None:
                    calendar_override_delete(day=day, actor=request.user)
                    messages.success(request, _("Đã bỏ điều chỉnh lịch ngày %(d)s.") % {"d": f"{day:%d/%m/%Y}"})
                else:
                    calendar_override_save(
                        day=day, is_working_day=working, reason=form.cleaned_data["reason"],
                        legal_source=form.cleaned_data["legal_source"], actor=request.user,
                    )
                    messages.success(request, _(
                        "Đã lưu điều chỉnh lịch ngày %(d)s; %(n)s hồ sơ đang xử lý được tính lại ngày hẹn trả."
                    ) % {"d": f"{day:%d/%m/%Y}", "n": impact.count})
                return redirect(reverse("dossiers:calendar_year", args=[day.year]))
            except DossierError as exc:
                add_service_errors(form, exc)
                impact = None
    shifts = sorted(impact.shifts.items()) if impact else []
    return render(request, "dossiers/calendar_override.html", {"form": form, "impact": impact, "shifts": shifts})
