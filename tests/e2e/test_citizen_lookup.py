"""Browser test of the citizen side: from the receipt's QR to the evaluation.

The clerk prints the receipt (Mẫu 01); the link its QR encodes (the page carries it beside the
SVG, and the SVG is checked to be segno's encoding of that link) is opened on a phone
(390×844) without login; the citizen types the four digits, reads the progress, evaluates the
dossier and sees the band. The lookup and dossier pages are photographed at 1366×768 and on
the phone, the kiosk at 1366×768 (var/screenshots/pub-*.png); none may scroll sideways.
"""
from __future__ import annotations

import re

import pytest

from citizens.models import Evaluation
from citizens.qr import qr_svg
from citizens.services import feedback_answer, feedback_submit
from tests.citizens.test_public_fixtures import (  # noqa: F401 (fixtures)
    MASKED, PHONE_LAST4, SECRETS, at, make_returned, org, procedures, strip_csrf, world,
)
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}


def _no_horizontal_scroll(pg):
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _private(pg):
    body = strip_csrf(pg.content()).lower()  # the random CSRF tokens may spell a secret's fragment
    return [s for s in SECRETS if s.lower() in body]


def test_citizen_opens_the_qr_link_and_evaluates(page, browser, live_server, screenshot, world):
    dossier = make_returned(world)
    f = feedback_submit(dossier=dossier, kind="complaint", content="Phải chờ lâu ở quầy số 2.", at=at(2022, 2, 16, 10))
    feedback_answer(feedback=f, answer="Trung tâm đã bổ sung cán bộ cho quầy số 2 từ tháng 3.", actor=world["people"]["leader"],
                    at=at(2022, 2, 18, 10))

    # The clerk's receipt: the QR and the link it encodes.
    login(page, "clerk_z", "x-pass-1234")
    page.goto(f"{live_server.url}/ho-so/{dossier.code}/giay-tiep-nhan/")
    qr = page.locator(".doc .lookup-qr").first
    link = qr.get_attribute("data-lookup-url")
    assert link == f"{live_server.url}/tra-cuu-ho-so/?ma={dossier.code}"
    # The drawn modules are exactly segno's encoding of that link.
    drawn = qr.locator("svg path").get_attribute("d")
    expected = re.search(r' d="([^"]+)"', qr_svg(link)).group(1)
    assert drawn == expected
    assert qr.locator("svg").bounding_box()["width"] > 80  # big enough to scan (27 mm)
    screenshot(page, "pub-receipt-qr", full_page=False)

    # A phone opens the link: the code is filled in, the citizen types the digits.
    ctx = browser.new_context(**PHONE)
    phone = ctx.new_page()
    phone.set_default_timeout(15000)
    phone.goto(link)
    assert phone.input_value("#id_code") == dossier.code
    assert phone.locator(".sidebar").count() == 0
    assert _no_horizontal_scroll(phone)
    screenshot(phone, "pub-lookup-phone")
    phone.fill("#id_digits", "0000")
    phone.click("form.lookup-form button[type=submit]")
    assert "Không tìm thấy hồ sơ khớp" in phone.locator(".lookup-form .msg-error").inner_text()
    phone.fill("#id_digits", PHONE_LAST4)
    phone.click("form.lookup-form button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("h1").inner_text().endswith(dossier.code)
    assert MASKED in phone.locator(".pub-facts").inner_text()
    assert phone.locator(".pub-appointment").count() == 0  # returned: the new appointment is history (issue 14)
    assert "Trung tâm đã bổ sung cán bộ" in phone.locator(".pub-feedback .answer").inner_text()
    assert not _private(phone)
    assert _no_horizontal_scroll(phone)
    screenshot(phone, "pub-dossier-phone")

    # The evaluation: nine criteria, one tap each.
    for i in range(1, 10):
        phone.locator(f"label.choice:has(input[name='c{i}'][value='{2 if i < 8 else 1}'])").click()
    phone.fill("#id_comment", "Cán bộ hướng dẫn tận tình.")
    phone.click("form.evaluation-form button[type=submit]")
    phone.wait_for_load_state("networkidle")
    band = phone.locator(".pub-band").inner_text()
    assert "16/18" in band and "Xuất sắc" in band
    assert "Cảm ơn bạn đã đánh giá" in phone.locator(".msg-success").inner_text()
    assert Evaluation.objects.get().total == 16
    screenshot(phone, "pub-evaluated-phone")
    ctx.close()

    # The same pages at the counter PC's size (a fresh browser, in English for the switch).
    page.context.clear_cookies()
    page.goto(link)
    screenshot(page, "pub-lookup-1366", full_page=False)
    page.click("header form.lang button")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    page.fill("#id_digits", PHONE_LAST4)
    page.click("form.lookup-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert _no_horizontal_scroll(page)
    assert not _private(page)
    screenshot(page, "pub-dossier-1366-en")

    # The counter kiosk (Vietnamese again): another returned dossier, its receipt link scanned
    # into the code field, nine taps, the band, and back to the start screen.
    page.click("header form.lang button")
    page.wait_for_load_state("networkidle")
    second = make_returned(world)
    page.goto(f"{live_server.url}/danh-gia-tai-quay/")
    assert _no_horizontal_scroll(page)
    screenshot(page, "pub-kiosk-1366", full_page=False)
    page.fill("#id_code", f"{live_server.url}/tra-cuu-ho-so/?ma={second.code}")
    page.fill("#id_digits", PHONE_LAST4)
    page.click("form.lookup-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/danh-gia-tai-quay/phieu/")
    assert page.locator(".choice").first.bounding_box()["height"] >= 48  # touch-sized
    assert _no_horizontal_scroll(page)
    screenshot(page, "pub-kiosk-evaluate-1366", full_page=False)
    for i in range(1, 10):
        page.locator(f"label.choice:has(input[name='c{i}'][value='1'])").click()
    page.click("form.evaluation-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "9/18" in page.locator(".pub-band").inner_text() and "Khá" in page.locator(".pub-band").inner_text()
    screenshot(page, "pub-kiosk-thanks-1366", full_page=False)
    assert Evaluation.objects.get(dossier=second).source == Evaluation.Source.KIOSK
    page.click("text=Về màn hình đầu")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/danh-gia-tai-quay/") and page.input_value("#id_code") == ""

    # The supervisor's feedback list, with its menu entry (one open item).
    open_one = feedback_submit(dossier=second, kind="proposal", content="Đề nghị nhắn tin khi có kết quả.")
    login(page, "leader_z", "x-pass-1234")
    page.goto(f"{live_server.url}/phan-anh-kien-nghi/")
    assert page.locator(".sidebar a.active").inner_text().replace("\n", " ").strip() == "Phản ánh, kiến nghị 1"
    assert page.locator("table.fb-list tbody tr").count() == 2
    assert _no_horizontal_scroll(page)
    screenshot(page, "pub-feedback-list-1366", full_page=False)
    page.click(f"a[href='/phan-anh-kien-nghi/{open_one.pk}/']")
    page.fill("#id_answer", "Trung tâm sẽ triển khai từ quý sau.")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Đã trả lời" in page.locator(".msg-success").inner_text()
