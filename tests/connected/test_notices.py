"""Notices to citizens (D22): a real SMTP server (aiosmtpd) and a real HTTP SMS gateway in the
test process; consent at intake (API and page); templates with unknown placeholders refused."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from hypothesis import given, settings as hsettings, strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from connected import notice_text
from connected.models import Notice
from connected.services.notices import MSG_LEAK, notice_template_save, notices_send
from dossiers.models import Dossier
from dossiers.roles import ADMINISTRATOR, role_group_name
from dossiers.services import lifecycle
from monitoring.services.outbox import outbox_relay
from tests.connected.conftest import APPLICANT
from tests.monitoring.conftest import PASSWORD, register
from tests.dossiers.lifecycle_fixtures import approve_after_handover, assign_after_handover  # noqa: F401

pytestmark = pytest.mark.django_db


def _relay_and_send():
    outbox_relay()
    return notices_send()


def _life(w):
    """Receipt, supplement, resume, apology, approval, return: six events, five with notices."""
    d = register(w, w.days5, None, applicant=APPLICANT)
    d = assign_after_handover(dossier=d, actor=w.lead_just, officer=w.off_just)
    d = lifecycle.dossier_request_supplement(dossier=d, actor=w.off_just, reason="Thiếu tờ khai")
    d = lifecycle.dossier_resume(dossier=d, actor=w.clerk)
    d = lifecycle.dossier_apologize(dossier=d, actor=w.lead_just, new_date=d.due_date + timedelta(days=7), reason="Chờ xác minh")
    d = approve_after_handover(dossier=d, actor=w.lead_just)
    d = lifecycle.dossier_return_result(dossier=d, actor=w.clerk)
    return d


def test_a_consenting_citizen_gets_each_notice_once_by_email_and_sms(world, smtp, sms_receiver):
    d = _life(world)
    result = _relay_and_send()
    assert result == {"sent": 10, "failed": 0, "retry": 0}
    assert _relay_and_send() == {"sent": 0, "failed": 0, "retry": 0}  # nothing twice
    citizen = [m for m in smtp.messages if m["to"] == ["an.nguyen@example.vn"]]  # (staff get theirs too)
    subjects = [m["subject"] for m in citizen]
    assert subjects == [
        f"Hồ sơ {d.code} đã được tiếp nhận", f"Hồ sơ {d.code} cần bổ sung",
        f"Hồ sơ {d.code}: hẹn lại ngày trả kết quả", f"Hồ sơ {d.code} đã có kết quả", f"Hồ sơ {d.code} đã trả kết quả",
    ]
    first = citizen[0]["body"]
    assert "Cấp bản sao trích lục hộ tịch" in first
    assert f"https://motcua.example.gov.vn/tra-cuu-ho-so/?ma={d.code}" in first
    sms = [r["json"] for r in sms_receiver.requests]
    assert [s["to"] for s in sms] == ["0912345678"] * 5
    assert all(d.code in s["text"] for s in sms)
    for text in [m["body"] + m["subject"] for m in citizen] + [s["text"] for s in sms]:
        assert "017090001234" not in text  # never the CCCD
        assert "0912345678" not in text and "912345678" not in text  # nor the phone


def test_a_failing_channel_is_retried_and_the_notice_still_goes_once(world, smtp, settings):
    from tests.connected.receivers import HttpReceiver

    with HttpReceiver(fail_first=2) as gw:
        settings.SMS_URL = gw.url
        register(world, world.days5, None, applicant=APPLICANT)
        assert _relay_and_send() == {"sent": 1, "failed": 0, "retry": 1}  # the e-mail went, the SMS failed
        sms = Notice.objects.get(channel="sms")
        assert sms.state == "pending" and sms.attempts == 1 and "HTTP 500" in sms.error
        later = timezone.now() + timedelta(minutes=5)
        assert notices_send(now=later) == {"sent": 0, "failed": 0, "retry": 1}
        assert notices_send(now=later + timedelta(minutes=5)) == {"sent": 1, "failed": 0, "retry": 0}
        assert [r["status"] for r in gw.requests] == [500, 500, 200]
    assert len([m for m in smtp.messages if m["to"] == ["an.nguyen@example.vn"]]) == 1


def test_nothing_goes_without_consent_nor_for_imported_history(world, smtp, sms_receiver):
    register(world, world.days5, None, applicant={**APPLICANT, "notify_email": False, "notify_sms": False})
    register(world, world.days5, timezone.now() - timedelta(days=40), applicant=APPLICANT)  # history
    _relay_and_send()
    assert Notice.objects.count() == 0 and sms_receiver.requests == []
    assert not [m for m in smtp.messages if m["to"] == ["an.nguyen@example.vn"]]


def test_a_template_with_an_unknown_placeholder_is_refused_when_saved(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        notice_template_save(kind="result", channel="sms", subject="", body="Ho so {ma_ho_so} cua {so_cccd}")
    assert exc.value.message_dict["body"][0].startswith("Biến {so_cccd} không có.")
    notice_template_save(kind="result", channel="sms", subject="", body="KQ {ma_ho_so}: {trang_thai}")


def test_an_administrator_edits_a_template_with_a_preview(world, client, smtp, sms_receiver):
    world.clerk.groups.add(Group.objects.get(name=role_group_name(ADMINISTRATOR)))
    client.login(username=world.clerk.username, password=PASSWORD)
    url = "/quan-tri/mau-thong-bao/result/sms/"
    page = client.get(url)
    assert page.status_code == 200 and "{ma_ho_so}" in page.content.decode()
    preview = client.post(url, {"body": "Hồ sơ {ma_ho_so} đã có kết quả ({trang_thai})", "preview": "1"})
    assert "Hồ sơ 000.00.31.H23-261203-0001 đã có kết quả (Đã tiếp nhận)" in preview.content.decode()
    bad = client.post(url, {"body": "Hồ sơ {ma_ho_so} của {cccd}", "save": "1"})
    assert bad.status_code == 400 and "Biến {cccd} không có." in bad.content.decode()
    ok = client.post(url, {"body": "KQ ho so {ma_ho_so}: {trang_thai}", "save": "1"})
    assert ok.status_code == 302
    d = register(world, world.days5, None, applicant=APPLICANT)
    approve_after_handover(dossier=d, actor=world.lead_just)
    _relay_and_send()
    assert sms_receiver.requests[-1]["json"]["text"] == f"KQ ho so {d.code}: Chờ trả kết quả"


def test_a_text_carrying_the_cccd_is_not_sent(world, smtp, sms_receiver):
    notice_template_save(kind="received", channel="sms", subject="", body="Ho so {ma_ho_so} cua 017090001234")
    register(world, world.days5, None, applicant=APPLICANT)
    _relay_and_send()
    sms = Notice.objects.get(channel="sms")
    assert sms.state == "failed" and sms.error == MSG_LEAK and sms_receiver.requests == []


def test_consent_through_the_api(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.clerk).key}")
    body = {"procedure": "1.000001", "receiving_unit": "000.00.31.H23", "channel": "direct",
            "applicant": {"name": "Trần Thị Bình", "phone": "0987654321", "notify_sms": True}}
    r = client.post("/api/v1/dossiers/", body, format="json")
    assert r.status_code == 201, r.json()
    d = Dossier.objects.get(code=r.json()["code"])
    assert (d.notify_email, d.notify_sms) == (False, True)
    r = client.post("/api/v1/dossiers/", {**body, "applicant": {"name": "B", "notify_email": True}}, format="json")
    assert r.status_code == 400
    assert r.json()["errors"]["applicant.notify_email"] == ["Cần địa chỉ email để gửi thông báo qua email."]


def test_consent_on_the_intake_page_and_the_log_on_the_dossier_page(world, client, smtp, sms_receiver):
    client.login(username=world.clerk.username, password=PASSWORD)
    r = client.post("/tiep-nhan/", {
        "procedure": "1.000001", "channel": "direct", "return_channel": "counter", "copies": "1",
        "applicant_name": "Lê Thị Cúc", "applicant_phone": "0911222333", "applicant_email": "cuc@example.vn",
        "applicant_notify_email": "on", "doc-count": "0",
    })
    assert r.status_code == 302, r.content.decode()[:2000]
    d = Dossier.objects.get(applicant_name="Lê Thị Cúc")
    assert (d.notify_email, d.notify_sms) == (True, False)
    _relay_and_send()
    page = client.get(f"/ho-so/{d.code}/").content.decode()
    assert "Thông báo cho người nộp" in page and "Tiếp nhận hồ sơ" in page and "Đã gửi" in page
    assert [m["to"] for m in smtp.messages if "cuc" in m["to"][0]] == [["cuc@example.vn"]] and sms_receiver.requests == []


@hsettings(max_examples=60, deadline=None)
@given(text=st.lists(st.sampled_from(list("abc đ{}_ /.-") + [f"{{{k}}}" for k in notice_text.PLACEHOLDERS]), max_size=40).map("".join))
def test_saved_templates_render_without_the_cccd_or_phone(text):
    """Whatever an administrator may save renders to a text without the CCCD or the phone."""
    if notice_text.template_errors(text):
        return
    facts = {k: f"<{k}>" for k in notice_text.PLACEHOLDERS}
    facts.update(ma_ho_so="000.00.31.H23-261203-0001", ngay="03/12/2026", ho_ten="Nguyễn Văn An")
    out = notice_text.render(text, facts)
    assert not notice_text.leaks(out, id_number="017090001234", phone="0912345678")
    assert notice_text.TOKEN.search(out) is None  # every placeholder filled


@pytest.mark.parametrize("text, leak", [
    ("Số CCCD 017090001234", True), ("gọi 0912 345 678", True), ("gọi +84912345678", True),
    ("Hồ sơ 000.00.31.H23-261203-0001 ngày 03/12/2026", False),
])
def test_leak_check(text, leak):
    assert notice_text.leaks(text, id_number="017090001234", phone="0912345678") is leak
