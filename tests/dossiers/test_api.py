"""REST API v1 for dossiers (interfaces.md "REST API (v1)"): intake, list, detail, actions.

Every answer that is an error must have exactly the shape {"detail": str, "errors": {field: [str]}}.
The organisation used throughout (codes are electronic identifiers):

    UBND tỉnh (root) ─┬─ Trung tâm PVHCC (centre: counter clerk)
                      ├─ Sở Tư pháp (agency: officer, leader)
                      ├─ Sở Xây dựng (agency2: officer2)
                      └─ UBND huyện Lạc Sơn (district: its own counter clerk)
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dossiers import calendar as wcal
from dossiers.api.views import ACTION_APIS
from dossiers.models import Dossier, Field, Procedure, ProcedureStep, StaffProfile, Unit
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, OFFICER, role_group_name, roles_sync
from dossiers.services import lifecycle
from dossiers.workflow import ACTION_TRANSITIONS, Action, DossierState, action_allowed

pytestmark = pytest.mark.django_db

S = DossierState
LIST_URL = "/api/v1/dossiers/"
CCCD = "017090001234"


def detail_url(code: str) -> str:
    return f"/api/v1/dossiers/{code}/"


def action_url(code: str, action: str) -> str:
    return f"/api/v1/dossiers/{code}/{action}/"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=wcal.LOCAL_TZ)


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    for field, messages in body["errors"].items():
        assert isinstance(field, str)
        assert isinstance(messages, list) and all(isinstance(m, str) and m for m in messages)
    return body


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def org(db):
    roles_sync()
    root = Unit.objects.create(code="000.00.00.H23", name="UBND tỉnh Hòa Bình", level="province", kind="people_committee")
    centre = Unit.objects.create(
        code="000.00.01.H23", name="Trung tâm Phục vụ hành chính công tỉnh", level="province", kind="service_centre",
        parent=root,
    )
    agency = Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp", level="province", kind="agency", parent=root)
    agency2 = Unit.objects.create(code="000.00.15.H23", name="Sở Xây dựng", level="province", kind="agency", parent=root)
    district = Unit.objects.create(
        code="000.20.31.H23", name="UBND huyện Lạc Sơn", level="district", kind="people_committee", parent=root
    )
    hotich = Field.objects.create(name="Hộ tịch")
    xaydung = Field.objects.create(name="Xây dựng")
    p5 = Procedure.objects.create(
        code="1.001234", name="Đăng ký khai sinh", field=hotich, processing_time=5,
        time_unit=Procedure.TimeUnit.WORKING_DAYS, resolving_unit=agency, documents="Tờ khai\nGiấy chứng sinh",
    )
    p10 = Procedure.objects.create(
        code="2.000908", name="Cấp giấy phép xây dựng", field=xaydung, processing_time=10,
        time_unit=Procedure.TimeUnit.WORKING_DAYS, resolving_unit=agency,
    )
    ProcedureStep.objects.create(procedure=p10, order=1, name="Thẩm định hồ sơ", unit=agency, allotted_time=4)
    ProcedureStep.objects.create(procedure=p10, order=2, name="Ý kiến Sở Xây dựng", unit=agency2, allotted_time=6)

    def user(username, unit, *roles):
        u = User.objects.create_user(username, password="mat-khau-123", first_name=username.title())
        if unit is not None:
            StaffProfile.objects.create(user=u, unit=unit)
        for role in roles:
            u.groups.add(Group.objects.get(name=role_group_name(role)))
        return u

    return type("Org", (), dict(
        root=root, centre=centre, agency=agency, agency2=agency2, district=district, p5=p5, p10=p10,
        clerk=user("clerk", centre, COUNTER_CLERK),
        officer=user("officer", agency, OFFICER),
        officer2=user("officer2", agency2, OFFICER),
        leader=user("leader", agency, LEADER),
        admin=user("admin", None, ADMINISTRATOR),
        district_clerk=user("district_clerk", district, COUNTER_CLERK),
        nobody=user("nobody", centre),
    ))


@pytest.fixture(autouse=True)
def _historical_receipts(settings):
    """These tests replay 2022 instants through the API; the live-intake backdating window
    (issue 18) is tested in tests/hardening/test_received_at.py."""
    settings.INTAKE_BACKDATE_DAYS = 100_000


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def as_clerk(org):
    return client_for(org.clerk)


@pytest.fixture
def as_admin(org):
    return client_for(org.admin)


def intake_body(org, **overrides) -> dict:
    body = {
        "procedure": org.p5.code,
        "receiving_unit": org.centre.code,
        "channel": "direct",
        "applicant": {
            "name": "Nguyễn Văn An", "id_number": CCCD, "phone": "0912345678",
            "address": "Tổ 5, phường Phương Lâm, TP Hòa Bình", "email": "an@example.vn",
        },
        "on_the_spot": False,
    }
    body.update(overrides)
    return body


def register(org, *, procedure=None, unit=None, actor=None, **kwargs) -> Dossier:
    return lifecycle.dossier_register(
        procedure=procedure or org.p5,
        receiving_unit=unit or org.centre,
        channel=kwargs.pop("channel", "direct"),
        applicant={"name": kwargs.pop("name", "Trần Thị Bình"), "id_number": CCCD},
        actor=actor or org.clerk,
        **kwargs,
    )


def dossier_in(org, state: str, **kwargs) -> Dossier:
    """A dossier brought to `state` through the services, as staff would."""
    if state in (S.SUBMITTED, S.REJECTED):
        d = register(org, channel="online", submit_only=True, **kwargs)
        if state == S.REJECTED:
            d = lifecycle.dossier_reject(dossier=d, actor=org.clerk, reason="Hồ sơ không đúng thủ tục")
        return d
    d = register(org, **kwargs)
    if state in (S.IN_PROCESSING, S.AWAITING_SUPPLEMENT, S.APPROVED, S.RETURNED):
        d = lifecycle.dossier_transfer(dossier=d, actor=kwargs.get("actor", org.clerk))  # the hand-over (D18)
        d = lifecycle.dossier_assign(dossier=d, actor=org.leader, officer=org.officer)
    if state == S.AWAITING_SUPPLEMENT:
        d = lifecycle.dossier_request_supplement(dossier=d, actor=org.officer, reason="Thiếu giấy chứng sinh")
    elif state in (S.APPROVED, S.RETURNED):
        d = lifecycle.dossier_approve(dossier=d, actor=org.leader)
        if state == S.RETURNED:
            d = lifecycle.dossier_return_result(dossier=d, actor=org.clerk)
    elif state == S.REFUSED:
        d = lifecycle.dossier_refuse(dossier=d, actor=org.leader, reason="Không đủ điều kiện")
    elif state == S.STOPPED:
        d = lifecycle.dossier_transfer(dossier=d, actor=org.clerk)
        d = lifecycle.dossier_stop(dossier=d, actor=org.leader, reason="Không bổ sung trong thời hạn")
    elif state == S.WITHDRAWN:
        d = lifecycle.dossier_withdraw(dossier=d, actor=org.clerk, reason="Người nộp xin rút")
    d.refresh_from_db()
    assert d.state == state
    return d


def valid_body(org, action: str) -> dict:
    """Fields that pass validation for each action."""
    return {
        Action.ACCEPT: {},
        Action.REJECT: {"reason": "Hồ sơ nộp nhầm thủ tục"},
        Action.ASSIGN: {"officer": org.officer.username},
        Action.TRANSFER: {"note": "Chuyển Sở Xây dựng cho ý kiến"},
        Action.SEND_BACK: {"reason": "Thiếu ý kiến thẩm định"},
        Action.SKIP_STEP: {"step": 2, "reason": "Không cần ý kiến"},
        Action.STOP: {"reason": "Người nộp không bổ sung trong thời hạn"},
        Action.REQUEST_SUPPLEMENT: {"reason": "Thiếu giấy chứng sinh", "documents": "Giấy chứng sinh (bản chính)"},
        Action.RESUME: {},
        Action.APPROVE: {"note": "Đồng ý"},
        Action.REFUSE: {"reason": "Không đủ điều kiện"},
        Action.APOLOGIZE: {"new_date": "2099-12-31", "reason": "Chờ ý kiến liên ngành"},
        Action.RETURN_RESULT: {"return_channel": "postal"},
        Action.WITHDRAW: {"reason": "Người nộp xin rút"},
    }[action]


# --- authentication --------------------------------------------------------------------------


def test_token_endpoint_returns_a_token_that_authenticates(org):
    """POST /api/v1/auth/token/ with username and password answers {"token": …}; the token opens the API."""
    response = APIClient().post("/api/v1/auth/token/", {"username": "clerk", "password": "mat-khau-123"}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires_at"}  # expires_at added (issue 18)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get(LIST_URL).status_code == 200


def test_token_endpoint_with_a_wrong_password_is_a_400_in_the_error_shape(org):
    """Wrong credentials answer 400 with the common error shape."""
    response = APIClient().post("/api/v1/auth/token/", {"username": "clerk", "password": "sai"}, format="json")
    body = assert_error_shape(response, 400)
    assert body["errors"]


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Token khong-hop-le"}])
def test_without_valid_credentials_the_api_answers_401(org, headers):
    """No token or a bad token: 401 with a Token challenge, in the error shape."""
    response = APIClient().get(LIST_URL, **headers)
    assert_error_shape(response, 401)
    assert response["WWW-Authenticate"] == "Token"


def test_a_user_without_any_role_gets_403(org):
    """A login that is not one-stop staff (no role) may not use the API."""
    body = assert_error_shape(client_for(org.nobody).get(LIST_URL), 403)
    assert body["detail"] == "Tài khoản này không phải cán bộ của hệ thống một cửa."


def test_session_auth_works_for_the_browser(org):
    """A logged-in browser session reaches the API without a token."""
    client = APIClient()
    client.force_login(org.clerk)
    assert client.get(LIST_URL).status_code == 200


# --- intake ----------------------------------------------------------------------------------


def test_intake_answers_201_with_the_engines_due_date(org, as_clerk):
    """Received online Fri 28/01/2022 10:00, 5 working days: Tết 31/01–04/02 is skipped, due 11/02/2022 17:00."""
    body = intake_body(org, channel="online", received_at="2022-01-28T10:00:00+07:00")
    response = as_clerk.post(LIST_URL, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["code"] == "000.00.01.H23-220128-0001"
    assert data["status"] == "received"
    assert data["received_at"] == "2022-01-28T10:00:00+07:00"
    assert data["due_date"] == "2022-02-11"
    assert data["due_at"] == "2022-02-11T17:00:00+07:00"
    assert data["due_text"]
    assert data["procedure"] == {"code": "1.001234", "name": "Đăng ký khai sinh"}
    assert data["receiving_unit"]["code"] == org.centre.code
    assert data["resolving_unit"]["code"] == org.agency.code
    assert data["applicant"]["id_number"] == CCCD
    assert data["actions"] == ["transfer", "withdraw"]  # the counter hands it over (D18) or records a withdrawal
    stored = Dossier.objects.get(code=data["code"])
    assert stored.created_by == org.clerk and stored.due_date == date(2022, 2, 11)
    detail = as_clerk.get(response["Location"]).json()
    assert response["Location"] == detail_url(data["code"])
    assert [e["action"] for e in detail["history"]] == ["receive"]
    assert [(s["name"], s["due_date"]) for s in detail["steps"]] == [("Giải quyết hồ sơ", "2022-02-11")]


@pytest.mark.parametrize("state", [S.SUBMITTED, S.RECEIVED, S.AWAITING_SUPPLEMENT, S.RETURNED, S.WITHDRAWN])
def test_the_receipts_fast_representation_equals_drfs_generic_one(org, state):
    """The intake answer is built by hand for speed; it must say exactly what the declared
    fields say, key for key and in order, in every state (nulls, pauses, resolved)."""
    from rest_framework import serializers

    from dossiers.api.serializers import DossierReceiptOutputSerializer

    d = dossier_in(org, state, documents=[{"name": "Tờ khai", "originals": 1, "copies": 0}])
    d = Dossier.objects.select_related("procedure__field", "receiving_unit", "resolving_unit", "current_unit").get(pk=d.pk)
    context = {"actions_for": lambda obj: ["assign"]}
    fast = DossierReceiptOutputSerializer(d, context=context).data
    generic = serializers.Serializer.to_representation(DossierReceiptOutputSerializer(d, context=context), d)
    assert list(fast.items()) == list(generic.items())


def test_intake_without_received_at_starts_the_clock_now(org, as_clerk):
    """Without received_at the receipt instant is the moment of the call."""
    before = datetime.now(wcal.LOCAL_TZ)
    response = as_clerk.post(LIST_URL, intake_body(org), format="json")
    assert response.status_code == 201
    received = datetime.fromisoformat(response.json()["received_at"])
    assert before - timedelta(seconds=1) <= received <= datetime.now(wcal.LOCAL_TZ)


def test_intake_submit_only_waits_for_acceptance(org, as_clerk):
    """An online submission (submit_only) is 'submitted', without receipt or due date yet."""
    response = as_clerk.post(LIST_URL, intake_body(org, channel="online", submit_only=True), format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["received_at"], data["due_date"]) == ("submitted", None, None)
    assert data["actions"] == ["accept", "reject"]


def test_intake_with_documents_resolving_unit_and_return_channel(org, as_admin):
    """Optional fields are stored as given. Only the district's counter clerk receives for the
    district: an administrator takes nothing in (D17), for no unit. The competent unit named must
    be the procedure's own (D19: another unit is refused, 400)."""
    body = intake_body(
        org, receiving_unit=org.district.code, resolving_unit=org.agency2.code, return_channel="postal",
        documents=[{"name": "Tờ khai", "originals": 1, "copies": 0}], request_content="Khai sinh cho con", copies=2,
    )
    assert as_admin.post(LIST_URL, body, format="json").status_code == 403
    clerk = client_for(org.district_clerk)
    refused = clerk.post(LIST_URL, body, format="json")
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["resolving_unit"]
    body["resolving_unit"] = org.agency.code
    response = clerk.post(LIST_URL, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["code"].startswith("000.20.31.H23-")
    assert data["resolving_unit"]["code"] == org.agency.code
    assert data["return_channel"] == "postal"
    assert data["documents"] == [{"name": "Tờ khai", "originals": 1, "copies": 0}]
    assert (data["request_content"], data["copies"]) == ("Khai sinh cho con", 2)


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"applicant": {"name": "An", "id_number": "12345"}}, "applicant.id_number", "Số CCCD phải gồm 12 chữ số."),
        ({"applicant": {"name": "", "id_number": CCCD}}, "applicant.name", "Vui lòng nhập họ và tên người nộp hồ sơ."),
        ({"applicant": {"id_number": CCCD}}, "applicant.name", "Vui lòng nhập họ và tên người nộp hồ sơ."),
        ({"procedure": "9.999999"}, "procedure", "Không có thủ tục mã “9.999999” trong danh mục."),
        ({"channel": "fax"}, "channel", "Hình thức nộp phải là direct (trực tiếp), postal (bưu chính) hoặc online (trực tuyến)."),
        ({"receiving_unit": "000.99.99.H23"}, "receiving_unit", "Không có đơn vị mã “000.99.99.H23”."),
        ({"receiving_unit": "000.20.31.H23"}, "receiving_unit", "Bạn không tiếp nhận hồ sơ cho đơn vị này."),
        ({"received_at": "2022-01-28T10:00:00+07:00"}, "received_at",
         "Chỉ hồ sơ trực tuyến chuyển từ hệ thống khác mới được ghi thời điểm tiếp nhận."),
        ({"submit_only": True}, "submit_only", "Chỉ hồ sơ nộp trực tuyến mới chờ tiếp nhận."),
        ({"channel": "online", "received_at": "2099-01-01T10:00:00+07:00"}, "received_at",
         "Thời điểm tiếp nhận không được ở tương lai."),
        ({"on_the_spot": True}, "on_the_spot", "Thủ tục này không áp dụng “4 tại chỗ”."),
    ],
)
def test_intake_bad_fields_answer_400_with_field_messages(org, as_clerk, overrides, field, message):
    """Each bad field answers 400 naming the field with a plain Vietnamese message; nothing is stored."""
    response = as_clerk.post(LIST_URL, intake_body(org, **overrides), format="json")
    body = assert_error_shape(response, 400)
    assert body["errors"][field] == [message]
    assert not Dossier.objects.exists()


def test_intake_reports_every_bad_field_at_once(org, as_clerk):
    """Unknown procedure and a bad CCCD and a missing channel come back together."""
    body = intake_body(org, procedure="9.999999", applicant={"name": "An", "id_number": "abc"})
    del body["channel"]
    errors = assert_error_shape(as_clerk.post(LIST_URL, body, format="json"), 400)["errors"]
    assert {"procedure", "applicant.id_number", "channel"} <= set(errors)


def test_intake_needs_the_counter_role(org):
    """Officers and leaders do not receive dossiers: 403."""
    for user in (org.officer, org.leader):
        body = assert_error_shape(client_for(user).post(LIST_URL, intake_body(org), format="json"), 403)
        assert body["detail"] == "Vai trò của bạn không được thực hiện thao tác “Tiếp nhận hồ sơ”."
    assert not Dossier.objects.exists()


def test_intake_codes_follow_the_per_unit_daily_sequence(org, as_clerk):
    """Two intakes on one day get consecutive numbers (D15)."""
    codes = [
        as_clerk.post(LIST_URL, intake_body(org, channel="online", received_at=f"2022-03-01T0{h}:00:00+07:00"),
                      format="json").json()["code"]
        for h in (8, 9)
    ]
    assert codes == ["000.00.01.H23-220301-0001", "000.00.01.H23-220301-0002"]


# --- detail ----------------------------------------------------------------------------------


def test_detail_routes_codes_with_dots_and_dashes_and_has_steps_pauses_history(org, as_clerk):
    """GET /dossiers/000.00.01.H23-YYMMDD-NNNN/ answers the dossier with its steps, pauses and history."""
    d = dossier_in(org, S.AWAITING_SUPPLEMENT, procedure=org.p10)
    response = as_clerk.get(detail_url(d.code))
    assert response.status_code == 200
    data = response.json()
    assert data["code"] == d.code and "." in d.code and "-" in d.code
    # the template ends at Sở Xây dựng: the lead unit's decision step follows (D17)
    assert [s["unit"]["code"] for s in data["steps"]] == [org.agency.code, org.agency2.code, org.agency.code]
    assert [p["reason"] for p in data["pauses"]] == ["Thiếu giấy chứng sinh"]
    assert data["pauses"][0]["completed_at"] is None
    assert [(e["action"], e["to_state"]) for e in data["history"]] == [
        ("receive", "received"), ("transfer", "in_processing"), ("assign", "in_processing"),
        ("request-supplement", "awaiting_supplement"),
    ]
    assert [e["unit"]["code"] for e in data["history"]] == [org.centre.code, org.centre.code] + [org.agency.code] * 2
    assert data["history"][3]["actor"] == "Officer"
    assert data["status_label"] == "Chờ bổ sung"
    assert data["actions"] == ["resume", "withdraw"]


def test_detail_of_a_dossier_of_a_sibling_unit_is_404(org, as_clerk):
    """The centre's clerk cannot see a dossier received by the district counter: 404, not 403."""
    d = dossier_in(org, S.RECEIVED, unit=org.district, actor=org.district_clerk)
    body = assert_error_shape(as_clerk.get(detail_url(d.code)), 404)
    assert d.code in body["detail"]
    assert client_for(org.district_clerk).get(detail_url(d.code)).status_code == 200


def test_detail_of_an_unknown_code_is_404(org, as_clerk):
    """An unknown code answers 404 in the error shape."""
    assert_error_shape(as_clerk.get(detail_url("000.00.01.H23-990101-9999")), 404)


def test_leader_sees_dossiers_led_by_their_unit(org):
    """The agency's leader sees a dossier received at the centre that the agency resolves."""
    d = dossier_in(org, S.RECEIVED)
    assert client_for(org.leader).get(detail_url(d.code)).status_code == 200
    assert client_for(org.officer2).get(detail_url(d.code)).status_code == 404


# --- actions: happy paths --------------------------------------------------------------------


def post_action(user, code, action, body=None):
    return client_for(user).post(action_url(code, action), body or {}, format="json")


def test_every_workflow_action_has_an_endpoint():
    """Each workflow.Action is routed (who may call it: dossiers.core, tests/dossiers/test_core.py)."""
    assert set(ACTION_APIS) == set(Action.values)


def test_accept_starts_the_clock(org):
    """A clerk accepts an online submission: status received, a receipt time and a due date."""
    d = dossier_in(org, S.SUBMITTED)
    response = post_action(org.clerk, d.code, "accept")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "received" and data["received_at"] and data["due_date"]
    assert data["history"][-1]["action"] == "accept"


def test_reject_ends_an_online_submission(org):
    """A clerk rejects an online submission with a reason: status rejected."""
    d = dossier_in(org, S.SUBMITTED)
    data = post_action(org.clerk, d.code, "reject", {"reason": "Nộp nhầm thủ tục"}).json()
    assert data["status"] == "rejected"
    assert data["history"][-1]["note"] == "Nộp nhầm thủ tục"


def test_the_clerk_hands_over_then_the_leader_assigns_an_officer(org):
    """The counter hands the received dossier over (D18: only "transfer" and "withdraw" are
    offered to it); the agency's leader assigns an officer: in processing at the agency."""
    d = dossier_in(org, S.RECEIVED)
    detail = client_for(org.clerk).get(detail_url(d.code)).json()
    assert detail["actions"] == ["transfer", "withdraw"]
    handed = post_action(org.clerk, d.code, "transfer")
    assert handed.status_code == 200, handed.content
    assert (handed.json()["status"], handed.json()["current_unit"]["code"]) == ("in_processing", org.agency.code)
    assert handed.json()["history"][-1]["unit"]["code"] == org.centre.code
    response = post_action(org.leader, d.code, "assign", {"officer": "officer", "note": "Xử lý gấp"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["assigned_to"], data["current_unit"]["code"]) == ("in_processing", "officer", org.agency.code)
    assert data["steps"][0]["state"] == "current" and data["steps"][0]["assigned_to"] == "officer"


@pytest.mark.parametrize(
    "officer, message",
    [
        ("khong-co", "Không có cán bộ “khong-co”."),
        ("officer2", "Cán bộ “officer2” không thuộc {agency}, đơn vị đang giữ hồ sơ."),
        ("clerk", "Cán bộ “clerk” không thuộc {agency}, đơn vị đang giữ hồ sơ."),
    ],
)
def test_assign_to_someone_outside_the_unit_is_a_field_error(org, officer, message):
    """The assignee must exist and work at the unit the dossier is at."""
    d = lifecycle.dossier_transfer(dossier=dossier_in(org, S.RECEIVED), actor=org.clerk)
    body = assert_error_shape(post_action(org.leader, d.code, "assign", {"officer": officer}), 400)
    assert body["errors"] == {"officer": [message.format(agency=org.agency.name)]}
    d.refresh_from_db()
    assert (d.state, d.assigned_to) == (S.IN_PROCESSING, None)


def test_assign_needs_an_assignee_with_a_processing_role(org):
    """A counter clerk of the agency cannot be handed processing work."""
    helper = User.objects.create_user("agency_clerk")
    StaffProfile.objects.create(user=helper, unit=org.agency)
    helper.groups.add(Group.objects.get(name=role_group_name(COUNTER_CLERK)))
    d = lifecycle.dossier_transfer(dossier=dossier_in(org, S.RECEIVED), actor=org.clerk)
    body = assert_error_shape(post_action(org.leader, d.code, "assign", {"officer": "agency_clerk"}), 400)
    assert body["errors"] == {"officer": ["Cán bộ “agency_clerk” không có vai trò xử lý hồ sơ."]}


def test_transfer_hands_the_dossier_to_the_next_steps_unit(org):
    """Transfer finishes step 1 at Sở Tư pháp and moves the dossier to Sở Xây dựng (step 2)."""
    d = dossier_in(org, S.IN_PROCESSING, procedure=org.p10)
    response = post_action(org.officer, d.code, "transfer", {"note": "Xin ý kiến"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "in_processing"
    assert data["current_unit"]["code"] == org.agency2.code
    assert [s["state"] for s in data["steps"]] == ["done", "current", "waiting"]
    assert data["history"][-1]["to_unit"]["code"] == org.agency2.code
    # the agency's officer has no say at Sở Xây dựng's step: 409 naming who may act now
    body = assert_error_shape(post_action(org.officer, d.code, "transfer"), 409)
    assert "Sở Xây dựng" in body["detail"] if "Sở Xây dựng" in org.agency2.name else org.agency2.name in body["detail"]


def test_transfer_from_the_last_step_is_a_409(org):
    """A single-step dossier has nowhere to go: the lead unit decides (409, the reason)."""
    d = dossier_in(org, S.IN_PROCESSING)
    body = assert_error_shape(post_action(org.officer, d.code, "transfer"), 409)
    assert body["detail"] == lifecycle.MSG_LAST_STEP.format(lead=org.agency.name)


def test_request_supplement_then_resume_moves_the_due_date(org):
    """Supplement requested and completed: the pause is closed and recorded (D7)."""
    d = dossier_in(org, S.IN_PROCESSING)
    data = post_action(org.officer, d.code, "request-supplement", {"reason": "Thiếu tờ khai", "documents": "Tờ khai"}).json()
    assert data["status"] == "awaiting_supplement"
    assert data["paused_at"] is not None and data["supplement_count"] == 1
    assert data["pauses"][0]["documents"] == "Tờ khai"
    data = post_action(org.officer, d.code, "resume").json()
    assert data["status"] == "in_processing" and data["paused_at"] is None
    assert data["pauses"][0]["completed_at"] is not None


def test_resume_by_the_counter_clerk(org):
    """The applicant brings the supplement to the counter: the clerk may resume."""
    d = dossier_in(org, S.AWAITING_SUPPLEMENT)
    assert post_action(org.clerk, d.code, "resume").json()["status"] == "in_processing"


def test_approve_resolves_and_classifies(org):
    """The leader approves a dossier received today: resolved early (5 working days remain)."""
    d = dossier_in(org, S.IN_PROCESSING)
    data = post_action(org.leader, d.code, "approve", {"note": "Đồng ý"}).json()
    assert data["status"] == "approved"
    assert data["outcome"] == "approved" and data["classification"] == "early"
    assert data["resolved_at"] is not None


def test_refuse_resolves_with_the_reason(org):
    """The leader refuses in writing: status refused, the reason is the outcome note."""
    d = dossier_in(org, S.IN_PROCESSING)
    data = post_action(org.leader, d.code, "refuse", {"reason": "Không đủ điều kiện"}).json()
    assert (data["status"], data["outcome"], data["outcome_note"]) == ("refused", "refused", "Không đủ điều kiện")


def test_apologize_sets_a_new_appointment_once(org):
    """An apology sets the appointment date, keeps the due date and the state; a second one is 409."""
    d = dossier_in(org, S.IN_PROCESSING)
    new_date = (d.due_date + timedelta(days=7)).isoformat()
    data = post_action(org.leader, d.code, "apologize", {"new_date": new_date, "reason": "Chờ ý kiến"}).json()
    assert data["appointment_date"] == new_date
    assert data["due_date"] == d.due_date.isoformat()
    assert data["status"] == "in_processing"
    body = assert_error_shape(post_action(org.leader, d.code, "apologize", {"new_date": new_date, "reason": "Lần hai"}), 409)
    assert body["detail"] == lifecycle.MSG_APOLOGY_ONCE.format(code=d.code)


def test_actions_leave_out_what_the_service_would_refuse(org):
    """`actions` offers no second apology and no transfer from the last step."""
    single = dossier_in(org, S.IN_PROCESSING)
    two_steps = dossier_in(org, S.IN_PROCESSING, procedure=org.p10)
    as_officer = client_for(org.officer)
    assert as_officer.get(detail_url(single.code)).json()["actions"] == ["assign", "request-supplement"]
    assert as_officer.get(detail_url(two_steps.code)).json()["actions"] == ["assign", "transfer", "request-supplement"]
    # the lead's leader at step 1 of 3: no approval, no stop yet
    assert client_for(org.leader).get(detail_url(two_steps.code)).json()["actions"] == [
        "assign", "transfer", "skip-step", "request-supplement", "refuse", "apologize"]
    new_date = lifecycle.calendar_get().add_working_days(single.due_date, 3).isoformat()
    after = post_action(org.leader, single.code, "apologize", {"new_date": new_date, "reason": "Chờ"}).json()
    assert after["actions"] == ["assign", "request-supplement", "approve", "refuse", "stop"]


def test_apologize_with_a_date_not_after_the_due_date_is_a_400(org):
    """The new appointment must be after the current due date."""
    d = dossier_in(org, S.IN_PROCESSING)
    body = assert_error_shape(
        post_action(org.leader, d.code, "apologize", {"new_date": d.due_date.isoformat(), "reason": "Chờ"}), 400
    )
    assert list(body["errors"]) == ["new_date"]


def test_return_result_records_the_channel(org):
    """The clerk hands the result over by post: status returned, return channel postal."""
    d = dossier_in(org, S.APPROVED)
    data = post_action(org.clerk, d.code, "return-result", {"return_channel": "postal"}).json()
    assert (data["status"], data["return_channel"]) == ("returned", "postal")
    assert data["returned_at"] is not None


def test_withdraw_resolves_as_withdrawn(org):
    """The clerk records the applicant's withdrawal."""
    d = dossier_in(org, S.RECEIVED)
    data = post_action(org.clerk, d.code, "withdraw", {"reason": "Người nộp xin rút"}).json()
    assert (data["status"], data["outcome"]) == ("withdrawn", "withdrawn")


@pytest.mark.parametrize("action", ["reject", "refuse", "withdraw", "request-supplement"])
def test_a_missing_reason_is_a_field_error(org, action):
    """Actions that need a reason say so on the reason field."""
    state = S.SUBMITTED if action == "reject" else S.RECEIVED
    d = dossier_in(org, state)
    actor = org.clerk if action in ("reject", "withdraw") else org.leader
    if action != "reject":
        d = lifecycle.dossier_transfer(dossier=d, actor=org.clerk) if action != "withdraw" else d
    body = assert_error_shape(post_action(actor, d.code, action, {"reason": "  "}), 400)
    assert body["errors"] == {"reason": [lifecycle.MSG_REASON_REQUIRED]}


def test_apologize_with_a_bad_date_is_a_field_error(org):
    """new_date must be an ISO date."""
    d = dossier_in(org, S.RECEIVED)
    body = assert_error_shape(post_action(org.leader, d.code, "apologize", {"new_date": "31/12/2099", "reason": "x"}), 400)
    assert list(body["errors"]) == ["new_date"]


# --- actions: wrong state, roles, visibility, versions ---------------------------------------

FORBIDDEN = [
    (state, action)
    for state, action in itertools.product(S.values, Action.values)
    if not action_allowed(action, state)
]


def may_act(org, action: str):
    """Someone who may take `action` on a dossier of the agency at all (D17), so that a wrong
    state is what answers: the centre's clerk for the counter's actions, else the agency's leader."""
    return org.clerk if action in ("accept", "reject", "withdraw", "return-result", "resume") else org.leader


def test_the_forbidden_table_is_not_empty():
    """Guard for the generated test below: the workflow forbids many (state, action) pairs."""
    assert len(FORBIDDEN) > 50
    assert (S.RETURNED, Action.APPROVE) in FORBIDDEN and (S.SUBMITTED, Action.ASSIGN) in FORBIDDEN
    assert (S.RECEIVED, Action.APPROVE) not in FORBIDDEN
    assert all(state not in ACTION_TRANSITIONS[action][0] for state, action in FORBIDDEN)


@pytest.mark.parametrize("state, action", FORBIDDEN)
def test_an_action_not_allowed_in_the_state_is_409(org, state, action):
    """Every (state, action) that workflow.ACTION_TRANSITIONS forbids answers 409 and changes nothing."""
    d = dossier_in(org, state)
    events = d.events.count()
    body = assert_error_shape(post_action(may_act(org, action), d.code, action, valid_body(org, action)), 409)
    assert body["detail"] == lifecycle.MSG_WRONG_STATE.format(
        code=d.code, state=DossierState(state).label, action=Action(action).label
    )
    d.refresh_from_db()
    assert (d.state, d.events.count()) == (state, events)


@pytest.mark.parametrize(
    "role_user, action, state, reason",
    [
        ("clerk", "approve", S.IN_PROCESSING, "Chỉ lãnh đạo Sở Tư pháp (cơ quan chủ trì) được phê duyệt hồ sơ này."),
        ("clerk", "assign", S.IN_PROCESSING, "Chỉ chuyên viên hoặc lãnh đạo Sở Tư pháp (đơn vị đang xử lý) được phân công xử lý hồ sơ này."),
        ("officer", "approve", S.IN_PROCESSING, "Chỉ lãnh đạo Sở Tư pháp (cơ quan chủ trì) được phê duyệt hồ sơ này."),
        ("officer", "withdraw", S.RECEIVED, "Chỉ cán bộ một cửa Trung tâm Phục vụ hành chính công (bộ phận một cửa đã tiếp nhận) được ghi nhận rút hồ sơ này."),
        ("officer", "accept", S.SUBMITTED, "Chỉ cán bộ một cửa Trung tâm Phục vụ hành chính công (bộ phận một cửa đã tiếp nhận) được tiếp nhận hồ sơ này."),
        ("leader", "return-result", S.APPROVED, "Chỉ cán bộ một cửa Trung tâm Phục vụ hành chính công (bộ phận một cửa đã tiếp nhận) được trả kết quả hồ sơ này."),
    ],
)
def test_who_may_not_act_gets_403_with_the_reason(org, role_user, action, state, reason):
    """D17 decides by the unit the dossier is at: 403 naming who may, nothing changes."""
    d = dossier_in(org, state)
    events = d.events.count()
    body = assert_error_shape(post_action(getattr(org, role_user), d.code, action, valid_body(org, action)), 403)
    assert body["detail"] == reason.replace("Trung tâm Phục vụ hành chính công", org.centre.name).replace(
            "Sở Tư pháp", org.agency.name)
    d.refresh_from_db()
    assert (d.state, d.events.count()) == (state, events)


def test_a_leader_of_another_unit_who_sees_the_dossier_gets_403_not_404(org):
    """The parent unit's leader sees the dossier (read) but never acts: 403 with the reason."""
    parent_leader = User.objects.create_user("root_leader", first_name="Root")
    StaffProfile.objects.create(user=parent_leader, unit=org.root)
    parent_leader.groups.add(Group.objects.get(name=role_group_name(LEADER)))
    d = dossier_in(org, S.IN_PROCESSING)
    assert client_for(parent_leader).get(detail_url(d.code)).status_code == 200
    body = assert_error_shape(post_action(parent_leader, d.code, "refuse", {"reason": "x"}), 403)
    assert body["detail"] == f"Chỉ lãnh đạo {org.agency.name} (cơ quan chủ trì) được từ chối giải quyết hồ sơ này."
    assert client_for(parent_leader).get(detail_url(d.code)).json()["actions"] == []


def test_an_action_on_a_dossier_of_a_sibling_unit_is_404(org):
    """The centre's clerk may withdraw, but not a dossier of the district counter: 404."""
    d = dossier_in(org, S.RECEIVED, unit=org.district, actor=org.district_clerk)
    assert_error_shape(post_action(org.clerk, d.code, "withdraw", {"reason": "x"}), 404)
    d.refresh_from_db()
    assert d.state == S.RECEIVED


def test_an_unknown_action_is_a_json_404(org):
    """/dossiers/{code}/khong-co/ answers 404 in the error shape."""
    d = dossier_in(org, S.RECEIVED)
    body = assert_error_shape(post_action(org.admin, d.code, "khong-co"), 404)
    assert "khong-co" in body["detail"]


def test_get_on_an_action_is_405(org):
    """Actions are POST only: GET answers 405 in the error shape."""
    d = dossier_in(org, S.RECEIVED)
    assert_error_shape(client_for(org.admin).get(action_url(d.code, "approve")), 405)


def test_a_stale_version_is_409_and_the_current_version_passes(org):
    """`version` from an older read answers 409 (concurrent change); the current one succeeds."""
    d = dossier_in(org, S.RECEIVED)
    d = lifecycle.dossier_transfer(dossier=d, actor=org.clerk)
    stale = d.version
    lifecycle.dossier_assign(dossier=d, actor=org.leader, officer=org.officer)
    body = assert_error_shape(post_action(org.leader, d.code, "approve", {"version": stale}), 409)
    assert body["detail"] == lifecycle.MSG_CONFLICT.format(code=d.code)
    d.refresh_from_db()
    assert d.state == S.IN_PROCESSING
    response = post_action(org.leader, d.code, "approve", {"version": d.version})
    assert response.status_code == 200
    assert response.json()["version"] == d.version + 1


def test_a_malformed_json_body_is_400_in_the_error_shape(org):
    """Unparseable JSON answers 400 with the common shape."""
    response = client_for(org.clerk).post(LIST_URL, "{not json", content_type="application/json")
    assert_error_shape(response, 400)


# --- list and filters ------------------------------------------------------------------------


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


@pytest.fixture
def listed(org):
    """Dossiers spread over states, procedures, channels, dates and units."""
    old = register(org, channel="online", received_at=local(2022, 1, 28, 10), name="Quá Hạn")  # due 11/02/2022
    march = register(org, procedure=org.p10, channel="online", received_at=local(2022, 3, 1, 9), name="Tháng Ba")
    march = lifecycle.dossier_transfer(dossier=march, actor=org.clerk, at=local(2022, 3, 1, 10))
    march = lifecycle.dossier_assign(dossier=march, actor=org.leader, officer=org.officer, at=local(2022, 3, 1, 10))
    march = lifecycle.dossier_request_supplement(dossier=march, actor=org.officer, reason="Thiếu", at=local(2022, 3, 2, 9))
    fresh = register(org, channel="postal")
    done = dossier_in(org, S.APPROVED)
    waiting = dossier_in(org, S.SUBMITTED)
    district = dossier_in(org, S.RECEIVED, unit=org.district, actor=org.district_clerk)
    return type("Listed", (), dict(old=old, march=march, fresh=fresh, done=done, waiting=waiting, district=district))


def test_list_shows_only_visible_dossiers_most_urgent_first(org, as_clerk, listed):
    """Open dossiers by due date first, then submissions waiting, then closed ones; the district's are hidden."""
    response = as_clerk.get(LIST_URL)
    assert codes(response) == [listed.old.code, listed.march.code, listed.fresh.code, listed.waiting.code, listed.done.code]
    assert response.json()["count"] == 5
    row = response.json()["results"][0]
    assert row["overdue"] is True and row["due_date"] == "2022-02-11" and row["applicant_name"] == "Quá Hạn"
    assert response.json()["results"][1]["paused"] is True


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=approved", ["done"]),
        ("status=received&status=submitted", ["old", "fresh", "waiting"]),
        ("procedure=2.000908", ["march"]),
        ("channel=postal", ["fresh"]),
        ("overdue=true", ["old"]),
        ("received_from=2022-03-01&received_to=2022-03-01", ["march"]),
        ("received_to=2022-02-28", ["old"]),
        ("due_before=2022-02-11", ["old"]),
        ("due_before=2022-02-10", []),
        ("q=Tháng", ["march"]),
    ],
)
def test_list_filters(org, as_clerk, listed, query, expected):
    """Each filter narrows the caller's dossiers as documented."""
    assert codes(as_clerk.get(f"{LIST_URL}?{query}")) == [getattr(listed, name).code for name in expected]


def test_list_filter_by_unit_matches_receiving_resolving_or_current(org, as_admin, listed):
    """unit=<code> keeps dossiers received, led or currently handled by that unit."""
    assert codes(as_admin.get(f"{LIST_URL}?unit={org.district.code}")) == [listed.district.code]
    led_by_agency = set(codes(as_admin.get(f"{LIST_URL}?unit={org.agency.code}&page_size=100")))
    assert led_by_agency == {listed.old.code, listed.march.code, listed.fresh.code, listed.done.code,
                             listed.waiting.code, listed.district.code}


def test_overdue_false_keeps_everything_else(org, as_clerk, listed):
    """overdue=false is the complement of overdue=true."""
    assert listed.old.code not in codes(as_clerk.get(f"{LIST_URL}?overdue=false"))
    assert len(codes(as_clerk.get(f"{LIST_URL}?overdue=false"))) == 4


def test_list_rejects_a_bad_filter_value_with_a_400(org, as_clerk):
    """A malformed date or unknown status is a field error."""
    body = assert_error_shape(as_clerk.get(f"{LIST_URL}?received_from=28/01/2022&status=xyz"), 400)
    assert {"received_from", "status"} <= set(body["errors"])


def test_list_is_paginated(org, as_clerk, listed):
    """page_size limits a page; next links to the rest."""
    data = as_clerk.get(f"{LIST_URL}?page_size=2").json()
    assert (len(data["results"]), data["count"]) == (2, 5)
    assert "page=2" in data["next"]
    assert_error_shape(as_clerk.get(f"{LIST_URL}?page=99"), 404)


@pytest.fixture
def every_group(org):
    """A dossier of each group of the list's order (interfaces.md): open ones with two due
    dates, an online submission waiting, and closed ones received one after another; a rejected
    submission was never received (no receipt instant: last)."""
    late = register(org, channel="online", received_at=local(2022, 3, 1, 9), name="Hạn Sau")
    early = register(org, channel="online", received_at=local(2022, 1, 28, 10), name="Hạn Trước")  # due 11/02/2022
    waiting = dossier_in(org, S.SUBMITTED)
    approved = dossier_in(org, S.APPROVED)
    returned = dossier_in(org, S.RETURNED)
    withdrawn = dossier_in(org, S.WITHDRAWN)
    rejected = dossier_in(org, S.REJECTED)
    district = dossier_in(org, S.RECEIVED, unit=org.district, actor=org.district_clerk)
    return type("Groups", (), dict(early=early, late=late, waiting=waiting, approved=approved, returned=returned,
                                   withdrawn=withdrawn, rejected=rejected, district=district))


def test_list_order_is_the_same_page_by_page(org, as_clerk, every_group):
    """Open by due date, the submission waiting, then the rest latest received first (the
    never-received rejection last); paging in twos walks the same order; the answer keeps its
    shape and adds count_capped."""
    g = every_group
    expected = [g.early.code, g.late.code, g.waiting.code, g.withdrawn.code, g.returned.code, g.approved.code,
                g.rejected.code]
    body = as_clerk.get(LIST_URL).json()
    assert set(body) == {"count", "count_capped", "next", "previous", "results"}
    assert [r["code"] for r in body["results"]] == expected
    assert (body["count"], body["count_capped"], body["next"], body["previous"]) == (7, False, None, None)
    seen, url = [], f"{LIST_URL}?page_size=2"
    while url:
        body = as_clerk.get(url).json()
        assert body["count"] == 7
        seen += [r["code"] for r in body["results"]]
        url = body["next"]
    assert seen == expected
    assert body["previous"].endswith("page=3&page_size=2") or "page=3" in body["previous"]
    assert codes(as_clerk.get(f"{LIST_URL}?page_size=2&page=4")) == [g.rejected.code]
    assert_error_shape(as_clerk.get(f"{LIST_URL}?page_size=2&page=5"), 404)
    assert_error_shape(as_clerk.get(f"{LIST_URL}?page=0"), 404)


def test_list_of_the_whole_tree_and_of_another_unit(org, as_admin, every_group):
    """The administrator (no unit scope) sees all eight in the same order; the district's clerk
    only the district's dossier."""
    g = every_group
    body = as_admin.get(LIST_URL).json()
    assert [r["code"] for r in body["results"]] == [
        g.early.code, g.late.code, g.district.code, g.waiting.code, g.withdrawn.code, g.returned.code,
        g.approved.code, g.rejected.code]
    assert (body["count"], body["count_capped"]) == (8, False)
    body = client_for(org.district_clerk).get(LIST_URL).json()
    assert ([r["code"] for r in body["results"]], body["count"], body["count_capped"]) == ([g.district.code], 1, False)


def test_list_counts_the_final_states_up_to_the_cap(org, as_clerk, every_group, monkeypatch):
    """Returned, withdrawn and rejected dossiers pile up over the years: counted up to the cap
    (here 2 of 3), the others exactly (4); next still leads to every row, and a page past the
    capped count counts what it has shown."""
    from dossiers import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    g = every_group
    body = as_clerk.get(f"{LIST_URL}?page_size=3").json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (6, True, 3)
    body = as_clerk.get(body["next"]).json()
    assert ([r["code"] for r in body["results"]], body["count"], body["count_capped"]) == (
        [g.withdrawn.code, g.returned.code, g.approved.code], 6, True)
    body = as_clerk.get(body["next"]).json()
    assert ([r["code"] for r in body["results"]], body["count"], body["count_capped"], body["next"]) == (
        [g.rejected.code], 7, False, None)
    # filtered: every row up to the cap (2 of 3), then at least what the page shows
    body = as_clerk.get(f"{LIST_URL}?channel=direct&page_size=1").json()
    assert ([r["code"] for r in body["results"]], body["count"], body["count_capped"]) == ([g.withdrawn.code], 2, True)
    body = as_clerk.get(f"{LIST_URL}?channel=direct").json()
    assert [r["code"] for r in body["results"]] == [g.withdrawn.code, g.returned.code, g.approved.code]
    assert (body["count"], body["count_capped"]) == (3, False)


def test_list_received_dates_are_local_days(org, as_clerk):
    """received_from/received_to are whole local days (Asia/Ho_Chi_Minh): 00:30 on 1 March is
    in "from 1 March", 23:59 on 28 February is not, and is in "to 28 February"."""
    after = register(org, channel="online", received_at=local(2022, 3, 1, 0, 30), name="Sau Nửa Đêm")
    before = register(org, channel="online", received_at=local(2022, 2, 28, 23, 59), name="Trước Nửa Đêm")
    assert codes(as_clerk.get(f"{LIST_URL}?received_from=2022-03-01")) == [after.code]
    assert codes(as_clerk.get(f"{LIST_URL}?received_to=2022-02-28")) == [before.code]
    assert codes(as_clerk.get(f"{LIST_URL}?received_from=2022-02-28&received_to=2022-02-28")) == [before.code]
    assert codes(as_clerk.get(f"{LIST_URL}?received_to=9999-12-31")) == [before.code, after.code]


def test_list_status_filter_reads_only_its_groups(org, as_clerk, every_group):
    """status=withdrawn&status=received: the open group and the closed group, in order."""
    g = every_group
    body = as_clerk.get(f"{LIST_URL}?status=withdrawn&status=received").json()
    assert [r["code"] for r in body["results"]] == [g.early.code, g.late.code, g.withdrawn.code]
    assert (body["count"], body["count_capped"]) == (3, False)


# --- schema ----------------------------------------------------------------------------------


def test_openapi_schema_documents_every_endpoint(client):
    """/api/schema/ answers 200 with the list, detail and every action path."""
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/dossiers/"])
    assert "get" in paths["/api/v1/dossiers/{code}/"]
    for action in Action.values:
        assert "post" in paths[f"/api/v1/dossiers/{{code}}/{action}/"], action
    assert "Error" in schema["components"]["schemas"]
