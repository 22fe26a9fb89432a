"""Browser test: a leader reads citizens' satisfaction on the report page, opens the per-unit
table, then the Quyết định 766 scorecard from the report page, and prints it.
Screenshots: var/screenshots/rep-*.png (1366×768, and print media).
"""
from __future__ import annotations

from datetime import date

import pytest

from citizens.report_views import register_report_hooks
from dossiers.roles import roles_sync
from tests.citizens import satisfaction_data as sd
from tests.reporting import scenario
from tests.reporting.conftest import make_clerk, make_org, make_procedures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUERY = "?basis=regulatory&kind=quarter&year=2022&number=1"


@pytest.fixture
def world(db):
    register_report_hooks()
    roles_sync()  # transactional tests flush the groups made at migrate time
    org = make_org()
    procs = make_procedures(org)
    h = scenario.build(org, procs, make_clerk(org))
    procs["justice5"].online_level = "full"
    procs["justice5"].save(update_fields=["online_level"])
    officer = sd.make_officer("an.tv", org["justice"], "Trần Văn An")
    for name, points, day in (("carried_early", (2,) * 9, 20), ("edge_new_on_time", (2, 2, 2, 1, 1, 1, 1, 1, 1), 23),
                              ("edge_carried_late", (1, 1, 1, 1, 0, 0, 0, 0, 0), 24)):
        sd.evaluate(h[name], points, on=date(2021, 12, day), officer=officer)
    sd.feedback(h["open_within"], submitted=date(2022, 3, 1), due=date(2022, 3, 11), answered=date(2022, 3, 10))
    sd.feedback(h["paused_overdue"], kind="proposal", submitted=date(2022, 3, 2), due=date(2022, 3, 9))
    sd.make_leader("hoang.vt", org["province"], first_name="Hoàng Văn Tỉnh")
    return {"org": org, "h": h}


def login(pg, username: str) -> None:
    pg.context.add_cookies([{"name": "django_language", "value": "vi", "url": pg.base_url}])
    pg.goto(pg.base_url + "/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", sd.PASSWORD)
    pg.press("#id_password", "Enter")
    pg.wait_for_load_state("networkidle")


def _no_horizontal_scroll(pg) -> bool:
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_leader_opens_the_scorecard_from_the_report(page, screenshot, world):
    pg = page
    login(pg, "hoang.vt")
    pg.goto(pg.base_url + "/thong-ke/bao-cao/" + QUERY)
    section = pg.locator("#citizens-satisfaction")
    section.scroll_into_view_if_needed()
    assert section.locator("[data-sat='evaluations'] strong").inner_text() == "3"
    assert section.locator("[data-sat='average'] strong").inner_text() == "11,33"  # (18 + 12 + 4) / 3
    assert _no_horizontal_scroll(pg)
    screenshot(pg, "rep-report-section")

    # per unit, sorted by the server
    pg.click("#citizens-satisfaction a[data-link='satisfaction-units']")
    pg.wait_for_load_state("networkidle")
    assert pg.locator("table[data-table='satisfaction'] tr[data-row^='unit:']").count() == 1
    pg.click("table[data-table='satisfaction'] th[data-sort='average'] a")
    pg.wait_for_load_state("networkidle")
    assert "sort=average" in pg.url
    assert _no_horizontal_scroll(pg)
    screenshot(pg, "rep-satisfaction-units")

    # back to the report, then the scorecard
    pg.go_back()
    pg.go_back()
    pg.wait_for_load_state("networkidle")
    pg.click("#citizens-satisfaction a[data-link='scorecard']")
    pg.wait_for_load_state("networkidle")
    assert pg.locator("h1").inner_text().startswith("Bộ chỉ số chất lượng phục vụ")
    assert pg.locator("[data-indicator='2.1'] [data-value]").inner_text() == "62,50%"
    assert pg.locator("[data-indicator='2.1a'] [data-value]").inner_text() == "50,00%"
    assert pg.locator("[data-missing]").count() == 8  # 4.1–4.3 computed from the papers (issue 16)
    assert _no_horizontal_scroll(pg)
    screenshot(pg, "rep-scorecard")
    screenshot(pg, "rep-scorecard-viewport", full_page=False)

    # a drill-down behind an indicator: the dossiers with more than one supplement request
    pg.click("[data-indicator='2.1a'] .links a")
    pg.wait_for_load_state("networkidle")
    assert pg.locator("#drill-count").get_attribute("data-count") == "2"
    pg.go_back()
    pg.wait_for_load_state("networkidle")

    pg.emulate_media(media="print")
    assert not pg.locator(".rp-bar").is_visible() and not pg.locator("nav.sidebar").is_visible()
    screenshot(pg, "rep-scorecard-print")
