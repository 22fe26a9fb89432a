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


@app.task(name="onecua.ping")
def ping() -> str:
    """Answer 'pong': used by health checks to prove a worker consumes the queue."""
    return "pong"
