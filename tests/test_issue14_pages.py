"""Issue 14's smaller fixes, each held by a test that fails on the old behaviour: the progress line
without duplicate nodes and with the apology's new date; the public page of a returned dossier;
an incomplete evaluation's error in view; "hẹn lại" not overflowing; English labels; a district
leader's procedure filter; bad filter dates said; officers by full name; the intake's warning
without phone and CCCD; a too-long name said, never cut."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from dossiers.models import Dossier, Procedure, ProcedureStep
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle
from tests.dossiers.test_forms_tt03 import at, receive, world  # noqa: F401 (fixture)
from tests.dossiers.test_intake_pages import intake_post
from tests.dossiers.test_intake_pages import w as intake_world  # noqa: F401 (fixture)
from tests.dossiers.lifecycle_fixtures import approve_after_handover

pytestmark = pytest.mark.django_db


def _steps(proc, names, unit):
    ProcedureStep.objects.filter(procedure=proc).delete()
    for order, name in enumerate(names, 1):
        ProcedureStep.objects.create(procedure=proc, order=order, name=name, unit=unit, allotted_time=2)


def _progress(html: str) -> list[str]:
    block = re.search(r'<ol class="progress">(.*?)</ol>', html, re.S).group(1)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", li.split(">", 1)[1])).strip() for li in block.split("<li")[1:]]


# --- the progress line -------------------------------------------------------------------------------


def test_progress_line_has_no_duplicate_nodes_and_shows_the_new_appointment(client, world):
    _steps(world["proc"], ["Tiếp nhận hồ sơ", "Thẩm định", "Phê duyệt", "Trả kết quả"], world["build"])
    d = receive(world, at(2026, 3, 2, 8, 30))
    lifecycle.dossier_apologize(dossier=d, actor=world["bleader"], new_date=date(2026, 4, 28), reason="Chậm", at=at(2026, 3, 20, 9))
    client.force_login(world["bleader"])
    nodes = _progress(client.get(reverse("dossiers:detail", args=[d.code])).content.decode())
    names = [re.match(r"(\d+\. )?[^A-Z]*?(Tiếp nhận|Thẩm định|Phê duyệt|Trả kết quả)", n).group(2) for n in nodes]
    assert names == ["Tiếp nhận", "Thẩm định", "Phê duyệt", "Trả kết quả"]  # old: 6 nodes, two twice
    assert "hẹn lại 28/04/2026" in nodes[-1]


def test_progress_line_keeps_its_own_ends_when_the_steps_do_not_name_them(client, world):
    _steps(world["proc"], ["Kiểm tra hồ sơ", "Thẩm định", "Phê duyệt"], world["build"])
    d = receive(world, at(2026, 3, 2, 8, 30))
    client.force_login(world["bleader"])
    nodes = _progress(client.get(reverse("dossiers:detail", args=[d.code])).content.decode())
    assert len(nodes) == 5 and nodes[0].startswith("Tiếp nhận Trung tâm") and nodes[-1].startswith("Trả kết quả")
    assert "Mẫu 06" in client.get(reverse("dossiers:detail", args=[d.code])).content.decode()


# --- the public page ----------------------------------------------------------------------------------


def _public(client, d) -> str:
    r = client.post(reverse("citizens:lookup"), {"code": d.code, "digits": d.applicant_phone[-4:]}, follow=True)
    assert r.status_code == 200
    return r.content.decode()


def test_public_page_of_a_returned_dossier_shows_no_appointment_nor_handling_unit(world):
    d = receive(world, at(2026, 3, 2, 8, 30))
    lifecycle.dossier_apologize(dossier=d, actor=world["bleader"], new_date=date(2026, 4, 28), reason="Chậm", at=at(2026, 3, 20, 9))
    approve_after_handover(dossier=d, actor=world["bleader"], at=at(2026, 4, 20, 9))
    open_html = _public(Client(), Dossier.objects.get(pk=d.pk))
    assert "Đơn vị đang xử lý" in open_html and "Hẹn lại ngày trả kết quả: 28/04/2026" in open_html
    lifecycle.dossier_return_result(dossier=d, actor=world["clerk"], at=at(2026, 4, 21, 9))
    html = _public(Client(), Dossier.objects.get(pk=d.pk))
    facts = re.search(r'<dl class="pub-facts">(.*?)</dl>', html, re.S).group(1)
    assert "Đơn vị đang xử lý" not in facts and "Ngày hẹn trả kết quả" not in facts
    assert "Hẹn lại ngày trả kết quả" not in html
    assert "Ngày trả kết quả" in facts and "21/04/2026" in facts


def test_an_incomplete_evaluation_answers_with_its_error_in_view(world):
    d = receive(world, at(2026, 3, 2, 8, 30))
    approve_after_handover(dossier=d, actor=world["bleader"], at=at(2026, 3, 20, 9))
    lifecycle.dossier_return_result(dossier=d, actor=world["clerk"], at=at(2026, 3, 21, 9))
    c = Client()
    page = _public(c, Dossier.objects.get(pk=d.pk))
    action = re.search(r'<form method="post" action="([^"]+)" class="evaluation-form"', page).group(1)
    assert action.endswith("#evaluation-errors")  # the answer page opens at the error summary, not at the top
    r = c.post(action.split("#")[0], {"c1": "2", "c2": "2", "comment": ""})
    html = r.content.decode()
    assert r.status_code == 400
    top = html.index('class="pub-head"')
    banner = html.index("Chưa gửi được đánh giá: vui lòng chấm điểm đủ 9 tiêu chí.")
    assert banner - top < 1500  # said at the top of the page as well
    summary = re.search(r'id="evaluation-errors".*?</div>\s*</div>', html, re.S).group(0)
    assert [int(n) for n in re.findall(r">(\d)</a>", summary)] == [3, 4, 5, 6, 7, 8, 9]


# --- lists and filters --------------------------------------------------------------------------------


def test_rescheduled_date_wraps_inside_its_column(client, world):
    d = receive(world, at(2026, 3, 2, 8, 30))
    lifecycle.dossier_apologize(dossier=d, actor=world["bleader"], new_date=date(2026, 4, 28), reason="Chậm", at=at(2026, 3, 20, 9))
    client.force_login(world["bleader"])
    html = client.get(reverse("dossiers:list", args=["processing"])).content.decode()
    assert re.search(r'hẹn lại</span><br><span class="appt-date">28/04/2026', html)


@pytest.fixture
def board():
    from tests.monitoring.conftest import make_world

    w = make_world()
    w.district_proc = Procedure.objects.create(code="2.000777", name="Đăng ký hộ kinh doanh", field=w.days5.field,
                                               processing_time=3, time_unit="working_days", resolving_unit=w.district)
    return w


def test_district_leaders_procedure_filter_lists_only_its_procedures(board):
    c = Client()
    c.force_login(board.lead_dist)
    html = c.get(reverse("monitoring:list", args=["qua-han"])).content.decode()
    select = re.search(r'<select name="procedure".*?</select>', html, re.S).group(0)
    assert "2.000777" in select
    assert "1.000001" not in select and "1.009999" not in select  # the province's procedures (old: all listed)
    c.force_login(board.lead_prov)
    select = re.search(r'<select name="procedure".*?</select>', c.get(reverse("monitoring:list", args=["qua-han"])).content.decode(), re.S).group(0)
    assert "1.000001" in select and "2.000777" in select


def test_a_bad_filter_date_is_said_not_ignored(board):
    c = Client()
    c.force_login(board.lead_prov)
    html = c.get(reverse("monitoring:list", args=["qua-han"]), {"date_from": "31/02/2026"}).content.decode()
    assert "Ngày không hợp lệ, nhập theo dạng dd/mm/yyyy." in html and "Điều kiện này chưa được áp dụng." in html


def test_satisfaction_by_officer_names_officers_by_full_name_only():
    from citizens import report as cr

    source = open(cr.__file__, encoding="utf-8").read()
    assert "officer.get_username()" not in source


# --- English --------------------------------------------------------------------------------------------


def test_english_period_labels_indicators_levels_and_due_text():
    from dossiers.templatetags.onecua import due_text
    from reporting.periods import Period
    from reporting.presenters import COMPARISON

    with override("en"):
        p = Period.quarter(2026, 2)
        assert p.name() == "Quarter II 2026"
        assert p.label() == "Quarter II 2026 (from 15/03/2026 to 14/06/2026)"
        from django.utils.translation import gettext as _

        assert [_(label) for _k, label, _g in COMPARISON][0] == "Dossiers received for resolution (3)"
        assert _("Cấp tỉnh (sở, ban, ngành)") == "Provincial level (departments, agencies)"
        assert due_text("Hẹn trả 11/02/2022 (không tính 31/01–04/02: Tết Nguyên Đán)") == \
            "Due 11/02/2022 (not counting 31/01–04/02: Tết Nguyên Đán)"
        assert due_text("Hẹn trả 15:30 ngày 02/03/2022 (nhận sau 15:00)") == "Due at 15:30 on 02/03/2022 (received after 15:00)"
    with override("vi"):
        assert Period.quarter(2026, 2).name() == "Quý II năm 2026"
        assert due_text("Hẹn trả 11/02/2022") == "Hẹn trả 11/02/2022"


# --- intake ----------------------------------------------------------------------------------------------


def test_intake_without_phone_nor_cccd_is_accepted_with_a_warning(client, intake_world):
    client.force_login(intake_world.clerk)
    r = client.post(reverse("dossiers:intake"), intake_post(intake_world, applicant_phone="", applicant_id_number=""))
    d = Dossier.objects.get()
    assert r.status_code == 302
    msgs = [(m.level_tag, str(m)) for m in get_messages(r.wsgi_request)]
    assert ("warning", f"Hồ sơ {d.code} không có số điện thoại và số CCCD của người nộp: người nộp sẽ không tra cứu "
                       "được hồ sơ trên cổng tra cứu. Nên bổ sung ít nhất một trong hai thông tin.") in msgs


def test_a_name_longer_than_its_field_is_said_never_cut(client, intake_world):
    client.force_login(intake_world.clerk)
    page = client.get(reverse("dossiers:intake")).content.decode()
    name_input = re.search(r'<input[^>]*name="applicant_name"[^>]*>', page).group(0)
    assert "maxlength" not in name_input  # the browser would cut a pasted name silently
    long_name = "Nguyễn " * 50  # 350 characters
    r = client.post(reverse("dossiers:intake"), intake_post(intake_world, applicant_name=long_name))
    html = r.content.decode()
    assert r.status_code in (200, 400) and not Dossier.objects.exists()
    assert "Họ và tên tối đa 255 ký tự (đã nhập 349 ký tự)." in html
    assert "Vui lòng nhập họ và tên" not in html
