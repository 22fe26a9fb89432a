"""Demo data: the Hòa Bình province as it works in December 2026 (two levels since the
reorganisation of 1/7/2025), its counters and demo accounts; loading twice changes nothing."""
import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from dossiers.models import Counter, Field, Procedure, ProcedureStep, Reorganisation, StaffProfile, Unit
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, OFFICER, role_group_name
from demo.catalogue import DEMO_DIR, DEMO_STAFF_PASSWORD, DEMO_SUPERUSER, demo_load

pytestmark = pytest.mark.django_db
User = get_user_model()

EXPECTED_ROLES = {
    "quantri": ADMINISTRATOR,
    "motcua.tinh": COUNTER_CLERK,
    "chuyenvien.stp": OFFICER,
    "lanhdao.stp": LEADER,
    "chuyenvien.stnmt": OFFICER,
    "lanhdao.stnmt": LEADER,
    "chuyenvien.vpdk": OFFICER,
    "motcua.xa": COUNTER_CLERK,
    "chuyenvien.xa": OFFICER,
    "lanhdao.xa": LEADER,
    "motcua.luongson": COUNTER_CLERK,
    "chuyenvien.luongson": OFFICER,
    "lanhdao.luongson": LEADER,
}
#: the former city People's Committee's staff: actors of the spring-2025 history, who cannot log in
FORMER_DISTRICT_STAFF = {"motcua.huyen": COUNTER_CLERK, "chuyenvien.huyen": OFFICER, "lanhdao.huyen": LEADER}


def db_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Unit, Field, Procedure, ProcedureStep, Counter, StaffProfile, User)
    }


def test_demo_load_twice_changes_nothing():
    first = demo_load()
    counts = db_counts()
    users = sorted(User.objects.values_list("username", "password", "is_staff", "is_superuser"))

    second = demo_load()

    assert first.changed and not second.changed
    assert db_counts() == counts
    assert sorted(User.objects.values_list("username", "password", "is_staff", "is_superuser")) == users
    for label, result in second.summary():
        assert (result.created, result.updated, result.deleted) == (0, 0, 0), label
    assert counts == {"Unit": 38, "Field": 18, "Procedure": 40, "ProcedureStep": 36, "Counter": 34,
                      "StaffProfile": 17, "User": 17}
    assert (first.reorganisations, second.reorganisations) == (18, 0)


def test_demo_load_repairs_a_changed_demo_account():
    demo_load()
    clerk = User.objects.get(username="motcua.xa")
    clerk.set_password("something-else")
    clerk.is_staff = True
    clerk.save()

    result = demo_load()

    assert (result.users.created, result.users.updated) == (0, 1)
    clerk.refresh_from_db()
    assert clerk.check_password(DEMO_STAFF_PASSWORD) and not clerk.is_staff


def test_demo_province_structure():
    """Two levels in force; the three districts and ten communes of 2022 ended on 30/6/2025,
    each with its successor recorded as a reorganisation (D20), codes unchanged."""
    demo_load()
    today, end = date(2026, 12, 3), date(2025, 6, 30)
    root = Unit.objects.get(parent=None, level=Unit.Level.PROVINCE, kind=Unit.Kind.PEOPLE_COMMITTEE)
    assert root.name == "Ủy ban nhân dân tỉnh Hòa Bình"
    centre = Unit.objects.get(code="000.01.01.H23")
    assert (centre.kind, centre.level, centre.place) == (Unit.Kind.SERVICE_CENTRE, Unit.Level.PROVINCE, "Hòa Bình")
    assert Unit.objects.filter(level=Unit.Level.PROVINCE, kind=Unit.Kind.AGENCY, name__startswith="Sở").count() == 8
    assert Unit.objects.filter(kind=Unit.Kind.VERTICAL).exists()
    assert all(u.code.endswith(".H23") for u in Unit.objects.all())

    in_force = [u for u in Unit.objects.all() if u.is_valid_on(today)]
    assert {u.level for u in in_force} == {Unit.Level.PROVINCE, Unit.Level.COMMUNE}
    communes = sorted(u.name for u in in_force if u.level == Unit.Level.COMMUNE)
    assert communes == ["Ủy ban nhân dân phường Hòa Bình", "Ủy ban nhân dân phường Tân Hòa", "Ủy ban nhân dân xã Kim Bôi",
                        "Ủy ban nhân dân xã Liên Sơn", "Ủy ban nhân dân xã Lương Sơn", "Ủy ban nhân dân xã Mường Động"]
    assert all(u.parent == root and u.valid_from == date(2025, 7, 1) and u.place for u in in_force
               if u.level == Unit.Level.COMMUNE)

    districts = Unit.objects.filter(level=Unit.Level.DISTRICT, kind=Unit.Kind.PEOPLE_COMMITTEE)
    assert districts.count() == 3
    for district in districts:
        assert district.parent == root and district.valid_to == end
        assert district.children.filter(kind=Unit.Kind.SERVICE_CENTRE, level=Unit.Level.DISTRICT).count() == 1
    old_communes = Unit.objects.filter(level=Unit.Level.COMMUNE, valid_to=end)
    assert old_communes.count() == 10 and all(c.parent in districts for c in old_communes)
    ended = Unit.objects.filter(valid_to=end)
    assert ended.count() == 18  # 3 districts, their 3 centres and 2 land-office branches, 10 communes
    assert all(u.successor is not None and u.successor.is_valid_on(date(2025, 7, 1)) for u in ended)
    assert Unit.objects.get(code="000.31.21.H23").successor.name == "Ủy ban nhân dân phường Hòa Bình"  # Phương Lâm
    assert Unit.objects.get(code="000.33.22.H23").successor.name == "Ủy ban nhân dân xã Liên Sơn"  # Cư Yên
    assert Unit.objects.get(code="000.00.22.H23").successor.name == "Ủy ban nhân dân xã Lương Sơn"
    reorganisations = Reorganisation.objects.all()
    assert reorganisations.count() == 18
    assert {(r.effective_date, r.old_unit.code, r.successor.code) for r in reorganisations} == {
        (date(2025, 7, 1), u.code, u.successor.code) for u in ended}


def test_demo_procedures_are_varied_and_fit_their_budgets():
    demo_load()
    procedures = Procedure.objects.all()
    units = set(procedures.values_list("time_unit", flat=True))
    assert units == {"working_days", "working_hours", "calendar_days"}
    assert procedures.filter(processing_time=0).exists()
    assert procedures.filter(on_the_spot=True).count() >= 3
    assert set(procedures.values_list("online_level", flat=True)) == {"", "full", "partial"}
    # D19: the commune procedures are resolved by every commune (each its own), the others by one unit
    assert set(procedures.filter(resolving_unit__isnull=False).values_list("resolving_unit__level", flat=True)) == {
        "province"}  # since 1/7/2025 the former district procedures are commune procedures
    assert Procedure.objects.get(code="2.000720").resolving_level == "commune"  # hộ kinh doanh
    assert set(procedures.filter(resolving_unit__isnull=True).values_list("resolving_level", flat=True)) == {"commune"}
    assert all(p.fee and p.document_list for p in procedures)
    for procedure in Procedure.objects.filter(steps__isnull=False).distinct():
        assert sum(procedure.steps.values_list("allotted_time", flat=True)) <= procedure.processing_time


def test_demo_counters_serve_fields():
    demo_load()
    centre_counters = Counter.objects.filter(unit__code="000.01.01.H23")
    assert centre_counters.count() == 9
    for unit in Unit.objects.filter(level=Unit.Level.DISTRICT, kind=Unit.Kind.SERVICE_CENTRE):
        assert unit.counters.count() == 3
    for unit in Unit.objects.filter(level=Unit.Level.COMMUNE):
        assert list(unit.counters.values_list("number", flat=True)) == [1]
    assert all(c.fields.exists() for c in Counter.objects.all())
    # every field with a procedure is served at some counter
    served = set(Field.objects.filter(counters__isnull=False).values_list("name", flat=True))
    assert set(Procedure.objects.values_list("field__name", flat=True)) <= served


def test_every_demo_user_logs_in_with_the_expected_role(client):
    result = demo_load()
    shown = {a.username: a for a in result.accounts}

    for username, role in EXPECTED_ROLES.items():
        assert client.login(username=username, password=DEMO_STAFF_PASSWORD), username
        client.logout()
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role_group_name(role)], username
        assert user.is_staff is (role == ADMINISTRATOR), username
        assert not user.is_superuser
        assert user.staff.unit.name == shown[username].unit
        if role == COUNTER_CLERK:
            assert user.staff.counter is not None and user.staff.counter.unit == user.staff.unit

    for username, role in FORMER_DISTRICT_STAFF.items():
        assert not client.login(username=username, password=DEMO_STAFF_PASSWORD), username
        user = User.objects.get(username=username)
        assert not user.is_active and not shown[username].active
        assert list(user.groups.values_list("name", flat=True)) == [role_group_name(role)]
        assert user.staff.unit.valid_to == date(2025, 6, 30)

    name, password = DEMO_SUPERUSER
    assert client.login(username=name, password=password)
    assert User.objects.get(username=name).is_superuser
    assert set(shown) == set(EXPECTED_ROLES) | set(FORMER_DISTRICT_STAFF) | {name}


def test_load_demo_command_prints_counts_and_the_accounts_table(settings):
    settings.DEBUG = True  # the demo commands run only in development (tests/demo/test_demo_guard.py)
    out = io.StringIO()

    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)

    text = out.getvalue()
    assert "Units: 38 created, 0 updated, 0 unchanged" in text
    assert "Units: 0 created, 0 updated, 38 unchanged" in text
    assert "Users: 0 created, 0 updated, 17 unchanged" in text
    assert text.count("Reorganisation of 1/7/2025: 18 entries recorded") == 1
    assert "motcua.huyen, chuyenvien.huyen, lanhdao.huyen" in text  # listed as former, not in the table
    assert not any(line.startswith("motcua.huyen ") for line in text.splitlines())
    table = [line.split() for line in text.splitlines() if line.startswith("motcua.tinh ")]
    assert table and table[-1][-1] == DEMO_STAFF_PASSWORD
    assert any(line.startswith("admin ") and line.endswith(DEMO_SUPERUSER[1]) for line in text.splitlines())


def test_demo_files_import_through_the_commands():
    out = io.StringIO()

    call_command("import_units", str(DEMO_DIR / "units.csv"), stdout=out)
    call_command("import_procedures", str(DEMO_DIR / "procedures.csv"), stdout=out)
    call_command("import_procedure_steps", str(DEMO_DIR / "procedure_steps.csv"), stdout=out)

    assert out.getvalue().splitlines() == [
        "Units: 38 created, 0 updated, 0 unchanged",
        "Procedures: 40 created, 0 updated, 0 unchanged (18 new fields)",
        "Steps: 36 created, 0 updated, 0 unchanged",
    ]
