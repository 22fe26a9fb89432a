"""Browser test of the processing pages: one dossier from the officer's list to the returned result.

An officer opens a received dossier, takes it (assigns it to himself), asks for a supplement and
prints Mẫu 02; the clerk receives the supplement; a leader approves; the clerk hands the result
back. On the way: the list, the dossier page and Mẫu 05 are photographed (var/screenshots/) and
must fit 1366 px without a horizontal scroll bar. A second dossier, paused three working days ago,
shows the due date moving when its supplement is received.
"""
from __future__ import annotations

import re
from datetime import datetime, time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from dossiers.calendar import LOCAL_TZ
from dossiers.models import Dossier, Field, Procedure, StaffProfile, Unit
from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, role_group_name, roles_sync
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "mat-khau-thu-nghiem"


def _user(username, full_name, unit, role):
    u = get_user_model().objects.create_user(username=username, password=PASSWORD, first_name=full_name)
    StaffProfile.objects.create(user=u, unit=unit, phone="0218 3852 111")
    u.groups.add(Group.objects.get(name=role_group_name(role)))
    return u


def _received(working_days_ago: int, hh: int = 9) -> datetime:
    cal = calendar_get()
    d = timezone.localdate()
    for _ in range(working_days_ago):
        d = cal.previous_working_day(d)
    return datetime.combine(d, time(hh, 0), tzinfo=LOCAL_TZ)


@pytest.fixture
def world(db):
    roles_sync()  # transactional tests flush the groups made at migrate time
    province = Unit.objects.create(code="000.00.00.H23", name="UBND tỉnh Hòa Bình", level="province", kind="people_committee", place="Hòa Bình")
    centre = Unit.objects.create(code="000.00.31.H23", name="Trung tâm Phục vụ hành chính công tỉnh Hòa Bình", level="province",
                                 kind="service_centre", parent=province)
    justice = Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp tỉnh Hòa Bình", level="province", kind="agency", parent=province)
    civil = Field.objects.create(name="Hộ tịch")
    judicial = Field.objects.create(name="Lý lịch tư pháp")
    p5 = Procedure.objects.create(code="1.000894", name="Cấp bản sao trích lục hộ tịch, bản sao giấy tờ hộ tịch", field=civil,
                                  processing_time=5, time_unit="working_days", resolving_unit=justice,
                                  documents="Tờ khai cấp bản sao trích lục hộ tịch\nBản sao CCCD của người yêu cầu")
    p10 = Procedure.objects.create(code="2.000488", name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam",
                                   field=judicial, processing_time=10, time_unit="working_days", resolving_unit=justice)
    people = {
        "clerk": _user("lan.tt", "Trần Thị Lan", centre, COUNTER_CLERK),
        "officer": _user("binh.lv", "Lê Văn Bình", justice, OFFICER),
        "leader": _user("dung.hv", "Hoàng Văn Dũng", justice, LEADER),
    }

    def register(proc, received_at, name, cccd):
        return lifecycle.dossier_register(
            procedure=proc, receiving_unit=centre, channel="direct", actor=people["clerk"], received_at=received_at,
            applicant={"name": name, "id_number": cccd, "phone": "0912345678", "address": "Tổ 5, phường Phương Lâm, TP Hòa Bình"},
        )

    main = register(p5, _received(2), "Nguyễn Thị Hoa", "017190004321")
    # Context for the list: overdue, due soon, well within, paused (with an old request).
    overdue = register(p5, _received(7), "Đinh Công Tráng", "017090001111")
    soon = register(p5, _received(4), "Bùi Thị Xuân", "017190002222")
    register(p10, _received(1), "Quách Văn Hùng", "017090003333")
    paused = register(p10, _received(6), "Hà Thị Thu", "017190005555")
    for d in (main, overdue, soon, paused):  # the counter hands them over (D18)
        lifecycle.dossier_transfer(dossier=d, actor=people["clerk"], at=d.received_at)
    lifecycle.dossier_assign(dossier=paused, actor=people["leader"], officer=people["officer"], at=_received(5, 10))
    lifecycle.dossier_request_supplement(dossier=paused, actor=people["officer"], reason="Thiếu ảnh chân dung",
                                         documents="02 ảnh 3x4", at=_received(3, 10))
    return {"people": people, "main": main, "overdue": overdue, "soon": soon, "paused": paused}


def _go(pg, path):
    pg.goto(pg.base_url + path)
    pg.wait_for_load_state("networkidle")


def _logout(pg):
    pg.click("form.logout button")
    pg.wait_for_load_state("networkidle")


def _act(pg, action, fill=None, select=None):
    """Open an action on the dossier page, fill it, confirm; return the success message."""
    if pg.locator(f"#action-{action}").get_attribute("open") is None:
        pg.click(f"#action-{action} > summary")
    form = pg.locator(f"form[data-action='{action}']")
    for name, value in (fill or {}).items():
        form.locator(f"[name='{action}-{name}']").fill(value)
    for name, value in (select or {}).items():
        form.locator(f"[name='{action}-{name}']").select_option(value)
    form.locator("button[type=submit]").click()
    pg.wait_for_load_state("networkidle")
    return pg.locator(".msg-success").inner_text()


def _no_horizontal_scroll(pg):
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_officer_flow(page, screenshot, world):
    """The whole processing path through the pages, with the printed slips."""
    pg = page
    main: Dossier = world["main"]
    people = world["people"]

    # The officer's list: most urgent first, coloured labels, fits the screen.
    login(pg, "binh.lv", PASSWORD)
    _go(pg, "/ho-so/danh-sach/processing/")
    codes = pg.locator("tr[data-code]").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert codes[0] == world["overdue"].code
    assert pg.locator(f"tr[data-code='{world['overdue'].code}'] .label-overdue").count() == 1
    assert pg.locator(f"tr[data-code='{world['soon'].code}'] .label-soon").count() == 1
    assert _no_horizontal_scroll(pg)
    screenshot(pg, "processing-list")

    # Open the dossier and take it.
    pg.click(f"tr[data-code='{main.code}'] td.code a")
    pg.wait_for_load_state("networkidle")
    assert pg.locator("h1").inner_text().endswith(main.code)
    msg = _act(pg, "assign")
    assert f"Đã giao hồ sơ {main.code} cho Lê Văn Bình" in msg

    # Ask for a supplement and print Mẫu 02.
    msg = _act(pg, "request-supplement", fill={"reason": "Tờ khai chưa có chữ ký của người yêu cầu",
                                               "documents": "Tờ khai cấp bản sao trích lục hộ tịch (có chữ ký)"})
    assert f"Đã yêu cầu bổ sung hồ sơ {main.code}" in msg
    assert pg.locator(".d-head .label-paused").count() == 1
    with pg.expect_popup() as popup:
        pg.click(".msg-success a")
    slip = popup.value
    slip.wait_for_load_state("networkidle")
    assert slip.locator(".doc-title").inner_text().upper() == "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"
    assert "Tờ khai chưa có chữ ký" in slip.content()
    screenshot(slip, "mau02-supplement")
    slip.close()
    _logout(pg)

    # The clerk receives the supplement (same day: no working day spent with the applicant).
    login(pg, "lan.tt", PASSWORD)
    _go(pg, "/tra-cuu/?q=017190004321")
    pg.click(f"tr[data-code='{main.code}'] td.code a")
    pg.wait_for_load_state("networkidle")
    msg = _act(pg, "resume")
    main.refresh_from_db()
    assert f"ngày hẹn trả mới: {main.due_date:%d/%m/%Y}" in msg
    assert main.due_date == lifecycle.dossier_deadline(dossier=main).due_date

    # A dossier that waited three working days with the applicant: its due date moves.
    paused: Dossier = world["paused"]
    before = paused.due_date
    _go(pg, f"/ho-so/{paused.code}/")
    assert pg.locator(".due-big").inner_text().strip() == f"{before:%d/%m/%Y}"
    msg = _act(pg, "resume")
    paused.refresh_from_db()
    assert paused.due_date > before
    assert pg.locator(".due-big").inner_text().strip() == f"{paused.due_date:%d/%m/%Y}"
    assert f"{paused.due_date:%d/%m/%Y}" in msg
    _logout(pg)

    # The leader approves.
    login(pg, "dung.hv", PASSWORD)
    _go(pg, f"/ho-so/{main.code}/")
    assert pg.locator("#action-approve").count() == 1
    pg.click("#action-approve > summary")
    assert "Phê duyệt kết quả hồ sơ" in pg.locator("#action-approve .confirm").inner_text()
    assert _no_horizontal_scroll(pg)
    screenshot(pg, "dossier-page-leader")
    msg = _act(pg, "approve")
    assert f"Đã phê duyệt kết quả hồ sơ {main.code}" in msg

    # …and apologises for the overdue one (Mẫu 04), with a new date after the due date.
    overdue: Dossier = world["overdue"]
    new_date = calendar_get().add_working_days(timezone.localdate(), 3)
    _go(pg, f"/ho-so/{overdue.code}/")
    msg = _act(pg, "apologize", fill={"new_date": f"{new_date:%d/%m/%Y}", "reason": "Chờ xác minh thông tin hộ tịch tại UBND xã"})
    assert f"Đã hẹn lại ngày trả hồ sơ {overdue.code}: {new_date:%d/%m/%Y}" in msg
    assert f"Hẹn lại ngày {new_date:%d/%m/%Y}" in pg.locator(".appointment").inner_text()
    with pg.expect_popup() as popup:
        pg.click(".msg-success a")
    slip = popup.value
    slip.wait_for_load_state("networkidle")
    text = slip.locator(".doc").inner_text()
    overdue.refresh_from_db()
    assert f"ngày {overdue.due_date:%d} tháng" in slip.locator(".original-due").inner_text()
    assert f"ngày {new_date:%d} tháng" in slip.locator(".new-date").inner_text()
    assert "Chờ xác minh thông tin hộ tịch" in text
    screenshot(slip, "mau04-apology")
    slip.close()
    _logout(pg)

    # The clerk hands the result back.
    login(pg, "lan.tt", PASSWORD)
    _go(pg, "/ho-so/danh-sach/result/")
    assert pg.locator(f"tr[data-code='{main.code}']").count() == 1
    pg.click(f"tr[data-code='{main.code}'] td.code a")
    pg.wait_for_load_state("networkidle")
    msg = _act(pg, "return-result", select={"return_channel": "counter"})
    assert f"Đã trả kết quả hồ sơ {main.code}" in msg
    main.refresh_from_db()
    assert main.state == "returned"
    assert _no_horizontal_scroll(pg)
    screenshot(pg, "dossier-page-returned")

    # Mẫu 05: receipt → Sở Tư pháp → back to the centre → the applicant.
    _go(pg, f"/ho-so/{main.code}/phieu-kiem-soat/")
    rows = pg.locator("tr.handoff-row")
    assert rows.count() == 3
    assert "Nhận: Sở Tư pháp tỉnh Hòa Bình" in rows.nth(0).inner_text()
    local_assigned = timezone.localtime(main.steps.get().started_at)
    assert f"{local_assigned:%H} giờ {local_assigned:%M} phút" in rows.nth(0).inner_text()
    assert "Nguyễn Thị Hoa" in rows.nth(2).inner_text()
    screenshot(pg, "mau05-control-sheet")
    assert re.search(r"Trước hạn|Đúng hạn|Trễ hạn", rows.nth(1).inner_text())
