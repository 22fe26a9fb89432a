"""Celery side: the beat schedule lands in django-celery-beat's tables; singleton locks."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from dossiers.services.calendar_overrides import calendar_override_save

from monitoring.models import DeadlineSweep, OutboxMessage
from monitoring.tasks import deadline_sweep_task, supervisor_digest_task, task_lock
from tests.monitoring.conftest import register

pytestmark = pytest.mark.django_db


def _beat_setup():
    from django_celery_beat.schedulers import DatabaseScheduler

    from onecua.celery import app

    return DatabaseScheduler(app=app)


@pytest.mark.django_db(transaction=True)  # the scheduler closes "obsolete" connections, as in beat
def test_beat_schedule_is_synced_into_the_admin_tables():
    """Beat's database scheduler writes every CELERY_BEAT_SCHEDULE entry as a periodic task:
    the sweep every 10 minutes and at 07:30, the digest at 07:30, the relay every minute, all
    in Asia/Ho_Chi_Minh; an entry disabled in the admin stays disabled when beat restarts."""
    from django_celery_beat.models import PeriodicTask

    _beat_setup()
    tasks = {t.name: t for t in PeriodicTask.objects.select_related("crontab")}
    expected = {
        "monitoring-deadline-sweep": ("monitoring.deadline_sweep", "*/10", "*"),
        "monitoring-deadline-sweep-start-of-day": ("monitoring.deadline_sweep", "30", "7"),
        "monitoring-supervisor-digest": ("monitoring.supervisor_digest", "30", "7"),
        "monitoring-outbox-relay": ("monitoring.outbox_relay", "*", "*"),
    }
    for name, (task, minute, hour) in expected.items():
        t = tasks[name]
        assert (t.task, t.crontab.minute, t.crontab.hour, str(t.crontab.timezone)) == (task, minute, hour, "Asia/Ho_Chi_Minh")
        assert t.enabled
    PeriodicTask.objects.filter(name="monitoring-outbox-relay").update(enabled=False)
    _beat_setup()
    assert not PeriodicTask.objects.get(name="monitoring-outbox-relay").enabled


def test_a_second_sweep_task_while_one_runs_returns_at_once(world):
    """The singleton lock: while one sweep holds it, another copy does nothing."""
    with task_lock("deadline-sweep", timeout=60) as held:
        assert held
        assert deadline_sweep_task.apply(kwargs={"trigger": "test"}).get() == {"skipped": True}
        assert DeadlineSweep.objects.count() == 0
    result = deadline_sweep_task.apply(kwargs={"trigger": "test"}).get()
    assert result["as_of"] and DeadlineSweep.objects.get().trigger == "test"
    assert cache.get("onecua:lock:deadline-sweep") is None  # released


def test_the_lock_is_not_released_by_someone_else():
    """A lock that expired and was taken by another process is not deleted by the first one."""
    with task_lock("x", timeout=60) as held:
        assert held
        cache.set("onecua:lock:x", "another-owner", 60)
    assert cache.get("onecua:lock:x") == "another-owner"


def test_the_digest_task_is_a_singleton_too(world):
    """While one digest holds the lock, a second copy queues nothing, although there is work to
    report: a dossier open at the centre, on a day made a working day whatever the run's date.
    Once the lock is free the same task queues the province's and Sở Tư pháp's leaders' digests."""
    w = world
    calendar_override_save(day=timezone.localdate(), is_working_day=True, reason="Ngày làm việc của phép thử",
                           legal_source="Phép thử")
    register(w, w.days5, None)
    with task_lock("supervisor-digest", timeout=60):
        assert supervisor_digest_task.apply().get() == 0
        assert not OutboxMessage.objects.filter(topic="digest").exists()
    assert supervisor_digest_task.apply().get() == 2
    assert set(OutboxMessage.objects.filter(topic="digest").values_list("recipient__username", flat=True)) == {
        w.lead_prov.username, w.lead_just.username}
