"""Fixtures of the connected tests: the monitoring tests' small province, real receivers."""
from __future__ import annotations

import pytest

from tests.connected.receivers import HttpReceiver, SmtpReceiver
from tests.monitoring.conftest import make_world

SECRET = "bi-mat-cua-cong-dich-vu-cong"
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "017090001234", "phone": "0912345678",
             "address": "Phường Phương Lâm", "email": "an.nguyen@example.vn", "notify_email": True, "notify_sms": True}


@pytest.fixture(autouse=True)
def _connected_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receivers listen on loopback
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.0
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.2
    settings.NOTICE_RETRY_BASE_SECONDS = 0.2
    settings.SITE_URL = "https://motcua.example.gov.vn"


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def receiver():
    with HttpReceiver(secret=SECRET) as r:
        yield r


@pytest.fixture
def sms_receiver(settings):
    with HttpReceiver() as r:
        settings.SMS_URL = r.url.replace("/hook", "/sms")
        yield r


@pytest.fixture
def smtp(settings):
    with SmtpReceiver() as s:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", s.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield s
