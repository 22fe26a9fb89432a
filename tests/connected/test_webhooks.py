"""Webhooks (interfaces.md "Connected systems") against a real HTTP receiver in the test process.

The relay and the senders are called as ``manage.py outbox_relay`` calls them (the Celery
worker path is tests/connected/test_worker_redis.py).
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from connected.events import ACTION_EVENT_TYPES, EVENT_TYPES, signature
from connected.models import Delivery, Subscription
from connected.services.webhooks import (
    MSG_EXPIRED, MSG_SECRET, delivery_resend, subscription_create, webhook_deliveries_send,
)
from connected.outbound import MSG_PRIVATE, MSG_SCHEME
from dossiers.roles import ADMINISTRATOR, role_group_name
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle
from dossiers.workflow import Action
from monitoring.models import OutboxMessage
from monitoring.services.outbox import outbox_relay
from tests.connected.conftest import APPLICANT, SECRET
from tests.connected.receivers import HttpReceiver
from tests.monitoring.conftest import register
from tests.dossiers.lifecycle_fixtures import approve_after_handover, assign_after_handover  # noqa: F401

pytestmark = pytest.mark.django_db


def _admin_client(w):
    from django.contrib.auth.models import Group

    w.clerk.groups.add(Group.objects.get(name=role_group_name(ADMINISTRATOR)))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=w.clerk).key}")
    return client


def _send_all(sub: Subscription, now=None) -> dict:
    outbox_relay(now=now)
    return webhook_deliveries_send(subscription_id=sub.pk, now=now)


# --- the API --------------------------------------------------------------------------------------


def test_api_creates_lists_and_ends_a_subscription(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    api = _admin_client(world)
    r = api.post("/api/v1/webhooks/", {"url": "https://93.184.216.34/onecua", "secret": "s3cret", "events": ["dossier.received"]}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["url"] == "https://93.184.216.34/onecua" and body["events"] == ["dossier.received"] and body["active"] is True
    assert "secret" not in body
    assert [s["id"] for s in api.get("/api/v1/webhooks/").json()] == [body["id"]]
    assert api.delete(f"/api/v1/webhooks/{body['id']}/").status_code == 204
    assert api.get("/api/v1/webhooks/").json() == []
    assert api.delete(f"/api/v1/webhooks/{body['id']}/").status_code == 404


@pytest.mark.parametrize("payload, field, message", [
    ({"url": "ftp://93.184.216.34/x", "secret": "s"}, "url", MSG_SCHEME),
    ({"url": "file:///etc/passwd", "secret": "s"}, "url", MSG_SCHEME),
    ({"url": "http://127.0.0.1:8000/hook", "secret": "s"}, "url", MSG_PRIVATE),
    ({"url": "http://localhost/hook", "secret": "s"}, "url", MSG_PRIVATE),
    ({"url": "http://10.1.2.3/hook", "secret": "s"}, "url", MSG_PRIVATE),
    ({"url": "http://192.168.1.10/hook", "secret": "s"}, "url", MSG_PRIVATE),
    ({"url": "http://169.254.169.254/latest/meta-data", "secret": "s"}, "url", MSG_PRIVATE),
    ({"url": "http://[::1]/hook", "secret": "s"}, "url", MSG_PRIVATE),
    ({"url": "https://93.184.216.34/x", "secret": ""}, "secret", MSG_SECRET),
    ({"url": "https://93.184.216.34/x", "secret": "   "}, "secret", MSG_SECRET),
])
def test_api_refuses_a_bad_subscription_with_field_errors(world, settings, payload, field, message):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    r = _admin_client(world).post("/api/v1/webhooks/", payload, format="json")
    assert r.status_code == 400
    assert r.json()["errors"][field] == [message]
    assert Subscription.objects.count() == 0


def test_api_refuses_an_unknown_event_type(world):
    r = _admin_client(world).post("/api/v1/webhooks/", {"url": "https://93.184.216.34/x", "secret": "s", "events": ["dossier.exploded"]}, format="json")
    assert r.status_code == 400 and "dossier.exploded" in r.json()["errors"]["events"][0]


def test_private_targets_are_allowed_only_with_the_setting(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert _admin_client(world).post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/x", "secret": "s"}, format="json").status_code == 201


def test_only_administrators_manage_webhooks(world):
    client = APIClient()
    assert client.get("/api/v1/webhooks/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.lead_just).key}")
    assert client.get("/api/v1/webhooks/").status_code == 403
    assert client.post("/api/v1/webhooks/", {"url": "https://93.184.216.34/x", "secret": "s"}, format="json").status_code == 403


# --- delivery -------------------------------------------------------------------------------------


def test_every_action_maps_to_at_most_one_event_type():
    for action in Action.values:
        assert ACTION_EVENT_TYPES.get(action) in (None, *EVENT_TYPES)
    assert set(ACTION_EVENT_TYPES.values()) == set(EVENT_TYPES)  # every type has a cause


def test_a_delivery_is_a_signed_post_with_the_documented_body(world, receiver):
    sub = subscription_create(url=receiver.url, secret=SECRET, events=["*"])
    d = register(world, world.days5, None, applicant={"name": "Nguyễn Văn An", "id_number": "017090001234", "phone": "0912345678"})
    assert _send_all(sub)["delivered"] == 1
    [req] = receiver.requests
    assert req["signature_ok"] is True
    assert req["headers"]["X-OneCua-Signature"] == signature(SECRET, req["raw"])
    body = req["json"]
    assert req["headers"]["X-OneCua-Event-Id"] == body["id"]
    assert body["type"] == "dossier.received"
    assert body["dossier"]["code"] == d.code
    assert body["dossier"]["status"] == "received"
    assert body["dossier"]["procedure"] == "1.000001"
    assert body["dossier"]["receiving_unit"] == "000.00.31.H23"
    assert body["dossier"]["resolving_unit"] == "000.00.12.H23"
    assert body["dossier"]["due_date"] == d.due_date.isoformat()
    assert body["dossier"]["version"] == 0
    raw = req["raw"].decode()
    for secret in ("017090001234", "0912345678", "Nguyễn Văn An"):
        assert secret not in raw


def test_a_dossier_life_arrives_in_version_order_after_an_outage(world):
    """The receiver answers 500 to the first 3 requests: every event still arrives, once
    accepted each, in version order, each signature valid."""
    w = world
    with HttpReceiver(secret=SECRET, fail_first=3) as rec:
        sub = subscription_create(url=rec.url, secret=SECRET)
        d = register(w, w.days5, None)
        d = assign_after_handover(dossier=d, actor=w.lead_just, officer=w.off_just)
        d = lifecycle.dossier_request_supplement(dossier=d, actor=w.off_just, reason="Thiếu tờ khai")
        d = lifecycle.dossier_resume(dossier=d, actor=w.clerk)
        new_date = calendar_get().add_working_days(d.due_date, 5)  # a working day after D
        d = lifecycle.dossier_apologize(dossier=d, actor=w.lead_just, new_date=new_date, reason="Chờ xác minh")
        d = approve_after_handover(dossier=d, actor=w.lead_just)
        d = lifecycle.dossier_return_result(dossier=d, actor=w.clerk)
        now = timezone.now()
        for i in range(40):  # the sender comes back as retries fall due (time moves on)
            result = _send_all(sub, now=now + timedelta(seconds=i))
            if result["more"] is None:
                break
        accepted = rec.accepted()
        assert [r["json"]["type"] for r in accepted] == [
            "dossier.received", "dossier.transferred", "dossier.supplement_requested", "dossier.supplement_received",
            "dossier.apologized", "dossier.approved", "dossier.returned",
        ]
        assert [r["json"]["dossier"]["version"] for r in accepted] == [0, 1, 3, 4, 5, 6, 7]  # 2: the assignment
        assert all(r["signature_ok"] for r in rec.requests)
        assert len({r["json"]["id"] for r in accepted}) == 7
        assert len(rec.requests) == 7 + 3
        assert Delivery.objects.filter(state="delivered").count() == 7


def test_one_dossier_waits_for_its_earlier_version_others_do_not(world, receiver):
    w = world
    sub = subscription_create(url=receiver.url, secret=SECRET)
    a = register(w, w.days5, None)
    b = register(w, w.days5, None)
    outbox_relay()
    # a's receipt fails for now (pushed into the future): a's later events wait, b's go.
    Delivery.objects.filter(dossier_id=a.pk).update(next_at=timezone.now() + timedelta(hours=1))
    for d in (a, b):
        assign_after_handover(dossier=d, actor=w.lead_just, officer=w.off_just)
        lifecycle.dossier_request_supplement(dossier=d, actor=w.off_just, reason="Thiếu")
    _send_all(sub)
    assert [(r["json"]["dossier"]["code"], r["json"]["type"]) for r in receiver.requests] == [
        (b.code, "dossier.received"), (b.code, "dossier.transferred"), (b.code, "dossier.supplement_requested"),
    ]


def test_failed_after_24_hours_then_sent_again_by_an_administrator(world):
    with HttpReceiver(secret=SECRET, fail_first=10**6) as rec:
        sub = subscription_create(url=rec.url, secret=SECRET)
        register(world, world.days5, None)
        outbox_relay()
        later = timezone.now() + timedelta(hours=24, minutes=1)
        Subscription.objects.update(retry_at=None)
        result = webhook_deliveries_send(subscription_id=sub.pk, now=later)
        d = Delivery.objects.get()
        assert d.state == "failed" and d.last_error == MSG_EXPIRED and result["failed"] == 1
        rec.fail_first = 0
        delivery_resend(delivery=d)
        webhook_deliveries_send(subscription_id=sub.pk)
        d.refresh_from_db()
        assert d.state == "delivered"
        assert rec.accepted()[0]["json"]["id"] == str(d.event_id)


def test_a_slow_receiver_is_cut_at_the_timeout_and_a_redirect_is_not_followed(world, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    with HttpReceiver(secret=SECRET, delay=2.0) as slow, HttpReceiver(secret=SECRET, redirect=True) as moved:
        s1 = subscription_create(url=slow.url, secret=SECRET)
        s2 = subscription_create(url=moved.url, secret=SECRET)
        register(world, world.days5, None)
        outbox_relay()
        import time

        t0 = time.monotonic()
        webhook_deliveries_send(subscription_id=s1.pk)
        assert time.monotonic() - t0 < 1.5
        webhook_deliveries_send(subscription_id=s2.pk)
    d1, d2 = Delivery.objects.get(subscription=s1), Delivery.objects.get(subscription=s2)
    assert d1.state == "pending" and d1.last_status is None and "thời gian" in d1.last_error
    assert d2.state == "pending" and d2.last_status == 302
    assert len(moved.requests) == 1  # the Location was never visited


def test_a_receiver_in_trouble_pauses_its_subscription_only(world):
    with HttpReceiver(secret=SECRET, fail_first=10**6) as down, HttpReceiver(secret=SECRET) as up:
        s_down = subscription_create(url=down.url, secret=SECRET)
        s_up = subscription_create(url=up.url, secret=SECRET)
        for _ in range(5):
            register(world, world.days5, None)
        outbox_relay()
        webhook_deliveries_send(subscription_id=s_down.pk)
        webhook_deliveries_send(subscription_id=s_up.pk)
        assert len(down.requests) == 1  # one probe, not five timeouts
        assert len(up.accepted()) == 5
        s_down.refresh_from_db()
        assert s_down.retry_at is not None


def test_nothing_is_written_without_subscribers_or_consent(world):
    register(world, world.days5, None, applicant={"name": "A"})
    assert not OutboxMessage.objects.filter(topic="connect").exists()


def test_history_sends_nothing(world, receiver):
    subscription_create(url=receiver.url, secret=SECRET)
    register(world, world.days5, timezone.now() - timedelta(days=30), applicant=APPLICANT)
    assert not OutboxMessage.objects.filter(topic="connect").exists()


def test_the_relay_command_sends_what_is_due(world, receiver):
    subscription_create(url=receiver.url, secret=SECRET)
    register(world, world.days5, None)
    from io import StringIO

    out = StringIO()
    call_command("outbox_relay", stdout=out)
    assert "Webhook: đã gửi 1" in out.getvalue()
    assert len(receiver.accepted()) == 1
    json.loads(receiver.accepted()[0]["raw"])


ACTIONS = ("supplement", "resume", "apologize", "approve", "return")


def _act(w, d, step: str):
    if step == "supplement" and d.state in ("received", "in_processing"):
        if d.state == "received" or d.assigned_to_id is None:
            d = assign_after_handover(dossier=d, actor=w.lead_just, officer=w.off_just)
        return lifecycle.dossier_request_supplement(dossier=d, actor=w.off_just, reason="Thiếu")
    if step == "resume" and d.state == "awaiting_supplement":
        return lifecycle.dossier_resume(dossier=d, actor=w.clerk)
    if step == "apologize" and d.state in ("received", "in_processing") and d.apologized_at is None:
        return lifecycle.dossier_apologize(dossier=d, actor=w.lead_just, reason="Chậm",
                                           new_date=calendar_get().add_working_days(d.due_date, 3))
    if step == "approve" and d.state in ("received", "in_processing"):
        return approve_after_handover(dossier=d, actor=w.lead_just)
    if step == "return" and d.state == "approved":
        return lifecycle.dossier_return_result(dossier=d, actor=w.clerk)
    return d


from hypothesis import HealthCheck, given, settings as hsettings, strategies as st  # noqa: E402


@hsettings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(ACTIONS)), max_size=10),
       failures=st.frozensets(st.integers(0, 20), max_size=8))
def test_any_interleaving_and_any_failures_keep_each_dossier_in_version_order(world, steps, failures):
    """Whatever the receiver refuses, each event of each dossier is accepted exactly once, and one
    dossier's events are accepted in increasing version order."""
    w = world
    with HttpReceiver(secret=SECRET, fail_at=failures) as rec:
        sub = subscription_create(url=rec.url, secret=SECRET)
        dossiers = [register(w, w.days5, None) for _ in range(3)]
        for i, step in steps:
            dossiers[i] = _act(w, dossiers[i], step)
        now = timezone.now()
        for k in range(200):
            Subscription.objects.filter(pk=sub.pk).update(retry_at=None)
            if _send_all(sub, now=now + timedelta(minutes=k))["more"] is None:
                break
        from connected.services.webhooks import subscription_end

        subscription_end(subscription=sub)
        accepted = rec.accepted()
    expected = Delivery.objects.filter(subscription=sub).count()
    assert len(accepted) == expected == len({r["json"]["id"] for r in accepted})
    for d in dossiers:
        versions = [r["json"]["dossier"]["version"] for r in accepted if r["json"]["dossier"]["code"] == d.code]
        assert versions == sorted(set(versions)) and versions[-1] == d.version
    assert all(r["signature_ok"] for r in rec.requests)
