"""The calendar page and overrides: an override wins, open dossiers move, closed ones never do."""
from datetime import date, datetime

import pytest
from django.urls import reverse

from dossiers.models import CalendarOverride, DossierEvent, Procedure
from dossiers.roles import ADMINISTRATOR, OFFICER
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle
from dossiers.services.calendar_overrides import calendar_override_impact, calendar_override_save
from tests.factories import DEFAULT_PASSWORD, ProcedureFactory, StaffProfileFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

from dossiers.calendar import LOCAL_TZ  # noqa: E402


def at(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


@pytest.fixture
def setup():
    centre = UnitFactory(centre=True)
    procedure = ProcedureFactory(processing_time=5, time_unit=Procedure.TimeUnit.WORKING_DAYS)
    admin = UserFactory(role=ADMINISTRATOR)
    clerk = StaffProfileFactory(unit=centre).user
    return centre, procedure, admin, clerk


from tests.dossiers.lifecycle_fixtures import walk_to  # noqa: E402


def register(centre, procedure, when):
    return lifecycle.dossier_register(
        procedure=procedure, receiving_unit=centre, channel="direct", applicant={"name": "Trần Thị B"},
        received_at=when,
    )


def test_override_day_off_moves_open_dossier_and_records_history(setup, django_capture_on_commit_callbacks):
    """Mon 07/11/2022 + 5 wd = Mon 14/11; declaring Wed 09/11 a day off moves it to Tue 15/11."""
    centre, procedure, admin, _clerk = setup
    open_dossier = register(centre, procedure, at(2022, 11, 7))
    closed = register(centre, procedure, at(2022, 11, 7, 10))
    walk_to(closed, at=at(2022, 11, 10))
    assert open_dossier.due_date == date(2022, 11, 14)

    impact = calendar_override_impact(day=date(2022, 11, 9), is_working_day=False)
    assert impact.dossier_ids == (open_dossier.pk,)
    assert impact.shifts == {1: 1}

    with django_capture_on_commit_callbacks(execute=True):
        calendar_override_save(day=date(2022, 11, 9), is_working_day=False, reason="Nghỉ đột xuất",
                               legal_source="Quyết định 1/QĐ-UBND", actor=admin)
    open_dossier.refresh_from_db()
    closed.refresh_from_db()
    assert open_dossier.due_date == date(2022, 11, 15)
    assert closed.due_date == date(2022, 11, 14)
    event = DossierEvent.objects.get(dossier=open_dossier, action="recompute-due")
    assert event.data == {"from": "2022-11-14", "to": "2022-11-15"}
    assert not DossierEvent.objects.filter(dossier=closed, action="recompute-due").exists()


def test_saturday_override_becomes_working_day(setup, django_capture_on_commit_callbacks):
    """Fri 04/11/2022 + 5 wd = Fri 11/11; making Sat 05/11 a working day gives Thu 10/11."""
    centre, procedure, admin, _clerk = setup
    d = register(centre, procedure, at(2022, 11, 4))
    assert d.due_date == date(2022, 11, 11)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_override_save(day=date(2022, 11, 5), is_working_day=True, reason="Làm bù",
                               legal_source="Thông báo 1/TB-UBND", actor=admin)
    assert calendar_get().is_working_day(date(2022, 11, 5))
    d.refresh_from_db()
    assert d.due_date == date(2022, 11, 10)


def test_override_without_legal_source_is_refused(setup):
    from dossiers.errors import DossierError

    _centre, _procedure, admin, _clerk = setup
    with pytest.raises(DossierError) as exc:
        calendar_override_save(day=date(2022, 11, 5), is_working_day=True, reason="Làm bù", legal_source="", actor=admin)
    assert "legal_source" in exc.value.errors
    assert not CalendarOverride.objects.exists()


def test_calendar_page_shows_year_with_holidays(client, setup):
    """The year page names Tết and marks 2022's non-working days; 2027 is provisional."""
    _centre, _procedure, admin, _clerk = setup
    client.login(username=admin.username, password=DEFAULT_PASSWORD)
    page = client.get(reverse("dossiers:calendar_year", args=[2022])).content.decode()
    assert "Tết Nguyên Đán" in page
    assert "01/02/2022" in page
    assert "chưa chính thức" not in page
    page_2027 = client.get(reverse("dossiers:calendar_year", args=[2027])).content.decode()
    assert "chưa chính thức" in page_2027


def test_override_form_previews_then_saves(client, setup, django_capture_on_commit_callbacks):
    centre, procedure, admin, _clerk = setup
    register(centre, procedure, at(2022, 11, 7))
    client.login(username=admin.username, password=DEFAULT_PASSWORD)
    url = reverse("dossiers:calendar_override")
    data = {"date": "09/11/2022", "is_working_day": "0", "reason": "Nghỉ đột xuất", "legal_source": "QĐ 1/QĐ-UBND"}
    preview = client.post(url, data)
    assert preview.status_code == 200
    assert "1 hồ sơ đang xử lý sẽ thay đổi" in preview.content.decode()
    assert not CalendarOverride.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(url, {**data, "confirm": "1"})
    assert saved.status_code == 302
    assert CalendarOverride.objects.get().is_working_day is False


def test_override_form_is_for_administrators_only(client, setup):
    centre, _procedure, _admin, _clerk = setup
    officer = StaffProfileFactory(unit=centre, user=UserFactory(role=OFFICER)).user
    client.login(username=officer.username, password=DEFAULT_PASSWORD)
    assert client.get(reverse("dossiers:calendar_override")).status_code == 403
    assert client.get(reverse("dossiers:calendar_year", args=[2022])).status_code == 200
