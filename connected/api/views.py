"""``/api/v1/webhooks/`` (interfaces.md "Connected systems"): administrators only."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication

from onecua.tokens import ExpiringTokenAuthentication
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from connected.events import ALL, EVENT_TYPES
from connected.models import Subscription
from connected.services import webhooks as svc
from dossiers.roles import ADMINISTRATOR, user_roles
from onecua.api import AutoSchema, ErrorSerializer

TAGS = ["webhooks"]
MSG_ADMIN = "Chỉ quản trị viên được quản lý đăng ký nhận sự kiện (webhook)."
MSG_NOT_FOUND = "Không có đăng ký nhận sự kiện số {pk}."


class SubscriptionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    name = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    active = serializers.BooleanField(source="is_active")


def _errors(*codes):
    return {c: OpenApiResponse(ErrorSerializer) for c in codes}


class WebhookApiView(APIView):
    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    schema = AutoSchema()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if ADMINISTRATOR not in user_roles(request.user):
            raise PermissionDenied(MSG_ADMIN)


class WebhookCollectionApi(WebhookApiView):
    class InputSerializer(serializers.Serializer):
        url = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", help_text="http(s); không trỏ vào mạng nội bộ (trừ khi WEBHOOK_ALLOW_PRIVATE).")
        secret = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", trim_whitespace=False, help_text="Khóa ký HMAC-SHA256 (X-OneCua-Signature).")
        events = serializers.ListField(
            child=serializers.CharField(max_length=64), required=False, default=[ALL], max_length=50,
            help_text="Các loại sự kiện, hoặc [\"*\"]: " + ", ".join(EVENT_TYPES),
        )
        name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(tags=TAGS, operation_id="webhooks_list", summary="Danh sách đăng ký nhận sự kiện",
                   responses={200: SubscriptionOutputSerializer(many=True), **_errors(401, 403)})
    def get(self, request):
        subs = Subscription.objects.filter(ended_at__isnull=True).order_by("id")
        return Response(SubscriptionOutputSerializer(subs, many=True).data)

    @extend_schema(tags=TAGS, operation_id="webhooks_create", summary="Đăng ký nhận sự kiện (webhook)",
                   request=InputSerializer, responses={201: SubscriptionOutputSerializer, **_errors(400, 401, 403)})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sub = svc.subscription_create(actor=request.user, **serializer.validated_data)
        return Response(SubscriptionOutputSerializer(sub).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(WebhookApiView):
    @extend_schema(tags=TAGS, operation_id="webhooks_destroy", summary="Ngừng một đăng ký nhận sự kiện",
                   responses={204: None, **_errors(401, 403, 404)})
    def delete(self, request, pk: int):
        sub = Subscription.objects.filter(pk=pk, ended_at__isnull=True).first()
        if sub is None:
            raise NotFound(MSG_NOT_FOUND.format(pk=pk))
        svc.subscription_end(subscription=sub)
        return Response(status=status.HTTP_204_NO_CONTENT)
