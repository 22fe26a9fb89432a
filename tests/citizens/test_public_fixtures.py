"""Fixtures shared by the citizen-side tests (this module holds no tests).

A returned dossier whose every personal field carries a distinctive value (``SECRETS``) so
that a test can assert that none of them leaves a public page. Everything is made and moved by
the live services (register, assign, supplement, apology, approve, return). Dates are 2022
(holidays 0.109: Tết 31/01–04/02/2022).

Import what a module needs::

    from tests.citizens.test_public_fixtures import SECRETS, returned, verify, world  # noqa: F401
"""
from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from dossiers.models import Dossier, StaffProfile
from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, role_group_name, roles_sync
from dossiers.services import lifecycle
from tests.dossiers.lifecycle_fixtures import at, org, procedures  # noqa: F401 (fixtures)

APPLICANT = {
    "name": "Hoàng Thị Quỳnhhương",
    "id_number": "017190987654",
    "phone": "0983 112 233",
    "address": "Số 77 ngõ Zetaxyz, phường Tân Thịnh",
    "email": "bimat.quynhhuong@example.vn",
}
MASKED = "H*** T** Q***"
PHONE_LAST4 = "2233"
CCCD_LAST4 = "7654"
APOLOGY_REASON = "Chờ ý kiến liên ngành APOLOGY-SHOWN"
NOTES = {
    "assign": "NOTE-ASSIGN-7788 ghi chú nội bộ",
    "supplement": "NOTE-SUPP-4455 thiếu bản sao",
    "supplement_docs": "NOTE-DOCS-3344",
    "resume": "NOTE-RESUME-6677",
    "approve": "NOTE-APPROVE-9911",
    "return": "NOTE-RETURN-2200",
    "request": "NOTE-REQUEST-5566 nội dung riêng",
}
OFFICERS = {
    "clerk": ("Tiepnhanzeta", "Trần Thị"),
    "officer": ("Xulyzeta", "Lê Văn"),
    "leader": ("Pheduyetzeta", "Đỗ Văn"),
}
#: strings that must never appear on a public page
SECRETS = [
    APPLICANT["name"], "Quỳnhhương", "Hoàng", APPLICANT["id_number"], "017190", APPLICANT["phone"], "0983112233",
    "0983 112", APPLICANT["address"], "Zetaxyz", APPLICANT["email"], "bimat", *NOTES.values(),
    *(f"{first} {last}" for first, last in OFFICERS.values()), *(first for first, _l in OFFICERS.values()),
    "zeta", "clerk_z", "officer_z", "leader_z",
]

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def strip_csrf(html: str) -> str:
    return CSRF_RE.sub('name="csrfmiddlewaretoken" value=""', html)


def make_user(username: str, first: str, last: str, unit, role: str | None):
    u = get_user_model().objects.create_user(username=username, password="x-pass-1234", first_name=first, last_name=last)
    StaffProfile.objects.create(user=u, unit=unit, phone="0218 999 888")
    if role:
        u.groups.add(Group.objects.get(name=role_group_name(role)))
    return u


@pytest.fixture
def world(org, procedures):  # noqa: F811 (fixtures)
    roles_sync()
    people = {
        "clerk": make_user("clerk_z", *OFFICERS["clerk"], org["centre"], COUNTER_CLERK),
        "officer": make_user("officer_z", *OFFICERS["officer"], org["justice"], OFFICER),
        "leader": make_user("leader_z", *OFFICERS["leader"], org["justice"], LEADER),
    }
    return {"org": org, "procedures": procedures, "people": people}


def register(world, *, procedure="days5", received_at=None, applicant=None) -> Dossier:
    return lifecycle.dossier_register(
        procedure=world["procedures"][procedure], receiving_unit=world["org"]["centre"], channel="direct",
        applicant=applicant or APPLICANT, actor=world["people"]["clerk"], received_at=received_at or at(2022, 1, 28, 9),
        request_content=NOTES["request"],
    )


def make_returned(world) -> Dossier:
    """Received 28/01/2022 (due 11/02), supplement, apology with a new date, approved, returned."""
    p = world["people"]
    d = register(world)
    lifecycle.dossier_transfer(dossier=d, actor=p["clerk"], at=at(2022, 1, 28, 9, 45))  # the counter's hand-over
    lifecycle.dossier_assign(dossier=d, actor=p["leader"], officer=p["officer"], at=at(2022, 1, 28, 10), note=NOTES["assign"])
    lifecycle.dossier_request_supplement(
        dossier=d, actor=p["officer"], reason=NOTES["supplement"], documents=NOTES["supplement_docs"], at=at(2022, 2, 7, 9),
    )
    lifecycle.dossier_resume(dossier=d, actor=p["clerk"], at=at(2022, 2, 8, 9), note=NOTES["resume"])
    lifecycle.dossier_apologize(dossier=d, actor=p["leader"], new_date=date(2022, 2, 25), reason=APOLOGY_REASON, at=at(2022, 2, 9, 9))
    lifecycle.dossier_approve(dossier=d, actor=p["leader"], at=at(2022, 2, 14, 9), note=NOTES["approve"])
    lifecycle.dossier_return_result(dossier=d, actor=p["clerk"], at=at(2022, 2, 15, 9), note=NOTES["return"])
    d.refresh_from_db()
    return d


@pytest.fixture
def returned(world) -> Dossier:
    return make_returned(world)


def verify(client, code: str, digits: str):
    """POST the lookup form (the test client does not check CSRF unless asked)."""
    return client.post(reverse("citizens:lookup"), {"code": code, "digits": digits})
