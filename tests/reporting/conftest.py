"""Fixtures of the reporting tests: a three-level organisation, procedures of every kind of
deadline, a history builder on the live lifecycle services, and an independent oracle.

The oracle (:func:`oracle_cells`) recomputes the report's counts in plain Python from the
dossiers, their events and pauses, without any of ``reporting``'s code: the direct query and
the roll-ups are both checked against it.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from dossiers.calendar import LOCAL_TZ
from dossiers.models import Dossier, Field, Procedure, ProcedureStep, StaffProfile, Unit

APPLICANT = {"name": "Bùi Thị Hoa", "id_number": "017190004321", "phone": "0987654321", "address": "Xóm Mới, xã Yên Mông"}


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0, ss: int = 0) -> datetime:
    """An aware local (Asia/Ho_Chi_Minh) instant."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=LOCAL_TZ)


@pytest.fixture
def rorg(db):
    return make_org()


def make_org() -> dict[str, Unit]:
    """Province (a centre, two agencies), a district (UBND + counter) and two communes."""
    mk = lambda **kw: Unit.objects.create(**kw)  # noqa: E731
    province = mk(code="000.00.00.H23", name="UBND tỉnh Hòa Bình", level="province", kind="people_committee")
    centre = mk(code="000.01.01.H23", name="Trung tâm Phục vụ hành chính công tỉnh", level="province",
                kind="service_centre", parent=province)
    justice = mk(code="000.00.12.H23", name="Sở Tư pháp", level="province", kind="agency", parent=province)
    construction = mk(code="000.00.14.H23", name="Sở Xây dựng", level="province", kind="agency", parent=province)
    district = mk(code="000.00.21.H23", name="UBND thành phố Hòa Bình", level="district", kind="people_committee",
                  parent=province)
    district_counter = mk(code="000.01.21.H23", name="Bộ phận một cửa thành phố Hòa Bình", level="district",
                          kind="service_centre", parent=district)
    commune = mk(code="000.31.21.H23", name="UBND phường Phương Lâm", level="commune", kind="people_committee",
                 parent=district)
    commune2 = mk(code="000.34.21.H23", name="UBND xã Yên Mông", level="commune", kind="people_committee",
                  parent=district)
    return {"province": province, "centre": centre, "justice": justice, "construction": construction,
            "district": district, "district_counter": district_counter, "commune": commune, "commune2": commune2}


@pytest.fixture
def rprocs(rorg):
    return make_procedures(rorg)


def make_procedures(rorg: dict[str, Unit]) -> dict[str, Procedure]:
    """Procedures of every way of counting time, at the three levels (one liên thông)."""
    civil = Field.objects.create(name="Hộ tịch")
    building = Field.objects.create(name="Hoạt động xây dựng")
    certify = Field.objects.create(name="Chứng thực")

    def make(code, name, time, unit, resolving, field, **kw):
        return Procedure.objects.create(code=code, name=name, field=field, processing_time=time, time_unit=unit,
                                        resolving_unit=resolving, documents="Tờ khai", **kw)

    procs = {
        "justice5": make("1.000001", "Cấp bản sao trích lục hộ tịch", 5, "working_days", rorg["justice"], civil),
        "build20": make("1.009972", "Cấp giấy phép xây dựng", 20, "working_days", rorg["construction"], building),
        "district3": make("2.000720", "Đăng ký hộ kinh doanh", 3, "working_days", rorg["district"], building),
        "district_cal15": make("1.009994", "Cấp phép xây dựng nhà ở riêng lẻ", 15, "calendar_days", rorg["district"],
                               building),
        "commune2": make("1.004873", "Đăng ký khai sinh", 2, "working_days", rorg["commune"], civil),
        "commune_same_day": make("2.000908", "Chứng thực bản sao từ bản chính", 0, "working_days", rorg["commune"],
                                 certify, on_the_spot=True),
        "commune_hours": make("2.000815", "Chứng thực chữ ký", 4, "working_hours", rorg["commune2"], certify,
                              on_the_spot=True),
        "lien_thong": make("1.010727", "Thẩm định và cấp phép liên thông", 10, "working_days", rorg["construction"],
                           building),
    }
    ProcedureStep.objects.create(procedure=procs["lien_thong"], order=1, name="Thẩm định", unit=rorg["construction"],
                                 allotted_time=4)
    ProcedureStep.objects.create(procedure=procs["lien_thong"], order=2, name="Lấy ý kiến", unit=rorg["justice"],
                                 allotted_time=4)
    ProcedureStep.objects.create(procedure=procs["lien_thong"], order=3, name="Phê duyệt", unit=None, allotted_time=2)
    return procs


@pytest.fixture
def rstaff(rorg):
    return make_clerk(rorg)


def make_clerk(rorg):
    User = get_user_model()
    u = User.objects.create(username="reporter-clerk", password="!", first_name="Lan", last_name="Trần Thị")
    StaffProfile.objects.create(user=u, unit=rorg["centre"])
    return u


def receiving_unit_for(procedure: Procedure, org: dict) -> Unit:
    level = procedure.resolving_unit.level
    if level == "province":
        return org["centre"]
    if level == "district":
        return org["district_counter"]
    return procedure.resolving_unit


# --- the oracle ----------------------------------------------------------------------------------


def _local_date(dt: datetime) -> date:
    return dt.astimezone(LOCAL_TZ).date()


def oracle_lead_unit(d: Dossier, end: date) -> int:
    """D13 as refined by D20, from the dossier's history: its lead unit as at the end of the
    period, or as at its resolution if resolved by then. A "reorganise" event that moved the lead
    unit (``data.lead_from``) at or after that instant means it was still at the unit moved from."""
    midnight = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_TZ)
    instant = min(midnight, d.resolved_at) if d.resolved_at else midnight
    moves = sorted((ev for ev in d.events.all() if ev.action == "reorganise" and ev.data.get("lead_from")),
                   key=lambda ev: (ev.at, ev.id))
    for ev in moves:
        if ev.at >= instant:
            return ev.data["lead_from"]
    return d.resolving_unit_id


def oracle_cells(start: date, end: date, *, unit_ids: set[int] | None = None) -> dict[tuple[int, int], Counter]:
    """D12 counts per (lead resolving unit id, field id), computed dossier by dossier in Python."""
    cells: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for d in Dossier.objects.select_related("procedure").prefetch_related("events", "pauses"):
        if d.received_at is None:
            continue  # D10: never received
        lead = oracle_lead_unit(d, end)
        if unit_ids is not None and lead not in unit_ids:
            continue
        r = _local_date(d.received_at)
        e = _local_date(d.resolved_at) if d.resolved_at else None
        if r > end or (e is not None and e < start):
            continue
        c = cells[(lead, d.procedure.field_id)]
        c["received_total"] += 1
        if r >= start:
            c["received_online" if d.channel == "online" else "received_direct_postal"] += 1
            c["on_the_spot"] += d.on_the_spot
        else:
            c["carried_over"] += 1
        if e is not None and e <= end:
            c["resolved_total"] += 1
            c[f"resolved_{d.classification}"] += 1
            c["withdrawn"] += d.outcome == "withdrawn"
            c["multi_supplement"] += len(d.pauses.all()) > 1
            continue
        c["in_progress_total"] += 1
        midnight = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_TZ)
        events = sorted((ev for ev in d.events.all() if ev.at < midnight), key=lambda ev: (ev.at, ev.id))
        due = events[-1].due_date
        pauses = [p for p in d.pauses.all() if p.requested_at < midnight]
        open_pauses = [p for p in pauses if p.completed_at is None or p.completed_at >= midnight]
        reference = _local_date(open_pauses[0].requested_at) if open_pauses else end
        c["in_progress_within" if due >= reference else "in_progress_overdue"] += 1
        c["multi_supplement"] += len(pauses) > 1
    return cells


def totals_of(cells) -> Counter:
    out = Counter()
    for c in cells.values():
        out.update(c)
    return out


def comparable(cells):
    """Counts per unit and per field without zeros (the internal check value left out), from
    the oracle's (unit, field) pairs or from reporting's Cells."""
    from reporting.selectors import Cells, vector

    if not isinstance(cells, Cells):
        cells = Cells.from_pairs({key: vector(c) for key, c in cells.items()})
    return cells.as_dicts()
