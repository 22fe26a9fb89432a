"""Shared fixtures for the lifecycle, workflow, code-sequence and history-import tests.

A small Hòa Bình-style organisation (a provincial service centre, two agencies, a district
people's committee), a handful of procedures covering every way of counting time, and staff
users with profiles. Import what a module needs::

    from tests.dossiers.lifecycle_fixtures import org, procedures, staff  # noqa: F401 (fixtures)

Dates are 2022 (domain.md §8 vectors, holidays 0.109); :func:`at` builds aware local instants.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest
from django.contrib.auth import get_user_model

from dossiers.calendar import LOCAL_TZ
from dossiers.models import Dossier, Field, Procedure, ProcedureStep, StaffProfile, Unit

__all__ = [
    "at",
    "dossier_snapshot",
    "APPLICANT",
    "org",
    "procedures",
    "staff",
    "register",
]

APPLICANT = {"name": "Nguyễn Văn An", "id_number": "017090001234", "phone": "0912345678", "address": "Tổ 5, phường Phương Lâm"}


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """An aware local (Asia/Ho_Chi_Minh) instant."""
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


@pytest.fixture
def org(db):
    """Units: centre (receives), justice (agency), construction (agency), district (UBND)."""
    province = Unit.objects.create(code="000.00.00.H23", name="UBND tỉnh Hòa Bình", level="province", kind="people_committee")
    centre = Unit.objects.create(
        code="000.00.31.H23", name="Trung tâm Phục vụ hành chính công tỉnh Hòa Bình", level="province",
        kind="service_centre", parent=province,
    )
    justice = Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp", level="province", kind="agency", parent=province)
    construction = Unit.objects.create(code="000.00.14.H23", name="Sở Xây dựng", level="province", kind="agency", parent=province)
    district = Unit.objects.create(
        code="000.00.01.H23", name="UBND thành phố Hòa Bình", level="district", kind="people_committee", parent=province,
    )
    closed = Unit.objects.create(
        code="000.00.99.H23", name="Bộ phận một cửa đã giải thể", level="district", kind="service_centre",
        parent=province, valid_to=date(2021, 12, 31),
    )
    return {"province": province, "centre": centre, "justice": justice, "construction": construction,
            "district": district, "closed": closed}


@pytest.fixture
def procedures(org):
    """Procedures for every time unit; `lien_thong` has three steps at two agencies."""
    civil = Field.objects.create(name="Hộ tịch")
    building = Field.objects.create(name="Xây dựng")

    def make(code, name, time, unit, resolving, field=civil, **kw):
        return Procedure.objects.create(
            code=code, name=name, field=field, processing_time=time, time_unit=unit, resolving_unit=resolving,
            documents="Tờ khai\nBản sao CCCD", **kw,
        )

    p = {
        "days5": make("1.000001", "Cấp bản sao trích lục hộ tịch", 5, "working_days", org["justice"]),
        "days3": make("1.000003", "Đăng ký thay đổi hộ tịch", 3, "working_days", org["justice"]),
        "days10": make("1.000010", "Cấp phiếu lý lịch tư pháp", 10, "working_days", org["justice"]),
        "same_day": make("1.000000", "Chứng thực bản sao", 0, "working_days", org["justice"], on_the_spot=True),
        "hours4": make("2.000004", "Chứng thực chữ ký", 4, "working_hours", org["justice"], on_the_spot=True),
        "cal15": make("1.000015", "Cấp giấy phép xây dựng", 15, "calendar_days", org["construction"], field=building),
        "lien_thong": make("1.009999", "Liên thông cấp phép và đăng ký", 10, "working_days", org["construction"], field=building),
        "inactive": make("1.000404", "Thủ tục đã bãi bỏ", 5, "working_days", org["justice"], is_active=False),
    }
    lt = p["lien_thong"]
    ProcedureStep.objects.create(procedure=lt, order=1, name="Thẩm định hồ sơ", unit=org["construction"], allotted_time=3)
    ProcedureStep.objects.create(procedure=lt, order=2, name="Lấy ý kiến Sở Tư pháp", unit=org["justice"], allotted_time=5)
    ProcedureStep.objects.create(procedure=lt, order=3, name="Phê duyệt", unit=None, allotted_time=2)
    return p


@pytest.fixture
def staff(org):
    """A counter clerk at the centre and an officer at each agency, each with a staff profile."""
    User = get_user_model()

    from django.contrib.auth.models import Group

    from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, role_group_name

    def make(username, first, last, unit, role):
        # No password: these users never log in, and hashing one costs ~1 s per user.
        u = User.objects.create(username=username, password="!", first_name=first, last_name=last)
        StaffProfile.objects.create(user=u, unit=unit)
        u.groups.add(Group.objects.get_or_create(name=role_group_name(role))[0])
        return u

    return {
        "clerk": make("clerk", "Lan", "Trần Thị", org["centre"], COUNTER_CLERK),
        "officer": make("officer", "Bình", "Lê Văn", org["justice"], OFFICER),
        "builder": make("builder", "Cường", "Phạm Văn", org["construction"], OFFICER),
        "justice_leader": make("lanhdao.tp", "Dũng", "Hoàng Văn", org["justice"], LEADER),
        "construction_leader": make("lanhdao.xd", "Hà", "Ngô Thị", org["construction"], LEADER),
    }


def register(procedure, org, *, received_at, channel="direct", code=None, actor=None, **kw) -> Dossier:
    """Receive a dossier at the centre through the live service."""
    from dossiers.services.lifecycle import dossier_register

    return dossier_register(
        procedure=procedure, receiving_unit=kw.pop("receiving_unit", org["centre"]), channel=channel,
        applicant=kw.pop("applicant", APPLICANT), actor=actor, received_at=received_at, code=code, **kw,
    )


# Fields that legitimately differ between two otherwise identical histories.
# An imported dossier keeps its old code and has no entry in OneCua's register books.
_VOLATILE = {"id", "created_at", "updated_at", "dossier", "register_book", "register_number"}


def _row(obj, exclude=()) -> dict:
    out = {}
    for f in obj._meta.concrete_fields:
        if f.name in _VOLATILE or f.name in exclude:
            continue
        out[f.attname] = getattr(obj, f.attname)
    return out


def dossier_snapshot(dossier: Dossier, *, exclude=("code",)) -> dict:
    """Everything a dossier's history consists of, fresh from the database, without ids and
    row timestamps: the dossier's fields, its steps, pauses and events in order."""
    d = Dossier.objects.get(pk=dossier.pk)
    return {
        "dossier": _row(d, exclude),
        "steps": [_row(s) for s in d.steps.order_by("order")],
        "pauses": [_row(p) for p in d.pauses.order_by("requested_at", "id")],
        "events": [_row(e) for e in d.events.order_by("at", "id")],
    }


def walk_to(dossier: Dossier, action: str = "approve", *, at=None, **params) -> Dossier:
    """Drive a received dossier through its path as the system (actor None: each step by the unit
    D17 names): hand-over, each processing step completed, then `action` (approve, refuse, stop)
    at the lead unit's final step. For tests whose subject is not who acts."""
    from dossiers import core
    from dossiers.services import lifecycle as svc

    when = at or dossier.received_at
    if dossier.state == "received":
        dossier = svc.dossier_transfer(dossier=dossier, actor=None, at=when)
    case = svc.case_of(dossier)
    final = case.lead_final()
    while case.current() is not None and case.current().order < final.order:
        dossier = svc.dossier_transfer(dossier=dossier, actor=None, at=when)
        case = svc.case_of(dossier)
    defaults = {"approve": {"note": ""}, "refuse": {"reason": "Không đủ điều kiện"}, "stop": {"reason": "Dừng"}}
    return svc.dossier_transition(dossier=dossier, action=action, actor=None, at=when,
                                  params={**defaults.get(action, {}), **params})


def _handed_over(dossier: Dossier, at=None) -> Dossier:
    from dossiers.services import lifecycle as svc

    d = Dossier.objects.get(pk=dossier.pk)
    if d.state == "received":
        d = svc.dossier_transfer(dossier=d, actor=None, at=at)  # the counter's hand-over (D18)
    return d


def assign_after_handover(*, dossier: Dossier, at=None, **kwargs) -> Dossier:
    """``dossier_assign`` for tests whose dossier is still at the counter: handed over first (as
    the system, at the same instant), then assigned by the given actor."""
    from dossiers.services import lifecycle as svc

    return svc.dossier_assign(dossier=_handed_over(dossier, at), at=at, **kwargs)


def approve_after_handover(*, dossier: Dossier, at=None, **kwargs) -> Dossier:
    """``dossier_approve`` by the given actor once the dossier is at the lead unit's final step
    (handed over and passed on by the system at the same instant when it was not yet)."""
    from dossiers.services import lifecycle as svc

    d = _handed_over(dossier, at)
    case = svc.case_of(d)
    while case.current() is not None and case.current().order < case.lead_final().order:
        d = svc.dossier_transfer(dossier=d, actor=None, at=at)
        case = svc.case_of(d)
    return svc.dossier_approve(dossier=d, at=at, **kwargs)
