"""Repeated wrong passwords in a real browser: at the LOGIN_FAILURE_LIMIT-th failure the
login form answers with the Vietnamese lockout page, even with the right password.

Screenshot (var/screenshots/): login-lockout.png.
"""
import pytest
from django.conf import settings

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _submit(pg, username: str, password: str):
    pg.goto(pg.base_url + "/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", password)
    with pg.expect_navigation() as nav:
        pg.click("main form button[type=submit]")
    return nav.value


def test_the_form_locks_after_repeated_failures(page, screenshot):
    UserFactory(username="thu.nguyen")
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        response = _submit(page, "thu.nguyen", "sai-mat-khau")
        assert response.status == 200 and page.locator("#id_password").count() == 1
    assert _submit(page, "thu.nguyen", "sai-mat-khau").status == 429  # the limit-th failure locks
    response = _submit(page, "thu.nguyen", DEFAULT_PASSWORD)  # right password, still locked
    assert response.status == 429
    assert "Tạm khóa đăng nhập" in page.inner_text("h1")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "login-lockout")
