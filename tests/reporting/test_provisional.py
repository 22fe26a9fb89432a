"""Reports of a period that has not ended (domain.md D12a, issue 14): figures as of today, an open
dossier overdue iff its due date is before today, "provisional" / "as_of" in the JSON and a
banner on the page and in every export; the dashboard and the report agree at the same instant;
the stopped count (D16) beside withdrawn."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.calendar import LOCAL_TZ
from dossiers.models import Dossier, DossierEvent
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle
from monitoring.selectors import Clock, dashboard_get
from reporting import formats
from reporting.periods import Period
from reporting.selectors import report_dossiers, report_figures
from tests.monitoring.conftest import make_world, register
from tests.dossiers.lifecycle_fixtures import approve_after_handover, assign_after_handover  # noqa: F401

pytestmark = pytest.mark.django_db


def _back(n: int) -> date:
    """The n-th working day before today."""
    cal, d = calendar_get(), timezone.localdate()
    for _ in range(n):
        d = cal.previous_working_day(d)
    return d


def _at(d: date, hh=9) -> datetime:
    return datetime.combine(d, time(hh, 0), tzinfo=LOCAL_TZ)


@pytest.fixture
def scene(db):
    """Open and resolved dossiers of Sở Tư pháp received 1–30 working days ago (5-day deadline):
    some overdue today, some due later; one paused; two resolved."""
    w = make_world()
    made = [register(w, w.days5, _at(_back(k))) for k in (1, 2, 4, 6, 9, 14, 30)]
    assign_after_handover(dossier=made[3], actor=w.off_just, officer=w.off_just, at=_at(_back(5)))
    lifecycle.dossier_request_supplement(dossier=made[3], actor=w.off_just, reason="Thiếu tờ khai", at=_at(_back(5), 10))
    approve_after_handover(dossier=made[5], actor=w.lead_just, at=_at(_back(10)))
    approve_after_handover(dossier=made[6], actor=w.lead_just, at=_at(_back(20)))
    return w


def test_the_running_periods_report_and_the_dashboard_agree(scene):
    now = timezone.now()
    period = Period.containing(timezone.localdate(now))
    report = report_figures(period=period, unit=scene.justice)
    board = dashboard_get(user=scene.lead_just, clock=Clock.at(now))
    assert report["provisional"] is True and report["as_of"] == timezone.localdate(now).isoformat()
    t = report["totals"]
    assert (t["in_progress_total"], t["in_progress_overdue"]) == (board.totals["open"], board.totals["overdue"])
    # the dossiers received 9 and 6 working days ago are overdue today (5-day deadline), the paused
    # one was within its deadline when paused; those of 1, 2 and 4 days ago are not overdue (yet)
    assert t["in_progress_overdue"] == 1
    assert t["in_progress_total"] == 5 and t["in_progress_within"] == 4


def test_an_open_dossier_due_after_today_is_not_overdue_in_a_running_period(scene):
    """Old behaviour: judged against the period's last day, it counted as overdue already."""
    today = timezone.localdate()
    period = Period.containing(today)
    d = Dossier.objects.filter(state="received").order_by("-received_at").first()  # due in ~4 working days
    assert d.due_date > today
    within = set(report_dossiers(period=period, figure="in_progress_within", scope_unit=scene.justice)
                 .values_list("code", flat=True))
    assert d.code in within


def test_a_finished_period_is_final_as_of_its_end(scene):
    period = Period.containing(timezone.localdate()).previous().previous()
    report = report_figures(period=period, unit=scene.justice)
    assert report["provisional"] is False and report["as_of"] == period.end.isoformat()


def test_every_export_of_a_running_period_says_provisional(scene):
    today = timezone.localdate()
    report = report_figures(period=Period.containing(today), unit=scene.justice)
    banner = f"Số liệu tạm tính đến ngày {today:%d/%m/%Y}"
    rows = list(csv.DictReader(io.StringIO(formats.report_to_csv(report))))
    assert rows[0]["row"] == "note" and rows[0]["name"] == banner
    assert banner in formats.report_to_html(report)
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(formats.report_to_xlsx(report)))
    for ws in wb.worksheets:
        assert banner.upper() in ws.cell(row=3, column=1).value
    pdf = formats.report_to_pdf(report)
    import shutil
    import subprocess

    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert banner in text


def test_the_page_and_the_api_say_provisional(client, scene):
    today = timezone.localdate()
    period = Period.containing(today)
    client.force_login(scene.lead_just)
    params = {"year": period.year, "quarter": period.number, "basis": period.basis}
    api = client.get("/api/v1/reports/quarterly/", params).json()
    assert api["provisional"] is True and api["as_of"] == today.isoformat()
    assert "stopped" in api["totals"] and "withdrawn" in api["totals"]
    page = client.get(reverse("reporting:report_quarterly"), {**params, "kind": "quarter", "number": period.number})
    assert f"Số liệu tạm tính đến ngày {today:%d/%m/%Y}" in page.content.decode()


def test_stopped_dossiers_count_as_resolved_and_beside_withdrawn(scene):
    """D16: a stopped dossier is resolved (classified by E against D) and shown as its own sub-count."""
    d = Dossier.objects.filter(state="received").order_by("received_at").first()
    stop_at = _at(_back(1), 15)
    DossierEvent.objects.create(dossier=d, at=stop_at, action="stop", from_state=d.state, to_state="stopped",
                                actor=scene.lead_just, actor_name="Bùi Thị Tư", unit=scene.justice, note="Quá hạn bổ sung")
    Dossier.objects.filter(pk=d.pk).update(state="stopped", outcome="stopped", classification="late",
                                           resolved_at=stop_at, resolved_on=stop_at.astimezone(LOCAL_TZ).date())
    yesterday = _back(1)
    period = Period.containing(yesterday)
    t = report_figures(period=period, unit=scene.justice, today=timezone.localdate())["totals"]
    assert t["stopped"] == 1 and t["withdrawn"] == 0
    assert t["resolved_total"] == t["resolved_early"] + t["resolved_on_time"] + t["resolved_late"]
    stopped = list(report_dossiers(period=period, figure="stopped", scope_unit=scene.justice).values_list("code", flat=True))
    assert stopped == [d.code]
    assert timedelta(0) <= timezone.now() - stop_at
