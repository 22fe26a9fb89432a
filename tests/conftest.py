"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when DATABASE_URL says so."""
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_postgres():
    """Skip on SQLite, except under CI=true, where a missing PostgreSQL is a failure."""
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI=true: this test needs PostgreSQL (set DATABASE_URL=postgres://…)")
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…)")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, a test database in a file of its own, not Django's shared-cache in-memory one.

    Worker threads (an embedded Celery worker, the live server, concurrent-request tests) open
    connections of their own. On the in-memory database those share one cache whose table locks
    fail at once ("database table is locked") instead of waiting: a test passed alone and failed
    on a busy machine (issue 20). A file takes the settings' WAL journal, the write lock at BEGIN
    and the 30 s busy timeout, as `make run` does, so threads wait their turn. One file per run
    (under pytest's temporary directory, on tmpfs when /dev/shm exists), so two runs never meet.
    """
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        yield
        return
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(prefix="onecua-test-", dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) \
        else tmp_path_factory.mktemp("db")
    db.setdefault("TEST", {})["NAME"] = str(base / "test.sqlite3")
    yield
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(autouse=True)
def _settings_for_tests(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Hashing a real password costs ~0.3 s per user on this machine; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Each test starts from the national calendar: no cached overrides from another test.
    from django.core.cache import cache

    from dossiers import selectors
    from dossiers.reference import reference_reset

    cache.clear()
    selectors._calendar_cache.update(version=None, calendar=None)
    selectors._calendar_stamp.forget()
    reference_reset()
