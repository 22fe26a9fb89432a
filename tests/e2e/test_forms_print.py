"""Issue 14 in Chromium: the printed forms as the browser prints them (Ctrl+P is Chromium's print to
PDF with the print stylesheet: Mẫu 01 on two sheets, the control sheet on one, the register's
header on every page), and screenshots of every form and changed page (1366×768; 390×844 for the
public pages) in var/screenshots/ (or $SHOTS_DIR)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from dossiers.models import Dossier, DossierEvent, DossierPause
from dossiers.services import lifecycle
from tests.dossiers.test_forms_tt03 import at, full_history, receive, world  # noqa: F401 (fixture)
from tests.e2e.conftest import SCREENSHOTS, login
from tests.dossiers.lifecycle_fixtures import approve_after_handover

pytestmark = pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="needs poppler-utils")
PASSWORD = "onecua-e2e-2026"


def shot(pg, name: str, full_page: bool = True) -> Path:
    folder = Path(os.environ.get("SHOTS_DIR") or SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    pg.screenshot(path=str(path), full_page=full_page)
    return path


def printed(pg) -> tuple[int, list[str]]:
    """What Ctrl+P gives: Chromium's PDF of the page with the print stylesheet (page count, texts)."""
    pdf = pg.pdf(prefer_css_page_size=True, print_background=True)
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)), [p for p in text.split("\f") if p.strip()]


@pytest.fixture
def people(world):
    for key in ("clerk", "bleader", "builder"):
        u = world[key]
        u.set_password(PASSWORD)
        u.save()
    return world


def test_forms_print_in_chromium_and_screenshots(page, people):
    w = people
    d = full_history(w)
    for k in range(40):  # a register of several pages
        receive(w, at(2026, 3, 2 + k // 14, 8 + (k % 14) // 2, (k % 2) * 30))
    stopped = receive(w, at(2026, 3, 3, 9))
    DossierEvent.objects.create(dossier=stopped, at=at(2026, 3, 24, 15), action="stop", from_state="in_processing",
                                to_state="stopped", actor=w["bleader"], actor_name="Vũ Thị Hạnh", unit=w["build"],
                                note="Quá thời hạn bổ sung hồ sơ mà tổ chức, cá nhân không bổ sung theo yêu cầu.")
    Dossier.objects.filter(pk=stopped.pk).update(state="stopped", outcome="stopped", classification="on_time",
                                                 resolved_at=at(2026, 3, 24, 15), resolved_on=date(2026, 3, 24))
    pause = DossierPause.objects.get(dossier=d)

    login(page, "clerk", PASSWORD)
    page.goto(page.base_url + reverse("dossiers:receipt", args=[d.code]))
    shot(page, "h14-mau01-receipt")
    n, texts = printed(page)
    assert n == 2 and "Liên 1: lưu" in texts[0] and "Liên 2: giao khách hàng" in texts[1]
    assert all("NGƯỜI TIẾP NHẬN HỒ SƠ" in t for t in texts)

    page.goto(page.base_url + reverse("dossiers:register") + "?date_from=02/03/2026&date_to=04/03/2026")
    shot(page, "h14-mau07-register")
    n, texts = printed(page)
    assert n >= 2 and all("Mã hồ sơ" in t and "Tên thủ tục hành chính" in t for t in texts)

    page.goto(page.base_url + reverse("dossiers:register") + "?date_from=31/02/2026")
    shot(page, "h14-mau07-register-bad-date", full_page=False)

    login(page, "bleader", PASSWORD)
    for name, url in (
        ("h14-mau02-supplement", reverse("dossiers:supplement_slip", args=[d.code, pause.pk])),
        ("h14-mau04-apology", reverse("dossiers:apology_slip", args=[d.code])),
        ("h14-mau05-stop-notice", reverse("dossiers:stop_notice", args=[stopped.code])),
        ("h14-mau06-control-sheet", reverse("dossiers:control_sheet", args=[d.code])),
    ):
        page.goto(page.base_url + url)
        shot(page, name)
        n, _texts = printed(page)
        assert n == 1, name
    page.goto(page.base_url + reverse("dossiers:detail", args=[d.code]))
    shot(page, "h14-dossier-detail")
    from django.utils import timezone

    from reporting.periods import Period

    running = Period.containing(timezone.localdate())
    page.goto(page.base_url + reverse("reporting:report_quarterly")
              + f"?basis={running.basis}&kind=quarter&year={running.year}&number={running.number}&quarter={running.number}")
    shot(page, "h14-report-provisional")
    assert "Số liệu tạm tính đến ngày" in page.content()
    page.goto(page.base_url + reverse("monitoring:list", args=["qua-han"]) + "?date_from=31/02/2026")
    shot(page, "h14-monitoring-list-bad-date", full_page=False)

    login(page, "builder", PASSWORD)  # an officer: no intake, no report in his menu
    shot(page, "h14-menu-officer", full_page=False)
    page.goto(page.base_url + reverse("dossiers:intake"))
    shot(page, "h14-403", full_page=False)
    assert "Không có quyền truy cập" in page.content()
    page.goto(page.base_url + "/khong-co-trang-nay/")
    shot(page, "h14-404", full_page=False)


def test_public_pages_on_a_phone(browser, live_server, people):
    w = people
    d = receive(w, at(2026, 3, 2, 8, 30))
    lifecycle.dossier_apologize(dossier=d, actor=w["bleader"], new_date=date(2026, 4, 28), reason="Chờ ý kiến thẩm định",
                                at=at(2026, 3, 20, 9))
    approve_after_handover(dossier=d, actor=w["bleader"], at=at(2026, 4, 20, 9))
    lifecycle.dossier_return_result(dossier=d, actor=w["clerk"], at=at(2026, 4, 21, 9))
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                              is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    pg.goto(live_server.url + reverse("citizens:lookup"))
    pg.fill("input[name=code]", d.code)
    pg.fill("input[name=digits]", "0111")
    pg.click("main form button[type=submit]")
    pg.wait_for_load_state("networkidle")
    shot(pg, "h14-public-returned-phone")
    assert "Đơn vị đang xử lý" not in pg.inner_text("dl.pub-facts")
    # an incomplete evaluation: the answer opens at the error summary, visible without scrolling
    pg.check("input[name=c1][value='2']")
    pg.click("form.evaluation-form button[type=submit]")
    pg.wait_for_load_state("networkidle")
    box = pg.locator("#evaluation-errors").bounding_box()
    assert box is not None and 0 <= box["y"] < 844
    shot(pg, "h14-public-evaluation-error-phone", full_page=False)
    ctx.close()

