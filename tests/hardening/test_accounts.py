"""Accounts (issue #8 item 3): login throttling, password rules, sessions, production HTTPS.

Throttling is django-axes: LOGIN_FAILURE_LIMIT (5) failures for one username from one address
lock that pair out for LOGIN_LOCKOUT_MINUTES (15), on the login page and on the token endpoint
alike. It is on in every test (the test client's ``login()`` carries no request and is not
throttled; see ``onecua.security.LoginThrottleBackend``).
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]
LOCK_TEXT = "Tạm khóa đăng nhập"
API_LOCK_TEXT = "tạm khóa"


@pytest.fixture
def clerk(db):
    return UserFactory(username="motcua.thu", role="counter_clerk")


def login_page(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def token(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("api-token"), {"username": username, "password": password},
                       content_type="application/json", REMOTE_ADDR=ip)


def test_the_limits_are_named_settings():
    assert (settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_LOCKOUT_MINUTES) == (5, 15)
    assert settings.AXES_FAILURE_LIMIT == settings.LOGIN_FAILURE_LIMIT
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def test_login_page_locks_a_username_and_address_after_five_failures(client, clerk):
    for _ in range(4):
        r = login_page(client, clerk.username, "sai-mat-khau")
        assert r.status_code == 200
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in r.content.decode()
    fifth = login_page(client, clerk.username, "sai-mat-khau")
    assert fifth.status_code == 429
    page = fifth.content.decode()
    assert LOCK_TEXT in page and "5 lần" in page and "15 phút" in page
    # Now even the right password is refused, and the user is not logged in.
    right = login_page(client, clerk.username, DEFAULT_PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address, or another username from the same address, is not affected.
    ok = login_page(client, clerk.username, DEFAULT_PASSWORD, ip="10.0.0.2")
    assert ok.status_code == 302 and ok["Location"] == reverse("home")
    client.logout()
    other = UserFactory(username="motcua.khac", role="counter_clerk")
    assert login_page(client, other.username, DEFAULT_PASSWORD).status_code == 302


def test_the_lock_ends_after_fifteen_minutes(client, clerk):
    for _ in range(5):
        login_page(client, clerk.username, "sai-mat-khau")
    assert login_page(client, clerk.username, DEFAULT_PASSWORD).status_code == 429
    # 14 minutes later: still locked; 16 minutes later: the attempt has expired.
    attempt = AccessAttempt.objects.get(username=clerk.username)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - timedelta(minutes=14))
    assert login_page(client, clerk.username, DEFAULT_PASSWORD).status_code == 429
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - timedelta(minutes=16))
    assert login_page(client, clerk.username, DEFAULT_PASSWORD).status_code == 302


def test_a_successful_login_resets_the_count(client, clerk):
    for _ in range(4):
        login_page(client, clerk.username, "sai-mat-khau")
    assert login_page(client, clerk.username, DEFAULT_PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert login_page(client, clerk.username, "sai-mat-khau").status_code == 200
    assert login_page(client, clerk.username, DEFAULT_PASSWORD).status_code == 302


def test_token_endpoint_is_throttled_with_the_api_error_shape(client, clerk):
    good = token(client, clerk.username, DEFAULT_PASSWORD)
    assert good.status_code == 200 and set(good.json()) == {"token", "expires_at"}
    for _ in range(4):
        bad = token(client, clerk.username, "sai-mat-khau")
        assert bad.status_code == 400
        assert set(bad.json()) == {"detail", "errors"}
    locked = token(client, clerk.username, "sai-mat-khau")
    assert locked.status_code == 429
    assert set(locked.json()) == {"detail", "errors"} and locked.json()["errors"] == {}
    assert API_LOCK_TEXT in locked.json()["detail"]
    assert locked["Retry-After"] == str(15 * 60)
    # The right password does not get through either.
    right = token(client, clerk.username, DEFAULT_PASSWORD)
    assert right.status_code == 429 and "token" not in right.json()
    # The lock is shared with the login page (same username and address).
    assert login_page(client, clerk.username, DEFAULT_PASSWORD).status_code == 429
    assert token(client, clerk.username, DEFAULT_PASSWORD, ip="10.0.0.9").status_code == 200


def test_failures_on_the_page_lock_the_token_endpoint(client, clerk):
    for _ in range(5):
        login_page(client, clerk.username, "sai-mat-khau")
    assert token(client, clerk.username, DEFAULT_PASSWORD).status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, clerk, settings):
    """With the proxy's network in TRUSTED_PROXIES two clients behind the proxy are two
    addresses, and a client cannot pick its address by sending its own X-Forwarded-For (the
    proxy appends the real one)."""
    settings.TRUSTED_PROXIES = ["172.18.0.0/16"]
    for i in range(5):
        r = client.post(reverse("login"), {"username": clerk.username, "password": "sai"}, REMOTE_ADDR="172.18.0.2",
                        HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 203.0.113.7")  # spoofed first hop, real last hop
    assert r.status_code == 429
    other_client = client.post(reverse("login"), {"username": clerk.username, "password": DEFAULT_PASSWORD},
                               REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other_client.status_code == 302


# --- passwords ------------------------------------------------------------------------------


def test_password_validators_refuse_weak_passwords_and_accept_the_demo_ones(db):
    from demo.catalogue import DEMO_STAFF_PASSWORD, DEMO_SUPERUSER

    User = get_user_model()
    user = User(username="motcua.tinh", first_name="Lan", last_name="Trần Thị")
    for weak in ("abc123", "12345678901", "password123", "motcua.tinh1"):
        with pytest.raises(ValidationError):
            validate_password(weak, user=user)
    validate_password(DEMO_STAFF_PASSWORD, user=user)
    validate_password(DEMO_SUPERUSER[1], user=User(username=DEMO_SUPERUSER[0]))
    validate_password("Hoa-Binh-mot-cua-2026", user=user)


def test_the_admin_password_form_applies_the_validators(client, db):
    admin = UserFactory(username="su", superuser=True)
    target = UserFactory(username="chuyenvien.thu", role="officer")
    client.force_login(admin)
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    r = client.post(url, {"password1": "12345", "password2": "12345"})
    assert r.status_code == 200  # form redisplayed with errors
    assert "Mật khẩu này quá ngắn" in r.content.decode() or "too short" in r.content.decode()
    target.refresh_from_db()
    assert target.check_password(DEFAULT_PASSWORD)
    strong = client.post(url, {"password1": "Hoa-Binh-mot-cua-2026", "password2": "Hoa-Binh-mot-cua-2026"})
    assert strong.status_code == 302
    target.refresh_from_db()
    assert target.check_password("Hoa-Binh-mot-cua-2026")


# --- sessions -------------------------------------------------------------------------------


def test_a_session_lasts_one_office_day_and_ends_with_the_browser(client, clerk):
    r = login_page(client, clerk.username, DEFAULT_PASSWORD)
    assert r.status_code == 302
    cookie = r.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert cookie["httponly"]
    assert client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == 8 * 60 * 60


# --- production settings ----------------------------------------------------------------------


def _run(args, env_overrides, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))
           # the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process (Playwright's loop)
           and k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"ONECUA_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "onecua.settings", **env_overrides})
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "onecua.example.gov.vn",
    "CSRF_TRUSTED_ORIGINS": "https://onecua.example.gov.vn",
}
FLAGS = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
         "SECURE_HSTS_PRELOAD")
PRINT_FLAGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    f"print(*[getattr(s, n) for n in {FLAGS!r}], s.SECURE_HSTS_SECONDS, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_does_fail_on_an_insecure_production_setting(tmp_path):
    """The previous test can fail: turning one flag off is reported."""
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                  {**PRODUCTION, "SESSION_COOKIE_SECURE": "false"}, tmp_path)
    assert result.returncode != 0
    assert "security.W012" in result.stdout + result.stderr


def test_https_flags_default_on_in_production_and_off_with_debug(tmp_path):
    prod = _run(["-c", PRINT_FLAGS], PRODUCTION, tmp_path)
    assert prod.returncode == 0, prod.stderr
    assert prod.stdout.split() == ["True"] * 5 + [str(365 * 24 * 3600), "('HTTP_X_FORWARDED_PROTO',", "'https')"]
    dev = _run(["-c", PRINT_FLAGS], {"DEBUG": "true"}, tmp_path)
    assert dev.returncode == 0, dev.stderr
    assert dev.stdout.split() == ["False"] * 5 + ["0", "None"]
    # Each flag is an env variable (a proxy that already redirects turns SECURE_SSL_REDIRECT off).
    proxied = _run(["-c", PRINT_FLAGS], {**PRODUCTION, "SECURE_SSL_REDIRECT": "false"}, tmp_path)
    assert proxied.stdout.split()[0] == "False"
