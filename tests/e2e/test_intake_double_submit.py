"""A double click on "Lưu" takes in one dossier (issue 13), with or without JavaScript.

Without JavaScript the browser really sends the form twice; the form's one-time token makes the
second POST lead to the dossier already taken in, with "Hồ sơ này đã được tiếp nhận (mã …)".
Screenshot: var/screenshots/clerk-intake-double-submit.png.
"""
import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError

from dossiers.models import Dossier
from dossiers.services import lifecycle
from tests.dossiers.test_intake_pages import PASSWORD, make_world
from tests.conftest import require_postgres
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fill_and_double_click(pg, w) -> list[str]:
    """Fill the intake form of the birth registration and double-click save; the POSTs sent."""
    posts: list[str] = []
    pg.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/tiep-nhan/" in r.url else None)
    login(pg, w.clerk.username, PASSWORD)
    pg.goto(pg.base_url + f"/tiep-nhan/?procedure={w.birth.code}")
    for box in pg.locator("#checklist-body input[type=checkbox]").all():
        box.check()
    pg.fill("#id_applicant_name", "Nguyễn Thị Hương")
    pg.fill("#id_applicant_id_number", "017190001234")
    pg.fill("#id_applicant_phone", "0912 345 678")
    # A person's double click: the second click lands while the first POST is being served
    # (the first intake is held 1.5 s on the server, see slow_first_intake).
    # (The mouse itself, not Playwright's click, which would wait for the first navigation.)
    box = pg.locator("#save").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    pg.mouse.click(x, y)
    pg.wait_for_timeout(400)
    pg.mouse.click(x, y)
    # The second click cancels the browser's first navigation; waiting on it may then end with
    # "net::ERR_ABORTED" before the second one's answer arrives: wait for that one.
    for attempt in range(3):
        try:
            pg.wait_for_url(re.compile(r"/giay-tiep-nhan/"))
            break
        except PlaywrightError as exc:
            if "ERR_ABORTED" not in str(exc) or attempt == 2:
                raise
    pg.wait_for_load_state("networkidle")
    return posts


@pytest.fixture
def slow_first_intake():
    """The first intake of the test stays 1.5 s inside its transaction (a transition hook)."""
    calls = []

    def hook(dossier, event):
        if event.action == "receive" and not calls:
            calls.append(dossier)
            time.sleep(1.5)
        return ()

    lifecycle.TRANSITION_HOOKS.append(hook)
    yield calls
    lifecycle.TRANSITION_HOOKS.remove(hook)


@pytest.fixture
def page_without_js(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh", java_script_enabled=False)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.base_url = live_server.url
    yield pg
    context.close()


@pytest.mark.postgres
def test_double_click_without_javascript_takes_in_one_dossier(page_without_js, screenshot, slow_first_intake):
    """Both POSTs reach the server, the second while the first is still in its transaction: it
    waits for it and leads to the same dossier. (PostgreSQL: SQLite's shared in-memory test
    database answers "table is locked" to a second writer instead of waiting.)"""
    require_postgres()
    w, pg = make_world(), page_without_js
    posts = _fill_and_double_click(pg, w)
    d = Dossier.objects.get()
    assert len(posts) == 2, posts  # the browser did send the form twice
    assert pg.url.endswith(f"/ho-so/{d.code}/giay-tiep-nhan/")
    assert f"Hồ sơ này đã được tiếp nhận (mã {d.code})." in pg.inner_text("body")
    screenshot(pg, "clerk-intake-double-submit", full_page=False)


def test_double_click_with_javascript_sends_the_form_once(page):
    """With JavaScript the page itself ignores a second submit while the first is on its way."""
    w = make_world()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    login(page, w.clerk.username, PASSWORD)
    posts.clear()
    page.goto(page.base_url + f"/tiep-nhan/?procedure={w.birth.code}")
    page.keyboard.press("Alt+a")
    page.fill("#id_applicant_name", "Nguyễn Thị Hương")
    page.dblclick("#save")
    page.wait_for_url(re.compile(r"/giay-tiep-nhan/"))
    d = Dossier.objects.get()
    assert len(posts) == 1
    assert page.url.endswith(f"/ho-so/{d.code}/giay-tiep-nhan/?print=1")
