"""One DRF exception handler: every API error has the shape {"detail": "…", "errors": {field: […]}}.

``errors`` maps a field to its messages; nested fields are joined with dots
(``applicant.id_number``, ``documents.0.name``), exactly as services name them in
``ServiceError.errors`` (onecua.errors). Errors that concern no field (401, 403, 404, 405, 409 on a wrong
state…) carry ``errors: {}`` or the service's own field map.
"""
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404
from django.utils import translation
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from onecua.errors import ServiceError

MSG_INVALID = "Dữ liệu không hợp lệ."
MSG_BAD_VALUE = "Dữ liệu không hợp lệ: có ký tự không được phép (ví dụ ký tự NUL) hoặc giá trị quá lớn."
MSG_DB_UNAVAILABLE = "Cơ sở dữ liệu tạm thời không truy cập được; vui lòng thử lại sau ít giây."

#: DRF messages its Vietnamese catalogue lacks, for the errors that concern no field.
#: (The proper home is a project catalogue, locale/vi/LC_MESSAGES/django.po.)
VI_MESSAGES = {
    "Authentication credentials were not provided.": "Chưa đăng nhập: gửi kèm tiêu đề Authorization: Token <token>.",
    "Invalid token.": "Token không hợp lệ.",
    "Invalid token header. No credentials provided.": "Tiêu đề Authorization thiếu token.",
    "User inactive or deleted.": "Tài khoản đã bị khóa hoặc xóa.",
    "You do not have permission to perform this action.": "Bạn không có quyền thực hiện thao tác này.",
    "Invalid page.": "Trang không tồn tại.",
    "Malformed request.": "Yêu cầu không đúng định dạng.",
}


def _messages(value) -> list[str]:
    return [str(m) for m in (value if isinstance(value, list) else [value])]


def _field_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into {"a.b.0.c": ["…"]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for field, value in detail.items():
            key = f"{prefix}{field}"
            if isinstance(value, dict):
                out.update(_field_errors(value, f"{key}."))
            elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
                # A list serializer: one entry per item, {} for an item without errors.
                for index, item in enumerate(value):
                    if isinstance(item, dict):
                        out.update(_field_errors(item, f"{key}.{index}."))
                    elif item:
                        out[f"{key}.{index}"] = _messages(item)
            else:
                out[key] = _messages(value)
        return out
    if isinstance(detail, list):
        return {f"{prefix}non_field_errors": _messages(detail)}
    return {f"{prefix}non_field_errors": _messages(detail)} if detail else {}


def _first_message(errors: dict[str, list[str]]) -> str:
    for messages in errors.values():
        if messages:
            return messages[0]
    return MSG_INVALID


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, ServiceError):
        set_rollback()
        return Response({"detail": exc.message, "errors": exc.errors}, status=exc.status_code)
    if isinstance(exc, DataError):
        # A value the database cannot hold (a NUL character, a number out of range) came from
        # the request: the caller's mistake, not the server's (found by tests/hardening fuzzing).
        set_rollback()
        return Response({"detail": MSG_BAD_VALUE, "errors": {}}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is unreachable (restarting, failing over): nothing was written (each
        # write is one transaction); the client may retry. Django reconnects on the next request.
        set_rollback()
        return Response({"detail": MSG_DB_UNAVAILABLE, "errors": {}}, status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": "5"})

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        # One field wrong: say which in the headline too; several: the generic headline.
        detail = _first_message(errors) if len(errors) == 1 else MSG_INVALID
        response.data = {"detail": detail, "errors": errors}
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        detail = str(response.data.get("detail", "") if isinstance(response.data, dict) else response.data)
        if (translation.get_language() or "").startswith("vi"):
            detail = VI_MESSAGES.get(detail, detail)
        response.data = {"detail": detail, "errors": {}}
    return response


class ErrorSerializer(serializers.Serializer):
    """The shape of every API error (documented in the OpenAPI schema as ``Error``)."""

    detail = serializers.CharField(help_text="Thông báo lỗi cho người dùng.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Lỗi theo từng trường: {\"applicant.id_number\": [\"Số CCCD phải gồm 12 chữ số.\"]}.",
    )

    class Meta:
        ref_name = "Error"


class AutoSchema(SpectacularAutoSchema):
    """Names schema components after the serializer's qualified name.

    Views nest ``InputSerializer``/``OutputSerializer`` (style.md principle 15), so bare class
    names collide; ``DossierAssignApi.InputSerializer`` becomes the component
    ``DossierAssignApiInput`` and ``DossierCreateApi.InputSerializer.ApplicantSerializer``
    ``DossierCreateApiInputApplicant``.
    """

    def get_serializer_name(self, serializer, direction):
        parts = [p.removesuffix("Serializer") for p in type(serializer).__qualname__.split(".") if p != "<locals>"]
        return "".join(parts)



# --- token endpoint with login throttling ------------------------------------------------------

MSG_LOCKED_OUT = (
    "Đăng nhập sai {limit} lần liên tiếp: tên đăng nhập này tạm khóa từ địa chỉ này trong {minutes} phút."
)


class LoginLockedOut(exceptions.APIException):
    """Too many failed logins for this username from this address (django-axes): 429."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "login_locked_out"

    def __init__(self):
        from django.conf import settings

        self.wait = settings.LOGIN_LOCKOUT_MINUTES * 60  # the handler sends it as Retry-After
        super().__init__(MSG_LOCKED_OUT.format(limit=settings.LOGIN_FAILURE_LIMIT, minutes=settings.LOGIN_LOCKOUT_MINUTES))


class TokenObtainApi(ObtainAuthToken):
    """``POST /api/v1/auth/token/``: DRF's token login, throttled like the login page.

    No session or token authentication on this endpoint (a logged-in browser needs no CSRF
    token to ask for one); errors in the usual shape; a locked-out username + address answers
    429 with ``Retry-After`` whatever the password.
    """

    authentication_classes = ()
    schema = AutoSchema()

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Gửi kèm tiêu đề Authorization: Token <token>.")
        expires_at = serializers.DateTimeField(help_text="Token hết hạn lúc này (API_TOKEN_TTL_HOURS); đăng xuất hoặc đổi mật khẩu cũng hủy token.")

    @extend_schema(
        tags=["Xác thực (auth)"],
        operation_id="auth_token_create",
        summary="Lấy token API",
        description=(
            "Đổi tên đăng nhập và mật khẩu lấy token; gửi kèm tiêu đề Authorization: Token <token>. "
            f"Đăng nhập sai {settings.LOGIN_FAILURE_LIMIT} lần liên tiếp từ một địa chỉ thì tên đăng nhập đó "
            f"tạm khóa {settings.LOGIN_LOCKOUT_MINUTES} phút (429)."
        ),
        request=AuthTokenSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Thiếu hoặc sai tên đăng nhập, mật khẩu."),
            429: OpenApiResponse(ErrorSerializer, description="Đăng nhập sai quá số lần cho phép: tạm khóa."),
        },
    )
    def post(self, request, *args, **kwargs):
        from onecua.tokens import token_expires_at, token_issue

        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.ValidationError:
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut() from None
            raise
        token = token_issue(user=serializer.validated_data["user"])
        return Response({"token": token.key, "expires_at": token_expires_at(token).isoformat()})
