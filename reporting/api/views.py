"""Report API (interfaces.md "Reports"): ``GET /api/v1/reports/quarterly/`` and its
generalisation ``GET /api/v1/reports/period/`` return the report JSON of
``reporting.selectors.report_figures`` — the same figures as ``manage.py report``.

Who: superusers and administrators (any unit, or every unit), leaders (their own unit's
subtree; without ``unit`` their own unit). Others get 403; a unit that does not exist or lies
outside a leader's subtree 404; a bad period 400 with field messages. A report whose figures
break an identity is not sent: 500 with the identities that failed.
"""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dossiers.models import Unit
from onecua.api import ErrorSerializer
from onecua.tokens import ExpiringTokenAuthentication
from reporting.hooks import report_json_extend
from reporting.periods import BASES, KINDS, PeriodError, period_from_params
from reporting.selectors import (
    SOURCES,
    ReportAccessError,
    ReportIdentityError,
    RollupMissingError,
    report_figures,
    report_scope_for_user,
)


class ReportIdentityFailed(APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_code = "report_identity_failed"


class RollupMissing(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "rollup_missing"


class _Figures(serializers.Serializer):
    received_total = serializers.IntegerField()
    received_online = serializers.IntegerField()
    received_direct_postal = serializers.IntegerField()
    carried_over = serializers.IntegerField()
    resolved_total = serializers.IntegerField()
    resolved_early = serializers.IntegerField()
    resolved_on_time = serializers.IntegerField()
    resolved_late = serializers.IntegerField()
    in_progress_total = serializers.IntegerField()
    in_progress_within = serializers.IntegerField()
    in_progress_overdue = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    on_the_spot = serializers.IntegerField()
    multi_supplement = serializers.IntegerField()
    on_time_rate = serializers.CharField(allow_null=True, help_text="Phần trăm, hai chữ số thập phân; null khi mẫu số bằng 0.")
    on_time_rate_766 = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "ReportFigures"


class _UnitRow(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    totals = _Figures()

    class Meta:
        ref_name = "ReportUnitRow"


class _LevelRow(serializers.Serializer):
    level = serializers.CharField()
    name = serializers.CharField()
    totals = _Figures()
    units = _UnitRow(many=True)

    class Meta:
        ref_name = "ReportLevelRow"


class _FieldRow(serializers.Serializer):
    field = serializers.CharField()
    id = serializers.IntegerField()
    totals = _Figures()

    class Meta:
        ref_name = "ReportFieldRow"


class ReportOutputSerializer(serializers.Serializer):
    period = serializers.DictField(help_text="basis, kind, year, quarter|month|half, number, start, end, label")
    scope = serializers.DictField(allow_null=True)
    source = serializers.ChoiceField(choices=["rollup", "direct"])
    generated_at = serializers.CharField()
    totals = _Figures()
    levels = _LevelRow(many=True)
    fields = _FieldRow(many=True)
    identities = serializers.DictField()
    satisfaction = serializers.DictField(required=False, help_text=(
        "Phiếu đánh giá trong kỳ (citizens): evaluations, points_total, average_total, bands, criteria_average, "
        "satisfied, satisfied_share (chuỗi hai chữ số thập phân hoặc null)."))
    feedback = serializers.DictField(required=False, help_text=(
        "Phản ánh, kiến nghị trong kỳ (citizens): received_*, answered_*, open_*, answered_on_time_share."))

    class Meta:
        ref_name = "Report"


def _report_response(request, params: dict) -> Response:
    try:
        unit = report_scope_for_user(user=request.user, unit_code=request.query_params.get("unit"))
    except ReportAccessError as exc:
        raise PermissionDenied(str(exc)) from None
    except Unit.DoesNotExist:
        raise NotFound(f"Không có đơn vị mã “{request.query_params.get('unit')}” trong phạm vi được xem.") from None
    try:
        period = period_from_params(params)
    except PeriodError as exc:
        raise serializers.ValidationError({exc.field: [exc.message]}) from None
    source = request.query_params.get("source") or "auto"
    if source not in SOURCES:
        raise serializers.ValidationError({"source": [f"Nguồn số liệu “{source}” không hợp lệ: {', '.join(SOURCES)}."]})
    try:
        report = report_figures(period=period, unit=unit, source=source)
    except ReportIdentityError as exc:
        raise ReportIdentityFailed(str(exc)) from None
    except RollupMissingError as exc:
        raise RollupMissing(str(exc)) from None
    # New keys of other apps (citizens: satisfaction, feedback): reporting.hooks.
    return Response(report_json_extend(report, period=period, unit=unit))


_COMMON = [
    OpenApiParameter("year", int, required=True, description="Năm báo cáo."),
    OpenApiParameter("basis", str, enum=list(BASES), description="regulatory (15 – 14, mặc định) hoặc calendar."),
    OpenApiParameter("unit", str, description="Mã đơn vị: chỉ tính các đơn vị trực thuộc (lãnh đạo: mặc định đơn vị mình)."),
    OpenApiParameter("source", str, enum=list(SOURCES), description="auto (mặc định), rollup hoặc direct."),
]
_ERRORS = {400: ErrorSerializer, 401: OpenApiResponse(ErrorSerializer, description="Chưa đăng nhập hoặc token sai."),
           403: ErrorSerializer, 404: ErrorSerializer,
           409: OpenApiResponse(ErrorSerializer, description="Chưa tổng hợp đủ ngày (source=rollup)."),
           500: OpenApiResponse(ErrorSerializer, description="Số liệu vi phạm đẳng thức D12: không gửi báo cáo.")}


class ReportQuarterlyApi(APIView):
    """Báo cáo quý (Biểu 06/VPCP/KSTT)."""

    # Token first: an anonymous call answers 401 with WWW-Authenticate, as the dossier API.
    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="reports_quarterly",
        parameters=[OpenApiParameter("quarter", int, required=True, description="Quý (1–4)."), *_COMMON],
        responses={200: ReportOutputSerializer, **_ERRORS},
    )
    def get(self, request):
        q = request.query_params
        return _report_response(request, {"kind": "quarter", "basis": q.get("basis"), "year": q.get("year"),
                                          "quarter": q.get("quarter")})


class ReportPeriodApi(APIView):
    """Báo cáo theo tháng, quý, 6 tháng, 9 tháng hoặc năm."""

    # Token first: an anonymous call answers 401 with WWW-Authenticate, as the dossier API.
    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="reports_period",
        parameters=[OpenApiParameter("kind", str, enum=list(KINDS), required=True),
                    OpenApiParameter("number", int, description="Tháng 1–12, quý 1–4, 6 tháng 1–2; bỏ trống với 9 tháng, năm."),
                    *_COMMON],
        responses={200: ReportOutputSerializer, **_ERRORS},
    )
    def get(self, request):
        q = request.query_params
        return _report_response(request, {"kind": q.get("kind"), "basis": q.get("basis"), "year": q.get("year"),
                                          "number": q.get("number")})
