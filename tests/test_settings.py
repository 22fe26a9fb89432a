"""Settings fail loudly on a missing secret and default to server-less parts for development."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_settings(env_overrides: dict[str, str], code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "onecua.settings"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_missing_secret_with_debug_off_is_a_clear_startup_error(tmp_path):
    result = run_settings({"DEBUG": "false", "ONECUA_VAR_DIR": str(tmp_path)}, "print('started')")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "started" not in result.stdout


def test_secret_given_with_debug_off_starts_hardened(tmp_path):
    result = run_settings(
        {"DEBUG": "false", "SECRET_KEY": "x" * 50, "ONECUA_VAR_DIR": str(tmp_path)},
        "print(settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS > 0, settings.DEBUG)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "False"]


def test_development_defaults_need_no_server(tmp_path):
    """Without DATABASE_URL / CELERY_BROKER_URL: SQLite and the filesystem broker under var/."""
    result = run_settings(
        {"DEBUG": "true", "ONECUA_VAR_DIR": str(tmp_path)},
        "print(settings.DATABASES['default']['ENGINE']); print(settings.CELERY_BROKER_URL); "
        "print(settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in']); print(settings.LANGUAGE_CODE, settings.TIME_ZONE)",
    )
    assert result.returncode == 0, result.stderr
    engine, broker, folder, lang = result.stdout.strip().splitlines()
    assert engine == "django.db.backends.sqlite3"
    assert broker == "filesystem://"
    assert folder.startswith(str(tmp_path))
    assert lang == "vi Asia/Ho_Chi_Minh"


def test_database_and_broker_urls_switch_to_postgres_and_redis(tmp_path):
    result = run_settings(
        {"DEBUG": "true", "ONECUA_VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://u:p@db.example:5432/onecua",
         "CELERY_BROKER_URL": "redis://cache.example:6379/0", "REDIS_URL": "redis://cache.example:6379/1"},
        "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['HOST']); "
        "print(settings.CELERY_BROKER_URL); print(settings.CACHES['default']['BACKEND'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == [
        "django.db.backends.postgresql db.example",
        "redis://cache.example:6379/0",
        "django.core.cache.backends.redis.RedisCache",
    ]


def test_prepared_statements_are_planned_for_their_parameters(tmp_path):
    """PostgreSQL plans a prepared statement for its parameters every time (no generic plan
    after five runs: bench/bench_scale.py found lists 10× slower from the eleventh request); the
    setting can be left to the server."""
    base = {"DEBUG": "true", "ONECUA_VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://u:p@db.example:5432/onecua"}
    code = "print(repr(settings.DATABASES['default']['OPTIONS'].get('options')))"
    result = run_settings(base, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "'-c plan_cache_mode=force_custom_plan'"
    result = run_settings({**base, "DATABASE_PLAN_CACHE_MODE": ""}, code)
    assert result.stdout.strip() == "None"


def test_the_connection_plans_custom(db):
    """On the real server (under CI: PostgreSQL), the connection carries the setting."""
    from django.db import connection

    from tests.conftest import require_postgres

    require_postgres()
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_custom_plan"
