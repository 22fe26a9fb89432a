"""``received_at`` bounds on live intake (issue 18 item 8). Old answers: 500 for an instant
before 2010 ("outside the working-day calendar"), and backdating accepted to 2010-01-01."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dossiers.errors import DossierError
from dossiers.intake_bounds import LOCAL_TZ, MSG_BACKDATE, MSG_BEFORE_CALENDAR, MSG_FUTURE, received_at_error
from dossiers.models import Dossier
from tests.dossiers.test_intake_pages import make_world, register

FIRST = date(2010, 1, 1)
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(("received_at", "expected"), [
    (datetime(2009, 12, 31, 23, 59, tzinfo=LOCAL_TZ), MSG_BEFORE_CALENDAR.format(first=FIRST)),
    (datetime(1900, 1, 1, tzinfo=LOCAL_TZ), MSG_BEFORE_CALENDAR.format(first=FIRST)),
    (NOW + timedelta(minutes=6), MSG_FUTURE),
    (NOW + timedelta(minutes=4), None),  # clock difference between systems
    (NOW - timedelta(days=30), None),
    (NOW - timedelta(days=30, seconds=1), MSG_BACKDATE.format(days=30)),
    (datetime(2010, 1, 1, tzinfo=LOCAL_TZ), MSG_BACKDATE.format(days=30)),
])
def test_bounds(received_at, expected):
    assert received_at_error(received_at=received_at, now=NOW, first_day=FIRST, backdate_days=30) == expected


def test_without_a_window_only_the_calendar_and_the_future_bind():
    old = datetime(2010, 1, 4, 9, tzinfo=LOCAL_TZ)
    assert received_at_error(received_at=old, now=NOW, first_day=FIRST, backdate_days=None) is None


@pytest.fixture
def world(db):
    return make_world()


def _post(world, received_at: str):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=world.clerk)[0].key}")
    body = {"procedure": world.birth.code, "receiving_unit": world.centre.code, "channel": "online",
            "applicant": {"name": "Nguyễn Thị Hương", "id_number": "017190001234", "phone": "0912345678"},
            "received_at": received_at}
    return api.post("/api/v1/dossiers/", body, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize(("when", "message"), [
    ("2009-12-31T10:00:00+07:00", MSG_BEFORE_CALENDAR.format(first=FIRST)),
    ("1999-06-01T10:00:00", MSG_BEFORE_CALENDAR.format(first=FIRST)),
    ("2010-01-04T09:00:00+07:00", MSG_BACKDATE.format(days=30)),
])
def test_api_refuses_with_a_field_error_never_500(world, settings, when, message):
    settings.INTAKE_BACKDATE_DAYS = 30
    r = _post(world, when)
    assert r.status_code == 400 and r.json()["errors"] == {"received_at": [message]}
    assert not Dossier.objects.exists()


@pytest.mark.django_db
def test_api_refuses_the_future_and_accepts_inside_the_window(world, settings):
    settings.INTAKE_BACKDATE_DAYS = 30
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    r = _post(world, future)
    assert r.status_code == 400 and list(r.json()["errors"]) == ["received_at"]
    recent = (timezone.now() - timedelta(days=2)).isoformat()
    assert _post(world, recent).status_code == 201


@pytest.mark.django_db
def test_the_service_refuses_a_pre_calendar_instant_as_a_field_error(world):
    with pytest.raises(DossierError) as exc:
        register(world, received_at=datetime(2005, 3, 1, 9, tzinfo=LOCAL_TZ))
    assert exc.value.errors == {"received_at": [MSG_BEFORE_CALENDAR.format(first=FIRST)]}


@pytest.mark.django_db
def test_import_dossiers_keeps_importing_old_histories(world, settings, tmp_path):
    settings.INTAKE_BACKDATE_DAYS = 1
    path = tmp_path / "old.csv"
    path.write_text("procedure_code,receiving_unit_code,channel,received_at,outcome,resolved_at\n"
                    f"{world.birth.code},{world.centre.code},online,2011-03-01T09:00,approved,2011-03-02T10:00\n",
                    encoding="utf-8")
    call_command("import_dossiers", str(path), stdout=io.StringIO())
    d = Dossier.objects.get()
    assert timezone.localtime(d.received_at).date() == date(2011, 3, 1)
