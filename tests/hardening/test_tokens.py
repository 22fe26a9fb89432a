"""API tokens expire and die on logout and on a new password; staff change their own password
(issue 18 item 7). Old answers: the same token worked after a logout, after an administrator set
a new password and forever; there was no page to change one's password."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.dossiers.test_intake_pages import PASSWORD, make_world

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Mat-khau-moi-2026!"


@pytest.fixture
def clerk(db):
    return make_world().clerk


def _token(username: str, password: str = PASSWORD) -> tuple[int, dict]:
    r = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    return r.status_code, r.json()


def _api_status(key: str) -> int:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get("/api/v1/dossiers/").status_code


def test_a_token_expires_after_its_lifetime_and_a_new_one_is_issued(clerk, settings):
    settings.API_TOKEN_TTL_HOURS = 12
    status, body = _token(clerk.username)
    assert status == 200 and set(body) == {"token", "expires_at"}
    assert _api_status(body["token"]) == 200
    Token.objects.filter(key=body["token"]).update(created=timezone.now() - timedelta(hours=12, seconds=1))
    assert _api_status(body["token"]) == 401
    status, again = _token(clerk.username)
    assert status == 200 and again["token"] != body["token"] and _api_status(again["token"]) == 200


def test_logging_out_kills_the_token(clerk):
    _status, body = _token(clerk.username)
    page = Client()
    assert page.post(reverse("login"), {"username": clerk.username, "password": PASSWORD}).status_code == 302
    assert page.post(reverse("logout")).status_code == 302
    assert _api_status(body["token"]) == 401


def test_an_administrator_setting_a_password_kills_the_token(clerk):
    _status, body = _token(clerk.username)
    clerk.set_password(NEW_PASSWORD)
    clerk.save()
    assert _api_status(body["token"]) == 401
    # an unrelated save (the name) keeps it
    _status, body = _token(clerk.username, NEW_PASSWORD)
    clerk.first_name = "Khác"
    clerk.save()
    assert _api_status(body["token"]) == 200


def test_the_password_change_page_ends_other_sessions_and_tokens_but_keeps_this_one(clerk):
    _status, body = _token(clerk.username)
    other_pc, this_pc = Client(), Client()
    for c in (other_pc, this_pc):
        assert c.post(reverse("login"), {"username": clerk.username, "password": PASSWORD}).status_code == 302
    url = reverse("password_change")
    page = this_pc.get(url)
    assert page.status_code == 200 and "Đổi mật khẩu" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    weak = this_pc.post(url, {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200 and not get_user_model().objects.get(pk=clerk.pk).check_password("123")
    done = this_pc.post(url, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("password_change_done")
    assert this_pc.get(reverse("dossiers:intake")).status_code == 200  # this session stays
    assert other_pc.get(reverse("dossiers:intake"))["Location"].startswith(reverse("login"))  # the other one ended
    assert _api_status(body["token"]) == 401


def test_the_header_links_the_password_page(clerk):
    page = Client()
    page.force_login(clerk)
    assert reverse("password_change") in page.get(reverse("dossiers:intake")).content.decode()
