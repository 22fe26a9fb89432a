"""Pages of the processing officer and the leader (dossiers.views.processing).

Every dossier here is made and moved by the real services (no hand-set states). Label and
control-sheet cases use explicit 2022 instants (holidays 0.109: Tết 31/01–04/02/2022); list
cases that depend on "today" build their due dates from the calendar relative to today.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from dossiers.calendar import LOCAL_TZ
from dossiers.models import Dossier, DossierPause, Field, Procedure, ProcedureStep, StaffProfile, Unit
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, OFFICER, role_group_name
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle
from dossiers.templatetags.onecua import deadline_label
from dossiers.views.processing import PAGE_SIZE
from dossiers.workflow import DossierState

pytestmark = pytest.mark.django_db

APPLICANT = {"name": "Nguyễn Thị Hoa", "id_number": "017190004321", "phone": "0912000111", "address": "Tổ 3, phường Tân Thịnh"}
MSG_CONFLICT_START = "vừa được người khác cập nhật"


def at(y, m, d, hh=9, mm=0) -> datetime:
    """An aware local (Asia/Ho_Chi_Minh) instant."""
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def org(db):
    """Province → centre (counter), Sở Tư pháp and Sở Xây dựng (siblings)."""
    province = Unit.objects.create(code="000.00.00.H23", name="UBND tỉnh Hòa Bình", level="province", kind="people_committee", place="Hòa Bình")
    centre = Unit.objects.create(code="000.00.31.H23", name="Trung tâm Phục vụ hành chính công tỉnh Hòa Bình",
                                 level="province", kind="service_centre", parent=province)
    justice = Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp", level="province", kind="agency", parent=province)
    construction = Unit.objects.create(code="000.00.14.H23", name="Sở Xây dựng", level="province", kind="agency", parent=province)
    return {"province": province, "centre": centre, "justice": justice, "construction": construction}


@pytest.fixture
def procs(org):
    civil = Field.objects.create(name="Hộ tịch")
    building = Field.objects.create(name="Xây dựng")
    days5 = Procedure.objects.create(code="1.000001", name="Cấp bản sao trích lục hộ tịch", field=civil, processing_time=5,
                                     time_unit="working_days", resolving_unit=org["justice"], documents="Tờ khai\nBản sao CCCD")
    days10 = Procedure.objects.create(code="1.000010", name="Cấp phiếu lý lịch tư pháp", field=civil, processing_time=10,
                                      time_unit="working_days", resolving_unit=org["justice"])
    hours4 = Procedure.objects.create(code="2.000004", name="Chứng thực chữ ký", field=civil, processing_time=4,
                                      time_unit="working_hours", resolving_unit=org["justice"], on_the_spot=True)
    lt = Procedure.objects.create(code="1.009999", name="Cấp giấy phép xây dựng có lấy ý kiến", field=building, processing_time=10,
                                  time_unit="working_days", resolving_unit=org["construction"])
    ProcedureStep.objects.create(procedure=lt, order=1, name="Thẩm định hồ sơ", unit=org["construction"], allotted_time=3)
    ProcedureStep.objects.create(procedure=lt, order=2, name="Lấy ý kiến Sở Tư pháp", unit=org["justice"], allotted_time=5)
    ProcedureStep.objects.create(procedure=lt, order=3, name="Phê duyệt", unit=None, allotted_time=2)
    building5 = Procedure.objects.create(code="1.000014", name="Cấp chứng chỉ hành nghề xây dựng", field=building, processing_time=5,
                                         time_unit="working_days", resolving_unit=org["construction"])
    return {"days5": days5, "days10": days10, "hours4": hours4, "lien_thong": lt, "building5": building5}


def _user(username, full_name, unit, role):
    u = get_user_model().objects.create_user(username=username, password=None, first_name=full_name)  # force_login
    StaffProfile.objects.create(user=u, unit=unit, phone="0218 3852 111")
    if role:
        u.groups.add(Group.objects.get(name=role_group_name(role)))
    return u


@pytest.fixture
def people(org):
    return {
        "clerk": _user("clerk", "Trần Thị Lan", org["centre"], COUNTER_CLERK),
        "officer": _user("officer", "Lê Văn Bình", org["justice"], OFFICER),
        "officer2": _user("officer2", "Đỗ Thị Mai", org["justice"], OFFICER),
        "builder": _user("builder", "Phạm Văn Cường", org["construction"], OFFICER),
        "leader": _user("leader", "Hoàng Văn Dũng", org["justice"], LEADER),
        "builder_leader": _user("bleader", "Vũ Thị Hạnh", org["construction"], LEADER),
        "province_leader": _user("pleader", "Ngô Quang Minh", org["province"], LEADER),
        "admin": _user("admin", "Quản trị", org["province"], ADMINISTRATOR),
        "no_role": _user("norole", "Nguyễn Văn Tập Sự", org["justice"], None),
    }


def register(procedure, org, received_at, **kw) -> Dossier:
    return lifecycle.dossier_register(
        procedure=procedure, receiving_unit=org["centre"], channel=kw.pop("channel", "direct"),
        applicant=kw.pop("applicant", APPLICANT), received_at=received_at, **kw,
    )


def client_for(client, user):
    client.force_login(user)
    return client


def received_for_due(target: date, n: int) -> datetime:
    """The 09:00 receipt instant that gives an n-working-day dossier the due date `target`."""
    cal = calendar_get()
    r = target
    for _ in range(n):
        r = cal.previous_working_day(r)
    return datetime.combine(r, time(9, 0), tzinfo=LOCAL_TZ)


def rows_in(html: str) -> list[str]:
    """Dossier codes of the list rows, in page order."""
    return re.findall(r'<tr data-code="([^"]+)"', html)


def row_html(html: str, code: str) -> str:
    m = re.search(r'<tr data-code="' + re.escape(code) + r'">(.*?)</tr>', html, re.S)
    assert m, f"row {code} not on the page"
    return m.group(1)


def handoff_rows(html: str) -> list[str]:
    """The hand-off rows of Mẫu 05 (each row holds a nested signers table)."""
    body = html.split("</tbody>")[0]
    return body.split('<tr class="handoff-row">')[1:]


def fresh(d: Dossier) -> Dossier:
    return Dossier.objects.get(pk=d.pk)


def hand_over(d: Dossier, when: datetime | None = None) -> Dossier:
    """The counter's hand-over to the first processing unit (D18), as the system, once."""
    d = fresh(d)
    if d.state == DossierState.RECEIVED:
        d = lifecycle.dossier_transfer(dossier=d, actor=None, at=when or d.received_at)
    return d


# --- the deadline label rule -----------------------------------------------------------------


class TestDeadlineLabel:
    """deadline_label: one rule for every page (templatetags/onecua.py)."""

    @pytest.mark.parametrize("today, key, text", [
        (date(2022, 1, 28), "within", "Trong hạn"),    # Fri, receipt day: next working day is 07/02 (Tết)
        (date(2022, 2, 9), "within", "Trong hạn"),     # Wed: next working day 10/02 < due 11/02
        (date(2022, 2, 10), "soon", "Sắp đến hạn"),    # Thu: due on the next working day
        (date(2022, 2, 11), "soon", "Sắp đến hạn"),    # Fri: due today
        (date(2022, 2, 12), "overdue", "Quá hạn"),     # Sat after the due date
        (date(2022, 2, 14), "overdue", "Quá hạn"),     # Mon
    ])
    def test_open_dossier_label_follows_the_calendar(self, procs, org, today, key, text):
        """Received Fri 28/01/2022, 5 working days → due Fri 11/02/2022 (Tết skipped); the label
        is green before the last working day, amber on the day before and on the due day, red after."""
        d = register(procs["days5"], org, at(2022, 1, 28))
        assert d.due_date == date(2022, 2, 11)
        label = deadline_label(d, today, calendar_get())
        assert (label.key, label.text) == (key, text)
        assert f'class="label label-{key}"' in label.__html__()

    def test_due_before_a_weekend_is_soon_on_friday(self, procs, org):
        """Due Mon 14/02/2022: on Fri 11/02 the next working day is Monday, so it is already amber."""
        d = register(procs["days5"], org, at(2022, 2, 7))
        assert d.due_date == date(2022, 2, 14)
        assert deadline_label(d, date(2022, 2, 10), calendar_get()).key == "within"
        assert deadline_label(d, date(2022, 2, 11), calendar_get()).key == "soon"

    def test_paused_dossier_is_grey_whatever_the_date(self, procs, org, people):
        """A dossier waiting for a supplement shows Tạm dừng, even long after the old due date;
        the tooltip tells whether it was already overdue when paused."""
        d = register(procs["days5"], org, at(2022, 1, 28))
        d = hand_over(d)
        lifecycle.dossier_request_supplement(dossier=d, actor=None, reason="Thiếu tờ khai", at=at(2022, 2, 8, 10))
        d = fresh(d)
        label = deadline_label(d, date(2022, 3, 1), calendar_get())
        assert label.key == "paused" and label.text == "Tạm dừng"
        assert "đã quá hạn" not in label.title

        late = register(procs["days5"], org, at(2022, 1, 28))
        late = hand_over(late)
        lifecycle.dossier_request_supplement(dossier=late, actor=None, reason="Thiếu", at=at(2022, 2, 15, 10))
        assert "đã quá hạn" in deadline_label(fresh(late), date(2022, 3, 1), calendar_get()).title

    @pytest.mark.parametrize("resolved, key, text", [
        (at(2022, 2, 10, 16), "early", "Trước hạn"),
        (at(2022, 2, 11, 16), "on_time", "Đúng hạn"),
        (at(2022, 2, 14, 8), "late", "Trễ hạn"),
    ])
    def test_resolved_dossier_shows_its_class(self, procs, org, people, resolved, key, text):
        """Resolved dossiers show the class of D9, not the open-dossier colours."""
        d = register(procs["days5"], org, at(2022, 1, 28))
        d = hand_over(d)
        lifecycle.dossier_approve(dossier=d, actor=people["leader"], at=resolved)
        label = deadline_label(fresh(d), date(2022, 6, 1), calendar_get())
        assert (label.key, label.text) == (key, text)

    def test_hour_deadline_is_overdue_after_due_at_on_the_day(self, procs, org):
        """4 working hours from Tue 01/03/2022 08:00 → 13:30 (lunch 11:30–13:00 not counted):
        at 13:00 it is amber, at 14:00 on the same day it is already red."""
        d = register(procs["hours4"], org, at(2022, 3, 1, 8))
        assert timezone.localtime(d.due_at).time() == time(13, 30)
        cal = calendar_get()
        assert deadline_label(d, date(2022, 3, 1), cal, now=at(2022, 3, 1, 13)).key == "soon"
        assert deadline_label(d, date(2022, 3, 1), cal, now=at(2022, 3, 1, 14)).key == "overdue"

    def test_submitted_online_dossier_has_no_label(self, procs, org):
        d = register(procs["days5"], org, at(2022, 1, 28), channel="online", submit_only=True)
        assert deadline_label(d, date(2022, 2, 1), calendar_get()) is None


# --- lists -----------------------------------------------------------------------------------


class TestLists:
    def test_processing_list_labels_and_urgency_order(self, client, procs, org, people):
        """Due soonest first (overdue at the top); each row carries its coloured label; dates
        are dd/mm/yyyy."""
        cal = calendar_get()
        today = timezone.localdate()
        far = register(procs["days10"], org, received_for_due(cal.add_working_days(today, 4), 10))
        overdue = register(procs["days5"], org, received_for_due(cal.previous_working_day(today), 5))
        soon = register(procs["days5"], org, received_for_due(cal.next_working_day(today), 5))
        html = client_for(client, people["officer"]).get(reverse("dossiers:list", args=["processing"])).content.decode()
        assert rows_in(html) == [overdue.code, soon.code, far.code]
        assert "label-overdue" in row_html(html, overdue.code)
        assert "label-soon" in row_html(html, soon.code)
        assert "label-within" in row_html(html, far.code)
        assert f"{soon.due_date:%d/%m/%Y}" in row_html(html, soon.code)

    def test_an_hours_deadline_on_the_same_day_comes_before_the_close_of_that_day(self, client, procs, org, people):
        """The order is the deadline instant's: on one due date, 12:00 before 17:00."""
        cal = calendar_get()
        day = cal.previous_working_day(timezone.localdate())
        by_day = register(procs["days5"], org, received_for_due(day, 5))  # due 17:00 on `day`
        by_hours = register(procs["hours4"], org, datetime.combine(day, time(8, 0), tzinfo=LOCAL_TZ))
        earlier = register(procs["days5"], org, received_for_due(cal.previous_working_day(day), 5))
        assert by_hours.due_date == by_day.due_date == day and by_hours.due_at < by_day.due_at
        html = client_for(client, people["officer"]).get(reverse("dossiers:list", args=["processing"])).content.decode()
        assert rows_in(html) == [earlier.code, by_hours.code, by_day.code]

    @pytest.mark.parametrize("params", [{}, {"page": "1"}, {"channel": "postal"}, {"unit": "construction"}])
    def test_the_count_is_the_rows_the_user_may_see(self, client, procs, org, people, params):
        """The header's "N hồ sơ" (and the pages) equal the visible rows of the tab, with and
        without filters, for a user who sees a liên thông dossier only through its step."""
        from dossiers.selectors import dossiers_visible_to

        for i in range(3):
            register(procs["days5"], org, at(2022, 3, 1, 8 + i), channel=("direct", "postal")[i % 2])
        register(procs["lien_thong"], org, at(2022, 3, 2), channel="postal")
        register(procs["building5"], org, at(2022, 3, 3))
        if "unit" in params:
            params = {"unit": org["construction"].pk}
        for who in ("builder", "officer", "province_leader", "clerk"):
            user = people[who]
            r = client_for(client, user).get(reverse("dossiers:list", args=["processing"]), params)
            shown = r.context["page_obj"].paginator.count
            expected = dossiers_visible_to(user).filter(state__in=("received", "in_processing"))
            if "channel" in params:
                expected = expected.filter(channel=params["channel"])
            if "unit" in params and who in ("builder", "province_leader"):  # a unit they may choose
                expected = expected.filter(Q(current_unit=org["construction"]) | Q(resolving_unit=org["construction"]))
            assert shown == expected.count() == len(rows_in(r.content.decode())), who

    def test_supplement_tab_shows_paused_dossiers_grey(self, client, procs, org, people):
        d = register(procs["days5"], org, at(2022, 1, 28))
        d = hand_over(d)
        lifecycle.dossier_request_supplement(dossier=d, actor=None, reason="Thiếu tờ khai", at=at(2022, 2, 8, 10))
        c = client_for(client, people["officer"])
        html = c.get(reverse("dossiers:list", args=["supplement"])).content.decode()
        assert "label-paused" in row_html(html, d.code)
        assert d.code not in rows_in(c.get(reverse("dossiers:list", args=["processing"])).content.decode())

    def test_result_and_returned_tabs(self, client, procs, org, people):
        """Approved and refused dossiers wait at the counter; returned ones move to their own tab."""
        approved = register(procs["days5"], org, at(2022, 1, 28))
        approved = hand_over(approved)
        lifecycle.dossier_approve(dossier=approved, actor=people["leader"], at=at(2022, 2, 10))
        returned = register(procs["days5"], org, at(2022, 1, 28))
        returned = hand_over(returned)
        lifecycle.dossier_approve(dossier=returned, actor=people["leader"], at=at(2022, 2, 14))
        lifecycle.dossier_return_result(dossier=returned, actor=people["clerk"], at=at(2022, 2, 15))
        c = client_for(client, people["clerk"])
        result = c.get(reverse("dossiers:list", args=["result"])).content.decode()
        assert rows_in(result) == [approved.code]
        assert "label-early" in row_html(result, approved.code)
        done = c.get(reverse("dossiers:list", args=["returned"])).content.decode()
        assert rows_in(done) == [returned.code]
        assert "label-late" in row_html(done, returned.code)

    def test_unknown_tab_is_404(self, client, people):
        assert client_for(client, people["officer"]).get(reverse("dossiers:list", args=["nope"])).status_code == 404

    def test_lists_require_login(self, client):
        r = client.get(reverse("dossiers:list", args=["processing"]))
        assert r.status_code == 302 and "/login/" in r["Location"]

    def test_staff_see_own_unit_leaders_their_subtree(self, client, procs, org, people):
        """A Sở Xây dựng officer does not see a Sở Tư pháp dossier; the province leader does."""
        d = register(procs["days5"], org, at(2022, 1, 28))
        url = reverse("dossiers:list", args=["processing"])
        assert d.code not in rows_in(client_for(client, people["builder"]).get(url).content.decode())
        assert d.code in rows_in(client_for(client, people["officer"]).get(url).content.decode())
        assert d.code in rows_in(client_for(client, people["province_leader"]).get(url).content.decode())

    def test_filters(self, client, procs, org, people):
        """Procedure (code or name), field, channel and receipt-date range narrow the list."""
        a = register(procs["days5"], org, at(2022, 1, 28), channel="direct")
        b = register(procs["days10"], org, at(2022, 3, 1), channel="postal")
        lt = register(procs["lien_thong"], org, at(2022, 3, 2), channel="online")
        c = client_for(client, people["province_leader"])
        url = reverse("dossiers:list", args=["processing"])

        def codes(**params):
            return set(rows_in(c.get(url, params).content.decode()))

        assert codes() == {a.code, b.code, lt.code}
        assert codes(procedure="1.000010") == {b.code}
        assert codes(procedure="trích lục") == {a.code}
        assert codes(field=procs["lien_thong"].field_id) == {lt.code}
        assert codes(channel="postal") == {b.code}
        assert codes(date_from="01/03/2022") == {b.code, lt.code}
        assert codes(date_from="01/03/2022", date_to="01/03/2022") == {b.code}
        assert codes(unit=org["construction"].pk) == {lt.code}
        # a malformed date is reported and ignored, not a server error
        r = c.get(url, {"date_from": "32/13/2022"})
        assert r.status_code == 200 and "dd/mm/yyyy" in r.content.decode()

    def test_pagination_thirty_rows(self, client, procs, org, people):
        for i in range(PAGE_SIZE + 5):
            register(procs["days5"], org, at(2022, 3, 1, 8) + timezone.timedelta(minutes=i))
        c = client_for(client, people["officer"])
        url = reverse("dossiers:list", args=["processing"])
        first = c.get(url).content.decode()
        second = c.get(url, {"page": 2}).content.decode()
        assert len(rows_in(first)) == PAGE_SIZE
        assert len(rows_in(second)) == 5
        assert not set(rows_in(first)) & set(rows_in(second))
        assert '<td class="num">31</td>' in second  # STT continues across pages

    def test_list_query_count_does_not_grow_with_rows(self, client, procs, org, people, django_assert_max_num_queries):
        """No N+1: a page of 30 rows costs the same number of queries as a page of 2."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        c = client_for(client, people["leader"])
        url = reverse("dossiers:list", args=["processing"])
        for i in range(2):
            register(procs["lien_thong"], org, at(2022, 3, 1, 8, i))
        c.get(url)  # warm the calendar cache
        with CaptureQueriesContext(connection) as frame:  # session, user, menu counts: every page
            c.get(reverse("dossiers:inbox"))
        with CaptureQueriesContext(connection) as small:
            c.get(url)
        for i in range(2, PAGE_SIZE + 3):
            d = register(procs["days5"], org, at(2022, 3, 1, 9, i))
            d = hand_over(d)
            lifecycle.dossier_assign(dossier=d, actor=people["leader"], officer=people["officer"], at=at(2022, 3, 2))
        with django_assert_max_num_queries(len(small.captured_queries)):
            r = c.get(url)
        assert len(rows_in(r.content.decode())) == PAGE_SIZE
        # the list's own work: visible units, filter choices, count, rows (+ role/unit lookups),
        # and for a unit scope the parts of the visibility rule: the steps' dossier ids and the
        # first rows of each of the 3 unit parts (selectors.dossiers_scoped_top)
        assert len(small.captured_queries) - len(frame.captured_queries) <= 6 + 4

    def test_inbox_lists_my_open_dossiers_soonest_first(self, client, procs, org, people):
        late = register(procs["days5"], org, at(2022, 1, 28))
        early = register(procs["days10"], org, at(2022, 3, 1))
        other = register(procs["days5"], org, at(2022, 1, 28))
        done = register(procs["days5"], org, at(2022, 1, 28))
        for d in (early, late, done):
            d = hand_over(d)
            lifecycle.dossier_assign(dossier=d, actor=people["leader"], officer=people["officer"], at=at(2022, 3, 2))
        other = hand_over(other)
        lifecycle.dossier_assign(dossier=other, actor=people["leader"], officer=people["officer2"], at=at(2022, 3, 2))
        done = hand_over(done)
        lifecycle.dossier_approve(dossier=done, actor=people["leader"], at=at(2022, 3, 3))
        html = client_for(client, people["officer"]).get(reverse("dossiers:inbox")).content.decode()
        assert rows_in(html) == [late.code, early.code]

    def test_search_by_code_name_and_cccd(self, client, procs, org, people):
        a = register(procs["days5"], org, at(2022, 1, 28))
        b = register(procs["days5"], org, at(2022, 1, 28), applicant={"name": "Bùi Văn Khánh", "id_number": "017090009999"})
        hidden = register(procs["building5"], org, at(2022, 1, 28), applicant={"name": "Bùi Văn Khánh", "id_number": "017090009999"})
        c = client_for(client, people["officer"])
        url = reverse("dossiers:search")

        def codes(q):
            r = c.get(url, {"q": q})
            assert r.status_code == 200
            return set(rows_in(r.content.decode()))

        assert codes(a.code) == {a.code}
        assert a.code in codes(a.code[:-2])               # the start of the code (issue 19: prefix, indexed)
        assert codes("Khánh") == {b.code}                 # the Sở Xây dựng dossier is not visible here
        assert codes("bui van khanh") == {b.code}         # without diacritics (dossiers.search.fold)
        assert codes("017090009999") == {b.code}          # CCCD: exactly 12 digits
        assert codes("01709000999") == set()              # 11 digits are not a CCCD
        assert hidden.code not in codes(hidden.code)
        assert c.get(url).status_code == 200              # the empty search page


# --- the dossier page ------------------------------------------------------------------------


class TestDetail:
    def test_page_shows_header_steps_and_history(self, client, procs, org, people):
        d = register(procs["lien_thong"], org, at(2022, 3, 1), actor=people["clerk"])
        html = client_for(client, people["builder"]).get(reverse("dossiers:detail", args=[d.code])).content.decode()
        assert d.code in html and procs["lien_thong"].name in html and APPLICANT["name"] in html
        assert f"{d.due_date:%d/%m/%Y}" in html and d.due_text in html
        assert "Thẩm định hồ sơ" in html and "Lấy ý kiến Sở Tư pháp" in html  # the progress line
        assert "Tiếp nhận hồ sơ" in html and "Trần Thị Lan" in html          # the receive event

    def test_sibling_unit_gets_404(self, client, procs, org, people):
        """Staff see their own unit's dossiers only: a Sở Xây dựng officer gets 404 on a Sở Tư pháp one."""
        d = register(procs["days5"], org, at(2022, 1, 28))
        c = client_for(client, people["builder"])
        for url in (
            reverse("dossiers:detail", args=[d.code]),
            reverse("dossiers:control_sheet", args=[d.code]),
            reverse("dossiers:receipt", args=[d.code]),
        ):
            assert c.get(url).status_code == 404, url
        r = c.post(reverse("dossiers:action", args=[d.code, "assign"]), {"assign-version": d.version, "assign-officer": people["builder"].pk})
        assert r.status_code == 404
        assert fresh(d).state == "received"

    def test_province_leader_sees_the_dossier(self, client, procs, org, people):
        d = register(procs["days5"], org, at(2022, 1, 28))
        assert client_for(client, people["province_leader"]).get(reverse("dossiers:detail", args=[d.code])).status_code == 200

    def test_only_the_actions_of_my_role_are_offered(self, client, procs, org, people):
        """D17: at the counter only the clerk acts (hand over, withdrawal); once handed over the
        officer may take the dossier or ask for a supplement, not approve; the leader may assign
        and decide; a parent unit's leader and a staff member without a role see, never act."""
        d = register(procs["days5"], org, at(2022, 1, 28))

        def offered(user):
            html = client_for(client, user).get(reverse("dossiers:detail", args=[d.code])).content.decode()
            return set(re.findall(r'data-action="([^"]+)"', html))

        assert offered(people["clerk"]) == {"transfer", "withdraw"}
        assert offered(people["officer"]) == set()
        assert offered(people["leader"]) == {"refuse", "apologize"}
        d = hand_over(d)
        assert offered(people["officer"]) == {"assign"}  # takes it first; then acts
        # a single step at the lead unit: its final step, so approve and stop (D16) are possible
        assert offered(people["leader"]) == {"assign", "request-supplement", "approve", "refuse", "stop", "apologize"}
        assert offered(people["clerk"]) == {"withdraw"}
        assert offered(people["province_leader"]) == set()
        assert offered(people["no_role"]) == set()

    def test_transfer_confirmation_names_the_next_unit(self, client, procs, org, people):
        d = register(procs["lien_thong"], org, at(2022, 3, 1))
        d = hand_over(d)
        lifecycle.dossier_assign(dossier=d, actor=people["builder"], officer=people["builder"], at=at(2022, 3, 1, 10))
        html = client_for(client, people["builder"]).get(reverse("dossiers:detail", args=[d.code])).content.decode()
        assert "chuyển hồ sơ sang Sở Tư pháp" in html

    def test_role_without_the_action_gets_403(self, client, procs, org, people):
        d = hand_over(register(procs["days5"], org, at(2022, 1, 28)))
        r = client_for(client, people["officer"]).post(reverse("dossiers:action", args=[d.code, "approve"]), {"approve-version": d.version})
        assert r.status_code == 403
        r = client_for(client, people["clerk"]).post(reverse("dossiers:action", args=[d.code, "assign"]), {"assign-version": d.version})
        assert r.status_code == 403
        assert fresh(d).state == "in_processing"

    def test_unknown_action_is_404(self, client, procs, org, people):
        d = register(procs["days5"], org, at(2022, 1, 28))
        assert client_for(client, people["leader"]).post(reverse("dossiers:action", args=[d.code, "explode"])).status_code == 404

    def test_get_on_an_action_url_opens_the_dossier_page(self, client, procs, org, people):
        d = hand_over(register(procs["days5"], org, at(2022, 1, 28)))
        r = client_for(client, people["leader"]).get(reverse("dossiers:action", args=[d.code, "approve"]))
        assert r.status_code == 302 and r["Location"].endswith("#action-approve")


# --- actions through the page ----------------------------------------------------------------


def post_action(client, d, action, **fields):
    data = {f"{action}-version": fresh(d).version}
    data.update({f"{action}-{k}": v for k, v in fields.items()})
    return client.post(reverse("dossiers:action", args=[d.code, action]), data)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


class TestActions:
    def test_officer_assigns_to_self_and_requests_a_supplement(self, client, procs, org, people):
        d = register(procs["days5"], org, at(2022, 1, 28))
        r = post_action(client_for(client, people["clerk"]), d, "transfer")  # the counter hands it over
        assert r.status_code == 302 and fresh(d).handed_over_at is not None
        c = client_for(client, people["officer"])
        r = post_action(c, d, "assign", officer=people["officer"].pk)
        assert r.status_code == 302
        d = fresh(d)
        assert (d.state, d.assigned_to, d.current_unit) == ("in_processing", people["officer"], org["justice"])
        assert any(f"Đã giao hồ sơ {d.code} cho Lê Văn Bình" in m for m in messages_of(r))

        r = post_action(c, d, "request-supplement", reason="Thiếu bản sao giấy khai sinh", documents="Bản sao giấy khai sinh\nTờ khai có chữ ký")
        assert r.status_code == 302
        d = fresh(d)
        assert d.state == "awaiting_supplement" and d.paused_at is not None
        pause = DossierPause.objects.get(dossier=d)
        msg = " ".join(messages_of(r))
        assert d.code in msg and reverse("dossiers:supplement_slip", args=[d.code, pause.pk]) in msg

    def test_officer_assigns_only_inside_the_processing_unit(self, client, procs, org, people):
        """The choice is the officers and leaders of the unit of the step to work on: a Sở Xây
        dựng officer is refused for a Sở Tư pháp dossier; a colleague of the unit is fine."""
        d = hand_over(register(procs["days5"], org, at(2022, 1, 28)))
        c = client_for(client, people["officer"])
        r = post_action(c, d, "assign", officer=people["builder"].pk)
        assert r.status_code == 400 and "Chọn một lựa chọn hợp lệ" not in r.content.decode()
        assert fresh(d).assigned_to is None
        # an officer takes it himself; only the leader assigns a colleague (D17)
        assert post_action(c, d, "assign", officer=people["officer2"].pk).status_code == 400
        assert post_action(c, d, "assign", officer=people["officer"].pk).status_code == 302
        assert fresh(d).assigned_to == people["officer"]

    def test_assign_form_offers_myself_first(self, client, procs, org, people):
        d = hand_over(register(procs["days5"], org, at(2022, 1, 28)))
        html = client_for(client, people["officer"]).get(reverse("dossiers:detail", args=[d.code])).content.decode()
        select = re.search(r'<select name="assign-officer".*?</select>', html, re.S).group(0)
        assert f'<option value="{people["officer"].pk}" selected>' in select
        assert "Đỗ Thị Mai" not in select  # an officer takes it himself only
        html = client_for(client, people["leader"]).get(reverse("dossiers:detail", args=[d.code])).content.decode()
        select = re.search(r'<select name="assign-officer".*?</select>', html, re.S).group(0)
        assert "Đỗ Thị Mai" in select and "Lê Văn Bình" in select and "Hoàng Văn Dũng" in select
        assert "Phạm Văn Cường" not in select and "Trần Thị Lan" not in select

    def test_leader_assigns_an_officer_of_the_unit(self, client, procs, org, people):
        d = hand_over(register(procs["days5"], org, at(2022, 1, 28)))
        c = client_for(client, people["leader"])
        assert post_action(c, d, "assign", officer=people["builder"].pk).status_code == 400  # not of Sở Tư pháp
        assert post_action(c, d, "assign", officer=people["officer2"].pk).status_code == 302
        assert fresh(d).assigned_to == people["officer2"]

    def test_transfer_moves_to_the_next_unit(self, client, procs, org, people):
        d = register(procs["lien_thong"], org, at(2022, 3, 1))
        d = hand_over(d)
        lifecycle.dossier_assign(dossier=d, actor=people["builder"], officer=people["builder"], at=at(2022, 3, 1, 10))
        r = post_action(client_for(client, people["builder"]), d, "transfer", note="Đề nghị cho ý kiến")
        assert r.status_code == 302
        assert fresh(d).current_unit == org["justice"]
        assert any(f"Đã chuyển hồ sơ {d.code} sang Sở Tư pháp" in m for m in messages_of(r))

    def test_transfer_at_the_last_step_says_why(self, client, procs, org, people):
        """A replayed transfer form at the last step is refused with the service's message."""
        d = register(procs["lien_thong"], org, at(2022, 3, 1))
        d = hand_over(d)
        lifecycle.dossier_assign(dossier=d, actor=people["builder"], officer=people["builder"], at=at(2022, 3, 1, 10))
        lifecycle.dossier_transfer(dossier=d, actor=people["builder"], at=at(2022, 3, 2))
        lifecycle.dossier_assign(dossier=d, actor=people["officer"], officer=people["officer"], at=at(2022, 3, 2, 10))
        lifecycle.dossier_transfer(dossier=d, actor=people["officer"], at=at(2022, 3, 3))
        c = client_for(client, people["builder_leader"])
        assert 'data-action="transfer"' not in c.get(reverse("dossiers:detail", args=[d.code])).content.decode()
        r = post_action(c, d, "transfer")
        assert r.status_code == 409 and "Đây là bước xử lý cuối của quy trình" in r.content.decode()
        assert fresh(d).current_unit == org["construction"]

    def test_resume_moves_the_due_date(self, client, procs, org, people):
        """Paused Tue 08/02 10:00, supplement today: the due date moves later than 11/02/2022."""
        d = register(procs["days5"], org, at(2022, 1, 28))
        d = hand_over(d)
        lifecycle.dossier_request_supplement(dossier=d, actor=None, reason="Thiếu", at=at(2022, 2, 8, 10))
        r = post_action(client_for(client, people["clerk"]), d, "resume")
        assert r.status_code == 302
        d = fresh(d)
        assert d.state == "in_processing" and d.due_date > date(2022, 2, 11)
        assert any(f"{d.due_date:%d/%m/%Y}" in m for m in messages_of(r))

    def test_leader_approves_and_clerk_returns(self, client, procs, org, people):
        d = hand_over(register(procs["days5"], org, at(2022, 1, 28)))
        assert post_action(client_for(client, people["leader"]), d, "approve").status_code == 302
        d = fresh(d)
        assert d.state == "approved" and d.outcome == "approved" and d.classification == "late"
        r = post_action(client_for(client, people["clerk"]), d, "return-result", return_channel="postal")
        assert r.status_code == 302
        d = fresh(d)
        assert d.state == "returned" and d.return_channel == "postal"
        assert any(f"Đã trả kết quả hồ sơ {d.code}" in m for m in messages_of(r))

    def test_refuse_needs_a_reason(self, client, procs, org, people):
        d = register(procs["days5"], org, at(2022, 1, 28))
        c = client_for(client, people["leader"])
        r = post_action(c, d, "refuse", reason="  ")
        assert r.status_code == 400 and "Vui lòng ghi rõ lý do." in r.content.decode()
        assert fresh(d).state == "received"
        assert post_action(c, d, "refuse", reason="Không đủ điều kiện").status_code == 302
        assert fresh(d).state == "refused"

    def test_withdraw_by_the_clerk(self, client, procs, org, people):
        d = register(procs["days5"], org, at(2022, 1, 28))
        assert post_action(client_for(client, people["clerk"]), d, "withdraw", reason="Người nộp xin rút").status_code == 302
        assert fresh(d).state == "withdrawn" and fresh(d).outcome == "withdrawn"

    def test_accept_and_reject_online_submissions(self, client, procs, org, people):
        a = register(procs["days5"], org, at(2022, 3, 1), channel="online", submit_only=True)
        b = register(procs["days5"], org, at(2022, 3, 1), channel="online", submit_only=True)
        c = client_for(client, people["clerk"])
        html = c.get(reverse("dossiers:list", args=["submitted"])).content.decode()
        assert set(rows_in(html)) == {a.code, b.code}
        page = c.get(reverse("dossiers:detail", args=[a.code])).content.decode()
        assert {"accept", "reject"} <= set(re.findall(r'data-action="([^"]+)"', page))
        assert "Giấy tiếp nhận (Mẫu 01)" not in page  # not received yet
        r = post_action(c, a, "accept")
        assert r.status_code == 302 and fresh(a).state == "received" and fresh(a).due_date is not None
        assert post_action(c, b, "reject", reason="Sai thủ tục").status_code == 302
        assert fresh(b).state == "rejected"

    def test_on_the_spot_completes_in_one_sitting(self, client, procs, org, people):
        d = register(procs["hours4"], org, timezone.now() - timezone.timedelta(minutes=1), on_the_spot=True)
        c = client_for(client, people["clerk"])
        assert "on-the-spot" in c.get(reverse("dossiers:detail", args=[d.code])).content.decode()
        r = post_action(c, d, "on-the-spot")
        assert r.status_code == 302
        d = fresh(d)
        assert d.state == "returned" and d.outcome == "approved"

    def test_apology_then_mau04_shows_original_and_new_dates(self, client, procs, org, people):
        d = register(procs["days5"], org, at(2022, 1, 28))
        c = client_for(client, people["leader"])
        assert c.get(reverse("dossiers:apology_slip", args=[d.code])).status_code == 404
        r = post_action(c, d, "apologize", new_date="28/02/2022", reason="Chờ ý kiến cơ quan phối hợp")
        assert r.status_code == 302
        d = fresh(d)
        assert d.appointment_date == date(2022, 2, 28) and d.due_date == date(2022, 2, 11)
        html = c.get(reverse("dossiers:apology_slip", args=[d.code])).content.decode()
        assert "Phiếu xin lỗi và hẹn lại ngày trả kết quả" in html
        assert "Kính gửi: <strong>Nguyễn Thị Hoa</strong>" in html
        assert '<span class="original-due">ngày 11 tháng 02 năm 2022</span>' in html
        assert '<strong class="new-date">ngày 28 tháng 02 năm 2022</strong>' in html
        assert "Ngày 28 tháng 01 năm 2022" in html  # receipt date
        assert "Chờ ý kiến cơ quan phối hợp" in html and "Thủ trưởng cơ quan" in html
        # once only: the action is no longer offered, and a replayed form is refused
        assert 'data-action="apologize"' not in c.get(reverse("dossiers:detail", args=[d.code])).content.decode()
        r = post_action(c, d, "apologize", new_date="15/03/2022", reason="Lần hai")
        assert r.status_code == 409 and fresh(d).appointment_date == date(2022, 2, 28)

    def test_apology_date_must_be_dd_mm_yyyy_and_after_the_due_date(self, client, procs, org, people):
        d = register(procs["days5"], org, at(2022, 1, 28))
        c = client_for(client, people["leader"])
        r = post_action(c, d, "apologize", new_date="2022/02/28", reason="x")
        assert r.status_code == 400 and "dd/mm/yyyy" in r.content.decode()
        r = post_action(c, d, "apologize", new_date="10/02/2022", reason="x")
        assert r.status_code == 400 and "Ngày hẹn lại phải sau ngày hẹn trả hiện tại (11/02/2022)." in r.content.decode()
        assert fresh(d).apologized_at is None

    def test_version_conflict_second_person_gets_the_message(self, client, procs, org, people):
        """Two people on the same page: the first succeeds, the second (stale version) gets 409
        and the conflict message, and nothing of theirs is written."""
        d = hand_over(register(procs["days5"], org, at(2022, 1, 28)))
        seen = fresh(d).version
        c = client_for(client, people["leader"])
        r1 = c.post(reverse("dossiers:action", args=[d.code, "assign"]), {"assign-version": seen, "assign-officer": people["officer"].pk})
        assert r1.status_code == 302
        r2 = c.post(reverse("dossiers:action", args=[d.code, "assign"]), {"assign-version": seen, "assign-officer": people["officer2"].pk})
        assert r2.status_code == 409
        html = r2.content.decode()
        assert f"Hồ sơ {d.code} {MSG_CONFLICT_START}" in html
        assert 'class="msg msg-error"' in html
        assert fresh(d).assigned_to == people["officer"]

    def test_wrong_state_is_a_conflict(self, client, procs, org, people):
        d = register(procs["days5"], org, at(2022, 1, 28))
        r = post_action(client_for(client, people["clerk"]), d, "return-result", return_channel="counter")
        assert r.status_code == 409 and "không thể thực hiện" in r.content.decode()
        assert fresh(d).state == "received"

    def test_every_workflow_action_has_a_page_form(self):
        """The pages offer every action of the API (who may: the same dossiers.core), plus the
        counter's "4 tại chỗ"."""
        from dossiers.action_forms import ACTION_FORMS
        from dossiers.api.views import ACTION_APIS

        assert set(ACTION_FORMS) == set(ACTION_APIS) | {"on-the-spot"}

    def test_a_leader_of_another_unit_gets_403_with_the_reason(self, client, procs, org, people):
        """A construction leader (who sees the dossier through no rule of D17) posting an
        approval of a justice dossier: 403 naming who may; a parent leader likewise."""
        d = hand_over(register(procs["days5"], org, at(2022, 1, 28)))
        r = post_action(client_for(client, people["province_leader"]), d, "approve")
        assert r.status_code == 403
        assert "Chỉ lãnh đạo Sở Tư pháp (cơ quan chủ trì) được phê duyệt hồ sơ này." in r.content.decode()
        assert fresh(d).state == "in_processing"


# --- printed slips ---------------------------------------------------------------------------


class TestSlips:
    def test_control_sheet_shows_the_hand_offs(self, client, procs, org, people):
        """The control sheet of a liên thông dossier: centre → Sở Xây dựng → Sở Tư pháp → Sở Xây
        dựng → centre → applicant, each with its time and the receiving unit's own result (issue
        14: each row is one unit's part; the return to the counter carries the dossier's class)."""
        d = register(procs["lien_thong"], org, at(2022, 3, 1, 9), actor=people["clerk"])
        d = hand_over(d, at(2022, 3, 1, 10))
        lifecycle.dossier_assign(dossier=d, actor=people["builder"], officer=people["builder"], at=at(2022, 3, 1, 10))
        lifecycle.dossier_transfer(dossier=d, actor=people["builder"], at=at(2022, 3, 3, 14, 30))  # step 1 due 04/03: early
        lifecycle.dossier_assign(dossier=d, actor=people["leader"], officer=people["officer"], at=at(2022, 3, 4, 8))
        lifecycle.dossier_transfer(dossier=d, actor=people["officer"], at=at(2022, 3, 11, 16))      # step 2 due 11/03: on time
        lifecycle.dossier_approve(dossier=d, actor=people["builder_leader"], at=at(2022, 3, 16, 9))  # due 15/03: late
        lifecycle.dossier_return_result(dossier=d, actor=people["clerk"], at=at(2022, 3, 17, 8, 15))
        html = client_for(client, people["clerk"]).get(reverse("dossiers:control_sheet", args=[d.code])).content.decode()
        assert "Phiếu kiểm soát quá trình giải quyết hồ sơ" in html
        assert "Kèm theo hồ sơ của: Nguyễn Thị Hoa" in html
        rows = handoff_rows(html)
        text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in rows]
        assert len(text) == 5
        assert "Giao: Trung tâm Phục vụ hành chính công tỉnh Hòa Bình 2. Nhận: Sở Xây dựng" in text[0]
        assert "10 giờ 00 phút, ngày 01 tháng 3 năm 2022" in text[0] and "Trần Thị Lan" in text[0]
        assert "Trước hạn" in text[0]  # step 1 (due 04/03) done 03/03
        assert "Giao: Sở Xây dựng 2. Nhận: Sở Tư pháp" in text[1]
        assert "14 giờ 30 phút, ngày 03 tháng 3 năm 2022" in text[1] and "Đúng hạn" in text[1]  # step 2 due 11/03
        assert "Giao: Sở Tư pháp 2. Nhận: Sở Xây dựng" in text[2]
        assert "16 giờ 00 phút, ngày 11 tháng 3 năm 2022" in text[2]
        assert "Giao: Sở Xây dựng 2. Nhận: Trung tâm Phục vụ hành chính công tỉnh Hòa Bình" in text[3]
        assert "09 giờ 00 phút, ngày 16 tháng 3 năm 2022" in text[3] and "Trễ hạn" in text[3]
        assert "Nhận: Tổ chức, cá nhân: Nguyễn Thị Hoa" in text[4] and "08 giờ 15 phút, ngày 17 tháng 3 năm 2022" in text[4]
        assert "Cơ quan phối hợp giải quyết hồ sơ: Sở Tư pháp" in html

    def test_control_sheet_of_an_open_dossier_leaves_blank_rows(self, client, procs, org, people):
        d = register(procs["lien_thong"], org, at(2022, 3, 1, 9))
        d = hand_over(d)
        lifecycle.dossier_assign(dossier=d, actor=people["builder"], officer=people["builder"], at=at(2022, 3, 1, 10))
        lifecycle.dossier_request_supplement(dossier=d, actor=people["builder"], reason="Thiếu bản vẽ", at=at(2022, 3, 2, 9))
        html = client_for(client, people["builder"]).get(reverse("dossiers:control_sheet", args=[d.code])).content.decode()
        rows = handoff_rows(html)
        assert len(rows) == 4  # one per step and the return to the counter, to fill in by hand
        assert "…… giờ …… phút" in rows[1] and "…… giờ …… phút" in rows[3]
        # on step 1's row, where it was asked (issue 14), never on the steps after it
        assert ["Yêu cầu bổ sung lúc 09:00 02/03/2022" in r for r in rows] == [True, False, False, False]

    def test_mau02_during_processing(self, client, procs, org, people):
        d = register(procs["days5"], org, at(2022, 1, 28))
        d = hand_over(d)
        lifecycle.dossier_assign(dossier=d, actor=people["officer"], officer=people["officer"], at=at(2022, 2, 7))
        lifecycle.dossier_request_supplement(dossier=d, actor=None, reason="Tờ khai chưa ký",
                                             documents="Tờ khai có chữ ký\nBản sao giấy khai sinh", at=at(2022, 2, 8, 10, 5))
        pause = DossierPause.objects.get(dossier=d)
        html = client_for(client, people["officer"]).get(reverse("dossiers:supplement_slip", args=[d.code, pause.pk])).content.decode()
        assert "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ" in html
        assert "Tờ khai có chữ ký" in html and "Bản sao giấy khai sinh" in html and "Tờ khai chưa ký" in html
        assert "10 giờ 05 phút, ngày 08 tháng 02 năm 2022" in html
        assert "Lê Văn Bình" in html and '<div class="unit-name">Sở Tư pháp</div>' in html  # the requesting unit issues it
        assert "Hòa Bình, ngày 08 tháng 02 năm 2022" in html
        other = register(procs["days5"], org, at(2022, 1, 28))
        assert client.get(reverse("dossiers:supplement_slip", args=[other.code, pause.pk])).status_code == 404

    def test_receipt_page_is_the_intake_mau01(self, client, procs, org, people):
        d = register(procs["days5"], org, at(2022, 1, 28))
        r = client_for(client, people["officer"]).get(reverse("dossiers:receipt", args=[d.code]))
        assert r.status_code == 200 and d.code in r.content.decode()

    def test_slips_download_as_pdf(self, client, procs, org, people):
        """?format=pdf gives the same slip as a PDF (WeasyPrint), for Mẫu 05, 02 and 04."""
        d = register(procs["days5"], org, at(2022, 1, 28))
        d = hand_over(d)
        lifecycle.dossier_request_supplement(dossier=d, actor=None, reason="Thiếu", at=at(2022, 2, 8, 10))
        lifecycle.dossier_apologize(dossier=d, actor=people["leader"], new_date=date(2022, 2, 25), reason="Chậm", at=at(2022, 2, 9, 10))
        c = client_for(client, people["leader"])
        pause = DossierPause.objects.get(dossier=d)
        for url in (
            reverse("dossiers:control_sheet", args=[d.code]),
            reverse("dossiers:supplement_slip", args=[d.code, pause.pk]),
            reverse("dossiers:apology_slip", args=[d.code]),
        ):
            r = c.get(url, {"format": "pdf"})
            assert r.status_code == 200 and r["Content-Type"] == "application/pdf", url
            assert r.content.startswith(b"%PDF"), url
