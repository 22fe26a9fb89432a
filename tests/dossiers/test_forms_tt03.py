"""The printed forms (issue 14): the Thông tư 03/2025 set for dossiers received from 15/9/2025,
the Thông tư 01/2018 numbering before; each PDF checked by its page count and its text
(pdftotext, poppler-utils), for a procedure with 10 checklist items and 6 steps.

Mẫu 01 = 2 pages (one A4 sheet per copy), 02–06 = 1 page each, 07 repeats its column header on
every page. Dossiers are moved by the real services; the stop (D16, the lead's action) is
written as its event and state directly.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from dossiers.calendar import LOCAL_TZ
from dossiers.models import Counter, Dossier, DossierPause, Field, Procedure, ProcedureStep, StaffProfile, Unit
from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, role_group_name, roles_sync
from dossiers.services import lifecycle
from dossiers.views.forms import control_sheet_rows
from tests.dossiers.lifecycle_fixtures import assign_after_handover

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext, pdfinfo)"),
]

CHECKLIST = [
    "Tờ khai đề nghị cấp giấy phép xây dựng theo mẫu",
    "Bản sao giấy chứng nhận quyền sử dụng đất",
    "Bản vẽ thiết kế xây dựng (02 bộ)",
    "Bản cam kết bảo đảm an toàn công trình liền kề",
    "Văn bản thẩm duyệt phòng cháy chữa cháy",
    "Bản sao căn cước công dân của chủ đầu tư",
    "Giấy ủy quyền (nếu có)",
    "Báo cáo kết quả thẩm định thiết kế",
    "Văn bản chấp thuận độ cao tĩnh không",
    "Biên lai nộp lệ phí cấp giấy phép xây dựng",
]
APPLICANT = {"name": "Nguyễn Thị Hoa", "id_number": "017190004321", "phone": "0912000111",
             "address": "Số 12, tổ 3, phường Tân Thịnh, tỉnh Phú Thọ", "email": "hoa.nguyen@example.vn"}


def at(y, m, d, hh=9, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def _user(username, full_name, unit, role, counter=None):
    u = get_user_model().objects.create_user(username=username, password=None, first_name=full_name)
    StaffProfile.objects.create(user=u, unit=unit, counter=counter, phone="0210 3852 111")
    u.groups.add(Group.objects.get(name=role_group_name(role)))
    return u


@pytest.fixture
def world(db):
    roles_sync()
    province = Unit.objects.create(code="000.00.00.H25", name="UBND tỉnh Phú Thọ", level="province", kind="people_committee", place="Phú Thọ")
    centre = Unit.objects.create(code="000.00.31.H25", name="Trung tâm Phục vụ hành chính công tỉnh Phú Thọ",
                                 level="province", kind="service_centre", parent=province)
    build = Unit.objects.create(code="000.00.14.H25", name="Sở Xây dựng", level="province", kind="agency", parent=province)
    justice = Unit.objects.create(code="000.00.12.H25", name="Sở Tư pháp", level="province", kind="agency", parent=province)
    counter = Counter.objects.create(unit=centre, number=3, name="Quầy số 3")
    proc = Procedure.objects.create(
        code="1.009977", name="Cấp giấy phép xây dựng mới đối với công trình cấp đặc biệt, cấp I, cấp II",
        field=Field.objects.create(name="Hoạt động xây dựng"), processing_time=20, time_unit="working_days",
        resolving_unit=build, documents="\n".join(CHECKLIST),
    )
    for order, (name, unit, days) in enumerate([
        ("Tiếp nhận, kiểm tra hồ sơ", build, 2), ("Thẩm định hồ sơ thiết kế", build, 6),
        ("Lấy ý kiến Sở Tư pháp", justice, 4), ("Kiểm tra thực địa", build, 3),
        ("Tổng hợp, trình ký", build, 3), ("Lãnh đạo Sở phê duyệt", build, 2),
    ], 1):
        ProcedureStep.objects.create(procedure=proc, order=order, name=name, unit=unit, allotted_time=days)
    people = {
        "clerk": _user("clerk", "Trần Thị Lan", centre, COUNTER_CLERK, counter=counter),
        "clerk2": _user("clerk2", "Phùng Văn Khải", centre, COUNTER_CLERK),
        "builder": _user("builder", "Phạm Văn Cường", build, OFFICER),
        "bleader": _user("bleader", "Vũ Thị Hạnh", build, LEADER),
        "jofficer": _user("jofficer", "Lê Văn Bình", justice, OFFICER),
    }
    return {"centre": centre, "build": build, "justice": justice, "counter": counter, "proc": proc, **people}


def receive(w, received_at, **kw) -> Dossier:
    return lifecycle.dossier_register(
        procedure=w["proc"], receiving_unit=w["centre"], counter=kw.pop("counter", w["counter"]), channel="direct",
        applicant=kw.pop("applicant", APPLICANT), received_at=received_at, actor=w["clerk"],
        documents=[{"name": n, "originals": 1, "copies": 1} for n in CHECKLIST], **kw,
    )


def full_history(w, start=(2026, 3, 2)) -> Dossier:
    """Six steps, a supplement asked at step 2, an apology, approval and return."""
    y, m, d0 = start
    d = receive(w, at(y, m, d0, 8, 30))
    b, j = w["builder"], w["jofficer"]
    lifecycle.dossier_transfer(dossier=d, actor=w["clerk"], at=at(y, m, d0, 9))  # the counter hands over (D18)
    lifecycle.dossier_assign(dossier=d, actor=w["bleader"], officer=b, at=at(y, m, d0, 10))  # step 1
    lifecycle.dossier_transfer(dossier=d, actor=b, at=at(y, m, d0 + 1, 14))  # → step 2
    lifecycle.dossier_assign(dossier=d, actor=b, officer=b, at=at(y, m, d0 + 1, 14, 5))
    lifecycle.dossier_request_supplement(dossier=d, actor=b, reason="Thiếu bản vẽ mặt cắt", documents="Bản vẽ mặt cắt", at=at(y, m, d0 + 2, 9))
    lifecycle.dossier_resume(dossier=d, actor=w["clerk"], at=at(y, m, d0 + 3, 15))
    lifecycle.dossier_transfer(dossier=d, actor=b, at=at(y, m, d0 + 4, 10))  # → step 3 (Sở Tư pháp)
    lifecycle.dossier_assign(dossier=d, actor=j, officer=j, at=at(y, m, d0 + 4, 11))
    lifecycle.dossier_transfer(dossier=d, actor=j, at=at(y, m, d0 + 7, 16))  # → step 4
    lifecycle.dossier_assign(dossier=d, actor=b, officer=b, at=at(y, m, d0 + 7, 16, 30))
    lifecycle.dossier_transfer(dossier=d, actor=b, at=at(y, m, d0 + 9, 9))  # → step 5
    lifecycle.dossier_assign(dossier=d, actor=b, officer=b, at=at(y, m, d0 + 9, 9, 5))
    lifecycle.dossier_transfer(dossier=d, actor=b, at=at(y, m, d0 + 10, 9))  # → step 6, the lead unit's final
    lifecycle.dossier_apologize(dossier=d, actor=w["bleader"], new_date=date(y, m + 1, 28), reason="Chờ ý kiến thẩm định",
                                at=at(y, m, d0 + 11, 9))
    lifecycle.dossier_approve(dossier=d, actor=w["bleader"], at=at(y, m, d0 + 14, 9))
    return lifecycle.dossier_return_result(dossier=d, actor=w["clerk2"], at=at(y, m, d0 + 15, 8, 15))


def pdf_of(client, user, url, params=None):
    client.force_login(user)
    r = client.get(url, {"format": "pdf", **(params or {})})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf", (url, r.status_code)
    if os.environ.get("FORMS_PDF_DIR"):  # to look at them: FORMS_PDF_DIR=/tmp/pdfs pytest …
        name = re.sub(r"[^a-z0-9.-]+", "-", r["Content-Disposition"].split('"')[1].lower())
        (Path(os.environ["FORMS_PDF_DIR"]) / name).write_bytes(r.content)
    return r.content


def pages(pdf: bytes) -> int:
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def text(pdf: bytes, *, layout=False) -> list[str]:
    """The text of each page (pdftotext splits pages with a form feed), spaces collapsed."""
    args = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    out = subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode()
    return [re.sub(r"\s+", " ", p).strip() for p in out.split("\f") if p.strip()]


# --- Mẫu 01 ----------------------------------------------------------------------------------


def test_mau01_prints_one_sheet_per_copy_with_book_and_number(client, world):
    d = receive(world, at(2026, 3, 2, 8, 30))
    receive(world, at(2026, 3, 2, 8, 40))
    second = receive(world, at(2026, 3, 2, 8, 50))
    pdf = pdf_of(client, world["clerk"], reverse("dossiers:receipt", args=[second.code]))
    assert pages(pdf) == 2
    p1, p2 = text(pdf)
    for page, copy in ((p1, "Liên 1: lưu"), (p2, "Liên 2: giao khách hàng")):
        assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in page
        assert "Mẫu số 01 – Thông tư 03/2025/TT-VPCP" in page
        assert copy in page and second.code in page
        assert "Quyển số: 03/2026 Số thứ tự: 3" in page
        assert CHECKLIST[0] in page and CHECKLIST[9] in page
        assert "NGƯỜI NỘP HỒ SƠ" in page and "NGƯỜI TIẾP NHẬN HỒ SƠ" in page  # the signatures stay on the sheet
        assert "Trần Thị Lan" in page
    assert d.register_number == 1


def test_mau01_of_a_dossier_received_before_15_9_2025_keeps_the_old_numbering(client, world):
    d = receive(world, at(2025, 9, 12, 9))
    page = text(pdf_of(client, world["clerk"], reverse("dossiers:receipt", args=[d.code])))[0]
    assert "Mẫu số 01 – Thông tư 01/2018/TT-VPCP" in page
    assert "Quyển số: 03/2025 Số thứ tự: 1" in page


# --- Mẫu 02, 04, 06 of a full history ----------------------------------------------------------


def test_mau02_04_06_of_a_six_step_dossier_print_on_one_sheet_each(client, world):
    d = full_history(world)
    pause = DossierPause.objects.get(dossier=d)
    leader = world["bleader"]
    m02 = pdf_of(client, leader, reverse("dossiers:supplement_slip", args=[d.code, pause.pk]))
    m04 = pdf_of(client, leader, reverse("dossiers:apology_slip", args=[d.code]))
    m06 = pdf_of(client, leader, reverse("dossiers:control_sheet", args=[d.code]))
    assert (pages(m02), pages(m04), pages(m06)) == (1, 1, 1)
    t02, t04, t06 = text(m02)[0], text(m04)[0], text(m06)[0]
    assert "Mẫu số 02 – Thông tư 03/2025/TT-VPCP" in t02 and "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in t02
    assert "Thiếu bản vẽ mặt cắt" in t02 and "Phạm Văn Cường" in t02
    assert "Mẫu số 04 – Thông tư 03/2025/TT-VPCP" in t04
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in t04
    assert "Chờ ý kiến thẩm định" in t04 and "ngày 28 tháng 4 năm 2026" in t04
    assert "Mẫu số 06 – Thông tư 03/2025/TT-VPCP" in t06 and "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in t06
    for step in ("1. Tiếp nhận, kiểm tra hồ sơ", "6. Lãnh đạo Sở phê duyệt", "Trả kết quả"):
        assert step in t06


def test_mau04_of_an_old_dossier_keeps_the_tt01_title(client, world):
    d = receive(world, at(2025, 9, 1, 9))
    lifecycle.dossier_apologize(dossier=d, actor=world["bleader"], new_date=date(2025, 10, 31), reason="Chậm", at=at(2025, 9, 26, 9))
    t = text(pdf_of(client, world["bleader"], reverse("dossiers:apology_slip", args=[d.code])))[0]
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in t and "Mẫu số 04 – Thông tư 01/2018/TT-VPCP" in t


# --- the control sheet's rows --------------------------------------------------------------------


def _rows(d):
    d = Dossier.objects.get(pk=d.pk)
    return control_sheet_rows(d, list(d.steps.select_related("unit", "assigned_to").order_by("order")),
                              list(d.events.order_by("at", "id")), list(d.pauses.order_by("requested_at")))


def test_control_sheet_puts_the_supplement_on_the_step_where_it_was_asked(world):
    rows = _rows(full_history(world))
    assert len(rows) == 8  # six steps, back to the counter, to the applicant
    asked = [i for i, r in enumerate(rows) if any("Yêu cầu bổ sung lúc 09:00 04/03/2026" in n for n in r.notes)]
    assert asked == [1]  # step 2 "Thẩm định hồ sơ thiết kế", not the steps after it
    assert rows[1].notes[0].startswith("2. Thẩm định hồ sơ thiết kế")


def test_control_sheet_supplement_of_an_open_dossier_stays_on_its_step(world):
    d = receive(world, at(2026, 3, 2, 8, 30))
    assign_after_handover(dossier=d, actor=world["bleader"], officer=world["builder"], at=at(2026, 3, 2, 10))
    lifecycle.dossier_request_supplement(dossier=d, actor=world["builder"], reason="Thiếu", at=at(2026, 3, 3, 9))
    rows = _rows(d)
    with_note = [i for i, r in enumerate(rows) if any(n.startswith("Yêu cầu bổ sung") for n in r.notes)]
    assert with_note == [0]
    assert [r.at is None for r in rows] == [False, True, True, True, True, True, True]


def test_control_sheet_giver_and_receiver_are_different_people(world):
    rows = _rows(full_history(world))
    expected = [
        ("Trần Thị Lan", "Phạm Văn Cường"),  # counter → Sở Xây dựng (the assigned officer takes it)
        ("Phạm Văn Cường", ""),  # step 1 → step 2 in his own unit: nobody else took it up, signed by hand
        ("Phạm Văn Cường", "Lê Văn Bình"),  # → Sở Tư pháp
        ("Lê Văn Bình", "Phạm Văn Cường"),  # → back to Sở Xây dựng
    ]
    assert [(r.giver_name, r.receiver_name) for r in rows[:4]] == expected
    for r in rows:
        assert not r.giver_name or r.giver_name != r.receiver_name
    assert (rows[6].giver_name, rows[6].receiver_name) == ("Vũ Thị Hạnh", "Phùng Văn Khải")
    assert (rows[7].giver_name, rows[7].receiver_name) == ("Phùng Văn Khải", "Nguyễn Thị Hoa")


def test_control_sheet_result_is_each_units_own(world):
    rows = _rows(full_history(world))
    d = Dossier.objects.get()
    steps = list(d.steps.order_by("order"))
    assert [r.result for r in rows[:6]] == [s.classification for s in steps]
    assert rows[6].result == d.classification
    assert rows[7].result == ""


# --- Mẫu 05 (stop) ------------------------------------------------------------------------------


def test_mau05_stop_notice_reads_the_stop_event(client, world):
    d = receive(world, at(2026, 3, 2, 8, 30))
    assign_after_handover(dossier=d, actor=world["bleader"], officer=world["builder"], at=at(2026, 3, 2, 10))
    lifecycle.dossier_request_supplement(dossier=d, actor=world["builder"], reason="Thiếu bản vẽ", at=at(2026, 3, 3, 9))
    lifecycle.dossier_stop(dossier=d, actor=world["bleader"], at=at(2026, 3, 20, 15),
                           reason="Quá thời hạn bổ sung hồ sơ mà tổ chức, cá nhân không bổ sung.")  # D16
    pdf = pdf_of(client, world["bleader"], reverse("dossiers:stop_notice", args=[d.code]))
    assert pages(pdf) == 1
    t = text(pdf)[0]
    assert "Mẫu số 05 – Thông tư 03/2025/TT-VPCP" in t and "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in t
    assert "Quá thời hạn bổ sung hồ sơ mà tổ chức, cá nhân không bổ sung." in t
    assert "SỞ XÂY DỰNG" in t and "Vũ Thị Hạnh" in t and d.code in t
    assert "Phú Thọ, ngày 20 tháng 3 năm 2026" in t


def test_stop_notice_of_a_dossier_not_stopped_is_404(client, world):
    d = receive(world, at(2026, 3, 2, 8, 30))
    client.force_login(world["bleader"])
    assert client.get(reverse("dossiers:stop_notice", args=[d.code])).status_code == 404


# --- Mẫu 07 ------------------------------------------------------------------------------------


def test_mau07_register_repeats_its_header_on_every_page_with_page_numbers(client, world):
    for k in range(45):
        receive(world, at(2026, 3, 2 + k // 15, 8 + (k % 15) // 2, (k % 2) * 30))
    receive(world, at(2026, 3, 2, 9), counter=None)  # the unit's own book, not this one
    book = Dossier.objects.filter(counter=world["counter"]).first().register_book
    pdf = pdf_of(client, world["clerk"], reverse("dossiers:register"),
                 {"book": book.pk, "date_from": "02/03/2026", "date_to": "04/03/2026"})
    n = pages(pdf)
    assert n >= 3
    texts = text(pdf)
    assert len(texts) == n
    for i, page in enumerate(texts, 1):
        assert "Mã hồ sơ" in page and "Tên thủ tục hành chính" in page and "Ngày hẹn trả kết quả" in page, i
        assert f"Trang {i}/{n}" in page, i
    assert "SỔ THEO DÕI HỒ SƠ" in texts[0] and "Quyển số: 03/2026" in texts[0]
    assert "Mẫu số 07 – Thông tư 03/2025/TT-VPCP" in texts[0]
    joined = " ".join(texts)
    assert len(re.findall(r"000\.00\.31\.H25-2603\d\d-\d{4}", joined)) == 45


def test_register_page_offers_the_users_books_and_refuses_officers(client, world):
    receive(world, at(2026, 3, 2, 9))
    client.force_login(world["clerk"])
    html = client.get(reverse("dossiers:register"), {"date_from": "01/03/2026", "date_to": "31/03/2026"}).content.decode()
    assert "Quyển số 03/2026" in html and "Nguyễn Thị Hoa" in html
    bad = client.get(reverse("dossiers:register"), {"date_from": "31/02/2026"})
    assert bad.status_code == 200 and "Ngày không hợp lệ, nhập theo dạng dd/mm/yyyy." in bad.content.decode()
    client.force_login(world["builder"])
    assert client.get(reverse("dossiers:register")).status_code == 403


# --- Mẫu 02 and 03 at the counter (no dossier) ------------------------------------------------------


@pytest.mark.parametrize(("kind", "title", "number"), [
    ("huong-dan", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "02"),
    ("tu-choi", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "03"),
])
def test_counter_slips_print_on_one_sheet(client, world, kind, title, number):
    client.force_login(world["clerk"])
    data = {"procedure": world["proc"].code, "applicant_name": APPLICANT["name"], "applicant_phone": APPLICANT["phone"],
            "applicant_address": APPLICANT["address"], "missing": "\n".join(CHECKLIST),
            "reason": "Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan." if kind == "tu-choi" else "Thiếu giấy tờ."}
    r = client.post(reverse("dossiers:counter_slip", args=[kind]) + "?format=pdf", data)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert pages(r.content) == 1
    t = text(r.content)[0]
    assert title in t and f"Mẫu số {number} – Thông tư 03/2025/TT-VPCP" in t and APPLICANT["name"] in t
