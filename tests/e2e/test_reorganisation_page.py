"""Browser test of the reorganisation page (D20): an administrator uploads the merger file, reads
the preview (how many open dossiers per old unit move where), confirms, watches the move finish;
then the ward's leader finds the moved dossier in the lists, its page names the ward, and the
citizen's lookup shows the ward as the unit resolving it. Screenshots: var/screenshots/reorg-*.png.
"""
from __future__ import annotations

import pytest

from dossiers.models import DossierEvent, StaffProfile
from dossiers.roles import ADMINISTRATOR, LEADER
from tests.dossiers.test_reorganisation import COMMUNE2, DISTRICT, MERGER, WARD, world  # noqa: F401 (fixture)
from tests.e2e.conftest import login
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_administrator_previews_confirms_and_the_successor_shows_everywhere(page, live_server, screenshot, world,
                                                                              tmp_path):
    org, _procs, d = world
    UserFactory(username="quantri_z", role=ADMINISTRATOR)
    leader = UserFactory(username="lanhdao_phuong", role=LEADER)
    StaffProfile.objects.create(user=leader, unit=org["ward"])
    csv = tmp_path / "sap-xep.csv"
    csv.write_text(MERGER, encoding="utf-8")
    bad = tmp_path / "sai.csv"
    bad.write_text(MERGER.replace(WARD, "000.99.99.H23", 1), encoding="utf-8")

    login(page, "quantri_z", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sắp xếp đơn vị").click()
    assert page.locator("h1").inner_text() == "Sắp xếp đơn vị hành chính"

    # A wrong file: line and column, nothing recorded.
    page.set_input_files("#id_file", str(bad))
    page.click("#preview-button")
    assert page.locator("#problems li").all_inner_texts() == [
        "line 2, column successor_code: unknown unit “000.99.99.H23”"]
    screenshot(page, "reorg-error", full_page=False)

    # The right file: the preview, per old unit.
    page.set_input_files("#id_file", str(csv))
    page.click("#preview-button")
    rows = page.locator("#preview tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("[data-total]").inner_text() == "2"
    assert DISTRICT in rows.nth(0).inner_text() and "30/06/2025" in rows.nth(0).inner_text()
    assert rows.nth(1).locator("[data-total]").inner_text() == "1" and COMMUNE2 in rows.nth(1).inner_text()
    assert page.locator("#preview-total").inner_text() == "3"
    # what the move leaves to the administrators: the procedures still named at the old units
    assert page.locator("#still-named li").all_inner_texts() == [
        f"{org['district'].name} ({DISTRICT}): 2 thủ tục đang giao cho đơn vị này, 0 tài khoản cán bộ thuộc đơn vị này",
        f"{org['commune2'].name} ({COMMUNE2}): 1 thủ tục đang giao cho đơn vị này, 0 tài khoản cán bộ thuộc đơn vị này"]
    assert not DossierEvent.objects.filter(action="reorganise").exists()  # a preview writes nothing
    screenshot(page, "reorg-preview")

    page.click("#confirm")
    page.wait_for_selector("#reorg-progress[data-done='1']")
    assert "3 / 3" in page.locator("#reorg-progress").inner_text()
    assert "Đã chuyển xong" in page.locator("#recorded").inner_text()
    screenshot(page, "reorg-done")
    assert DossierEvent.objects.filter(action="reorganise").count() == 3

    # The ward's leader: the moved dossier in the list, its page names the ward and the event.
    page.context.clear_cookies()
    login(page, "lanhdao_phuong", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/ho-so/danh-sach/processing/")
    assert d["B"].code in page.locator("main").inner_text()
    screenshot(page, "reorg-ward-list", full_page=False)
    page.goto(f"{live_server.url}/ho-so/{d['B'].code}/")
    main = page.locator("main").inner_text()
    assert "UBND phường Hòa Bình" in main
    assert "Chuyển theo sắp xếp đơn vị hành chính (Nghị quyết 1656/NQ-UBTVQH15)" in main
    screenshot(page, "reorg-dossier-detail")
    page.goto(live_server.url + "/theo-doi/")
    assert "UBND phường Hòa Bình 000.40.21.H23" in page.locator("main").inner_text()  # by unit holding it
    screenshot(page, "reorg-ward-dashboard", full_page=False)

    # The citizen's lookup (last four digits of the phone) shows the ward.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/tra-cuu-ho-so/?ma={d['B'].code}")
    page.fill("#id_digits", "4321")
    page.click("form.lookup-form button[type=submit]")
    assert "UBND phường Hòa Bình" in page.locator("main").inner_text()
    screenshot(page, "reorg-public-lookup")
