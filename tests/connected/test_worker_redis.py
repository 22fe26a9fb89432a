"""The whole path with real services: a real Redis broker (a private redis-server), a real Celery
worker (embedded, solo pool, in a thread), a real HTTP receiver that answers 500 at first, a real
SMTP server and a real SMS gateway (HTTP).

A dossier's whole life produces exactly its events at the subscriber, each signature valid, in
version order, after the receiver's outage; the consenting citizen gets the e-mail and the SMS
of each noticed event once; a subscriber that answers slowly never slows the actions.

Runs on SQLite too: the test database is a file there, where the worker thread waits for the
write lock (tests/conftest.py). Skips without redis-server, except under CI=true.
"""
from __future__ import annotations

import time

import pytest

from connected.models import Delivery, Notice
from connected.services.webhooks import subscription_create
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle
from tests.connected.conftest import APPLICANT, SECRET
from tests.connected.receivers import HttpReceiver, SmtpReceiver
from tests.monitoring.conftest import celery_broker, make_world, register
from tests.monitoring.test_outbox_redis import redis_server  # noqa: F401 (fixture)
from tests.dossiers.lifecycle_fixtures import approve_after_handover, assign_after_handover  # noqa: F401

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

EXPECTED_TYPES = [  # hand-over, step 1 → 2, then step 2 → the lead unit's final step 3 before the approval
    "dossier.received", "dossier.transferred", "dossier.transferred", "dossier.supplement_requested",
    "dossier.supplement_received", "dossier.apologized", "dossier.transferred", "dossier.approved", "dossier.returned",
]


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_a_dossier_life_reaches_subscribers_and_the_citizen_through_the_worker(redis_server, settings):  # noqa: F811
    from celery.contrib.testing.worker import start_worker

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    w = make_world()
    with HttpReceiver(secret=SECRET, fail_first=3) as rec, HttpReceiver(secret=SECRET, delay=3.0) as slow, \
            HttpReceiver() as gateway, SmtpReceiver() as smtp:
        settings.SMS_URL = gateway.url
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.WEBHOOK_TIMEOUT_SECONDS = 5.0
        register(w, w.days5, None)  # warm-up: calendar and reference caches of this process
        subscription_create(url=rec.url, secret=SECRET)
        subscription_create(url=slow.url, secret=SECRET, events=["dossier.received", "dossier.approved"])
        with celery_broker(f"redis://127.0.0.1:{redis_server.port}/0") as app, \
                start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=30):
            timings = []

            def timed(fn):
                started = time.monotonic()
                out = fn()
                timings.append(time.monotonic() - started)
                return out

            d = timed(lambda: register(w, w.lien, None, applicant=APPLICANT))
            d = timed(lambda: assign_after_handover(dossier=d, actor=w.lead_build, officer=w.off_build))
            d = timed(lambda: lifecycle.dossier_transfer(dossier=d, actor=w.off_build))
            d = timed(lambda: lifecycle.dossier_request_supplement(dossier=d, actor=w.lead_just, reason="Thiếu bản vẽ"))
            d = timed(lambda: lifecycle.dossier_resume(dossier=d, actor=w.clerk))
            d = timed(lambda: lifecycle.dossier_apologize(dossier=d, actor=w.lead_build, new_date=calendar_get().add_working_days(d.due_date, 5), reason="Chờ ý kiến"))
            d = timed(lambda: approve_after_handover(dossier=d, actor=w.lead_build))
            d = timed(lambda: lifecycle.dossier_return_result(dossier=d, actor=w.clerk))
            # the slow subscriber (3 s per answer) never holds an action up
            assert max(timings) < 1.5, timings

            _wait(lambda: len({r["json"]["id"] for r in rec.accepted()}) == len(EXPECTED_TYPES), 90, "every event at the subscriber")
            _wait(lambda: Notice.objects.filter(state="sent").count() == 10, 60, "every notice sent")
            _wait(lambda: len(slow.accepted()) == 2, 60, "the slow subscriber's two events")
        accepted = rec.accepted()
        assert [r["json"]["type"] for r in accepted] == EXPECTED_TYPES  # exactly its events, in order
        assert [r["json"]["dossier"]["version"] for r in accepted] == sorted(r["json"]["dossier"]["version"] for r in accepted)
        assert all(r["signature_ok"] for r in rec.requests)
        assert [r["status"] for r in rec.requests[:3]] == [500, 500, 500]
        assert len(rec.requests) == len(EXPECTED_TYPES) + 3  # nothing else, nothing twice
        assert [r["json"]["type"] for r in slow.accepted()] == ["dossier.received", "dossier.approved"]
        citizen = [m for m in smtp.messages if m["to"] == [APPLICANT["email"]]]
        assert len(citizen) == 5 and len({m["subject"] for m in citizen}) == 5
        assert len(gateway.requests) == 5 and all(r["json"]["to"] == APPLICANT["phone"] for r in gateway.requests)
        assert Delivery.objects.filter(state="delivered").count() == len(EXPECTED_TYPES) + 2
