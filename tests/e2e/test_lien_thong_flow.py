"""Browser test of D17/D18 (issue 13): a liên thông dossier through the pages, each unit acting
only on its own step.

The clerk of the provincial centre hands the received dossier over to Sở Tư pháp; Sở Tư pháp's
officer takes it and completes his step (on to Công an); the Sở Tư pháp leader finds no
"Phê duyệt" while Công an holds it, and Công an's leader gets a 403 naming who may approve; Công
an's officer completes the verification, back to Sở Tư pháp; its leader approves at the final
step; the clerk hands the result back. Screenshots in var/screenshots/lien-thong-*.png.
"""
from __future__ import annotations

from datetime import datetime, time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from dossiers.calendar import LOCAL_TZ
from dossiers.models import Dossier, Field, Procedure, ProcedureStep, StaffProfile, Unit
from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, role_group_name, roles_sync
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle
from tests.e2e.conftest import login
from tests.e2e.test_officer_flow import _act, _go, _logout, _no_horizontal_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "mat-khau-thu-nghiem"


def _user(username, full_name, unit, role):
    u = get_user_model().objects.create_user(username=username, password=PASSWORD, first_name=full_name)
    StaffProfile.objects.create(user=u, unit=unit)
    u.groups.add(Group.objects.get(name=role_group_name(role)))
    return u


@pytest.fixture
def world(db):
    roles_sync()
    province = Unit.objects.create(code="000.00.00.H23", name="UBND tỉnh Hòa Bình", level="province", kind="people_committee", place="Hòa Bình")
    centre = Unit.objects.create(code="000.01.01.H23", name="Trung tâm Phục vụ hành chính công tỉnh Hòa Bình",
                                 level="province", kind="service_centre", parent=province)
    justice = Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp tỉnh Hòa Bình", level="province", kind="agency", parent=province)
    police = Unit.objects.create(code="000.00.90.H23", name="Công an tỉnh Hòa Bình", level="province", kind="vertical")
    p = Procedure.objects.create(code="2.000488", name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
                                 field=Field.objects.create(name="Lý lịch tư pháp"), processing_time=10,
                                 time_unit="working_days", resolving_unit=justice)
    for order, name, unit, days in [(1, "Tiếp nhận hồ sơ", centre, 1), (2, "Tra cứu cơ sở dữ liệu lý lịch tư pháp", None, 2),
                                    (3, "Xác minh thông tin về án tích", police, 4), (4, "Lập và ký Phiếu lý lịch tư pháp", None, 2),
                                    (5, "Trả kết quả", centre, 1)]:
        ProcedureStep.objects.create(procedure=p, order=order, name=name, unit=unit, allotted_time=days)
    people = {
        "clerk": _user("lan.tt", "Trần Thị Lan", centre, COUNTER_CLERK),
        "officer": _user("binh.lv", "Lê Văn Bình", justice, OFFICER),
        "leader": _user("dung.hv", "Hoàng Văn Dũng", justice, LEADER),
        "police_officer": _user("tuan.nv", "Nguyễn Văn Tuấn", police, OFFICER),
        "police_leader": _user("hai.tq", "Trịnh Quang Hải", police, LEADER),
    }
    day = timezone.localdate()
    cal = calendar_get()
    if not cal.is_working_day(day):
        day = cal.previous_working_day(day)
    received = min(datetime.combine(day, time(8, 0), tzinfo=LOCAL_TZ), timezone.now())
    d = lifecycle.dossier_register(
        procedure=p, receiving_unit=centre, channel="direct", actor=people["clerk"], received_at=received,
        applicant={"name": "Nguyễn Thị Hoa", "id_number": "017190004321", "phone": "0912345678", "address": "Phương Lâm"},
    )
    return {"dossier": d, "people": people, "justice": justice, "police": police}


def _offered(pg) -> set[str]:
    return set(pg.locator("form[data-action]").evaluate_all("fs => fs.map(f => f.dataset.action)"))


def test_lien_thong_each_unit_acts_on_its_own_step(page, screenshot, world):
    pg = page
    d: Dossier = world["dossier"]
    url = f"/ho-so/{d.code}/"

    # The counter hands the dossier over (D18): the only actions it has are that and a withdrawal.
    login(pg, "lan.tt", PASSWORD)
    _go(pg, url)
    assert _offered(pg) == {"transfer", "withdraw"}
    assert "Chuyển xử lý" in pg.locator("#action-transfer > summary").inner_text()
    msg = _act(pg, "transfer")
    assert f"Đã chuyển hồ sơ {d.code} sang Sở Tư pháp tỉnh Hòa Bình" in msg
    screenshot(pg, "lien-thong-1-handed-over")
    _logout(pg)

    # Sở Tư pháp's officer takes it and completes the look-up: on to Công an.
    login(pg, "binh.lv", PASSWORD)
    _go(pg, url)
    assert _offered(pg) == {"assign"}
    _act(pg, "assign")
    assert "transfer" in _offered(pg) and "approve" not in _offered(pg)
    msg = _act(pg, "transfer", fill={"note": "Đề nghị Công an tỉnh xác minh án tích"})
    assert f"Đã chuyển hồ sơ {d.code} sang Công an tỉnh Hòa Bình" in msg
    _logout(pg)

    # The lead leader may not approve while Công an holds it; Công an's leader may never.
    login(pg, "dung.hv", PASSWORD)
    _go(pg, url)
    assert "approve" not in _offered(pg)
    assert {"refuse", "apologize", "skip-step"} <= _offered(pg)
    assert _no_horizontal_scroll(pg)
    screenshot(pg, "lien-thong-2-lead-leader-while-police-holds")
    _logout(pg)
    login(pg, "hai.tq", PASSWORD)
    _go(pg, url)
    assert "approve" not in _offered(pg)
    csrf = next(c["value"] for c in pg.context.cookies() if c["name"] == "csrftoken")
    response = pg.request.post(pg.base_url + f"/ho-so/{d.code}/thao-tac/approve/",
                               form={"approve-version": str(Dossier.objects.get(pk=d.pk).version)},
                               headers={"X-CSRFToken": csrf, "Referer": pg.base_url + url})
    assert response.status == 403
    assert "Chỉ lãnh đạo Sở Tư pháp tỉnh Hòa Bình (cơ quan chủ trì) được phê duyệt hồ sơ này." in response.text()
    _logout(pg)

    # Công an's officer verifies and sends it back to Sở Tư pháp's final step.
    login(pg, "tuan.nv", PASSWORD)
    _go(pg, url)
    _act(pg, "assign")
    msg = _act(pg, "transfer")
    assert f"sang Sở Tư pháp tỉnh Hòa Bình" in msg
    _logout(pg)

    # The lead leader approves at the final step (every earlier step completed).
    login(pg, "dung.hv", PASSWORD)
    _go(pg, url)
    assert "approve" in _offered(pg)
    msg = _act(pg, "approve", fill={"note": "Đã ký Phiếu lý lịch tư pháp số 123"})
    assert f"Đã phê duyệt kết quả hồ sơ {d.code}" in msg
    _logout(pg)

    # The clerk hands the result back; every step was done by its own unit.
    login(pg, "lan.tt", PASSWORD)
    _go(pg, url)
    msg = _act(pg, "return-result", select={"return_channel": "counter"})
    assert f"Đã trả kết quả hồ sơ {d.code}" in msg
    screenshot(pg, "lien-thong-3-returned")
    d.refresh_from_db()
    assert d.state == "returned"
    steps = list(d.steps.order_by("order"))
    assert [s.state for s in steps] == ["done"] * 5
    events = list(d.events.exclude(action="assign").order_by("at", "id"))
    assert [(e.action, e.unit.code) for e in events] == [
        ("receive", "000.01.01.H23"), ("transfer", "000.01.01.H23"), ("transfer", "000.00.12.H23"),
        ("transfer", "000.00.90.H23"), ("approve", "000.00.12.H23"), ("return-result", "000.01.01.H23"),
    ]
