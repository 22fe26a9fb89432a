"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when DATABASE_URL says so."""
import os

import pytest
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_postgres():
    """Skip on SQLite, except under CI=true, where a missing PostgreSQL is a failure."""
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI=true: this test needs PostgreSQL (set DATABASE_URL=postgres://…)")
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…)")


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
