"""Celery application (cookiecutter-django boilerplate).

Configuration comes from Django settings under the ``CELERY_`` namespace; tasks are found in
each installed app's ``tasks.py``.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onecua.settings")

app = Celery("onecua")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The worker installs its own log handlers: they mask CCCD and phone numbers too (NĐ 13/2023).
from onecua.logging import connect_celery_signals  # noqa: E402

connect_celery_signals()


@app.task(name="onecua.ping")
def ping() -> str:
    """Answer 'pong': used by health checks to prove a worker consumes the queue."""
    return "pong"
