"""Singleton locks of periodic jobs (onecua.locks): exclusive while held, and on PostgreSQL
free again the moment a holder is killed (so a redelivered sweep or roll-up does its work)."""
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from onecua.locks import singleton_lock
from tests.conftest import require_postgres


def test_a_held_lock_excludes_a_second_holder_and_is_released_after():
    with singleton_lock("job", timeout=60) as first:
        assert first
        with singleton_lock("job", timeout=60) as second:
            assert not second
        with singleton_lock("another-job", timeout=60) as other:
            assert other
    with singleton_lock("job", timeout=60) as again:
        assert again


HOLDER = """
import os, sys, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onecua.settings")
django.setup()
from onecua.locks import singleton_lock
with singleton_lock("killed-job", timeout=3600) as held:
    print("held" if held else "busy", flush=True)
    time.sleep(600)
"""


@pytest.mark.django_db(transaction=True)
def test_a_killed_holder_frees_the_lock_at_once_on_postgresql():
    require_postgres()
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], cwd=settings.BASE_DIR, env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with singleton_lock("killed-job", timeout=3600) as acquired:
            assert not acquired  # the other process holds it
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        deadline = time.monotonic() + 10
        while True:  # the server notices the closed socket within moments
            with singleton_lock("killed-job", timeout=3600) as acquired:
                if acquired:
                    break
            assert time.monotonic() < deadline, "the lock of a killed holder was not freed"
            time.sleep(0.1)
    finally:
        if holder.poll() is None:
            holder.kill()
