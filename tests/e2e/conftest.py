"""Browser tests: Debian's Chromium driven by Python Playwright against pytest-django's live_server.

Without /usr/bin/chromium these tests skip, except under CI=true, where they fail.
Screenshots go to var/screenshots/ so that a person can look at them.
"""
import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django must still allow ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true: browser tests need Debian's chromium at /usr/bin/chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _celery_pools_fresh() -> None:
    """Worker tests that ran before (a worker started and stopped in this process) may leave
    Celery's connection pools closed: a page that queues a task (an export) would answer 500."""
    from kombu import pools

    from onecua.celery import app

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    pools.reset()  # kombu's process-wide producer pools, keyed by connection


@pytest.fixture
def page(browser, live_server):
    _celery_pools_fresh()
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.base_url = live_server.url  # type: ignore[attr-defined]
    yield pg
    context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(pg, name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def login(pg, username: str, password: str) -> None:
    pg.goto(pg.base_url + "/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", password)
    pg.click("main form button[type=submit]")  # not the header's language switch
    pg.wait_for_load_state("networkidle")
