"""The leaders' report page (Biểu 06): its numbers are the selector's, every number opens the list
of exactly that many dossiers, the exports carry the page's numbers, publishing freezes the
figures and the comparison names the dossiers that changed, a broken identity is a loud error
page, and only leaders (their subtree), administrators and superusers may read it.

History: ``scenario.build`` around regulatory Q1/2022 (16 dossiers counted at the three levels).
"""
from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from dossiers.models import StaffProfile
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, OFFICER, role_group_name, roles_sync
from dossiers.services import lifecycle as lc
from reporting import selectors as rs
from reporting.models import FrozenReport
from reporting.periods import Period

from . import scenario
from tests.dossiers.lifecycle_fixtures import approve_after_handover

Q1 = Period.quarter(2022, 1)
PASSWORD = "mat-khau-thu-nghiem"
PAGE = "reporting:report_quarterly"


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture
def history(rorg, rprocs, rstaff):
    return scenario.build(rorg, rprocs, rstaff)


@pytest.fixture
def people(rorg):
    roles_sync()
    User = get_user_model()

    def person(username, role, unit, **kw):
        u = User.objects.create_user(username, password=PASSWORD, first_name=username.title(), **kw)
        if role:
            u.groups.add(Group.objects.get(name=role_group_name(role)))
        if unit is not None:
            StaffProfile.objects.create(user=u, unit=unit)
        return u

    return {
        "leader": person("lanhdao_tinh", LEADER, rorg["province"]),
        "leader_district": person("lanhdao_huyen", LEADER, rorg["district"]),
        "admin": person("quantri", ADMINISTRATOR, rorg["centre"]),
        "superuser": person("sieuquantri", None, None, is_superuser=True, is_staff=True),
        "officer": person("chuyenvien", OFFICER, rorg["justice"]),
        "clerk": person("motcua", COUNTER_CLERK, rorg["centre"]),
    }


def q(period: Period = Q1, **extra) -> dict:
    return {"basis": period.basis, "kind": period.kind, "year": period.year, "number": period.number, **extra}


# --- reading the page back ----------------------------------------------------------------------------


class Tables(HTMLParser):
    """Collects ``table[data-table]`` cells: {table: {row: {figure: (text, href)}}}, plus every
    link inside those tables and the text of elements with an id."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, tuple[str, str]]]] = {}
        self._table = self._row = self._figure = None
        self._href = ""
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data-table" in a:
            self._table = a["data-table"]
            self.tables[self._table] = {}
        elif tag == "tr" and self._table and "data-row" in a:
            self._row = a["data-row"]
            self.tables[self._table][self._row] = {}
        elif tag == "td" and self._row and "data-figure" in a:
            self._figure, self._href, self._text = a["data-figure"], "", []
        elif tag == "a" and self._figure:
            self._href = a.get("href", "")

    def handle_endtag(self, tag):
        if tag == "td" and self._figure:
            self.tables[self._table][self._row][self._figure] = ("".join(self._text).strip(), self._href)
            self._figure = None
        elif tag == "table":
            self._table = self._row = None

    def handle_data(self, data):
        if self._figure:
            self._text.append(data)


def tables_of(html: str) -> dict:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def as_int(text: str) -> int:
    """ "92.107" → 92107 (Vietnamese thousands separator)."""
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", text), text
    return int(text.replace(".", ""))


def as_rate(value: str | None) -> str:
    return "—" if value is None else value.replace(".", ",") + "%"


def expected_rows(report: dict) -> dict[str, dict]:
    rows = {"total": report["totals"]}
    for level in report["levels"]:
        rows[f"level:{level['level']}"] = level["totals"]
        for u in level["units"]:
            rows[f"unit:{u['code']}"] = u["totals"]
    return rows


OFFICIAL = [k for k in rs.COUNT_KEYS if k in rs.COLUMN_OF]


def page(client, user, **params):
    client.force_login(user)
    return client.get(reverse(PAGE), params)


# --- the page's numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [
    Q1,
    Period.quarter(2022, 1, basis="calendar"),
    Period.month(2022, 3),
    Period("regulatory", "half", 2022, 1),
    Period("calendar", "year", 2022),
], ids=lambda p: p.key)
def test_page_numbers_are_the_selector_figures(client, history, people, rorg, period):
    """Every cell (3)–(13) of every row (levels, units, total, fields), the rates and the extra
    sub-counts equal report_figures for the same period and scope, with Vietnamese separators."""
    response = page(client, people["leader"], **q(period))
    assert response.status_code == 200
    html = response.content.decode()
    report = rs.report_figures(period=period, unit=rorg["province"])
    tables = tables_of(html)
    expected = expected_rows(report)
    assert set(tables["levels"]) == set(expected)
    for row, totals in expected.items():
        assert {k: as_int(tables["levels"][row][k][0]) for k in OFFICIAL} == {k: totals[k] for k in OFFICIAL}, row
        extra = tables["extra"][row]
        assert extra["on_time_rate"][0] == as_rate(totals["on_time_rate"])
        assert extra["on_time_rate_766"][0] == as_rate(totals["on_time_rate_766"])
        for k in ("withdrawn", "on_the_spot", "multi_supplement"):
            assert as_int(extra[k][0]) == totals[k]
    fields = {f"field:{f['id']}": f["totals"] for f in report["fields"]} | {"total": report["totals"]}
    assert {row: {k: as_int(v[0]) for k, v in cells.items()} for row, cells in tables["fields"].items()} == {
        row: {k: t[k] for k in OFFICIAL} for row, t in fields.items()}
    assert "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in html
    assert all(f"<th>({i})</th>" in html for i in range(1, 14))
    assert period.label_vi() in html


def test_q1_2022_figures_as_worked_out_by_hand(client, history, people):
    """The scenario's quarter (EXPECTED_Q1_REGULATORY): 16 received = 3 online + 10 direct or
    postal + 3 carried over; 9 resolved (3 early, 2 on time, 4 late); 7 in progress (5 within,
    2 overdue); rate (3+2)/9 = 55,56 %; "—" where nothing was resolved; checks written out."""
    html = page(client, people["admin"], **q()).content.decode()
    total = tables_of(html)["levels"]["total"]
    assert [as_int(total[k][0]) for k in OFFICIAL] == [16, 3, 10, 3, 9, 3, 2, 4, 7, 5, 2]
    assert "55,56%" in html
    assert "✓</span> (3) = (4) + (5) + (6) <span class=\"nums\">(16 = 3 + 10 + 3)</span>" in html
    assert "(11) = (12) + (13) <span class=\"nums\">(7 = 5 + 2)</span>" in html
    unit_rates = {row: cells["on_time_rate"][0] for row, cells in tables_of(html)["extra"].items()}
    assert "—" in unit_rates.values()  # a unit with nothing resolved has no rate, not 0 %


def test_default_period_is_the_last_ended_regulatory_quarter(client, people):
    """Without a period in the address the page shows the regulatory quarter that ended most
    recently: it has ended, and the quarter after it has not."""
    html = page(client, people["admin"]).content.decode()
    key = re.search(r'data-period="([^"]+)"', html).group(1)
    shown = Period.from_key(key)
    today = timezone.localdate()
    assert shown.basis == "regulatory" and shown.kind == "quarter"
    assert shown.end < today <= shown.next().end


def test_bad_period_is_a_message_not_a_table(client, people):
    response = page(client, people["admin"], basis="regulatory", kind="quarter", year="2022", number="5")
    assert response.status_code == 400
    html = response.content.decode()
    assert "chỉ có từ 1 đến 4" in html
    assert 'class="b06"' not in html


def test_comparison_with_the_previous_period(client, history, people):
    """The comparison shows this quarter and the previous one (Q4/2021) side by side."""
    html = page(client, people["admin"], **q()).content.decode()
    previous = rs.report_figures(period=Q1.previous())
    row = re.search(r'<tr data-cmp="received_total">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[1] == "16" and cells[2] == str(previous["totals"]["received_total"])
    assert Q1.previous().name_vi() in html


def test_monthly_trend_bars_are_the_months_figures(client, history, people):
    """The trend of Q1/2022 has one group per regulatory month (15/12–14/01, …): new received
    ((4)+(5)) and resolved (7) of that month's report; a month report is not shown for a month."""
    client.force_login(people["admin"])
    html = client.get(reverse("reporting:report_trend"), q()).content.decode()
    groups = re.findall(r'<g data-month="(T\d+)">(.*?)</g>', html, re.S)
    assert [label for label, _body in groups] == ["T1", "T2", "T3"]
    for (label, body), month in zip(groups, Q1.months()):
        t = rs.report_figures(period=month)["totals"]
        bars = dict(re.findall(r'class="bar-(\w+)"[^>]*data-n="([\d.]+)"', body))
        assert bars == {"received": str(t["received_online"] + t["received_direct_postal"]),
                        "resolved": str(t["resolved_total"])}, label
    month_page = page(client, people["admin"], **q(Period.month(2022, 3))).content.decode()
    assert 'id="trend"' not in month_page
    assert 'id="trend"' in page(client, people["admin"], **q()).content.decode()


def test_a_month_breaking_an_identity_stops_the_trend(client, history, people, monkeypatch):
    """Only the trend's months break (edge mock): the chart is replaced by the failures."""
    real = rs.report_figures

    def broken_months(*, period, **kwargs):
        if period.kind == "month":
            raise rs.ReportIdentityError([f"{period.name_vi()}: (7) = (8)+(9)+(10): 3 ≠ 2"])
        return real(period=period, **kwargs)

    monkeypatch.setattr(rs, "report_figures", broken_months)
    client.force_login(people["admin"])
    response = client.get(reverse("reporting:report_trend"), q())
    assert response.status_code == 500
    html = response.content.decode()
    assert "không vẽ biểu đồ" in html and "Tháng 1 năm 2022: (7) = (8)+(9)+(10): 3 ≠ 2" in html
    assert "<svg" not in html


# --- drill-down -----------------------------------------------------------------------------------------


def drill_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return int(re.search(r'data-count="(\d+)"', response.content.decode()).group(1))


def test_every_number_opens_a_list_of_that_many_dossiers(client, history, people):
    """Each linked number of the three tables opens the dossiers behind it: as many as the number."""
    client.force_login(people["leader"])
    html = client.get(reverse(PAGE), q()).content.decode()
    tables = tables_of(html)
    links = [(table, row, figure, text, href) for table, rows in tables.items() for row, cells in rows.items()
             for figure, (text, href) in cells.items() if href]
    assert len(links) > 40
    for table, row, figure, text, href in links:
        assert drill_count(client, href.replace("&amp;", "&")) == as_int(text), (table, row, figure)
    # Zeros are not links.
    assert all(not href for rows in tables.values() for cells in rows.values()
               for text, href in cells.values() if text == "0")


def test_drill_down_lists_the_dossiers_with_links(client, history, people):
    client.force_login(people["admin"])
    url = reverse("reporting:report_dossiers")
    response = client.get(url, q(figure="in_progress_overdue", row="total"))
    html = response.content.decode()
    for name in ("open_overdue", "paused_overdue"):
        assert reverse("dossiers:detail", args=[history[name].code]) in html
    assert "Mã hồ sơ" in html and "Ngày hẹn trả" in html
    assert client.get(url, q(figure="nonsense", row="total")).status_code == 404
    assert client.get(url, q(figure="received_total", row="unit:NO.SUCH")).status_code == 404


def test_drill_down_is_paginated(client, rorg, rprocs, rstaff, people, settings):
    """35 dossiers behind one number: pages of 30, the count stays 35."""
    for i in range(35):
        lc.dossier_register(procedure=rprocs["commune2"], receiving_unit=rorg["commune"], channel="direct",
                            applicant=scenario.APPLICANT, actor=rstaff, received_at=scenario.at(2022, 2, 7, 8, i))
    client.force_login(people["admin"])
    url = reverse("reporting:report_dossiers")
    first = client.get(url, q(figure="received_total", row="level:commune")).content.decode()
    second = client.get(url, q(figure="received_total", row="level:commune", page=2)).content.decode()
    assert 'data-count="35"' in first
    assert first.count("<tr data-code=") == 30 and second.count("<tr data-code=") == 5


# --- exports -------------------------------------------------------------------------------------------


def page_totals(client, user, period=Q1) -> dict[str, dict[str, int]]:
    html = page(client, user, **q(period)).content.decode()
    return {row: {k: as_int(v[0]) for k, v in cells.items()} for row, cells in tables_of(html)["levels"].items()}


def test_excel_export_carries_the_page_numbers(client, history, people):
    """The .xlsx (openpyxl): the totals sheet's level rows and total, and each level's sheet's
    unit rows, equal the page's cells."""
    from openpyxl import load_workbook

    shown = page_totals(client, people["admin"])
    response = client.get(reverse("reporting:export_file", args=["xlsx"]), q())
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="bieu06_quy1-2022_quy-dinh_toan-bo.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    report = rs.report_figures(period=Q1)

    def data_rows(ws):
        return [r for r in ws.iter_rows(min_row=9, values_only=True) if r and isinstance(r[2], int)]

    summary = data_rows(wb["Tổng hợp"])
    assert [list(r[2:13]) for r in summary] == [
        [shown[f"level:{lv['level']}"][k] for k in OFFICIAL] for lv in report["levels"]] + [
        [shown["total"][k] for k in OFFICIAL]]
    for level in report["levels"]:
        rows = data_rows(wb[level["name"][:31]])
        assert [list(r[2:13]) for r in rows[:-1]] == [[shown[f"unit:{u['code']}"][k] for k in OFFICIAL]
                                                      for u in level["units"]]


def test_pdf_export_carries_the_page_numbers(client, history, people, tmp_path):
    """The PDF (pdftotext -layout): A4 landscape, and the total line reads the page's total row."""
    shown = page_totals(client, people["admin"])
    response = client.get(reverse("reporting:export_file", args=["pdf"]), q())
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    total_line = next(line for line in text.splitlines() if "Tổng cộng" in line)
    assert [int(n.replace(".", "")) for n in re.findall(r"\d[\d.]*", total_line)] == [shown["total"][k] for k in OFFICIAL]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height  # landscape
    assert "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text


def test_csv_export_carries_the_page_numbers(client, history, people):
    shown = page_totals(client, people["admin"])
    response = client.get(reverse("reporting:export_file", args=["csv"]), q())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    total = next(r for r in rows if r["row"] == "total")
    assert {k: int(total[k]) for k in OFFICIAL} == shown["total"]
    for r in rows:
        if r["row"] == "unit":
            assert {k: int(r[k]) for k in OFFICIAL} == shown[f"unit:{r['code']}"]


def test_long_export_runs_as_a_task_with_progress(client, history, people, settings, tmp_path):
    """POST starts the task (eager in tests) and answers 202; the status reaches 100 % with a
    download link; the file is the report; another user cannot see it."""
    from openpyxl import load_workbook

    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(people["leader"])
    response = client.post(reverse("reporting:export_start", args=["xlsx"]), q())
    assert response.status_code == 202
    status_url = response.json()["status_url"]
    status = client.get(status_url).json()
    assert status["state"] == "done" and status["progress"] == 100 and status["download_url"]
    files = list((Path(tmp_path) / "exports").iterdir())
    assert len(files) == 1 and files[0].suffix == ".xlsx"
    download = client.get(status["download_url"])
    assert download.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    total_row = [r for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and r[1] == "Tổng cộng"][0]
    shown = page_totals(client, people["leader"])
    assert list(total_row[2:13]) == [shown["total"][k] for k in OFFICIAL]
    client.force_login(people["admin"])
    assert client.get(status_url).status_code == 404
    assert client.get(status["download_url"]).status_code == 404


def test_export_task_is_known_to_the_worker():
    """A real worker (autodiscovery of the installed apps) registers the export task, or long
    exports would sit in the queue forever."""
    code = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','onecua.settings'); django.setup();"
            "from onecua.celery import app; app.loader.import_default_modules();"
            "print('reporting.export_tasks.report_export_task' in app.tasks)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2], env={**__import__("os").environ, "DEBUG": "true"})
    assert out.stdout.strip() == "True", out.stderr[-2000:]


# --- publishing -------------------------------------------------------------------------------------------


def test_freeze_then_a_change_shows_in_the_comparison(client, history, people, rorg, rprocs, rstaff):
    """A leader freezes Q1/2022; a dossier of January is then imported late. The page keeps the
    frozen figures (16), says who froze them, its numbers still open lists of that many dossiers;
    the comparison shows 16 → 17 and names the new dossier."""
    client.force_login(people["leader"])
    response = client.post(reverse("reporting:report_freeze"), q(confirm="1"))
    assert response.status_code == 302
    frozen = FrozenReport.objects.get()
    assert frozen.unit == rorg["province"] and frozen.frozen_by == people["leader"]
    late = lc.dossier_register(procedure=rprocs["commune2"], receiving_unit=rorg["commune"], channel="direct",
                               applicant=scenario.APPLICANT, actor=rstaff, received_at=scenario.at(2022, 1, 20))
    approve_after_handover(dossier=late, actor=None, at=scenario.at(2022, 1, 21))

    html = client.get(reverse(PAGE), q()).content.decode()
    assert "Đã chốt số liệu ngày" in html and "Lanhdao_Tinh" in html
    cells = tables_of(html)["levels"]
    assert as_int(cells["total"]["received_total"][0]) == 16
    assert drill_count(client, cells["total"]["received_total"][1].replace("&amp;", "&")) == 16
    assert drill_count(client, cells["unit:000.31.21.H23"]["received_total"][1].replace("&amp;", "&")) == 2
    assert "Chốt số liệu…" not in html  # frozen once

    diff = client.get(reverse("reporting:report_diff"), q()).content.decode()
    row = re.search(r'<tr data-row="Tổng số"><td>Tổng số</td><td>\(3\) [^<]*</td>(.*?)</tr>', diff).group(1)
    assert re.findall(r"<td>(.*?)</td>", row) == ["16", "17", "+1"]
    assert late.code in diff and reverse("dossiers:detail", args=[late.code]) in diff

    again = client.post(reverse("reporting:report_freeze"), q(confirm="1"), follow=True)
    assert "đã được chốt" in again.content.decode()
    assert FrozenReport.objects.count() == 1


def test_freeze_needs_confirmation_and_an_ended_period(client, people):
    client.force_login(people["admin"])
    client.post(reverse("reporting:report_freeze"), q())
    assert not FrozenReport.objects.exists()
    running = Period.containing(timezone.localdate())
    response = client.post(reverse("reporting:report_freeze"), q(running, confirm="1"), follow=True)
    assert "chưa kết thúc" in response.content.decode()
    assert not FrozenReport.objects.exists()


def test_comparison_without_a_frozen_report_is_404(client, people):
    client.force_login(people["admin"])
    assert client.get(reverse("reporting:report_diff"), q()).status_code == 404


# --- identities ---------------------------------------------------------------------------------------------


def test_identity_failure_is_a_loud_error_page(client, history, people, monkeypatch):
    """report_figures raising ReportIdentityError (simulated: an edge mock) renders the red page
    with the failures, status 500, and no table; the export refuses too."""
    def broken(**kwargs):
        raise rs.ReportIdentityError(["Tổng số: (3) = (7)+(11): 16 ≠ 15"])

    monkeypatch.setattr(rs, "report_figures", broken)
    client.force_login(people["leader"])
    response = client.get(reverse(PAGE), q())
    assert response.status_code == 500
    html = response.content.decode()
    assert "SỐ LIỆU KHÔNG KHỚP" in html and "(3) = (7)+(11): 16 ≠ 15" in html
    assert 'class="b06"' not in html and "data-figure" not in html
    export = client.get(reverse("reporting:export_file", args=["xlsx"]), q())
    assert export.status_code == 500 and "SỐ LIỆU KHÔNG KHỚP" in export.content.decode()


def test_a_stored_report_that_breaks_an_identity_is_not_shown(client, people, rorg):
    """The page checks the figures it lays out itself: a frozen report whose stored numbers
    break (3) = (7) + (11) (no mock: a damaged row) is a loud error, not a table."""
    figures = {"totals": {**{k: 0 for k in rs.COUNT_KEYS}, "received_total": 5, "received_online": 5,
                          "resolved_total": 4, "resolved_early": 4, "on_time_rate": "100.00", "on_time_rate_766": "80.00"},
               "levels": [], "fields": [], "period": Q1.as_dict(), "scope": None, "identities": {}}
    FrozenReport.objects.create(basis="regulatory", kind="quarter", year=2022, number=1, start=Q1.start, end=Q1.end,
                                unit=None, scope="*", figures=figures, frozen_by=people["admin"],
                                frozen_by_name="Quantri", frozen_at=timezone.now())
    response = page(client, people["admin"], **q())
    assert response.status_code == 500
    assert "(3) = (7)+(11): 5 ≠ 4" in response.content.decode()


# --- who may read ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who, status", [
    ("leader", 200), ("leader_district", 200), ("admin", 200), ("superuser", 200), ("officer", 403), ("clerk", 403),
])
def test_access_matrix(client, people, who, status):
    client.force_login(people[who])
    assert client.get(reverse(PAGE), q()).status_code == status
    assert client.get(reverse("reporting:report_dossiers"), q(figure="received_total", row="total")).status_code == status
    assert client.get(reverse("reporting:export_file", args=["csv"]), q()).status_code == status


def test_anonymous_goes_to_the_login_page(client):
    for url in (reverse(PAGE), reverse("reporting:report_dossiers"), reverse("reporting:export_file", args=["xlsx"])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_leader_sees_only_the_subtree(client, history, people, rorg):
    """The district leader's report covers the district and its communes (6 dossiers); a unit
    outside the subtree is 404, a unit inside it narrows the report."""
    client.force_login(people["leader_district"])
    html = client.get(reverse(PAGE), q()).content.decode()
    rows = tables_of(html)["levels"]
    assert as_int(rows["total"]["received_total"][0]) == 6
    assert not any(r.startswith("unit:000.00.12") for r in rows)
    assert 'value="000.00.12.H23"' not in html  # Sở Tư pháp is not in the unit picker
    assert client.get(reverse(PAGE), q(unit=rorg["justice"].code)).status_code == 404
    assert client.get(reverse("reporting:export_file", args=["xlsx"]), q(unit=rorg["justice"].code)).status_code == 404
    narrowed = tables_of(client.get(reverse(PAGE), q(unit=rorg["commune"].code)).content.decode())["levels"]
    assert set(narrowed) == {"level:commune", "unit:000.31.21.H23", "total"}
    # A row of a unit outside the scope cannot be drilled into either.
    drill = client.get(reverse("reporting:report_dossiers"), q(figure="received_total", row=f"unit:{rorg['justice'].code}"))
    assert drill.status_code == 404


def test_menu_links_to_the_report(client, people):
    client.force_login(people["leader"])
    html = client.get(reverse("home"), follow=True).content.decode()
    assert reverse(PAGE) in html and "Thống kê, báo cáo" in html
