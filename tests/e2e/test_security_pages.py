"""Browser test of issue 18's pages under the Content-Security-Policy.

A citizen verifies a dossier, reads it, presses "Kết thúc tra cứu" and can no longer open it; a
clerk changes the password in the header's "Đổi mật khẩu" page and prints a receipt. Chromium
reports every CSP violation on the console: none may occur (no inline script or style left).
Screenshots: var/screenshots/sec-lookup-end.png, sec-password-change.png.
"""
from __future__ import annotations

import pytest

from tests.citizens.test_public_fixtures import (  # noqa: F401 (fixtures)
    PHONE_LAST4, at, make_returned, org, procedures, world,
)
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _watch_csp(pg) -> list[str]:
    violations: list[str] = []
    pg.on("console", lambda msg: violations.append(f"{pg.url}: {msg.text}") if "Content Security Policy" in msg.text else None)
    return violations


def test_citizen_ends_the_lookup(page, live_server, screenshot, world):
    dossier = make_returned(world)
    violations = _watch_csp(page)
    page.goto(f"{live_server.url}/tra-cuu-ho-so/?ma={dossier.code}")
    assert page.evaluate("document.activeElement.id") == "id_digits"  # common.js focused the digits
    page.fill("#id_digits", PHONE_LAST4)
    page.click("main form.lookup-form button[type=submit]")
    page.wait_for_url(f"**/tra-cuu-ho-so/ho-so/{dossier.code}/")
    end = page.get_by_role("button", name="Kết thúc tra cứu")
    assert end.is_visible()
    screenshot(page, "sec-lookup-end", full_page=False)
    end.click()
    page.wait_for_url("**/tra-cuu-ho-so/")
    assert "Đã kết thúc tra cứu" in page.content()
    page.goto(f"{live_server.url}/tra-cuu-ho-so/ho-so/{dossier.code}/")
    assert "/tra-cuu-ho-so/?ma=" in page.url  # back to the form: no longer verified
    assert violations == []


def test_clerk_changes_the_password_and_prints_without_csp_violations(page, live_server, screenshot, world):
    dossier = make_returned(world)
    violations = _watch_csp(page)
    login(page, "clerk_z", "x-pass-1234")
    page.click("a.password-link")
    page.wait_for_url("**/doi-mat-khau/")
    page.fill("#id_old_password", "x-pass-1234")
    page.fill("#id_new_password1", "Mat-khau-moi-2026!")
    page.fill("#id_new_password2", "Mat-khau-moi-2026!")
    screenshot(page, "sec-password-change", full_page=False)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/doi-mat-khau/xong/")
    assert "Đã đổi mật khẩu" in page.content()
    page.goto(f"{live_server.url}/ho-so/{dossier.code}/")
    page.goto(f"{live_server.url}/ho-so/{dossier.code}/giay-tiep-nhan/")
    assert page.locator(".doc").count() >= 1
    assert violations == []
