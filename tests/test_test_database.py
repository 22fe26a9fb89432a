"""The test database lets a thread write beside the test, as `make run`'s processes do (issue 20).

Worker threads (the embedded Celery worker, the live server, concurrent requests) open their own
connections. On Django's default SQLite test database, in memory with a shared cache, a table
another connection is writing fails at once with "database table is locked": a test passed alone
and failed on a busy machine. The suite's SQLite test database is a file (tests/conftest.py),
where the second writer waits for the first, as on PostgreSQL.
"""
import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction


def test_the_sqlite_test_database_is_a_file(db):
    if connection.vendor == "sqlite":
        assert not connection.is_in_memory_db()
        assert connection.settings_dict["NAME"].endswith("test.sqlite3")


@pytest.mark.django_db(transaction=True)
def test_a_write_beside_another_threads_open_write_waits_for_it_instead_of_failing():
    holding, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def hold_a_write():
        try:
            with transaction.atomic():
                Group.objects.create(name="held by the worker thread")
                holding.set()
                release.wait(10)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
            holding.set()
        finally:
            connection.close()

    worker = threading.Thread(target=hold_a_write)
    worker.start()
    assert holding.wait(10)
    timer = threading.Timer(0.5, release.set)  # the worker commits half a second later
    timer.start()
    try:
        Group.objects.create(name="written by the test")  # waits for the worker's commit, then writes
    finally:
        release.set()
        worker.join(10)
        timer.cancel()
    assert failures == []
    names = ["held by the worker thread", "written by the test"]
    assert sorted(Group.objects.filter(name__in=names).values_list("name", flat=True)) == names
