"""Dossier REST API v1 (interfaces.md "REST API (v1)"): intake, lists, the dossier, its actions.

One ``APIView`` per action with nested ``InputSerializer``/``OutputSerializer`` (style.md
principle 15). Views parse, check who may act, and call ``dossiers.services.lifecycle`` and
``dossiers.selectors``; every rule about states, deadlines and codes lives there.

Answers: 201 with the receipt (intake, Mẫu 01 content; steps and history are at ``Location``),
200 with the dossier detail (detail and every action); 400 bad fields (field-level messages); 401 no or bad
credentials; 403 an action the caller may not take on a dossier they can see, with the reason naming who
may (``dossiers.core.WHO_MAY``, domain.md D17; for intake the role); 404 a dossier the caller
may not see (outside their units) or an unknown action; 409 an action the caller may take, but
not in the dossier's present state or step, or a concurrent change (``version``). Every error is ``{"detail": "…", "errors": {"field": ["…"]}}``
(``onecua.api.exception_handler``).

Intake: the receiving unit must be one of the caller's units (their own unit; a leader's
subtree; any unit for administrators and superusers). An unknown or foreign receiving unit is
a 400 field error on ``receiving_unit``, not a 404: the body, not the URL, is wrong.
``on_the_spot`` only marks a "4 tại chỗ" dossier; approving and returning it are the usual
actions. ``received_at`` and ``submit_only`` are for online dossiers (channel ``online``).
"""
from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from dossiers import reference
from dossiers.api.filters import DossierFilter
from dossiers.api.serializers import (
    DossierDetailOutputSerializer,
    DossierReceiptOutputSerializer,
    OverdueField,
    ProcedureRefSerializer,
    UnitRefSerializer,
)
from dossiers.intake_bounds import received_at_error
from dossiers.models import (
    Channel,
    Dossier,
    DossierEvent,
    DossierPause,
    DossierStep,
    ReturnChannel,
    Unit,
)
from dossiers.pii import pii_visible_to
from dossiers.roles import user_roles
from dossiers.selectors import (
    calendar_get, competent_units, dossier_get_for_user, dossier_list_count, dossiers_urgent_page, dossiers_visible_to,
    staff_profile, urgent_page_count, user_unit_ids,
)
from dossiers import hooks
from dossiers.services import intake_keys, lifecycle
from dossiers.workflow import Action, DossierState
from onecua.api import AutoSchema, ErrorSerializer
from onecua.tokens import ExpiringTokenAuthentication

from dossiers.roles import INTAKE_ROLES  # noqa: E402

MSG_NOT_STAFF = "Tài khoản này không phải cán bộ của hệ thống một cửa."
MSG_ROLE = "Vai trò của bạn không được thực hiện thao tác “{action}”."
MSG_NOT_FOUND = "Không tìm thấy hồ sơ {code}, hoặc hồ sơ không thuộc đơn vị của bạn."
MSG_UNKNOWN_ACTION = "Không có thao tác “{action}”."
MSG_UNKNOWN_PROCEDURE = "Không có thủ tục mã “{value}” trong danh mục."
MSG_UNKNOWN_UNIT = "Không có đơn vị mã “{value}”."
MSG_FOREIGN_UNIT = "Bạn không tiếp nhận hồ sơ cho đơn vị này."
MSG_CHANNEL = "Hình thức nộp phải là direct (trực tiếp), postal (bưu chính) hoặc online (trực tuyến)."
MSG_RETURN_CHANNEL = "Hình thức nhận kết quả phải là counter, postal hoặc online."
MSG_RECEIVED_AT_ONLINE = "Chỉ hồ sơ trực tuyến chuyển từ hệ thống khác mới được ghi thời điểm tiếp nhận."
MSG_SUBMIT_ONLY_ONLINE = "Chỉ hồ sơ nộp trực tuyến mới chờ tiếp nhận."
MSG_OFFICER_UNKNOWN = "Không có cán bộ “{value}”."
MSG_OFFICER_UNIT = "Cán bộ “{value}” không thuộc đơn vị đang xử lý hồ sơ."
MSG_OFFICER_ROLE = "Cán bộ “{value}” không có vai trò xử lý hồ sơ."


def roles_of(request) -> set[str]:
    """The caller's roles, read once per request."""
    roles = getattr(request, "_onecua_roles", None)
    if roles is None:
        roles = user_roles(request.user)
        request._onecua_roles = roles
    return roles


def actions_for(request, dossier: Dossier) -> list[str]:
    """The actions the caller may take on the dossier now (``dossiers.core``, D17)."""
    return lifecycle.dossier_actions_for(dossier=dossier, user=request.user)


# --- common parts ----------------------------------------------------------------------------


class IsOneCuaStaff(BasePermission):
    """Staff of the one-stop system: any role, or a superuser."""

    message = MSG_NOT_STAFF

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and roles_of(request))


class CatalogueCodeField(serializers.CharField):
    """A procedure or unit named by its code, read from the reference snapshot (no query on
    the hot intake path); the schema shows a plain string."""

    def __init__(self, *, lookup, message: str, **kwargs):
        self.lookup, self.message = lookup, message
        super().__init__(max_length=32, **kwargs)

    def run_validation(self, data=serializers.empty):
        code = super().run_validation(data)  # a string within max_length (or SkipField)
        obj = self.lookup(code)
        if obj is None:
            raise serializers.ValidationError(self.message.format(value=code))
        return obj

    def to_representation(self, value):
        return value.code


class DossierApiView(APIView):
    """Token first, so an anonymous call answers 401 with ``WWW-Authenticate: Token``."""

    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, IsOneCuaStaff]
    schema = AutoSchema()

    def perform_authentication(self, request):
        super().perform_authentication(request)
        reference.user_prime(request.user)  # roles and unit from the snapshot, not two queries

    def check_intake_role(self, request) -> None:
        if not roles_of(request) & INTAKE_ROLES:
            raise PermissionDenied(MSG_ROLE.format(action="Tiếp nhận hồ sơ"))


def dossier_for(request, code: str) -> Dossier:
    if "\x00" in code:  # no code has one, and PostgreSQL refuses NUL in a query parameter
        raise NotFound(MSG_NOT_FOUND.format(code=code.replace("\x00", "")))
    try:
        return dossier_get_for_user(user=request.user, code=code)
    except Dossier.DoesNotExist:
        raise NotFound(MSG_NOT_FOUND.format(code=code)) from None


def detail_data(request, dossier: Dossier) -> dict:
    """The dossier with its steps, pauses and history, as every write answers."""
    prefetch_related_objects(
        [dossier],
        Prefetch("steps", DossierStep.objects.select_related("unit", "assigned_to").order_by("order")),
        Prefetch("pauses", DossierPause.objects.order_by("requested_at", "id")),
        Prefetch("events", DossierEvent.objects.select_related("unit", "to_unit").order_by("at", "id")),
    )
    context = {
        "request": request, "actions_for": lambda d: actions_for(request, d),
        "pii_full": pii_visible_to(request.user, dossier),  # a parent unit's leader sees them masked
    }
    data = DossierDetailOutputSerializer(dossier, context=context).data
    data.update(hooks.detail_extra(dossier, request))  # e.g. papers: documents, digitised, electronic_result
    return data


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Dữ liệu không hợp lệ (lỗi theo từng trường)."),
    401: OpenApiResponse(ErrorSerializer, description="Chưa đăng nhập hoặc token sai."),
    403: OpenApiResponse(ErrorSerializer, description="Vai trò không được thực hiện thao tác này."),
    404: OpenApiResponse(ErrorSerializer, description="Không có hồ sơ, hoặc hồ sơ ngoài đơn vị của người gọi."),
    409: OpenApiResponse(ErrorSerializer, description="Trạng thái hồ sơ không cho phép, hoặc hồ sơ vừa bị người khác cập nhật."),
}


#: the group the dossier endpoints appear under in /api/docs/
TAGS = ["Hồ sơ (dossiers)"]


def _errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


class DossierPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class DossierListPagination(DossierPagination):
    """The list's pages without ``COUNT(*)`` of every visible dossier nor one sort of them all.

    The answer keeps the shape ``{count, next, previous, results}`` and adds ``count_capped``:
    true when the list holds more than ``count`` (the final states, which pile up over the
    years, are counted up to ``selectors.COUNT_CAP``; a filtered list likewise). ``next`` is
    there whenever another row follows, so a caller can still page past the count. Without a
    search (``q``) the rows come group by group in the urgency order
    (``selectors.dossiers_urgent_page``); a search keeps its ranking and is read with
    OFFSET/LIMIT."""

    def paginate_queryset(self, queryset, request, view=None):
        from rest_framework.exceptions import NotFound as PageNotFound

        self.request = request
        size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param) or "1"
        try:
            number = int(raw)
            if number < 1:
                raise ValueError
        except ValueError:
            raise PageNotFound(self.invalid_page_message.format(page_number=raw, message="")) from None
        self.number, self.size = number, size
        offset = (number - 1) * size
        params = request.query_params
        unit_ids = user_unit_ids(request.user)
        filtered = any(params.get(name) for name in DossierFilter.base_filters)
        counted = None
        if (params.get("q") or "").strip():
            rows = list(queryset[offset:offset + size + 1])
            more = len(rows) > size
            rows = rows[:size]
        else:
            states = set(params.getlist("status")) or None
            sizes: dict[int, int] = {}
            rows, more = dossiers_urgent_page(queryset, offset=offset, limit=size, states=states,
                                              narrow=filtered, unit_ids=unit_ids, sizes=sizes)
            if filtered and unit_ids is not None:
                counted = urgent_page_count(sizes, states)  # the parts the page has just read
        if number > 1 and not rows:
            raise PageNotFound(self.invalid_page_message.format(page_number=raw, message=""))
        self.more = more
        count, capped = counted or dossier_list_count(queryset, unit_ids=unit_ids, filtered=filtered)
        seen = offset + len(rows)
        if capped and seen >= count:  # a page past the capped count: at least what was shown
            count, capped = seen, more
        self.count, self.count_capped = count, capped
        return rows

    def get_next_link(self):
        if not self.more:
            return None
        from rest_framework.utils.urls import replace_query_param

        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number <= 1:
            return None
        from rest_framework.utils.urls import remove_query_param, replace_query_param

        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data):
        return Response({"count": self.count, "count_capped": self.count_capped, "next": self.get_next_link(),
                         "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        out["properties"]["count_capped"] = {
            "type": "boolean", "example": False,
            "description": "true: danh sách còn nhiều hơn `count` hồ sơ (đếm tối đa đến giới hạn); "
                           "`next` vẫn dẫn tới trang sau.",
        }
        return out


# --- list and intake -------------------------------------------------------------------------


class DossierListApi(generics.ListAPIView):
    """Dossiers the caller may see, most urgent first.

    Open dossiers by due date (earliest first), then online submissions waiting for
    acceptance (oldest first), then closed ones (latest received first).
    """

    authentication_classes = DossierApiView.authentication_classes
    permission_classes = DossierApiView.permission_classes
    schema = AutoSchema()
    pagination_class = DossierListPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = DossierFilter

    class OutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        status = serializers.ChoiceField(source="state", choices=DossierState.choices)
        status_label = serializers.CharField(source="get_state_display")
        procedure = ProcedureRefSerializer()
        field = serializers.CharField(source="procedure.field.name")
        applicant_name = serializers.CharField()
        receiving_unit = UnitRefSerializer()
        resolving_unit = UnitRefSerializer()
        current_unit = UnitRefSerializer()
        channel = serializers.ChoiceField(choices=Channel.choices)
        on_the_spot = serializers.BooleanField()
        received_at = serializers.DateTimeField(allow_null=True)
        due_date = serializers.DateField(allow_null=True)
        due_at = serializers.DateTimeField(allow_null=True)
        overdue = OverdueField()
        paused = serializers.SerializerMethodField()
        assigned_to = serializers.CharField(source="assigned_to.username", allow_null=True)
        resolved_at = serializers.DateTimeField(allow_null=True)
        classification = serializers.CharField()
        returned_at = serializers.DateTimeField(allow_null=True)
        version = serializers.IntegerField()

        def get_paused(self, obj: Dossier) -> bool:
            return obj.paused_at is not None

    serializer_class = OutputSerializer

    def get_queryset(self):
        # The order is the pagination's (selectors.API_LIST_GROUPS), or the search's ranking.
        qs = Dossier.objects.select_related(
            "procedure", "procedure__field", "receiving_unit", "resolving_unit", "current_unit", "assigned_to"
        )
        return dossiers_visible_to(self.request.user, qs).order_by()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_list",
        summary="Danh sách hồ sơ",
        description=(
            "Hồ sơ người gọi được xem (đơn vị của mình; lãnh đạo: cả đơn vị cấp dưới), "
            "sắp xếp theo mức độ khẩn: hồ sơ đang giải quyết theo ngày hẹn trả sớm nhất trước."
        ),
        responses={200: OutputSerializer(many=True), **_errors(400, 401, 403),
                   404: OpenApiResponse(ErrorSerializer, description="Trang không tồn tại (page quá số trang).")},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DossierCreateApi(DossierApiView):
    """Intake (tiếp nhận): the engine computes the code and the due date."""

    class InputSerializer(serializers.Serializer):
        class ApplicantSerializer(serializers.Serializer):
            # Rules (name required, 12-digit CCCD, phone, email) are the service's, checked
            # in validate_applicant so that every field error comes back in one answer.
            name = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
            id_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
            phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
            address = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
            email = serializers.CharField(required=False, allow_blank=True, default="", max_length=254)
            notify_email = serializers.BooleanField(
                default=False, help_text="Người nộp đồng ý nhận thông báo qua email (D22; cần `email`).")
            notify_sms = serializers.BooleanField(
                default=False, help_text="Người nộp đồng ý nhận thông báo qua SMS (D22; cần `phone`).")

        class DocumentSerializer(serializers.Serializer):
            name = serializers.CharField(max_length=500)
            originals = serializers.IntegerField(min_value=0, max_value=99, default=0)
            copies = serializers.IntegerField(min_value=0, max_value=99, default=1)

        procedure = CatalogueCodeField(
            lookup=reference.procedure_get, message=MSG_UNKNOWN_PROCEDURE, help_text="Mã thủ tục, ví dụ 1.001234.",
        )
        receiving_unit = CatalogueCodeField(
            lookup=reference.unit_get, message=MSG_UNKNOWN_UNIT,
            help_text="Mã định danh của bộ phận tiếp nhận; phải là đơn vị của người gọi.",
        )
        resolving_unit = CatalogueCodeField(
            lookup=reference.unit_get, message=MSG_UNKNOWN_UNIT, required=False,
            help_text=("Cơ quan chủ trì (D19). Thủ tục do một cơ quan giải quyết: cơ quan đó (mặc định). Thủ tục "
                       "theo cấp: một Ủy ban nhân dân của cấp đó còn hoạt động vào ngày tiếp nhận; mặc định nơi "
                       "tiếp nhận khi nó thuộc cấp đó, bắt buộc nếu không. Danh sách: "
                       "GET /api/v1/procedures/{code}/competent-units/."),
        )
        channel = serializers.ChoiceField(choices=Channel.choices, error_messages={"invalid_choice": MSG_CHANNEL})
        applicant = ApplicantSerializer()
        on_the_spot = serializers.BooleanField(default=False, help_text="Hồ sơ “4 tại chỗ”.")
        received_at = serializers.DateTimeField(
            required=False,
            help_text=(
                "ISO 8601; không có múi giờ thì hiểu là giờ Việt Nam. Mặc định: bây giờ. Chỉ cho hồ sơ "
                "trực tuyến (channel=online) do hệ thống khác chuyển sang."
            ),
        )
        request_content = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
        return_channel = serializers.ChoiceField(
            choices=ReturnChannel.choices, default=ReturnChannel.COUNTER,
            error_messages={"invalid_choice": MSG_RETURN_CHANNEL},
        )
        submit_only = serializers.BooleanField(
            default=False, help_text="Hồ sơ trực tuyến mới nộp, chờ cán bộ tiếp nhận (chưa tính hạn)."
        )
        documents = DocumentSerializer(many=True, required=False, help_text="Mặc định: thành phần hồ sơ của thủ tục.")
        copies = serializers.IntegerField(min_value=1, max_value=99, default=1, help_text="Số lượng hồ sơ (bộ).")

        def validate_receiving_unit(self, unit: Unit) -> Unit:
            # the clerk's own unit (D17), whatever else the account may see (a superuser: all)
            profile = staff_profile(self.context["request"].user)
            if profile is None or unit.pk != profile.unit_id:
                raise serializers.ValidationError(MSG_FOREIGN_UNIT)
            return unit

        def validate_applicant(self, applicant: dict) -> dict:
            try:
                return lifecycle.applicant_validate(applicant)
            except lifecycle.DossierError as exc:
                raise serializers.ValidationError(
                    {key.removeprefix("applicant."): msgs for key, msgs in exc.errors.items()}
                ) from None

        def validate(self, attrs: dict) -> dict:
            online = attrs["channel"] == Channel.ONLINE
            if attrs.get("received_at") is not None and not online:
                raise serializers.ValidationError({"received_at": [MSG_RECEIVED_AT_ONLINE]})
            if attrs.get("received_at") is not None:  # live intake: calendar, future, backdating window
                problem = received_at_error(
                    received_at=attrs["received_at"], now=timezone.now(), first_day=calendar_get().first,
                    backdate_days=settings.INTAKE_BACKDATE_DAYS,
                )
                if problem:
                    raise serializers.ValidationError({"received_at": [problem]})
            if attrs["submit_only"] and not online:
                raise serializers.ValidationError({"submit_only": [MSG_SUBMIT_ONLY_ONLINE]})
            return attrs

    #: the receipt (Mẫu 01); steps and history are one GET away (Location)
    OutputSerializer = DossierReceiptOutputSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_create",
        summary="Tiếp nhận hồ sơ",
        description=(
            "Tiếp nhận một hồ sơ: cấp mã hồ sơ (D15), tính ngày hẹn trả theo ngày làm việc (D2–D6) "
            "và lập các bước xử lý. Với `submit_only=true`, hồ sơ trực tuyến chờ tiếp nhận "
            "(status=submitted, chưa tính hạn). Gửi kèm `Idempotency-Key` để gửi lại an toàn: lặp lại "
            "cùng khóa và cùng nội dung trong 24 giờ trả lại đúng hồ sơ đã tạo (tiêu đề "
            "`Idempotent-Replayed: true`), không tạo hồ sơ thứ hai."
        ),
        parameters=[OpenApiParameter(
            intake_keys.KEY_FIELD, str, OpenApiParameter.HEADER, required=False,
            description="Khóa do hệ thống gọi tự đặt (tối đa 255 ký tự), mỗi hồ sơ một khóa.",
        )],
        request=InputSerializer,
        responses={201: OutputSerializer, **_errors(400, 401, 403),
                   409: OpenApiResponse(ErrorSerializer, description="Idempotency-Key đã dùng với nội dung khác.")},
    )
    def post(self, request):
        self.check_intake_role(request)
        key = request.headers.get(intake_keys.KEY_FIELD)
        digest = ""
        if key is not None:  # idempotent intake (interfaces.md "Dossier API")
            intake_keys.intake_key_check(key)
            digest = intake_keys.body_hash(request.data)
        # Named explicitly: DossierCollectionApi also inherits DossierListApi's OutputSerializer.
        serializer = DossierCreateApi.InputSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # A repeat of an intake that was taken in stands, even if its body no longer passes.
            done = key is not None and intake_keys.intake_replay_find(user=request.user, key=key, digest=digest)
            if done:
                return _intake_answer(done)
            serializer.is_valid(raise_exception=True)
        if key is None:
            dossier, data = self._register(request, serializer.validated_data)
            location = reverse("api-dossier-detail", kwargs={"code": dossier.code})
            return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})

        def register():
            dossier, data = self._register(request, serializer.validated_data)
            return dossier, JSONRenderer().render(data).decode()  # as DRF sends it

        return _intake_answer(intake_keys.intake_once(user=request.user, key=key, digest=digest, register=register))

    def _register(self, request, data: dict) -> tuple[Dossier, dict]:
        unit = data["receiving_unit"]
        profile = staff_profile(request.user)
        counter = profile.counter if profile and profile.counter and profile.counter.unit_id == unit.pk else None
        dossier = lifecycle.dossier_register(
            procedure=data["procedure"],
            receiving_unit=unit,
            channel=data["channel"],
            applicant=data["applicant"],
            actor=request.user,
            received_at=data.get("received_at"),
            counter=counter,
            resolving_unit=data.get("resolving_unit"),
            on_the_spot=data["on_the_spot"],
            documents=[dict(d) for d in data["documents"]] if "documents" in data else None,
            request_content=data["request_content"],
            return_channel=data["return_channel"],
            copies=data["copies"],
            submit_only=data["submit_only"],
        )
        data = DossierCreateApi.OutputSerializer(
            dossier, context={"request": request, "actions_for": lambda d: actions_for(request, d)}
        ).data
        return dossier, data


def _intake_answer(done: intake_keys.IntakeOnce) -> Response:
    """A keyed intake's answer: the first one's body and status, marked when replayed."""
    headers = {"Location": reverse("api-dossier-detail", kwargs={"code": done.dossier.code})}
    if done.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(json.loads(done.response), status=done.status_code, headers=headers)


class DossierCollectionApi(DossierListApi, DossierCreateApi):
    """``/api/v1/dossiers/``: GET is :class:`DossierListApi`, POST is :class:`DossierCreateApi`.

    One URL carries two actions (interfaces.md); each keeps its own serializers.
    """

    serializer_class = DossierListApi.OutputSerializer


# --- one dossier -----------------------------------------------------------------------------


class DossierDetailApi(DossierApiView):
    OutputSerializer = DossierDetailOutputSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_retrieve",
        summary="Chi tiết hồ sơ",
        description="Hồ sơ với các bước xử lý, các lần tạm dừng (yêu cầu bổ sung) và lịch sử thao tác.",
        responses={200: OutputSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request, code: str):
        return Response(detail_data(request, dossier_for(request, code)))


# --- actions ---------------------------------------------------------------------------------


class ActionInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=0,
        help_text="Phiên bản hồ sơ đã đọc (trường `version`); khác phiên bản hiện tại thì trả 409.",
    )


def _reason_field(**kwargs) -> serializers.CharField:
    msg = lifecycle.MSG_REASON_REQUIRED
    return serializers.CharField(
        max_length=1000, error_messages={"required": msg, "blank": msg, "null": msg}, **kwargs
    )


def _note_field() -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class DossierActionApi(DossierApiView):
    """Base of the action endpoints: dossier (404 when the caller cannot see it) → who may and
    when (``dossiers.core.check``: 403 with the reason, then 409) → fields (400) → service
    (which re-checks everything under a row lock: 409 on a concurrent change).

    Who and when are checked before the fields so that an impossible action says so first.
    """

    action: str = ""
    InputSerializer: type[serializers.Serializer] = ActionInputSerializer
    OutputSerializer = DossierDetailOutputSerializer

    def perform(self, *, dossier: Dossier, actor, data: dict, expected_version: int | None) -> None:
        raise NotImplementedError

    def post(self, request, code: str):
        dossier = dossier_for(request, code)
        lifecycle.dossier_check(dossier=dossier, action=self.action, user=request.user)
        serializer = self.InputSerializer(data=request.data, context={"request": request, "dossier": dossier})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        self.perform(dossier=dossier, actor=request.user, data=data, expected_version=version)
        return Response(detail_data(request, dossier_for(request, code)))


def action_api(summary: str, description: str):
    """Document an action endpoint from its class attributes."""

    def decorate(cls):
        return extend_schema_view(
            post=extend_schema(
                tags=TAGS,
                operation_id=f"dossiers_{cls.action.replace('-', '_')}",
                summary=summary,
                description=description,
                request=cls.InputSerializer,
                responses={200: cls.OutputSerializer, **_errors(400, 401, 403, 404, 409)},
            )
        )(cls)

    return decorate


@action_api("Tiếp nhận hồ sơ trực tuyến", "Hồ sơ trực tuyến đang chờ (submitted) được tiếp nhận: bắt đầu tính hạn từ bây giờ.")
class DossierAcceptApi(DossierActionApi):
    action = Action.ACCEPT

    class InputSerializer(ActionInputSerializer):
        pass

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_accept(dossier=dossier, actor=actor, expected_version=expected_version)


@action_api("Không tiếp nhận hồ sơ trực tuyến", "Từ chối hồ sơ trực tuyến chưa tiếp nhận (không tính vào số hồ sơ nhận).")
class DossierRejectApi(DossierActionApi):
    action = Action.REJECT

    class InputSerializer(ActionInputSerializer):
        reason = _reason_field()

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_reject(dossier=dossier, actor=actor, reason=data["reason"], expected_version=expected_version)


@action_api(
    "Phân công xử lý",
    "Giao hồ sơ cho một cán bộ của đơn vị đang xử lý (bước hiện tại, hoặc bước đầu tiên nếu hồ sơ mới tiếp nhận).",
)
class DossierAssignApi(DossierActionApi):
    action = Action.ASSIGN

    class InputSerializer(ActionInputSerializer):
        officer = serializers.CharField(max_length=150, help_text="Tên đăng nhập của cán bộ được giao.")
        note = _note_field()

        def validate_officer(self, username: str):
            user = (
                get_user_model().objects.filter(username=username, is_active=True)
                .select_related("staff").first()
            )
            if user is None:
                raise serializers.ValidationError(MSG_OFFICER_UNKNOWN.format(value=username))
            return user  # unit and role: dossiers.core (a field error on "officer")

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_assign(
            dossier=dossier, actor=actor, officer=data["officer"], note=data["note"], expected_version=expected_version
        )


@action_api(
    "Chuyển hồ sơ / hoàn thành bước",
    "Bộ phận một cửa chuyển hồ sơ cho đơn vị xử lý đầu tiên (D18); đơn vị đang giữ bước hoàn thành bước và "
    "chuyển hồ sơ sang đơn vị của bước kế tiếp (Mẫu 06).",
)
class DossierTransferApi(DossierActionApi):
    action = Action.TRANSFER

    class InputSerializer(ActionInputSerializer):
        note = _note_field()

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_transfer(dossier=dossier, actor=actor, note=data["note"], expected_version=expected_version)


@action_api("Trả lại bước trước", "Đơn vị đang giữ bước trả hồ sơ về đơn vị của bước trước, ghi rõ lý do.")
class DossierSendBackApi(DossierActionApi):
    action = Action.SEND_BACK

    class InputSerializer(ActionInputSerializer):
        reason = _reason_field()

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_send_back(dossier=dossier, actor=actor, reason=data["reason"], expected_version=expected_version)


@action_api(
    "Bước không cần thực hiện",
    "Lãnh đạo cơ quan chủ trì đánh dấu một bước chưa xong là không cần thực hiện (ghi lý do); bước hiển thị là bỏ qua.",
)
class DossierSkipStepApi(DossierActionApi):
    action = Action.SKIP_STEP

    class InputSerializer(ActionInputSerializer):
        step = serializers.IntegerField(min_value=1, max_value=999, help_text="Thứ tự của bước (steps[].order).")
        reason = _reason_field()

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_skip_step(
            dossier=dossier, actor=actor, step=data["step"], reason=data["reason"], expected_version=expected_version
        )


@action_api("Yêu cầu bổ sung hồ sơ", "Trả hồ sơ cho người nộp để bổ sung (Mẫu 02): tạm dừng tính hạn (D7).")
class DossierRequestSupplementApi(DossierActionApi):
    action = Action.REQUEST_SUPPLEMENT

    class InputSerializer(ActionInputSerializer):
        reason = _reason_field()
        documents = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=4000,
            help_text="Giấy tờ cần bổ sung, mỗi dòng một giấy tờ.",
        )

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_request_supplement(
            dossier=dossier, actor=actor, reason=data["reason"], documents=data["documents"],
            expected_version=expected_version,
        )


@action_api("Nhận hồ sơ bổ sung", "Người nộp đã bổ sung đủ: tiếp tục tính hạn, ngày hẹn trả lùi theo số ngày làm việc tạm dừng (D7).")
class DossierResumeApi(DossierActionApi):
    action = Action.RESUME

    class InputSerializer(ActionInputSerializer):
        note = _note_field()

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_resume(dossier=dossier, actor=actor, note=data["note"], expected_version=expected_version)


@action_api("Phê duyệt kết quả", "Kết quả đã ký, chuyển về bộ phận một cửa chờ trả: hồ sơ được tính là đã giải quyết (D9).")
class DossierApproveApi(DossierActionApi):
    action = Action.APPROVE

    class InputSerializer(ActionInputSerializer):
        note = _note_field()
        result_document = serializers.IntegerField(
            required=False, allow_null=True, help_text="Id of a `result` PDF of this dossier to sign (papers).")

    def perform(self, *, dossier, actor, data, expected_version):
        payload = {"result_document": data["result_document"]} if data.get("result_document") else {}
        lifecycle.dossier_approve(dossier=dossier, actor=actor, note=data["note"], expected_version=expected_version,
                                  payload=payload)


@action_api("Từ chối giải quyết", "Cơ quan có thẩm quyền từ chối giải quyết bằng văn bản: hồ sơ đã giải quyết (D9).")
class DossierRefuseApi(DossierActionApi):
    action = Action.REFUSE

    class InputSerializer(ActionInputSerializer):
        reason = _reason_field()

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_refuse(dossier=dossier, actor=actor, reason=data["reason"], expected_version=expected_version)


@action_api(
    "Dừng giải quyết hồ sơ",
    "Cơ quan chủ trì dừng giải quyết (Mẫu 05, D16) khi hồ sơ ở bước cuối của mình hoặc đang chờ bổ sung: "
    "hồ sơ đã giải quyết, thống kê riêng; thông báo được trả như văn bản từ chối.",
)
class DossierStopApi(DossierActionApi):
    action = Action.STOP

    class InputSerializer(ActionInputSerializer):
        reason = _reason_field()

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_stop(dossier=dossier, actor=actor, reason=data["reason"], expected_version=expected_version)


@action_api(
    "Xin lỗi và hẹn lại ngày trả",
    "Phiếu xin lỗi (Mẫu 04) với ngày hẹn mới, tối đa một lần; không đổi ngày hẹn trả dùng để đánh giá (D8).",
)
class DossierApologizeApi(DossierActionApi):
    action = Action.APOLOGIZE

    class InputSerializer(ActionInputSerializer):
        new_date = serializers.DateField(help_text="Ngày hẹn trả mới (YYYY-MM-DD): một ngày làm việc sau ngày hẹn trả hiện tại.")
        reason = _reason_field()

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_apologize(
            dossier=dossier, actor=actor, new_date=data["new_date"], reason=data["reason"],
            expected_version=expected_version,
        )


@action_api("Trả kết quả", "Trao kết quả (hoặc văn bản từ chối) cho người nộp; không đổi đánh giá đúng hạn.")
class DossierReturnResultApi(DossierActionApi):
    action = Action.RETURN_RESULT

    class InputSerializer(ActionInputSerializer):
        return_channel = serializers.ChoiceField(
            choices=ReturnChannel.choices, required=False, error_messages={"invalid_choice": MSG_RETURN_CHANNEL},
            help_text="Mặc định: hình thức nhận kết quả đã đăng ký khi tiếp nhận.",
        )
        note = _note_field()

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_return_result(
            dossier=dossier, actor=actor, return_channel=data.get("return_channel") or dossier.return_channel,
            note=data["note"], expected_version=expected_version,
        )


@action_api("Rút hồ sơ", "Người nộp rút hồ sơ: hồ sơ đã giải quyết, thống kê riêng số hồ sơ rút (D9).")
class DossierWithdrawApi(DossierActionApi):
    action = Action.WITHDRAW

    class InputSerializer(ActionInputSerializer):
        reason = _reason_field()

    def perform(self, *, dossier, actor, data, expected_version):
        lifecycle.dossier_withdraw(dossier=dossier, actor=actor, reason=data["reason"], expected_version=expected_version)


#: workflow action -> its endpoint (urls.py routes each; a test checks every Action has one)
ACTION_APIS: dict[str, type[DossierActionApi]] = {
    cls.action: cls
    for cls in (
        DossierAcceptApi, DossierRejectApi, DossierAssignApi, DossierTransferApi, DossierSendBackApi,
        DossierSkipStepApi, DossierRequestSupplementApi, DossierResumeApi, DossierApproveApi, DossierRefuseApi,
        DossierStopApi, DossierApologizeApi, DossierReturnResultApi, DossierWithdrawApi,
    )
}


@extend_schema(exclude=True)
class DossierUnknownActionApi(DossierApiView):
    """``/dossiers/{code}/{anything else}/``: a JSON 404 instead of the HTML page."""

    def _unknown(self, request, code: str, action: str):
        raise NotFound(MSG_UNKNOWN_ACTION.format(action=action))

    get = post = put = patch = delete = _unknown


# --- the catalogue: competent units (D19) ------------------------------------------------------


class ProcedureCompetentUnitsApi(DossierApiView):
    """``/procedures/{code}/competent-units/``: the units an intake may name as the competent
    unit (``resolving_unit``) of this procedure on a day (D19)."""

    class OutputSerializer(serializers.Serializer):
        class UnitSerializer(serializers.Serializer):
            code = serializers.CharField()
            name = serializers.CharField()
            level = serializers.CharField()

        procedure = serializers.CharField()
        resolving_level = serializers.CharField(help_text="Cấp giải quyết; rỗng: một cơ quan giải quyết.")
        on = serializers.DateField()
        count = serializers.IntegerField()
        results = UnitSerializer(many=True)

    @extend_schema(
        tags=["Danh mục"],
        operation_id="procedures_competent_units",
        summary="Cơ quan có thẩm quyền giải quyết thủ tục",
        description=("Thủ tục do một cơ quan giải quyết: cơ quan đó. Thủ tục do mọi Ủy ban nhân dân của một cấp "
                     "giải quyết (`resolving_level`): các đơn vị của cấp đó còn hoạt động vào ngày `on` "
                     "(mặc định hôm nay), lọc theo `q` (mã hoặc tên, không dấu)."),
        parameters=[OpenApiParameter("q", str, required=False), OpenApiParameter("on", str, required=False,
                                                                               description="YYYY-MM-DD")],
        responses={200: OutputSerializer, **_errors(400, 401, 404)},
    )
    def get(self, request, code: str):
        procedure = reference.procedure_get(code)
        if procedure is None:
            raise NotFound(MSG_UNKNOWN_PROCEDURE.format(value=code))
        day = timezone.localdate()
        if request.query_params.get("on"):
            field = serializers.DateField()
            try:
                day = field.to_internal_value(request.query_params["on"])
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"on": exc.detail}) from None
        units = competent_units(procedure=procedure, day=day, q=request.query_params.get("q", "")[:100])
        return Response(self.OutputSerializer({
            "procedure": procedure.code, "resolving_level": procedure.resolving_level, "on": day,
            "count": len(units), "results": units[:200],
        }).data)
