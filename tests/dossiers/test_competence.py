"""The competent unit of a dossier (domain.md D19; issue 15 items 1–2).

A merged province of 2026 in miniature:

    UBND tỉnh Phú Thọ ─┬─ Trung tâm Phục vụ hành chính công (centre: clerk)
                        ├─ Sở Tư pháp (agency)
                        ├─ UBND phường Hòa Bình   (commune: clerk, officer, leader; own counter)
                        ├─ UBND xã Liên Sơn       (commune: clerk, officer, leader)
                        ├─ UBND xã Kim Bôi        (commune: clerk, officer, leader)
                        └─ UBND phường Tân Thịnh  (commune, ended 30/6/2025, successor Hòa Bình)

"Đăng ký khai sinh" (1.001193) is resolved by every commune-level People's Committee; "Cấp phiếu
lý lịch tư pháp" (1.000010) by the Sở Tư pháp alone, as before.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest
from django.contrib.auth.models import Group, User
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from dossiers import competence
from dossiers.calendar import LOCAL_TZ
from dossiers.competence import CompetenceError, UnitFacts
from dossiers.errors import DossierError, ForbiddenError
from dossiers.models import Counter, Dossier, Field, Procedure, ProcedureStep, StaffProfile, Unit
from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, role_group_name
from dossiers.services import lifecycle

APPLICANT = {"name": "Nguyễn Thị Mai", "id_number": "025190001234", "phone": "0912345678",
             "address": "Tổ 5, phường Hòa Bình, tỉnh Phú Thọ"}


def at(y, m, d, hh=9, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


# --- the pure rule ---------------------------------------------------------------------------------

CENTRE = UnitFacts(1, "000.01.01.H25", "Trung tâm PVHCC tỉnh Phú Thọ", "province", "service_centre")
JUSTICE = UnitFacts(2, "000.00.12.H25", "Sở Tư pháp tỉnh Phú Thọ", "province", "agency")
HOA_BINH = UnitFacts(3, "000.31.25.H25", "UBND phường Hòa Bình", "commune", "people_committee",
                     valid_from=date(2025, 7, 1))
LIEN_SON = UnitFacts(4, "000.32.25.H25", "UBND xã Liên Sơn", "commune", "people_committee", valid_from=date(2025, 7, 1))
TAN_THINH = UnitFacts(5, "000.33.21.H23", "UBND phường Tân Thịnh", "commune", "people_committee",
                      valid_to=date(2025, 6, 30))
HB_COUNTER = UnitFacts(6, "000.41.25.H25", "Bộ phận một cửa phường Hòa Bình", "commune", "service_centre", parent_id=3)
POLICE = UnitFacts(7, "000.00.90.H25", "Công an tỉnh Phú Thọ", "province", "vertical")
UNITS = [CENTRE, JUSTICE, HOA_BINH, LIEN_SON, TAN_THINH, HB_COUNTER, POLICE]
DEC = date(2026, 12, 3)


def choose(*, named=None, level="commune", receiving=CENTRE, requested=None, day=DEC, units=UNITS, search=""):
    return competence.choose(procedure_code="1.001193", resolving_unit=named, resolving_level="" if named else level,
                             receiving=receiving, requested=requested, day=day, units=units, search=search)


@pytest.mark.parametrize("receiving,requested,expected", [
    (HOA_BINH, None, HOA_BINH.id),        # the commune's own counter: itself (D19 default)
    (HB_COUNTER, None, HOA_BINH.id),      # its own one-stop department: the commune it belongs to
    (LIEN_SON, HOA_BINH, HOA_BINH.id),    # receipt regardless of boundary: another commune named
    (CENTRE, LIEN_SON, LIEN_SON.id),      # the provincial centre, the commune named
])
def test_level_procedure_choice(receiving, requested, expected):
    assert choose(receiving=receiving, requested=requested) == expected


@pytest.mark.parametrize("requested,reason,words", [
    (None, "required", "chọn cơ quan giải quyết (2 đơn vị)"),
    (JUSTICE, "not_competent", "Sở Tư pháp tỉnh Phú Thọ (000.00.12.H25) không giải quyết thủ tục 1.001193"),
    (POLICE, "not_competent", "Công an tỉnh Phú Thọ (000.00.90.H25) không giải quyết"),
    (HB_COUNTER, "not_competent", "Bộ phận một cửa phường Hòa Bình (000.41.25.H25) không giải quyết"),
    (TAN_THINH, "ended", "UBND phường Tân Thịnh (000.33.21.H23) không còn hoạt động vào ngày 03/12/2026"),
])
def test_level_procedure_refusals_name_the_valid_units(requested, reason, words):
    with pytest.raises(CompetenceError) as exc:
        choose(receiving=CENTRE, requested=requested)
    assert exc.value.reason == reason
    assert words in exc.value.message
    assert "Đơn vị có thẩm quyền: UBND phường Hòa Bình (000.31.25.H25); UBND xã Liên Sơn (000.32.25.H25)." in exc.value.message


def test_before_the_reform_the_old_commune_is_valid_and_the_new_one_is_not():
    """Received on 30/6/2025: Tân Thịnh still existed, Hòa Bình did not yet."""
    assert choose(receiving=CENTRE, requested=TAN_THINH, day=date(2025, 6, 30)) == TAN_THINH.id
    with pytest.raises(CompetenceError) as exc:
        choose(receiving=CENTRE, requested=HOA_BINH, day=date(2025, 6, 30))
    assert exc.value.reason == "ended"
    assert exc.value.message.endswith("Đơn vị có thẩm quyền: UBND phường Tân Thịnh (000.33.21.H23).")


def test_more_than_ten_valid_units_names_ten_and_how_to_search():
    communes = [UnitFacts(100 + i, f"000.{i:02d}.30.H25", f"UBND xã Số {i:02d}", "commune", "people_committee")
                for i in range(12)]
    with pytest.raises(CompetenceError) as exc:
        choose(receiving=CENTRE, units=[CENTRE, *communes], search="GET /api/v1/procedures/1.001193/competent-units/?q=…")
    message = exc.value.message
    assert "Đơn vị có thẩm quyền (12 đơn vị), ví dụ: UBND xã Số 00 (000.00.30.H25);" in message
    assert "UBND xã Số 09 (000.09.30.H25); tìm theo tên: GET /api/v1/procedures/1.001193/competent-units/?q=…." in message
    assert "Số 10" not in message


def test_named_unit_procedure_is_that_unit_only():
    assert choose(named=JUSTICE, receiving=HOA_BINH) == JUSTICE.id
    assert choose(named=JUSTICE, requested=JUSTICE) == JUSTICE.id
    with pytest.raises(CompetenceError) as exc:
        choose(named=JUSTICE, requested=POLICE)
    assert exc.value.message == ("Công an tỉnh Phú Thọ (000.00.90.H25) không giải quyết thủ tục 1.001193. "
                                 "Cơ quan giải quyết của thủ tục này là Sở Tư pháp tỉnh Phú Thọ (000.00.12.H25).")


def test_no_valid_unit_of_the_level_says_so():
    with pytest.raises(CompetenceError) as exc:
        choose(level="district", receiving=CENTRE)
    assert exc.value.reason == "none_valid"
    assert exc.value.message == ("Không có Ủy ban nhân dân cấp huyện nào còn hoạt động vào ngày 03/12/2026 "
                                 "để giải quyết thủ tục 1.001193.")


_levels = st.sampled_from(["province", "district", "commune"])
_kinds = st.sampled_from(["people_committee", "agency", "service_centre", "vertical"])
_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def _units(draw):
    n = draw(st.integers(min_value=1, max_value=8))
    out = []
    for i in range(n):
        start = draw(st.none() | _days)
        end = draw(st.none() | _days)
        if start and end and end < start:
            start, end = end, start
        out.append(UnitFacts(i + 1, f"U{i}", f"Unit {i}", draw(_levels), draw(_kinds),
                             parent_id=draw(st.none() | st.integers(1, n)), valid_from=start, valid_to=end))
    return out


@settings(max_examples=300, deadline=None)
@given(units=_units(), level=_levels, day=_days, data=st.data())
def test_property_a_level_choice_is_always_a_valid_people_committee_of_that_level(units, level, day, data):
    """Whatever is asked, the answer is a People's Committee of the level valid on the day; a
    valid unit asked for is the answer; nothing asked and a valid receiving unit: it."""
    receiving = data.draw(st.sampled_from(units))
    requested = data.draw(st.none() | st.sampled_from(units))
    by_id = {u.id: u for u in units}

    def ok(u):  # the rule written out again, independently
        return u.level == level and u.kind == "people_committee" and (u.valid_from is None or u.valid_from <= day) \
            and (u.valid_to is None or day <= u.valid_to)

    try:
        got = choose(level=level, receiving=receiving, requested=requested, day=day, units=units)
    except CompetenceError:
        if requested is not None:
            assert not ok(requested)
        else:
            assert not ok(receiving) and not (receiving.parent_id and ok(by_id[receiving.parent_id]))
        return
    assert ok(by_id[got])
    if requested is not None:
        assert got == requested.id
    elif ok(receiving):
        assert got == receiving.id


# --- the province, in the database ------------------------------------------------------------------


@pytest.fixture
def prov(db):
    province = Unit.objects.create(code="000.00.00.H25", name="UBND tỉnh Phú Thọ", level="province", kind="people_committee")
    centre = Unit.objects.create(code="000.01.01.H25", name="Trung tâm Phục vụ hành chính công tỉnh Phú Thọ",
                                 level="province", kind="service_centre", parent=province)
    justice = Unit.objects.create(code="000.00.12.H25", name="Sở Tư pháp tỉnh Phú Thọ", level="province",
                                  kind="agency", parent=province)
    police = Unit.objects.create(code="000.00.90.H25", name="Công an tỉnh Phú Thọ", level="province", kind="vertical")
    new = date(2025, 7, 1)
    communes = {
        key: Unit.objects.create(code=code, name=name, level="commune", kind="people_committee", parent=province,
                                 valid_from=new, place=place)
        for key, code, name, place in [
            ("hoa_binh", "000.31.25.H25", "Ủy ban nhân dân phường Hòa Bình", "Hòa Bình"),
            ("lien_son", "000.32.25.H25", "Ủy ban nhân dân xã Liên Sơn", "Liên Sơn"),
            ("kim_boi", "000.33.25.H25", "Ủy ban nhân dân xã Kim Bôi", "Kim Bôi"),
        ]
    }
    tan_thinh = Unit.objects.create(code="000.32.21.H23", name="Ủy ban nhân dân phường Tân Thịnh", level="commune",
                                    kind="people_committee", parent=province, valid_to=date(2025, 6, 30),
                                    successor=communes["hoa_binh"])
    civil = Field.objects.create(name="Hộ tịch")
    birth = Procedure.objects.create(code="1.001193", name="Thủ tục đăng ký khai sinh", field=civil, processing_time=3,
                                     time_unit="working_days", resolving_level="commune",
                                     documents="Tờ khai đăng ký khai sinh\nGiấy chứng sinh")
    record = Procedure.objects.create(code="1.000010", name="Cấp phiếu lý lịch tư pháp", field=civil,
                                      processing_time=10, time_unit="working_days", resolving_unit=justice)

    def user(username, unit, role, counter=None):
        u = User.objects.create(username=username, password="!", first_name=username)
        StaffProfile.objects.create(user=u, unit=unit, counter=counter)
        u.groups.add(Group.objects.get_or_create(name=role_group_name(role))[0])
        return u

    people = {"centre_clerk": user("motcua.tinh", centre, COUNTER_CLERK)}
    for key, unit in communes.items():
        counter = Counter.objects.create(unit=unit, number=1, name="Quầy 1")
        people[f"{key}_clerk"] = user(f"motcua.{key}", unit, COUNTER_CLERK, counter)
        people[f"{key}_officer"] = user(f"chuyenvien.{key}", unit, OFFICER)
        people[f"{key}_leader"] = user(f"lanhdao.{key}", unit, LEADER)
    return {"province": province, "centre": centre, "justice": justice, "police": police, "tan_thinh": tan_thinh,
            "birth": birth, "record": record, **communes, **people}


def _walk(dossier, *, receiving_clerk, officer, leader, when):
    """The D17 path with the people it names: the receiving counter hands over, the competent
    commune's leader assigns its officer, the leader approves, the counter returns the result."""
    d = lifecycle.dossier_transfer(dossier=dossier, actor=receiving_clerk, at=when)
    d = lifecycle.dossier_assign(dossier=d, actor=leader, officer=officer, at=when)
    d = lifecycle.dossier_approve(dossier=d, actor=leader, at=when)
    return lifecycle.dossier_return_result(dossier=d, actor=receiving_clerk, at=when)


@pytest.mark.parametrize("where", ["hoa_binh", "lien_son", "kim_boi"])
def test_commune_procedure_taken_in_at_a_commune_is_resolved_by_that_commune(prov, where):
    """Each commune's own counter: no unit named, its own commune resolves it (D19 default)."""
    unit = prov[where]
    d = lifecycle.dossier_register(procedure=prov["birth"], receiving_unit=unit, counter=unit.counters.get(),
                                   channel="direct", applicant=APPLICANT, actor=prov[f"{where}_clerk"],
                                   received_at=at(2026, 12, 1))
    assert (d.receiving_unit_id, d.resolving_unit_id, d.current_unit_id) == (unit.pk, unit.pk, unit.pk)
    assert d.code.startswith(f"{unit.code}-261201-")
    steps = list(d.steps.order_by("order").values_list("unit__code", "kind"))
    assert steps == [(unit.code, "processing")]
    others = [k for k in ("hoa_binh", "lien_son", "kim_boi") if k != where]
    with pytest.raises(ForbiddenError):  # another commune's leader sees nothing to approve here
        lifecycle.dossier_assign(dossier=lifecycle.dossier_transfer(dossier=d, actor=prov[f"{where}_clerk"],
                                                                    at=at(2026, 12, 1, 10)),
                                 actor=prov[f"{others[0]}_leader"], officer=prov[f"{others[0]}_officer"],
                                 at=at(2026, 12, 1, 10))
    d = Dossier.objects.get(pk=d.pk)
    d = lifecycle.dossier_assign(dossier=d, actor=prov[f"{where}_leader"], officer=prov[f"{where}_officer"],
                                 at=at(2026, 12, 1, 10))
    d = lifecycle.dossier_approve(dossier=d, actor=prov[f"{where}_leader"], at=at(2026, 12, 2, 10))
    d = lifecycle.dossier_return_result(dossier=d, actor=prov[f"{where}_clerk"], at=at(2026, 12, 2, 11))
    assert (d.state, d.outcome, d.resolving_unit_id) == ("returned", "approved", unit.pk)
    approve = d.events.get(action="approve")
    assert approve.unit_id == unit.pk


def test_commune_procedure_taken_in_at_the_provincial_centre_goes_to_the_named_commune(prov):
    """The provincial centre receives "Đăng ký khai sinh" for Kim Bôi: Kim Bôi resolves it, the
    centre hands it over (D18) and returns the result; the receiving counter stays the centre."""
    d = lifecycle.dossier_register(procedure=prov["birth"], receiving_unit=prov["centre"], channel="direct",
                                   applicant=APPLICANT, actor=prov["centre_clerk"], received_at=at(2026, 12, 1, 15, 30),
                                   resolving_unit=prov["kim_boi"])
    assert (d.receiving_unit_id, d.resolving_unit_id, d.current_unit_id) == (
        prov["centre"].pk, prov["kim_boi"].pk, prov["centre"].pk)
    assert d.code.startswith("000.01.01.H25-261201-")
    # D18: received at 15:30, handed over by the start of office hours of the next working day
    assert d.handover_due_at.astimezone(LOCAL_TZ).date() == date(2026, 12, 2)
    assert list(d.steps.values_list("unit__code", flat=True)) == ["000.33.25.H25"]
    d = _walk(d, receiving_clerk=prov["centre_clerk"], officer=prov["kim_boi_officer"], leader=prov["kim_boi_leader"],
              when=at(2026, 12, 2, 8))
    assert (d.state, d.resolving_unit_id, d.receiving_unit_id) == ("returned", prov["kim_boi"].pk, prov["centre"].pk)
    handover = d.events.get(action="transfer")
    assert (handover.unit_id, handover.to_unit_id) == (prov["centre"].pk, prov["kim_boi"].pk)


def test_centre_must_name_the_commune_and_gets_the_valid_list(prov):
    with pytest.raises(DossierError) as exc:
        lifecycle.dossier_register(procedure=prov["birth"], receiving_unit=prov["centre"], channel="direct",
                                   applicant=APPLICANT, received_at=at(2026, 12, 1))
    assert exc.value.errors["resolving_unit"] == [
        "Thủ tục 1.001193 do Ủy ban nhân dân cấp xã nơi có thẩm quyền giải quyết: chọn cơ quan giải quyết "
        "(3 đơn vị). Đơn vị có thẩm quyền: Ủy ban nhân dân phường Hòa Bình (000.31.25.H25); Ủy ban nhân dân "
        "xã Kim Bôi (000.33.25.H25); Ủy ban nhân dân xã Liên Sơn (000.32.25.H25)."]
    assert not Dossier.objects.exists()


@pytest.mark.parametrize("bad,reason", [
    ("justice", "không giải quyết thủ tục 1.001193"),     # a unit of the wrong level
    ("centre", "không giải quyết thủ tục 1.001193"),      # a counter is not a competent unit
    ("tan_thinh", "không còn hoạt động vào ngày 01/12/2026"),  # a commune that ended before receipt
])
def test_level_procedure_refuses_the_wrong_unit(prov, bad, reason):
    with pytest.raises(DossierError) as exc:
        lifecycle.dossier_register(procedure=prov["birth"], receiving_unit=prov["hoa_binh"], channel="direct",
                                   applicant=APPLICANT, received_at=at(2026, 12, 1), resolving_unit=prov[bad])
    assert reason in exc.value.errors["resolving_unit"][0]
    assert not Dossier.objects.exists()


def test_named_unit_procedure_unchanged_and_refuses_another_unit(prov):
    d = lifecycle.dossier_register(procedure=prov["record"], receiving_unit=prov["hoa_binh"], channel="direct",
                                   applicant=APPLICANT, received_at=at(2026, 12, 1))
    assert d.resolving_unit_id == prov["justice"].pk
    with pytest.raises(DossierError) as exc:
        lifecycle.dossier_register(procedure=prov["record"], receiving_unit=prov["centre"], channel="direct",
                                   applicant=APPLICANT, received_at=at(2026, 12, 1), resolving_unit=prov["police"])
    assert exc.value.errors["resolving_unit"] == [
        "Công an tỉnh Phú Thọ (000.00.90.H25) không giải quyết thủ tục 1.000010. Cơ quan giải quyết của thủ tục "
        "này là Sở Tư pháp tỉnh Phú Thọ (000.00.12.H25)."]


def test_template_steps_at_the_competent_unit_resolve_to_the_chosen_commune(prov):
    """A level procedure's template: reception at the centre (a counter step), verification at
    the provincial police, then "the competent unit" (no unit): the chosen commune."""
    ProcedureStep.objects.create(procedure=prov["birth"], order=1, name="Tiếp nhận", unit=prov["centre"], allotted_time=0)
    ProcedureStep.objects.create(procedure=prov["birth"], order=2, name="Xác minh cư trú", unit=prov["police"],
                                 allotted_time=1)
    ProcedureStep.objects.create(procedure=prov["birth"], order=3, name="Đăng ký, cấp trích lục", unit=None,
                                 allotted_time=2)
    for receiving, chosen in [(prov["hoa_binh"], None), (prov["centre"], prov["lien_son"])]:
        d = lifecycle.dossier_register(procedure=prov["birth"], receiving_unit=receiving, channel="direct",
                                       applicant=APPLICANT, received_at=at(2026, 12, 1), resolving_unit=chosen)
        lead = chosen or receiving
        assert list(d.steps.order_by("order").values_list("unit_id", "kind")) == [
            (receiving.pk, "reception"), (prov["police"].pk, "processing"), (lead.pk, "processing")]


# --- the API ------------------------------------------------------------------------------------------


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(**kw):
    return {"procedure": "1.001193", "receiving_unit": "000.01.01.H25", "channel": "direct",
            "applicant": dict(APPLICANT), **kw}


def test_api_intake_names_the_competent_commune(prov):
    response = _api(prov["centre_clerk"]).post("/api/v1/dossiers/", _body(resolving_unit="000.32.25.H25"), format="json")
    assert response.status_code == 201, response.content
    d = Dossier.objects.get(code=response.json()["code"])
    assert (d.receiving_unit.code, d.resolving_unit.code) == ("000.01.01.H25", "000.32.25.H25")


@pytest.mark.parametrize("code,status,fragment", [
    ("000.00.12.H25", 400, "Sở Tư pháp tỉnh Phú Thọ (000.00.12.H25) không giải quyết thủ tục 1.001193."),
    ("000.32.21.H23", 400, "không còn hoạt động vào ngày"),
    ("000.00.90.H56", 400, ""),  # another province's code: no such unit in this installation
    (None, 400, "chọn cơ quan giải quyết (3 đơn vị)"),
])
def test_api_intake_refuses_a_unit_that_does_not_implement_the_procedure(prov, code, status, fragment):
    body = _body() if code is None else _body(resolving_unit=code)
    response = _api(prov["centre_clerk"]).post("/api/v1/dossiers/", body, format="json")
    assert response.status_code == status, response.content
    payload = response.json()
    assert set(payload) == {"detail", "errors"} and list(payload["errors"]) == ["resolving_unit"]
    assert fragment in payload["errors"]["resolving_unit"][0]
    if code != "000.00.90.H56":
        assert "Ủy ban nhân dân xã Liên Sơn (000.32.25.H25)" in payload["errors"]["resolving_unit"][0]
    assert not Dossier.objects.exists()


def test_api_named_unit_procedure_refuses_another_unit(prov):
    """The issue's case: a commune clerk sent a procedure to the provincial police and got 201."""
    body = {**_body(), "procedure": "1.000010", "receiving_unit": "000.31.25.H25", "resolving_unit": "000.00.90.H25"}
    response = _api(prov["hoa_binh_clerk"]).post("/api/v1/dossiers/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["resolving_unit"] == [
        "Công an tỉnh Phú Thọ (000.00.90.H25) không giải quyết thủ tục 1.000010. Cơ quan giải quyết của thủ tục "
        "này là Sở Tư pháp tỉnh Phú Thọ (000.00.12.H25)."]


def test_api_long_address_is_a_field_error_and_double_submit_takes_in_one(prov):
    client = _api(prov["centre_clerk"])
    long = _body(resolving_unit="000.31.25.H25", applicant={**APPLICANT, "address": "Tổ 5, " * 1000})
    response = client.post("/api/v1/dossiers/", long, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["applicant.address"]
    body = _body(resolving_unit="000.31.25.H25")
    first = client.post("/api/v1/dossiers/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-15")
    again = client.post("/api/v1/dossiers/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-15")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and first.json()["code"] == again.json()["code"]
    assert Dossier.objects.count() == 1


def test_api_competent_units_lists_and_searches(prov):
    client = _api(prov["centre_clerk"])
    data = client.get("/api/v1/procedures/1.001193/competent-units/").json()
    assert data["resolving_level"] == "commune" and data["count"] == 3
    assert [u["code"] for u in data["results"]] == ["000.31.25.H25", "000.33.25.H25", "000.32.25.H25"]
    data = client.get("/api/v1/procedures/1.001193/competent-units/", {"q": "lien son"}).json()
    assert [u["name"] for u in data["results"]] == ["Ủy ban nhân dân xã Liên Sơn"]
    data = client.get("/api/v1/procedures/1.001193/competent-units/", {"on": "2025-06-30"}).json()
    assert [u["code"] for u in data["results"]] == ["000.32.21.H23"]
    data = client.get("/api/v1/procedures/1.000010/competent-units/").json()
    assert [u["code"] for u in data["results"]] == ["000.00.12.H25"]
    assert client.get("/api/v1/procedures/9.999999/competent-units/").status_code == 404
    assert client.get("/api/v1/procedures/1.001193/competent-units/", {"on": "31/12/2026"}).status_code == 400


# --- the counter page's JSON ------------------------------------------------------------------------


def test_page_units_default_and_address_suggestion(prov, client):
    client.force_login(prov["hoa_binh_clerk"])
    data = client.get("/tiep-nhan/don-vi.json", {"procedure": "1.001193"}).json()
    assert data["by_level"] and data["default"] == {"code": "000.31.25.H25", "name": "Ủy ban nhân dân phường Hòa Bình"}
    client.force_login(prov["centre_clerk"])
    data = client.get("/tiep-nhan/don-vi.json", {"procedure": "1.001193", "address": "Thôn 3, xã Kim Bôi, Phú Thọ"}).json()
    assert data["default"] is None
    assert data["suggestion"] == {"code": "000.33.25.H25", "name": "Ủy ban nhân dân xã Kim Bôi", "via": "address"}
    assert data["conversion"] is None
    # a pre-2025 address (ID card): converted to the new commune, suggested, never rewritten
    old = "Tổ 5, phường Tân Thịnh, thành phố Hòa Bình, tỉnh Hòa Bình"
    data = client.get("/tiep-nhan/don-vi.json", {"procedure": "1.001193", "address": old}).json()
    assert data["conversion"]["text"] == "Tổ 5, Phường Hòa Bình, Tỉnh Phú Thọ"
    assert data["suggestion"] == {"code": "000.31.25.H25", "name": "Ủy ban nhân dân phường Hòa Bình",
                                  "via": "conversion"}
    data = client.get("/tiep-nhan/don-vi.json", {"procedure": "1.001193", "address": "x" * 5000}).json()
    assert data["suggestion"] is None and data["conversion"] is None


def test_page_intake_with_chosen_commune_and_refusal_keeps_input(prov, client):
    client.force_login(prov["centre_clerk"])
    form = {"procedure": "1.001193", "applicant_name": "Nguyễn Thị Mai", "applicant_id_number": "025190001234",
            "applicant_address": "Tổ 5, phường Hòa Bình", "channel": "direct", "return_channel": "counter",
            "copies": "1", "doc-count": "1", "doc-0-name": "Tờ khai đăng ký khai sinh", "doc-0-on": "1",
            "doc-0-originals": "1", "doc-0-copies": "0"}
    response = client.post("/tiep-nhan/", {**form, "resolving_unit": "000.00.12.H25"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "không giải quyết thủ tục 1.001193" in page and "Nguyễn Thị Mai" in page
    response = client.post("/tiep-nhan/", {**form, "resolving_unit": "000.32.25.H25", "once": "t-1"})
    assert response.status_code == 302
    again = client.post("/tiep-nhan/", {**form, "resolving_unit": "000.32.25.H25", "once": "t-1"})
    assert again.status_code == 302
    d = Dossier.objects.get()
    assert (d.receiving_unit.code, d.resolving_unit.code) == ("000.01.01.H25", "000.32.25.H25")


# --- import_procedures: resolving_level ----------------------------------------------------------------

from dossiers.services.catalogue import ImportFileError, procedures_import  # noqa: E402
from dossiers.services import history_import as hi  # noqa: E402

PROC = "code,name,field,processing_time,time_unit,resolving_unit_code,resolving_level\n"


def _import_errors(text):
    with pytest.raises(ImportFileError) as exc:
        procedures_import(rows_or_file=text.encode())
    return exc.value.lines


def test_import_procedures_by_level_and_back(prov):
    result = procedures_import(rows_or_file=(PROC + "1.000656,Thủ tục đăng ký khai tử,Hộ tịch,3,working_days,,commune\n"
                                             "1.000894,Thủ tục đăng ký kết hôn,Hộ tịch,5,working_days,000.00.12.H25,\n"
                                             ).encode())
    assert result.created == 2
    death = Procedure.objects.get(code="1.000656")
    assert (death.resolving_unit_id, death.resolving_level, death.by_level) == (None, "commune", True)
    # re-imported with a named unit: the level is cleared (exactly one of the two)
    procedures_import(rows_or_file=(PROC + "1.000656,Thủ tục đăng ký khai tử,Hộ tịch,3,working_days,000.00.12.H25,\n"
                                    ).encode())
    death.refresh_from_db()
    assert (death.resolving_unit.code, death.resolving_level) == ("000.00.12.H25", "")
    # a file with only the new column
    procedures_import(rows_or_file=("code,name,field,processing_time,time_unit,resolving_level\n"
                                    "1.000656,Thủ tục đăng ký khai tử,Hộ tịch,3,working_days,commune\n").encode())
    death.refresh_from_db()
    assert (death.resolving_unit_id, death.resolving_level) == (None, "commune")


@pytest.mark.parametrize("rows,expected", [
    ("1.000656,Khai tử,Hộ tịch,3,working_days,000.00.12.H25,commune\n",
     ["line 2, column resolving_level: give either resolving_unit_code or resolving_level, not both"]),
    ("1.000656,Khai tử,Hộ tịch,3,working_days,,\n",
     ["line 2, column resolving_unit_code: required value missing (or resolving_level)"]),
    ("1.000656,Khai tử,Hộ tịch,3,working_days,,xã\n",
     ["line 2, column resolving_level: “xã” is not allowed (one of: ministry, province, district, commune)"]),
    ("1.000656,Khai tử,Hộ tịch,3,working_days,,commune\n1.000657,Khai tử 2,Hộ tịch,3,working_days,000.99.99.H56,\n",
     ["line 3, column resolving_unit_code: unknown unit 000.99.99.H56"]),
])
def test_import_procedures_unit_xor_level_errors_write_nothing(prov, rows, expected):
    before = Procedure.objects.count()
    assert _import_errors(PROC + rows) == expected
    assert Procedure.objects.count() == before


def test_import_procedures_without_either_column_is_refused(prov):
    assert _import_errors("code,name,field,processing_time,time_unit\n1.000656,Khai tử,Hộ tịch,3,working_days\n") == [
        "line 1, column resolving_unit_code: missing required column (or resolving_level)"]


def test_level_procedure_step_naming_one_commune_is_refused(prov):
    from dossiers.services.catalogue import procedure_steps_import

    with pytest.raises(ImportFileError) as exc:
        procedure_steps_import(rows_or_file=("procedure_code,order,name,unit_code,allotted_time\n"
                                             "1.001193,1,Đăng ký,000.31.25.H25,2\n").encode())
    assert exc.value.lines == ["line 2, column unit_code: 000.31.25.H25 is one commune of the procedure's level: "
                               "leave unit_code empty (the competent unit chosen at intake)"]


# --- import_dossiers: resolving_unit_code per D19 --------------------------------------------------------

HIST = "code,procedure_code,receiving_unit_code,resolving_unit_code,channel,received_at,outcome,resolved_at\n"


def test_history_import_level_procedure(prov):
    text = HIST + (
        "A-1,1.001193,000.31.25.H25,,direct,2026-11-02T09:00,approved,2026-11-03T09:00\n"  # default: own commune
        "A-2,1.001193,000.01.01.H25,000.33.25.H25,direct,2026-11-02T09:00,,\n"             # centre, for Kim Bôi
        "A-3,1.001193,000.01.01.H25,000.32.21.H23,direct,2025-06-20T09:00,approved,2025-06-23T09:00\n"  # before 1/7
    )
    hi.dossier_history_import_text(text)
    got = dict(Dossier.objects.values_list("code", "resolving_unit__code"))
    assert got == {"A-1": "000.31.25.H25", "A-2": "000.33.25.H25", "A-3": "000.32.21.H23"}


def test_history_import_refuses_the_wrong_unit_line_and_column(prov):
    text = HIST + (
        "B-1,1.001193,000.01.01.H25,,direct,2026-11-02T09:00,,\n"               # centre: must name the commune
        "B-2,1.001193,000.01.01.H25,000.32.21.H23,direct,2026-11-02T09:00,,\n"  # ended on 30/6/2025
        "B-3,1.000010,000.31.25.H25,000.00.90.H25,direct,2026-11-02T09:00,,\n"  # the police for a Sở's procedure
    )
    with pytest.raises(hi.HistoryImportError) as exc:
        hi.dossier_history_import_text(text)
    text_all = "\n".join(exc.value.errors)
    assert "line 2, column resolving_unit_code: Thủ tục 1.001193 do Ủy ban nhân dân cấp xã" in text_all
    assert ("line 3, column resolving_unit_code: Ủy ban nhân dân phường Tân Thịnh (000.32.21.H23) không còn hoạt "
            "động vào ngày 02/11/2026") in text_all
    assert ("line 4, column resolving_unit_code: Công an tỉnh Phú Thọ (000.00.90.H25) không giải quyết thủ tục "
            "1.000010.") in text_all
    assert not Dossier.objects.exists()


# --- reports: the receiving counter beside the lead unit --------------------------------------------------


def test_report_shows_the_receiving_counter_beside_the_lead_unit(prov):
    from reporting.periods import Period
    from reporting.selectors import report_figures

    for receiving, chosen in [(prov["centre"], prov["kim_boi"]), (prov["centre"], prov["lien_son"]),
                              (prov["kim_boi"], None)]:
        lifecycle.dossier_register(procedure=prov["birth"], receiving_unit=receiving, channel="direct",
                                   applicant=APPLICANT, received_at=at(2026, 11, 2), resolving_unit=chosen)
    report = report_figures(period=Period.quarter(2026, 4, "calendar"), source="direct", today=date(2026, 12, 3))
    communes = {u["code"]: u["totals"]["received_total"] for lv in report["levels"] for u in lv["units"]
                if u["totals"]["received_total"]}
    assert communes == {"000.32.25.H25": 1, "000.33.25.H25": 2}
    assert report["receiving"] == [
        {"code": "000.01.01.H25", "name": "Trung tâm Phục vụ hành chính công tỉnh Phú Thọ", "received_new": 2,
         "for_other_units": 2, "lead_units": [
             {"code": "000.32.25.H25", "name": "Ủy ban nhân dân xã Liên Sơn", "received_new": 1},
             {"code": "000.33.25.H25", "name": "Ủy ban nhân dân xã Kim Bôi", "received_new": 1}]},
        {"code": "000.33.25.H25", "name": "Ủy ban nhân dân xã Kim Bôi", "received_new": 1, "for_other_units": 0,
         "lead_units": [{"code": "000.33.25.H25", "name": "Ủy ban nhân dân xã Kim Bôi", "received_new": 1}]},
    ]
