"""A province leader opens the supervisor dashboard and drills into the overdue list, in a real
browser at 1366×768.

Screenshots (var/screenshots/): supervisor-dashboard.png, supervisor-overdue-list.png,
supervisor-unit-overdue.png, supervisor-dashboard-refreshed.png, supervisor-notifications.png.
"""
from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import selectors as sel
from monitoring.models import Notification
from monitoring.services.outbox import outbox_enqueue_digest, outbox_relay
from tests.monitoring.conftest import PASSWORD, make_board, make_world, place, register

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(pg, username: str, password: str) -> None:
    """Log in through the form (the header's language switch is also a submit button, so the
    click targets the login form's own button)."""
    pg.goto(pg.base_url + "/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", password)
    with pg.expect_navigation():
        pg.click(".login-box button[type=submit]")
    pg.wait_for_load_state("networkidle")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def big_number(page, key: str) -> str:
    return page.inner_text(f'[data-total="{key}"] [data-n]').strip()


def test_supervisor_opens_the_dashboard_and_drills_into_the_overdue_list(page, screenshot):
    """Big numbers first; "Quá hạn" opens the overdue list, most overdue first; a unit's cell
    opens that unit's list; the numbers refresh in place without reloading the page."""
    w = make_world()
    b = make_board(w)
    clock = sel.Clock.at()
    outbox_enqueue_digest(user=w.lead_prov, facts=sel.digest_facts(user=w.lead_prov, clock=clock), day=clock.today)
    outbox_relay()
    login(page, w.lead_prov.username, PASSWORD)

    page.click("nav.sidebar >> text=Theo dõi tiến độ")
    page.wait_for_url("**/theo-doi/")
    assert page.inner_text("h1").startswith("Theo dõi tiến độ")
    assert [big_number(page, k) for k in ("open", "due_today", "due_soon", "overdue", "paused")] == ["9", "1", "2", "5", "2"]
    assert page.locator('table[data-table="units"] tbody tr').count() == 3
    assert int(page.inner_text("a.bell .badge")) == Notification.objects.filter(recipient=w.lead_prov, read_at=None).count()
    assert no_horizontal_scroll(page)
    screenshot(page, "supervisor-dashboard")

    # Drill into the overdue list: most overdue first, the paused-after-due one labelled red.
    with page.expect_navigation():
        page.click('[data-total="overdue"]')
    assert page.url.endswith("/theo-doi/qua-han/")
    codes = page.locator("table.dossier-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert codes == [b[k].code for k in ("overdue_old", "paused_late", "overdue", "district", "hours_late")]
    assert page.locator("table.dossier-table .label-overdue").count() == 5
    assert "5 hồ sơ" in page.inner_text(".list-head")
    assert no_horizontal_scroll(page)
    screenshot(page, "supervisor-overdue-list")

    # Back on the dashboard, Sở Tư pháp's overdue cell opens that unit's overdue dossiers.
    page.go_back()
    cell = page.locator('table[data-table="units"] tr', has_text="Sở Tư pháp").locator('td[data-col="overdue"] a')
    assert cell.inner_text() == "4"
    with page.expect_navigation():
        cell.click()
    assert f"unit={w.justice.pk}" in page.url
    assert page.locator("table.dossier-table tbody tr").count() == 4
    assert "Đơn vị: Sở Tư pháp" in page.inner_text(".chips")
    screenshot(page, "supervisor-unit-overdue")

    # A dossier goes overdue meanwhile; the refresh (every 60 s; called at once here) updates
    # the numbers without reloading the page.
    page.go_back()
    page.evaluate("window.__still_the_same_page = true")
    place(register(w, w.days5, None), due=timezone.localdate() - timedelta(days=2), officer=w.off_just, unit=w.justice)
    page.evaluate("document.getElementById('dashboard').refreshNow()")
    # An arrow function, not an expression string: Playwright evaluates a bare expression with
    # eval() in the page, which the Content-Security-Policy (no 'unsafe-eval') refuses.
    page.wait_for_function("() => document.querySelector('[data-total=\"overdue\"] [data-n]').textContent.trim() === '6'")
    assert page.evaluate("window.__still_the_same_page === true")
    assert big_number(page, "open") == "10"
    assert page.locator('table[data-table="units"] tr', has_text="Sở Tư pháp").locator('td[data-col="overdue"] a').inner_text() == "5"
    assert "Cập nhật lúc" in page.inner_text("#dash-status")
    screenshot(page, "supervisor-dashboard-refreshed")

    # The bell leads to the notifications.
    with page.expect_navigation():
        page.click("a.bell")
    assert page.locator(".notes li.unread").count() >= 1
    screenshot(page, "supervisor-notifications")
