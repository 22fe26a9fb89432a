"""Feedback (phản ánh, kiến nghị): the citizen sends it from the lookup page, the resolving
unit's supervisors answer it by a working-day deadline, the answer shows on the lookup page.

Deadline: FEEDBACK_ANSWER_WORKING_DAYS (10) working days after the day it was sent, on the
project's calendar (holidays 0.109 plus the administrator's overrides).
"""
from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from citizens.models import Feedback
from citizens.services import FEEDBACK_ANSWER_WORKING_DAYS, MSG_ALREADY_ANSWERED, feedback_answer, feedback_submit
from dossiers.models import CalendarOverride
from dossiers.roles import LEADER, OFFICER
from dossiers.selectors import calendar_invalidate
from tests.citizens.test_public_fixtures import (  # noqa: F401 (fixtures)
    PHONE_LAST4, at, make_user, org, procedures, register, returned, verify, world,
)

pytestmark = pytest.mark.django_db


def test_deadline_is_ten_working_days():
    assert FEEDBACK_ANSWER_WORKING_DAYS == 10


@pytest.mark.parametrize(("sent", "due"), [
    (at(2022, 1, 28, 16), date(2022, 2, 18)),   # Fri before Tết (31/01–04/02 off): 7–11/2, 14–18/2
    (at(2022, 1, 29, 10), date(2022, 2, 18)),   # Sat 29/01: the count starts after it all the same
    (at(2022, 4, 8, 9), date(2022, 4, 25)),     # Fri; Mon 11/04 nghỉ bù Giỗ Tổ
    (at(2022, 6, 1, 9), date(2022, 6, 15)),     # an ordinary fortnight
])
def test_answer_due_counts_working_days_over_holidays(world, sent, due):
    f = feedback_submit(dossier=register(world), kind="complaint", content="Chậm trả kết quả", at=sent)
    assert f.answer_due == due
    assert f.submitted_on == timezone.localdate(sent)
    assert f.unit == world["org"]["justice"]
    assert f.state == Feedback.State.OPEN


def test_answer_due_follows_the_administrators_overrides(world):
    CalendarOverride.objects.create(date=date(2022, 6, 10), is_working_day=False, reason="Nghỉ thử", legal_source="TB 1/TB")
    calendar_invalidate()
    f = feedback_submit(dossier=register(world), kind="proposal", content="Đề nghị", at=at(2022, 6, 1, 9))
    assert f.answer_due == date(2022, 6, 16)


@pytest.mark.parametrize(("kind", "content", "keys"), [
    ("complaint", "   ", {"content"}),
    ("praise", "Tốt", {"kind"}),
    ("complaint", "x" * 4001, {"content"}),
])
def test_feedback_errors_are_keyed_by_field(world, kind, content, keys):
    with pytest.raises(ValidationError) as exc:
        feedback_submit(dossier=register(world), kind=kind, content=content)
    assert set(exc.value.message_dict) == keys
    assert not Feedback.objects.exists()


def test_citizen_sends_feedback_from_the_lookup_page(client, returned):
    verify(client, returned.code, PHONE_LAST4)
    url = reverse("citizens:public_feedback", args=[returned.code])
    bad = client.post(url, {"kind": "complaint", "content": ""})
    assert bad.status_code == 400
    assert "Vui lòng nhập nội dung phản ánh, kiến nghị." in bad.content.decode()
    assert not Feedback.objects.exists()
    r = client.post(url, {"kind": "complaint", "content": "Phải đi lại hai lần"}, follow=True)
    html = r.content.decode()
    f = Feedback.objects.get()
    assert (f.dossier, f.kind, f.unit) == (returned, "complaint", returned.resolving_unit)
    assert "Phải đi lại hai lần" in html and "Chờ trả lời" in html
    assert f"{f.answer_due:%d/%m/%Y}" in html


# --- supervisors ---------------------------------------------------------------------------


@pytest.fixture
def people(world):
    org = world["org"]
    return {
        "leader": world["people"]["leader"],  # Sở Tư pháp, the resolving unit
        "officer": world["people"]["officer"],  # Sở Tư pháp, not a supervisor
        "province": make_user("lead_province", "An", "Vũ", org["province"], LEADER),  # parent of every unit
        "sibling": make_user("lead_build", "Bình", "Cao", org["construction"], LEADER),
        "plain": make_user("clerk_2", "Chi", "Mai", org["justice"], OFFICER),
    }


def test_supervisor_list_open_first_soonest_first_overdue_red(client, world, people):
    d = register(world)
    today = timezone.localdate()
    old = feedback_submit(dossier=d, kind="complaint", content="Cũ, quá hạn", at=at(2022, 3, 1))
    new = feedback_submit(dossier=d, kind="proposal", content="Mới gửi")
    done = feedback_submit(dossier=d, kind="complaint", content="Đã trả lời", at=at(2022, 2, 1))
    feedback_answer(feedback=done, answer="Đã xử lý", actor=people["leader"], at=at(2022, 2, 10))
    assert new.answer_due > today > old.answer_due
    client.force_login(people["leader"])
    r = client.get(reverse("citizens:feedback_list"))
    assert r.status_code == 200
    rows = [row["f"].pk for row in r.context["rows"]]
    assert rows == [old.pk, new.pk, done.pk]
    overdue = {row["f"].pk: row["overdue"] for row in r.context["rows"]}
    assert overdue == {old.pk: True, new.pk: False, done.pk: False}
    html = r.content.decode()
    assert html.count('class="fb-overdue"') == 1 and "Quá hạn trả lời" in html
    # the menu entry with the open count
    menu = [i for g in r.context["nav"]["groups"] for i in g["items"] if i["label"] == "Phản ánh, kiến nghị"]
    assert menu and menu[0]["count"] == 2 and menu[0]["active"]


def test_subtree_sees_it_others_get_404_or_403(client, world, people):
    f = feedback_submit(dossier=register(world), kind="complaint", content="Thái độ")
    detail = reverse("citizens:feedback_detail", args=[f.pk])
    for who in ("leader", "province"):
        client.force_login(people[who])
        assert client.get(detail).status_code == 200
        assert [row["f"].pk for row in client.get(reverse("citizens:feedback_list")).context["rows"]] == [f.pk]
    client.force_login(people["sibling"])
    assert client.get(detail).status_code == 404
    assert client.post(detail, {"answer": "Không phải việc của tôi"}).status_code == 404
    assert client.get(reverse("citizens:feedback_list")).context["rows"] == []
    for who in ("officer", "plain"):
        client.force_login(people[who])
        assert client.get(detail).status_code == 403
        assert client.get(reverse("citizens:feedback_list")).status_code == 403
        nav = client.get(reverse("dossiers:search")).context["nav"]
        labels = [i["label"] for g in nav["groups"] for i in g["items"]]
        assert "Tra cứu hồ sơ" in labels and "Phản ánh, kiến nghị" not in labels
    client.logout()
    assert client.get(detail).status_code == 302  # to the login page
    f.refresh_from_db()
    assert f.state == Feedback.State.OPEN


def test_answer_once_and_the_citizen_reads_it(client, world, people):
    d = register(world)
    f = feedback_submit(dossier=d, kind="proposal", content="Nên nhắn tin khi có kết quả")
    detail = reverse("citizens:feedback_detail", args=[f.pk])
    client.force_login(people["province"])
    empty = client.post(detail, {"answer": "  "})
    assert empty.status_code == 400 and "Vui lòng nhập nội dung trả lời." in empty.content.decode()
    r = client.post(detail, {"answer": "Sở sẽ triển khai nhắn tin từ tháng sau."})
    assert r.status_code == 302
    f.refresh_from_db()
    assert (f.state, f.answered_by, f.answered_on) == (Feedback.State.ANSWERED, people["province"], timezone.localdate())
    again = client.post(detail, {"answer": "Trả lời lần hai"})
    assert again.status_code == 400
    with pytest.raises(ValidationError) as exc:
        feedback_answer(feedback=f, answer="Lần ba", actor=people["leader"])
    assert exc.value.message_dict == {"answer": [str(MSG_ALREADY_ANSWERED)]}
    f.refresh_from_db()
    assert f.answer == "Sở sẽ triển khai nhắn tin từ tháng sau."
    citizen = client.__class__()
    verify(citizen, d.code, PHONE_LAST4)
    html = citizen.get(reverse("citizens:public_dossier", args=[d.code])).content.decode()
    assert "Sở sẽ triển khai nhắn tin từ tháng sau." in html
    assert "Vũ" not in html and "lead_province" not in html  # the answer carries no name
