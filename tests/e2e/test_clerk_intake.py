"""A counter clerk receives a dossier with the keyboard, in a real browser at 1366×768.

Screenshots (var/screenshots/): clerk-intake-search.png, clerk-intake-filled.png, clerk-receipt.png, the browser's print
of the receipt (clerk-receipt-print.pdf and its pages clerk-receipt-print-1.png, -2.png),
clerk-worklist.png, clerk-intake-error.png.
"""
import re
import shutil
import subprocess

import pytest
from django.utils import timezone

from dossiers import calendar as wcal
from dossiers.models import Dossier
from dossiers.selectors import calendar_get
from tests.dossiers.test_intake_pages import PASSWORD, make_world, register
from tests.conftest import IN_CI
from tests.e2e.conftest import SCREENSHOTS, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_clerk_receives_a_dossier_with_the_keyboard(page, screenshot):
    """Type part of a name, pick the procedure with ↓/Enter, tick the documents (Alt+A), fill
    the applicant, see the live due date, save with Ctrl+Enter, land on the receipt."""
    w = make_world()
    previous = register(w, id_number="017190005555", name="Đặng Văn Lâm")
    login(page, w.clerk.username, PASSWORD)
    page.goto(page.base_url + "/tiep-nhan/")
    # the search box has the focus (set by the page's script once loaded: wait for it on a busy machine)
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'procedure-q'")

    page.keyboard.type("dang ky khai")
    page.wait_for_selector("#procedure-results li[role=option]")
    assert "Đăng ký khai sinh" in page.inner_text("#procedure-results")
    screenshot(page, "clerk-intake-search", full_page=False)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    assert page.input_value("#id_procedure") == w.birth.code
    assert page.locator("#checklist-body tr").count() == 3

    due = wcal.compute_due(received_at=timezone.now(), amount=5, unit="working_days", cal=calendar_get())
    page.wait_for_function(
        "expected => document.querySelector('#due-date').textContent.trim() === expected",
        arg=f"{due.due_date:%d/%m/%Y}",
    )
    assert page.inner_text("#due-text").startswith(f"Hẹn trả {due.due_date:%d/%m/%Y}")
    assert "5 ngày làm việc" in page.inner_text("#due-rule")

    page.keyboard.press("Alt+a")
    assert page.locator("#checklist-body input[type=checkbox]:checked").count() == 3

    # a returning applicant: the CCCD brings back the earlier data (Alt+L)
    page.click("#id_applicant_id_number")
    page.keyboard.type("017190005555")
    page.wait_for_selector("#applicant-found:not([hidden])")
    assert previous.code in page.inner_text("#applicant-found")
    page.keyboard.press("Alt+l")
    assert page.input_value("#id_applicant_name") == "Đặng Văn Lâm"
    page.fill("#id_applicant_phone", "0912 000 111")
    page.fill("#id_applicant_address", "Số 12 đường Cù Chính Lan, phường Đồng Tiến, thành phố Hòa Bình")
    page.check("input[name=return_channel][value=postal]")
    assert not page.is_visible("#on-the-spot-field")  # this procedure has no "4 tại chỗ"
    assert no_horizontal_scroll(page)
    screenshot(page, "clerk-intake-filled", full_page=False)

    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    d = Dossier.objects.exclude(pk=previous.pk).get()
    assert re.search(rf"/ho-so/{re.escape(d.code)}/giay-tiep-nhan/\?print=1$", page.url)
    assert f"Đã tiếp nhận hồ sơ {d.code}" in page.inner_text(".messages")
    assert d.due_date == due.due_date and d.applicant_name == "Đặng Văn Lâm"
    assert d.return_channel == "postal" and len(d.documents) == 3
    assert page.locator("section.doc.mau01").count() == 2
    assert no_horizontal_scroll(page)
    screenshot(page, "clerk-receipt")
    # What the browser prints (Ctrl+P): A4 portrait, one page per copy, no menu or buttons. The
    # ?print=1 page has already opened the browser's print (headless Chromium keeps it pending):
    # reload without it.
    page.goto(page.url.split("?")[0])
    page.emulate_media(media="print")
    assert not page.is_visible(".sidebar") and not page.is_visible(".doc-actions")
    pdf = SCREENSHOTS / "clerk-receipt-print.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    assert shutil.which("pdfinfo") or not IN_CI, "CI=true: install poppler-utils"
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"Pages:\s+2\b", info), info
        assert re.search(r"Page size:\s+59[45]\.\d+ x 841\.\d+", info), info  # A4 portrait
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(SCREENSHOTS / "clerk-receipt-print")], check=True)
    page.emulate_media(media="screen")

    page.goto(page.base_url + "/mot-cua/")
    assert d.code in page.inner_text("#today")
    assert no_horizontal_scroll(page)
    screenshot(page, "clerk-worklist", full_page=False)


def test_bad_cccd_is_flagged_in_the_browser_and_by_the_server(page, screenshot):
    """An 11-digit CCCD: the message appears under the field as the clerk types, and the server
    sends the form back with the same message and nothing lost."""
    w = make_world()
    login(page, w.clerk.username, PASSWORD)
    page.goto(page.base_url + f"/tiep-nhan/?procedure={w.birth.code}")
    page.fill("#id_applicant_name", "Bùi Thị Mai")
    page.fill("#id_applicant_id_number", "0171900012")
    page.press("#id_applicant_id_number", "Tab")
    assert page.inner_text("#cccd-error") == "Số CCCD phải gồm 12 chữ số."
    page.click("#tick-all")
    with page.expect_navigation():
        page.click("#save")
    assert page.inner_text("#cccd-error") == "Số CCCD phải gồm 12 chữ số."
    assert page.evaluate("document.activeElement.id") == "id_applicant_id_number"  # ready to correct
    assert page.input_value("#id_applicant_name") == "Bùi Thị Mai"
    assert page.locator("#checklist-body input[type=checkbox]:checked").count() == 3
    assert Dossier.objects.count() == 0
    screenshot(page, "clerk-intake-error", full_page=False)


def test_incomplete_dossier_gets_guidance_slip_without_a_dossier(page, screenshot):
    """Documents missing: "Chưa đủ giấy tờ (Mẫu 02)" carries the applicant and the unticked
    documents to the slip form; printing the slip creates no dossier."""
    w = make_world()
    login(page, w.clerk.username, PASSWORD)
    page.goto(page.base_url + f"/tiep-nhan/?procedure={w.birth.code}")
    page.fill("#id_applicant_name", "Hoàng Văn Nam")
    page.fill("#id_applicant_phone", "0977 123 456")
    page.check("#doc-0-on")
    with page.expect_navigation():
        page.click("text=Chưa đủ giấy tờ (Mẫu 02)")
    assert page.input_value("#id_applicant_name") == "Hoàng Văn Nam"
    assert page.input_value("#id_missing").splitlines() == ["Giấy chứng sinh", "Giấy tờ tùy thân của người đi đăng ký"]
    page.fill("#id_reason", "Thiếu giấy chứng sinh bản chính do cơ sở y tế cấp.")
    assert no_horizontal_scroll(page)
    screenshot(page, "clerk-slip-form", full_page=False)
    with page.expect_navigation():
        page.click("button[name=print]")
    assert page.locator("section.doc.mau02").count() == 1
    assert "Giấy tờ tùy thân của người đi đăng ký" in page.inner_text("section.doc.mau02")
    assert Dossier.objects.count() == 0
    screenshot(page, "clerk-slip-mau02")
