"""Nothing is lost when the broker is down: a real Redis broker is stopped and started again.

A private ``redis-server`` is started on a free port for this test (never the shared one on
6379), and an embedded Celery worker (``celery.contrib.testing.worker``, solo pool, in a
thread) consumes from it, as a real worker would. Then:

1. broker up: an intake and an assignment reach their people through the worker;
2. broker stopped (``redis-cli shutdown``): intake, assignment, a liên thông transfer, a
   supplement round trip and a deadline sweep all commit, each in a few seconds at most; their
   messages wait in the outbox and nothing is delivered;
3. broker started again on the same port: beat's next kick (retried until the broker answers,
   as beat does every minute) makes the worker deliver every waiting message; a duplicate kick
   changes nothing; every notification exists exactly once and is e-mailed exactly once.
   (Two relays racing on PostgreSQL: ``test_outbox.py``.)

Skips when redis-server is not installed, except under CI=true, where that is a failure.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from dossiers.models import Dossier
from dossiers.services import lifecycle
from monitoring.models import Notification, OutboxMessage
from monitoring.services.outbox import outbox_kick
from monitoring.services.sweep import deadline_sweep
from tests.monitoring.conftest import celery_broker, make_world, register
from tests.dossiers.lifecycle_fixtures import approve_after_handover, assign_after_handover  # noqa: F401

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A throw-away redis-server: no persistence, loopback only, its own port."""

    def __init__(self, workdir):
        self.port = _free_port()
        self.workdir = workdir

    def ping(self) -> bool:
        out = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() == "PONG"

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "yes", "--dir", str(self.workdir), "--pidfile", str(self.workdir / "redis.pid"),
             "--logfile", str(self.workdir / "redis.log")],
            check=True, timeout=10,
        )
        self._wait(True)

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True, timeout=10)
        self._wait(False)

    def _wait(self, up: bool) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping() == up:
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not {'start' if up else 'stop'}")


@pytest.fixture
def redis_server(tmp_path):
    if not shutil.which("redis-server") or not shutil.which("redis-cli"):
        if IN_CI:
            pytest.fail("CI=true: this test needs redis-server and redis-cli (apt-get install redis-server)")
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.ping():
            server.stop()


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _pending() -> int:
    return OutboxMessage.objects.filter(delivered_at__isnull=True).count()


def _timed(fn):
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


def test_every_notification_arrives_exactly_once_across_a_broker_outage(redis_server):
    from celery.contrib.testing.worker import start_worker

    w = make_world()
    # Received a month ago (history: its intake notifies nobody) and never handled: overdue.
    old = register(w, w.days5, timezone.now() - timedelta(days=30))
    assert OutboxMessage.objects.count() == 0
    expected: set[tuple[str, str]] = set()

    with celery_broker(f"redis://127.0.0.1:{redis_server.port}/0") as app, \
            start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=30):
        # 1. Broker up.
        d1 = register(w, w.days5, None)
        _wait_for(lambda: _pending() == 0, 30, "delivery of the intake while the broker is up")
        d1 = lifecycle.dossier_transfer(dossier=d1, actor=w.clerk)  # the counter's hand-over (D18)
        _wait_for(lambda: _pending() == 0, 30, "delivery of the hand-over while the broker is up")
        d1 = lifecycle.dossier_assign(dossier=d1, actor=w.lead_just, officer=w.off_just)
        # (the hand-over tells Sở Tư pháp's leaders nothing new: the receipt told them)
        expected |= {(f"receive:{d1.code}", w.lead_just.username),
                     (f"assign:{d1.code}", w.off_just.username)}
        _wait_for(lambda: _pending() == 0, 30, "delivery while the broker is up")
        assert Notification.objects.count() == 2

        # 2. Broker down: every action commits, fast; its messages wait.
        redis_server.stop()
        d2, t_a = _timed(lambda: register(w, w.days5, None))
        d3, t_b = _timed(lambda: register(w, w.lien, None))
        d2, t_c = _timed(lambda: assign_after_handover(dossier=d2, actor=w.lead_just, officer=w.off_just))
        d3, t_d = _timed(lambda: assign_after_handover(dossier=d3, actor=w.lead_build, officer=w.off_build))
        d3, t_e = _timed(lambda: lifecycle.dossier_transfer(dossier=d3, actor=w.off_build))
        d1, t_f = _timed(lambda: lifecycle.dossier_request_supplement(dossier=d1, actor=w.off_just, reason="Thiếu tờ khai"))
        d1, t_g = _timed(lambda: lifecycle.dossier_resume(dossier=d1, actor=w.clerk))
        swept, t_h = _timed(lambda: deadline_sweep(trigger="test"))
        timings = [t_a, t_b, t_c, t_d, t_e, t_f, t_g, t_h]
        # (A kick on a dead broker with kombu's default reconnect loop would cost ~6 s alone.)
        assert max(timings) < 4.0, timings
        assert swept.counts["overdue"] == 1
        expected |= {
            (f"receive:{d2.code}", w.lead_just.username), (f"assign:{d2.code}", w.off_just.username),
            (f"receive:{d3.code}", w.lead_build.username), (f"assign:{d3.code}", w.off_build.username),
            (f"transfer:{d3.code}", w.lead_just.username), (f"resume:{d1.code}", w.off_just.username),
            # the old dossier sits at the counter, unassigned: its resolving unit's leader is told
            (f"overdue:{old.code}", w.lead_just.username),
        }
        assert Dossier.objects.count() == 4 and d3.current_unit == w.justice and d1.state == "in_processing"
        # six notifying actions (neither hand-over nor the supplement request notifies) + one flag
        assert _pending() == 7
        time.sleep(2)  # the worker is alive but cannot hear the kicks: nothing moves
        assert _pending() == 7 and Notification.objects.count() == 2

        # 3. Broker back: beat's kick, retried each tick until the broker answers; the worker
        # delivers everything. Then a duplicate kick (at-least-once delivery of the kick
        # itself) finds nothing left to do.
        redis_server.start()
        _wait_for(outbox_kick, 30, "the broker to accept the kick")
        _wait_for(lambda: _pending() == 0, 60, "delivery by the worker after the broker came back")
        _wait_for(lambda: not Notification.objects.filter(email_state="pending").exists(), 30, "the e-mails")
        assert outbox_kick()
        time.sleep(1.5)

    got = []
    for n in Notification.objects.select_related("message__event", "message__flag", "dossier", "recipient"):
        what = n.message.event.action if n.message.event_id else n.message.flag.kind
        got.append((f"{what}:{n.dossier.code}", n.recipient.username))
    assert sorted(got) == sorted(expected)  # every one, and none twice
    assert set(Notification.objects.values_list("email_state", flat=True)) == {"sent"}
    for n in Notification.objects.select_related("recipient"):
        carrying = [m for m in mail.outbox if n.recipient.email in m.to and n.title in m.body]
        assert len(carrying) == 1, (n.title, n.recipient.username, len(carrying))
