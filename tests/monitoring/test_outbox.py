"""The transactional outbox, its relay, e-mail delivery and the daily digest (no broker here:
the real-Redis outage is ``test_outbox_redis.py``)."""
from __future__ import annotations

import threading
from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone

from dossiers.models import Dossier
from dossiers.services import lifecycle
from monitoring.models import DeadlineFlag, Notification, OutboxMessage
from monitoring.services.digest import supervisor_digest_enqueue
from monitoring.services.outbox import outbox_relay
from monitoring.services.sweep import deadline_sweep
from tests.conftest import require_postgres
from tests.monitoring.conftest import at, celery_broker, make_world, many_overdue, register
from tests.dossiers.lifecycle_fixtures import approve_after_handover, assign_after_handover  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    """Kicks run the relay inline (as in a single-process setup)."""
    from onecua.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


def _who(**filters) -> set[str]:
    return set(Notification.objects.filter(**filters).values_list("recipient__username", flat=True))


def test_an_intake_and_its_message_commit_or_roll_back_together(world):
    """The outbox row is written in the intake's own transaction: a rollback leaves neither."""
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            register(world, world.days5, None)
            assert OutboxMessage.objects.count() == 1
            raise RuntimeError("the caller fails after the intake")
    assert Dossier.objects.count() == 0 and OutboxMessage.objects.count() == 0
    d = register(world, world.days5, None)
    msg = OutboxMessage.objects.get()
    assert (msg.topic, msg.dedupe_key, msg.dossier_id, msg.delivered_at) == ("event", f"event:{d.events.get().pk}", d.pk, None)


def test_actions_notify_the_right_people_right_after_commit(world, eager, django_capture_on_commit_callbacks):
    """Intake → the resolving unit's leaders; assignment → the officer; transfer → the next
    unit's leaders; resume → the officer; approval → the receiving counter's clerks. Nobody
    is told about their own action; a supplement request notifies nobody."""
    w = world
    with django_capture_on_commit_callbacks(execute=True):
        d = register(w, w.lien, None)
    assert _who(dossier=d, kind="receive") == {w.lead_build.username}
    with django_capture_on_commit_callbacks(execute=True):
        d = assign_after_handover(dossier=d, actor=w.lead_build, officer=w.off_build)
    assert _who(dossier=d, kind="assign") == {w.off_build.username}
    with django_capture_on_commit_callbacks(execute=True):
        d = lifecycle.dossier_transfer(dossier=d, actor=w.off_build)
    # this transfer told Sở Tư pháp's leaders; the counter's hand-over to Sở Xây dựng (step 1),
    # whose leaders the receipt told, told nobody again
    assert _who(dossier=d, kind="transfer") == {w.lead_just.username}
    with django_capture_on_commit_callbacks(execute=True):
        d = lifecycle.dossier_request_supplement(dossier=d, actor=w.lead_just, reason="Thiếu bản vẽ")
        d = lifecycle.dossier_resume(dossier=d, actor=w.clerk)
    assert _who(dossier=d, kind="resume") == set()  # the transfer unassigned the officer: nobody to tell
    with django_capture_on_commit_callbacks(execute=True):
        d = assign_after_handover(dossier=d, actor=w.lead_just, officer=w.lead_just)  # self-assigned
        d = lifecycle.dossier_transfer(dossier=d, actor=w.lead_just)  # on to the lead unit's final step
        d = approve_after_handover(dossier=d, actor=w.lead_build)  # the lead unit's leader decides (D17)
    assert _who(dossier=d, kind="assign") == {w.off_build.username}  # not the leader who assigned himself
    assert _who(dossier=d, kind="approve") == {w.clerk.username}
    assert not Notification.objects.filter(kind="request-supplement").exists()
    n = Notification.objects.get(dossier=d, kind="approve")
    assert n.title == f"Hồ sơ {d.code} đã có kết quả, chờ trả cho người nộp" and n.url == f"/ho-so/{d.code}/"
    assert [m.to for m in mail.outbox if d.code in m.subject and "kết quả" in m.subject] == [[w.clerk.email]]


def test_the_counters_hand_over_tells_the_lead_units_leaders_once(world):
    """Receipt and hand-over (D18) of a one-unit dossier: Sở Tư pháp's leader gets one notice,
    "new dossier to assign", not a second one when the counter hands it over."""
    w = world
    d = lifecycle.dossier_transfer(dossier=register(w, w.days5, None), actor=w.clerk)
    outbox_relay()
    assert list(Notification.objects.filter(dossier=d).values_list("recipient__username", "kind", "title")) == [
        (w.lead_just.username, "receive", f"Hồ sơ mới {d.code} cần phân công xử lý")]
    assert [m.to for m in mail.outbox] == [[w.lead_just.email]]


def test_replayed_history_notifies_nobody(world):
    """Events more than a day old (history imports, demo data) write no outbox message."""
    d = register(world, world.days5, at(2022, 3, 1))
    assign_after_handover(dossier=d, actor=world.lead_just, officer=world.off_just, at=at(2022, 3, 2))
    assert OutboxMessage.objects.count() == 0


def test_relaying_twice_delivers_once(world):
    d = register(world, world.days5, None)
    assign_after_handover(dossier=d, actor=world.lead_just, officer=world.off_just)
    assert outbox_relay() == 2  # received (the leaders; the hand-over does not tell them again), assigned
    assert outbox_relay() == 0
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2


def test_a_bad_message_backs_off_alone(world):
    """A message that cannot be delivered is retried later with back-off; the others go through."""
    d = register(world, world.days5, None)
    bad = OutboxMessage.objects.create(topic="event", dedupe_key="event:bogus", dossier=d,
                                       payload={"action": "no-such-action", "units": {}})
    before = timezone.now()
    assert outbox_relay() == 1
    bad.refresh_from_db()
    assert bad.delivered_at is None and bad.attempts == 1 and "no-such-action" in bad.last_error
    assert bad.available_at >= before + timedelta(seconds=30)
    assert OutboxMessage.objects.filter(delivered_at__isnull=False).count() == 1
    assert outbox_relay() == 0  # not due again yet


class BrokenSMTP(BaseEmailBackend):
    def send_messages(self, messages):
        raise SMTPServerDisconnected("the mail server went away")


def test_smtp_trouble_delays_the_email_not_the_notification(world, settings):
    """The in-app notification is there at once; the e-mail waits, backs off and is sent once
    the server answers again."""
    d = register(world, world.days5, None)
    settings.EMAIL_BACKEND = f"{__name__}.BrokenSMTP"
    outbox_relay()
    n = Notification.objects.get()
    assert n.recipient == world.lead_just and n.read_at is None
    assert (n.email_state, n.email_attempts) == ("pending", 1) and n.email_next_at > timezone.now()
    assert "went away" in n.email_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox_relay()
    assert len(mail.outbox) == 0  # still backing off
    Notification.objects.update(email_next_at=timezone.now())
    outbox_relay()
    outbox_relay()
    n.refresh_from_db()
    assert n.email_state == "sent" and len(mail.outbox) == 1 and d.code in mail.outbox[0].subject


def test_many_notifications_for_one_person_make_one_email(world):
    """A leader receiving several notifications in one relay batch gets one e-mail listing them."""
    for _i in range(3):
        register(world, world.days5, None)
    outbox_relay()
    to_leader = [m for m in mail.outbox if m.to == [world.lead_just.email]]
    assert len(to_leader) == 1
    assert to_leader[0].subject == "[OneCua] 3 thông báo mới"
    assert to_leader[0].body.count("cần phân công xử lý") == 3 and "1. " in to_leader[0].body


# --- the daily digest ----------------------------------------------------------------------------


def test_the_digest_goes_to_each_leader_with_open_work_once_per_working_day(world):
    """Tuesday 15/03/2022 07:30: the province leader (everything) and Sở Tư pháp's leader get a
    digest; the district leader, with nothing open, does not. A second run queues nothing;
    Sunday 13/03 queues nothing."""
    w = world
    d = register(w, w.days5, at(2022, 3, 7))  # due 14/03: overdue on 15/03
    assign_after_handover(dossier=d, actor=w.lead_just, officer=w.off_just, at=at(2022, 3, 7, 10))
    register(w, w.days5, at(2022, 3, 9))  # due 16/03: due soon
    assert supervisor_digest_enqueue(now=at(2022, 3, 13, 7, 30)) == 0
    assert supervisor_digest_enqueue(now=at(2022, 3, 15, 7, 30)) == 2
    assert supervisor_digest_enqueue(now=at(2022, 3, 15, 7, 40)) == 0
    outbox_relay()
    assert _who(kind="digest") == {w.lead_prov.username, w.lead_just.username}
    n = Notification.objects.get(kind="digest", recipient=w.lead_just)
    assert n.title == "Tổng hợp tiến độ ngày 15/03/2022: 1 quá hạn, 1 sắp đến hạn"
    assert "Đang xử lý: 2" in n.body and d.code in n.body and n.url == "/theo-doi/"


# --- concurrency (PostgreSQL) --------------------------------------------------------------------


def _race(target, n: int) -> list:
    """Run `target` in `n` threads released at the same instant; their results or errors."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = target()
        except Exception as exc:  # reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_flag_and_queue_once():
    """Four sweeps released at the same instant on PostgreSQL, three rounds with new overdue
    dossiers each: every dossier is flagged once and queued once, and no sweep fails."""
    require_postgres()
    w = make_world()
    for round_, day in enumerate((1, 8, 15)):
        many_overdue(w, 400, at(2022, 2, day))
        with celery_broker("memory://"):  # kicks go to a queue nobody reads
            results = _race(lambda: deadline_sweep(now=at(2022, 3, 16, 8, 0), trigger="race"), 4)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sum(r.counts["overdue"] for r in results) == 400
        assert sum(r.messages for r in results) == 400
        assert DeadlineFlag.objects.count() == OutboxMessage.objects.count() == 400 * (round_ + 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_relays_deliver_each_message_once():
    """Four relays racing over 600 pending messages (SKIP LOCKED batches): one notification
    per message and recipient, one e-mail per recipient per batch, nothing left pending."""
    require_postgres()
    w = make_world()
    many_overdue(w, 600, at(2022, 2, 1))
    with celery_broker("memory://"):  # the sweep's kick goes to a queue nobody reads
        deadline_sweep(now=at(2022, 3, 16, 8, 0))
    assert OutboxMessage.objects.filter(delivered_at__isnull=True).count() == 600
    results = _race(lambda: outbox_relay(batch_size=50), 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 600
    assert Notification.objects.count() == 1200  # the officer and Sở Tư pháp's leader
    assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
    assert set(Notification.objects.values_list("email_state", flat=True)) == {"sent"}
    mentioned = [line for m in mail.outbox for line in m.body.splitlines() if "đã quá hạn" in line]
    assert len(mentioned) == 1200  # every notification in exactly one e-mail
