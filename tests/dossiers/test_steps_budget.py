"""Step templates may not need more time than the procedure's legal processing time (liên thông)."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dossiers.models import Procedure, ProcedureStep
from dossiers.services.catalogue import procedure_steps_set, procedure_steps_validate
from tests.factories import ProcedureFactory, ProcedureStepFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def steps(*pairs):
    return [{"order": i, "name": name, "allotted_time": t} for i, (name, t) in enumerate(pairs, start=1)]


def refusal(procedure, step_list):
    with pytest.raises(ValidationError) as info:
        procedure_steps_validate(procedure=procedure, steps=step_list)
    return info.value.messages


# ---------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------


def test_steps_over_the_legal_time_are_refused_with_names_and_numbers():
    procedure = ProcedureFactory.build(processing_time=5)

    assert refusal(procedure, steps(("Tiếp nhận", 1), ("Thẩm định", 4), ("Phê duyệt", 2))) == [
        "Tổng thời gian các bước (Tiếp nhận: 1, Thẩm định: 4, Phê duyệt: 2 = 7 ngày làm việc) "
        "vượt thời hạn giải quyết 5 ngày làm việc."
    ]


@pytest.mark.parametrize(
    "traits,limit,unit",
    [
        ({"hours": True}, 4, "giờ làm việc"),
        ({"calendar": True}, 45, "ngày"),
        ({"same_day": True}, 0, "ngày làm việc"),
    ],
)
def test_message_uses_the_procedures_time_unit(traits, limit, unit):
    procedure = ProcedureFactory.build(**traits)

    assert refusal(procedure, steps(("Tiếp nhận", limit), ("Trả kết quả", 1))) == [
        f"Tổng thời gian các bước (Tiếp nhận: {limit}, Trả kết quả: 1 = {limit + 1} {unit}) "
        f"vượt thời hạn giải quyết {limit} {unit}."
    ]


def test_steps_are_named_in_their_order():
    procedure = ProcedureFactory.build(processing_time=3)
    unordered = [{"order": 2, "name": "Thẩm định", "allotted_time": 3}, {"order": 1, "name": "Tiếp nhận", "allotted_time": 1}]

    assert refusal(procedure, unordered) == [
        "Tổng thời gian các bước (Tiếp nhận: 1, Thẩm định: 3 = 4 ngày làm việc) vượt thời hạn giải quyết 3 ngày làm việc."
    ]


@pytest.mark.parametrize(
    "limit,step_list",
    [
        (5, steps(("Tiếp nhận", 1), ("Thẩm định", 2), ("Phê duyệt", 2))),  # exactly the budget
        (10, steps(("Tiếp nhận", 1), ("Thẩm định", 4))),  # time to spare
        (0, steps(("Tiếp nhận và trả kết quả trong ngày", 0))),  # same-day procedure
        (5, []),  # no template
    ],
)
def test_steps_within_the_legal_time_pass(limit, step_list):
    procedure_steps_validate(procedure=ProcedureFactory.build(processing_time=limit), steps=step_list)


def test_incomplete_steps_are_refused():
    procedure = ProcedureFactory.build(processing_time=10)
    bad = [
        {"order": 1, "name": "", "allotted_time": 1},
        {"order": 1, "name": "Thẩm định", "allotted_time": -1},
        {"order": 0, "name": "Phê duyệt", "allotted_time": 1},
    ]

    assert refusal(procedure, bad) == [
        "Bước thứ 1: chưa có tên bước.",
        "Thứ tự 1 bị trùng giữa các bước.",
        "Bước “Thẩm định”: thời gian phải là số nguyên không âm.",
        "Bước “Phê duyệt”: thứ tự phải là số nguyên dương.",
    ]


def test_steps_set_replaces_the_template_and_defaults_order_and_unit():
    procedure = ProcedureFactory(processing_time=10)
    office = UnitFactory()
    ProcedureStepFactory(procedure=procedure, order=7, name="Bước cũ", allotted_time=1)

    saved = procedure_steps_set(procedure=procedure, steps=[
        {"name": "Tiếp nhận", "allotted_time": 1},
        {"name": "Thẩm định", "allotted_time": 7, "unit": office},
        {"name": "Trả kết quả", "allotted_time": 1},
    ])

    assert [(s.order, s.name, s.unit, s.allotted_time) for s in saved] == [
        (1, "Tiếp nhận", None, 1), (2, "Thẩm định", office, 7), (3, "Trả kết quả", None, 1)
    ]
    assert ProcedureStep.objects.filter(procedure=procedure).count() == 3


def test_steps_set_over_budget_writes_nothing():
    procedure = ProcedureFactory(processing_time=3)
    kept = ProcedureStepFactory(procedure=procedure, order=1, name="Tiếp nhận", allotted_time=1)

    with pytest.raises(ValidationError):
        procedure_steps_set(procedure=procedure, steps=steps(("Tiếp nhận", 1), ("Thẩm định", 3)))

    assert list(procedure.steps.all()) == [kept]


# ---------------------------------------------------------------------------------------------
# Through the admin change form
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_vi(client):
    client.force_login(UserFactory(superuser=True))
    return client


def procedure_post(procedure: Procedure, step_rows, **overrides):
    """The POST body of the procedure change form with its step inline."""
    existing = list(procedure.steps.order_by("order")) if procedure.pk else []
    data = {
        "code": procedure.code,
        "name": procedure.name,
        "field": procedure.field_id,
        "processing_time": procedure.processing_time,
        "time_unit": procedure.time_unit,
        "resolving_unit": procedure.resolving_unit_id,
        "online_level": procedure.online_level,
        "fee": procedure.fee,
        "documents": procedure.documents,
        "is_active": "on",
        "steps-TOTAL_FORMS": len(step_rows),
        "steps-INITIAL_FORMS": len(existing),
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
    }
    data.update(overrides)
    for i, row in enumerate(step_rows):
        if i < len(existing):
            data[f"steps-{i}-id"] = existing[i].pk
        data[f"steps-{i}-procedure"] = procedure.pk or ""
        data[f"steps-{i}-order"] = row["order"]
        data[f"steps-{i}-name"] = row["name"]
        data[f"steps-{i}-unit"] = row.get("unit", "")
        data[f"steps-{i}-allotted_time"] = row["allotted_time"]
        if row.get("delete"):
            data[f"steps-{i}-DELETE"] = "on"
    return data


def test_admin_refuses_steps_over_the_legal_time(admin_client_vi):
    procedure = ProcedureFactory(processing_time=5)
    url = reverse("admin:dossiers_procedure_change", args=[procedure.pk])

    response = admin_client_vi.post(url, procedure_post(procedure, steps(("Tiếp nhận", 1), ("Thẩm định", 4), ("Phê duyệt", 2))))

    assert response.status_code == 200
    assert (
        "Tổng thời gian các bước (Tiếp nhận: 1, Thẩm định: 4, Phê duyệt: 2 = 7 ngày làm việc) "
        "vượt thời hạn giải quyết 5 ngày làm việc." in response.content.decode()
    )
    assert not procedure.steps.exists()


def test_admin_saves_steps_within_the_legal_time(admin_client_vi):
    procedure = ProcedureFactory(processing_time=5)
    office = UnitFactory()
    url = reverse("admin:dossiers_procedure_change", args=[procedure.pk])
    rows = steps(("Tiếp nhận", 1), ("Thẩm định", 3), ("Phê duyệt", 1))
    rows[1]["unit"] = office.pk

    response = admin_client_vi.post(url, procedure_post(procedure, rows))

    assert response.status_code == 302
    assert list(procedure.steps.values_list("name", "unit", "allotted_time")) == [
        ("Tiếp nhận", None, 1), ("Thẩm định", office.pk, 3), ("Phê duyệt", None, 1)
    ]


def test_admin_refuses_a_shorter_processing_time_than_the_steps_need(admin_client_vi):
    procedure = ProcedureFactory(processing_time=10)
    ProcedureStepFactory(procedure=procedure, order=1, name="Tiếp nhận", allotted_time=1)
    ProcedureStepFactory(procedure=procedure, order=2, name="Thẩm định", allotted_time=8)
    url = reverse("admin:dossiers_procedure_change", args=[procedure.pk])
    rows = [{"order": s.order, "name": s.name, "allotted_time": s.allotted_time} for s in procedure.steps.all()]

    response = admin_client_vi.post(url, procedure_post(procedure, rows, processing_time=5))

    assert response.status_code == 200
    assert (
        "Tổng thời gian các bước (Tiếp nhận: 1, Thẩm định: 8 = 9 ngày làm việc) vượt thời hạn giải quyết 5 ngày làm việc."
        in response.content.decode()
    )
    procedure.refresh_from_db()
    assert procedure.processing_time == 10


def test_admin_deleted_steps_do_not_count(admin_client_vi):
    procedure = ProcedureFactory(processing_time=5)
    ProcedureStepFactory(procedure=procedure, order=1, name="Tiếp nhận", allotted_time=1)
    ProcedureStepFactory(procedure=procedure, order=2, name="Thẩm định", allotted_time=4)
    url = reverse("admin:dossiers_procedure_change", args=[procedure.pk])
    rows = [
        {"order": 1, "name": "Tiếp nhận", "allotted_time": 1},
        {"order": 2, "name": "Thẩm định", "allotted_time": 4, "delete": True},
        {"order": 3, "name": "Thẩm định lại", "allotted_time": 4},
    ]

    response = admin_client_vi.post(url, procedure_post(procedure, rows))

    assert response.status_code == 302
    assert list(procedure.steps.values_list("order", "name")) == [(1, "Tiếp nhận"), (3, "Thẩm định lại")]


def test_admin_add_form_checks_the_budget_too(admin_client_vi):
    template = ProcedureFactory.build(code="1.009994", processing_time=15, field=ProcedureFactory().field,
                                      resolving_unit=UnitFactory())
    url = reverse("admin:dossiers_procedure_add")

    response = admin_client_vi.post(url, procedure_post(template, steps(("Tiếp nhận", 1), ("Thẩm định", 15))))

    assert response.status_code == 200
    assert "= 16 ngày làm việc) vượt thời hạn giải quyết 15 ngày làm việc." in response.content.decode()
    assert not Procedure.objects.filter(code="1.009994").exists()
