"""Browser test of the leaders' report: a leader opens the report, changes the period, clicks a
number to see the dossiers behind it, downloads the Excel file, and runs a long export with its
progress bar. Screenshots (var/screenshots/report-*.png) at 1366×768 and in print (A4 landscape).
"""
from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from dossiers.models import StaffProfile
from dossiers.roles import LEADER, role_group_name, roles_sync
from reporting import selectors as rs
from reporting import presenters as report_presenters
from reporting.periods import Period
from tests.e2e.conftest import SCREENSHOTS
from tests.reporting import scenario
from tests.reporting.conftest import make_clerk, make_org, make_procedures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "mat-khau-thu-nghiem"
Q1 = Period.quarter(2022, 1)
OFFICIAL = [k for k in rs.COUNT_KEYS if k in rs.COLUMN_OF]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    roles_sync()  # transactional tests flush the groups made at migrate time
    org = make_org()
    history = scenario.build(org, make_procedures(org), make_clerk(org))
    leader = get_user_model().objects.create_user("hoang.vt", password=PASSWORD, first_name="Hoàng Văn Tỉnh")
    leader.groups.add(Group.objects.get(name=role_group_name(LEADER)))
    StaffProfile.objects.create(user=leader, unit=org["province"])
    return {"org": org, "history": history, "leader": leader}


def login(pg, username: str, password: str) -> None:
    """Log in through the login form, in Vietnamese (the language cookie, whatever the browser says)."""
    pg.context.add_cookies([{"name": "django_language", "value": "vi", "url": pg.base_url}])
    pg.goto(pg.base_url + "/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", password)
    pg.press("#id_password", "Enter")
    pg.wait_for_load_state("networkidle")


def _no_horizontal_scroll(pg) -> bool:
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _cell(pg, row: str, figure: str):
    return pg.locator(f"table[data-table='levels'] tr[data-row='{row}'] td[data-figure='{figure}']")


def test_leader_report(page, screenshot, world, monkeypatch):
    pg = page
    login(pg, "hoang.vt", PASSWORD)

    # The menu leads to the report; the default period is the last ended quarter.
    pg.click("nav.sidebar a:has-text('Thống kê, báo cáo')")
    pg.wait_for_load_state("networkidle")
    assert pg.locator("h1").inner_text().startswith("Tình hình, kết quả giải quyết TTHC")
    assert pg.locator("[data-period]").get_attribute("data-period").startswith("regulatory:quarter:")

    # Change the period: quarter I of 2022; the "Kỳ" choices follow the kind.
    pg.select_option("#id_kind", "month")
    assert pg.locator("#id_number option").count() == 12
    pg.select_option("#id_kind", "year")
    assert not pg.locator("#id_number").is_visible()
    pg.select_option("#id_kind", "quarter")
    pg.select_option("#id_number", "1")
    pg.select_option("#id_year", "2022")
    pg.click("#period-picker button[type=submit]")
    pg.wait_for_load_state("networkidle")
    assert pg.locator("[data-period]").get_attribute("data-period") == "regulatory:quarter:2022:1"
    report = rs.report_figures(period=Q1, unit=world["org"]["province"])
    shown = [int(_cell(pg, "total", k).inner_text().replace(".", "")) for k in OFFICIAL]
    assert shown == [report["totals"][k] for k in OFFICIAL]
    assert pg.locator("#identity-check .ok").count() == 5
    pg.locator("#trend svg[data-trend]").wait_for()
    assert pg.locator("#trend g[data-month]").count() == 3
    assert _no_horizontal_scroll(pg)
    screenshot(pg, "report-q1-2022", full_page=False)
    screenshot(pg, "report-q1-2022-full")

    # Print: A4 landscape, the official form only (no menu, picker, charts).
    pg.emulate_media(media="print")
    assert not pg.locator(".rp-bar").is_visible() and not pg.locator("#cards").is_visible()
    assert pg.locator("table[data-table='levels']").is_visible()
    pdf = pg.pdf(prefer_css_page_size=True, print_background=True)
    (SCREENSHOTS / "report-print.pdf").write_bytes(pdf)
    screenshot(pg, "report-print")
    pg.emulate_media(media="screen")

    # Click a number: the overdue dossiers in progress (column 13).
    overdue = _cell(pg, "total", "in_progress_overdue")
    n = int(overdue.inner_text())
    overdue.locator("a").click()
    pg.wait_for_load_state("networkidle")
    assert pg.locator("#drill-count").get_attribute("data-count") == str(n)
    codes = set(pg.locator("tr[data-code]").evaluate_all("rows => rows.map(r => r.dataset.code)"))
    assert codes == {world["history"]["open_overdue"].code, world["history"]["paused_overdue"].code}
    assert _no_horizontal_scroll(pg)
    screenshot(pg, "report-drilldown")
    pg.go_back()
    pg.wait_for_load_state("networkidle")

    # Download the Excel file: the same numbers as the page.
    from openpyxl import load_workbook

    with pg.expect_download() as info:
        pg.click("a[data-export='xlsx']")
    download = info.value
    assert download.suggested_filename == "bieu06_quy1-2022_quy-dinh_000.00.00.H23.xlsx"
    wb = load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    total = [r for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and r[1] == "Tổng cộng"][0]
    assert list(total[2:13]) == shown

    # A long export (forced: every export counts as long) runs as a task with a progress bar.
    monkeypatch.setattr(report_presenters, "ASYNC_EXPORT_MIN_ROWS", 0)
    pg.reload()
    pg.wait_for_load_state("networkidle")
    assert pg.locator("a[data-export='pdf']").get_attribute("data-async-url")
    pg.click("a[data-export='pdf']")
    link = pg.locator("#export-progress [data-download]")
    link.wait_for(state="visible")
    assert pg.locator("#export-progress progress").evaluate("p => p.value") == 100
    assert re.search(r"Đã tạo xong tệp", pg.locator("#export-progress").inner_text())
    screenshot(pg, "report-export-progress", full_page=False)
    with pg.expect_download() as info:
        link.click()
    assert info.value.suggested_filename.endswith(".pdf")
    assert open(info.value.path(), "rb").read(4) == b"%PDF"


def test_leader_freezes_and_compares(page, screenshot, world):
    """The leader freezes Q1/2022 (with the confirmation); a January dossier is imported late;
    the page keeps the frozen 16 and the comparison shows 16 → 17 with the dossier."""
    from dossiers.services import lifecycle as lc

    pg = page
    login(pg, "hoang.vt", PASSWORD)
    pg.goto(pg.base_url + "/thong-ke/bao-cao/?basis=regulatory&kind=quarter&year=2022&number=1")
    pg.click("details.rp-freeze > summary")
    assert "Chốt số liệu Quý I năm 2022" in pg.locator("details.rp-freeze form").inner_text()
    screenshot(pg, "report-freeze-confirm", full_page=False)
    pg.click("details.rp-freeze button[type=submit]")
    pg.wait_for_load_state("networkidle")
    assert "Đã chốt số liệu Quý I năm 2022" in pg.locator(".msg-success").inner_text()
    assert "bởi Hoàng Văn Tỉnh" in pg.locator("[data-frozen]").inner_text()

    org = world["org"]
    clerk = get_user_model().objects.get(username="reporter-clerk")
    late = lc.dossier_register(procedure=world["history"]["two_supplements"].procedure, receiving_unit=org["commune"],
                               channel="direct", applicant=scenario.APPLICANT, actor=clerk,
                               received_at=scenario.at(2022, 1, 20))
    pg.reload()
    assert _cell(pg, "total", "received_total").inner_text() == "16"
    screenshot(pg, "report-frozen", full_page=False)
    pg.click("[data-frozen] a")
    pg.wait_for_load_state("networkidle")
    row = pg.locator("#diff-figures-table tr[data-row='Tổng số']").first
    assert row.locator("td").all_inner_texts()[2:] == ["16", "17", "+1"]
    assert pg.locator(f"#diff-dossiers-table tr[data-code='{late.code}'] a").count() == 1
    assert _no_horizontal_scroll(pg)
    screenshot(pg, "report-diff")
