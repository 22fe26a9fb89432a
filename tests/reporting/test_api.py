"""GET /api/v1/reports/quarterly/: the report JSON for leaders (their subtree), administrators
and superusers; 403 for other staff, 404 for a unit outside the caller's subtree, 400 for a bad
period; the same figures as `manage.py report`."""
from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.test import APIClient

from dossiers.models import StaffProfile
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, role_group_name, roles_sync

from . import scenario

URL = "/api/v1/reports/quarterly/"


@pytest.fixture
def history(rorg, rprocs, rstaff):
    return scenario.build(rorg, rprocs, rstaff)


@pytest.fixture
def user_with(rorg):
    roles_sync()

    def make(username, role=None, unit=None, superuser=False):
        u = get_user_model().objects.create(username=username, password="!", is_superuser=superuser)
        if role:
            u.groups.add(Group.objects.get(name=role_group_name(role)))
        if unit is not None:
            StaffProfile.objects.create(user=u, unit=rorg[unit])
        client = APIClient()
        client.force_authenticate(u)
        return client

    return make


def test_superuser_gets_the_same_json_as_the_command(history, user_with):
    client = user_with("root", superuser=True)
    response = client.get(URL, {"year": 2022, "quarter": 1})
    assert response.status_code == 200
    body = response.json()
    out = io.StringIO()
    call_command("report", "quarterly", "--year", "2022", "--quarter", "1", "--format", "json", stdout=out)
    command = json.loads(out.getvalue())
    for key in ("period", "totals", "levels", "fields", "scope", "source"):
        assert body[key] == command[key]
    assert body["period"]["basis"] == "regulatory" and body["period"]["quarter"] == 1
    assert body["totals"]["received_total"] == 16


def test_leader_sees_their_subtree_only(history, user_with):
    """A district leader gets the district and its communes by default, may ask for one of
    their communes, and gets 404 for the province or an unknown code."""
    client = user_with("leader-d", LEADER, "district")
    body = client.get(URL, {"year": 2022, "quarter": 1}).json()
    assert body["scope"]["code"] == "000.00.21.H23"
    assert [lv["level"] for lv in body["levels"]] == ["district", "commune"]
    assert body["totals"]["received_total"] == 6
    commune = client.get(URL, {"year": 2022, "quarter": 1, "unit": "000.31.21.H23"}).json()
    assert [lv["level"] for lv in commune["levels"]] == ["commune"]
    for code in ("000.00.00.H23", "000.00.12.H23", "nope"):
        response = client.get(URL, {"year": 2022, "quarter": 1, "unit": code})
        assert response.status_code == 404
        assert set(response.json()) == {"detail", "errors"}


def test_administrator_may_choose_any_unit(history, user_with):
    client = user_with("admin-1", ADMINISTRATOR)
    body = client.get(URL, {"year": 2022, "quarter": 1, "unit": "000.00.12.H23", "basis": "calendar"}).json()
    assert body["period"]["start"] == "2022-01-01"
    assert [u["code"] for lv in body["levels"] for u in lv["units"]] == ["000.00.12.H23"]


def test_other_staff_and_anonymous_are_refused(history, user_with):
    clerk = user_with("clerk-1", COUNTER_CLERK, "centre")
    response = clerk.get(URL, {"year": 2022, "quarter": 1})
    assert response.status_code == 403
    assert "lãnh đạo" in response.json()["detail"]
    assert APIClient().get(URL, {"year": 2022, "quarter": 1}).status_code in (401, 403)


@pytest.mark.parametrize("params, field", [
    ({"quarter": 1}, "year"),
    ({"year": 2022}, "quarter"),
    ({"year": 2022, "quarter": 0}, "quarter"),
    ({"year": "abc", "quarter": 1}, "year"),
    ({"year": 2022, "quarter": 1, "basis": "lunar"}, "basis"),
    ({"year": 2022, "quarter": 1, "source": "magic"}, "source"),
])
def test_bad_parameters_are_field_errors(history, user_with, params, field):
    response = user_with("root", superuser=True).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_period_endpoint_and_identity_failure(history, user_with):
    """/reports/period/ serves other kinds; a report breaking an identity is a 500, not figures."""
    from dossiers.models import Dossier

    client = user_with("root", superuser=True)
    body = client.get("/api/v1/reports/period/", {"kind": "half", "number": 1, "year": 2022}).json()
    assert (body["period"]["start"], body["period"]["end"]) == ("2021-12-15", "2022-06-14")
    Dossier.objects.filter(pk=history["carried_early"].pk).update(classification="")
    response = client.get(URL, {"year": 2022, "quarter": 1})
    assert response.status_code == 500
    assert "(7) = (8)+(9)+(10)" in response.json()["detail"]
