"""A real Celery worker consumes the queue: on the embedded filesystem broker and on Redis."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _redis_up(url: str) -> bool:
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return False


def _start_worker(env: dict[str, str], tmp_path: Path) -> subprocess.Popen:
    celery = Path(sys.executable).parent / "celery"
    return subprocess.Popen(
        [str(celery), "-A", "onecua", "worker", "--pool=solo", "--loglevel=INFO", "-n", f"test{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=open(tmp_path / "worker.log", "w"), stderr=subprocess.STDOUT,
    )


def _ping_result(env: dict[str, str]) -> str:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','onecua.settings'); django.setup();"
        "from onecua.celery import ping; print(ping.delay().get(timeout=40))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL"}}
    env.update(DEBUG="true", ONECUA_VAR_DIR=str(tmp_path), **extra)
    return env


def _run(env, tmp_path):
    worker = _start_worker(env, tmp_path)
    try:
        assert _ping_result(env) == "pong"
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_worker_answers_on_embedded_filesystem_broker(tmp_path):
    """The default for `make run`: no server, results through a file-based backend."""
    results = tmp_path / "results"
    results.mkdir()
    _run(_env(tmp_path, CELERY_RESULT_BACKEND=f"file://{results}"), tmp_path)


@pytest.mark.redis
def test_worker_answers_on_redis(tmp_path):
    url = os.environ.get("ONECUA_TEST_REDIS", "redis://127.0.0.1:6379/14")
    if not _redis_up(url):
        if IN_CI:
            pytest.fail(f"CI=true: Redis is not reachable at {url}")
        pytest.skip(f"Redis is not reachable at {url}")
    _run(_env(tmp_path, CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url), tmp_path)
