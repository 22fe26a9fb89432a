"""Output shared by two or more dossier API views (style.md principle 15).

Read-only shapes only: input is parsed by each view's nested ``InputSerializer``. Field names
follow interfaces.md "REST API (v1)": ``status`` is the workflow state (``Dossier.state``),
dates and instants are ISO 8601 (instants in Asia/Ho_Chi_Minh with their offset).
"""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dossiers.deadlines import dossier_deadline_status
from dossiers.models import Channel, Classification, Dossier, DossierStep, Procedure, ReturnChannel
from dossiers.workflow import OPEN_STATES, Action, DossierState


class UnitRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Mã định danh điện tử của đơn vị.")
    name = serializers.CharField()


class ProcedureRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Mã thủ tục hành chính (CSDL quốc gia).")
    name = serializers.CharField()


class ApplicantOutputSerializer(serializers.Serializer):
    """The applicant block, read from the dossier's ``applicant_*`` columns. CCCD and phone
    are masked unless the context says ``pii_full`` (a member of one of the dossier's own
    units, ``dossiers.pii.pii_visible_to``; NĐ 13/2023)."""

    name = serializers.CharField(source="applicant_name")
    id_number = serializers.CharField(source="applicant_id_number", help_text="Đầy đủ chỉ với cán bộ đơn vị của hồ sơ; còn lại che bớt.")
    phone = serializers.CharField(source="applicant_phone", help_text="Đầy đủ chỉ với cán bộ đơn vị của hồ sơ; còn lại che bớt.")
    address = serializers.CharField(source="applicant_address")
    email = serializers.CharField(source="applicant_email")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        root = self.root if self.root is not None else self
        if not root.context.get("pii_full", True):
            from dossiers.pii import mask_id_number, mask_phone

            data["id_number"] = mask_id_number(data["id_number"])
            data["phone"] = mask_phone(data["phone"])
        return data


def dossier_overdue(obj: Dossier, context: dict) -> bool:
    """An open dossier past its deadline now, by the one rule of ``dossiers.deadlines`` (a
    paused one judged at its pause, D12; an hour deadline at its instant, D9).
    ``context["today"]`` and ``context["now"]`` may fix the day and the instant."""
    if obj.state not in OPEN_STATES or obj.due_date is None:
        return False
    now = context.get("now") or timezone.now()
    today = context.get("today") or timezone.localdate(now)
    # overdue never depends on the next working day (only "due soon" does)
    status = dossier_deadline_status(obj, today=today, now=now, next_working_day=today)
    return bool(status and status.overdue)


@extend_schema_field(OpenApiTypes.BOOL)
class OverdueField(serializers.Field):
    """``overdue``: see :func:`dossier_overdue`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Hồ sơ đang giải quyết đã quá hạn (tính đến hôm nay).")
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value: Dossier) -> bool:
        return dossier_overdue(value, self.parent.context)


class DossierStepOutputSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField()
    unit = UnitRefSerializer()
    allotted_time = serializers.IntegerField(help_text="Thời gian được giao, theo đơn vị thời gian của thủ tục.")
    due_date = serializers.DateField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=DossierStep.State.choices)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    assigned_to = serializers.CharField(source="assigned_to.username", allow_null=True)
    classification = serializers.ChoiceField(choices=[("", "")] + Classification.choices)


class DossierPauseOutputSerializer(serializers.Serializer):
    requested_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    documents = serializers.CharField()


class DossierEventOutputSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField(help_text="receive, submit, recompute-due or a workflow action (accept, assign…).")
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor = serializers.CharField(source="actor_name")
    unit = UnitRefSerializer(allow_null=True)
    to_unit = UnitRefSerializer(allow_null=True)
    note = serializers.CharField()
    due_date = serializers.DateField(allow_null=True, help_text="Ngày hẹn trả tại thời điểm thao tác.")
    data = serializers.JSONField()


class DossierReceiptOutputSerializer(serializers.Serializer):
    """What the receipt (Giấy tiếp nhận và hẹn trả kết quả, Mẫu 01) says: the intake answer.

    ``actions`` lists what the calling user may do now (workflow state and role).
    """

    code = serializers.CharField()
    status = serializers.ChoiceField(source="state", choices=DossierState.choices)
    status_label = serializers.CharField(source="get_state_display")
    procedure = ProcedureRefSerializer()
    field = serializers.CharField(source="procedure.field.name", help_text="Lĩnh vực.")
    receiving_unit = UnitRefSerializer()
    resolving_unit = UnitRefSerializer()
    current_unit = UnitRefSerializer()
    channel = serializers.ChoiceField(choices=Channel.choices)
    return_channel = serializers.ChoiceField(choices=ReturnChannel.choices)
    on_the_spot = serializers.BooleanField()
    applicant = ApplicantOutputSerializer(source="*")
    request_content = serializers.CharField()
    documents = serializers.JSONField(help_text="Thành phần hồ sơ: [{name, originals, copies}].")
    copies = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    receipt_date = serializers.DateField(allow_null=True, help_text="Ngày tiếp nhận dùng để tính hạn (D2).")
    processing_time = serializers.IntegerField()
    time_unit = serializers.ChoiceField(choices=Procedure.TimeUnit.choices)
    due_date = serializers.DateField(allow_null=True, help_text="Ngày hẹn trả (D3–D7).")
    due_at = serializers.DateTimeField(allow_null=True, help_text="Thời hạn: 17:00 ngày hẹn trả, hoặc thời điểm với hạn tính theo giờ.")
    due_text = serializers.CharField(help_text="Giải thích cách tính ngày hẹn trả.")
    version = serializers.IntegerField(help_text="Send it back as `version` with an action to detect concurrent changes.")
    actions = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Action.choices)))
    def get_actions(self, obj: Dossier) -> list[str]:
        allowed = self.context.get("actions_for")
        return allowed(obj) if allowed is not None else []

    def to_representation(self, obj: Dossier) -> dict:
        """The intake's answer is on the hottest path: built directly instead of through 30
        deep-copied field objects (a third of a millisecond of CPU per field set). Subclasses
        keep DRF's generic path; tests/dossiers/test_api.py keeps both outputs equal."""
        if type(self) is not DossierReceiptOutputSerializer:
            return super().to_representation(obj)
        return receipt_representation(obj, actions=self.get_actions(obj))


def _instant(value):
    """As DRF's DateTimeField renders an aware instant: local time (Asia/Ho_Chi_Minh), ISO 8601."""
    if value is None:
        return None
    value = timezone.localtime(value)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _day(value):
    return None if value is None else value.isoformat()


def _unit(unit):
    return {"code": unit.code, "name": unit.name}


def receipt_representation(d: Dossier, *, actions: list[str]) -> dict:
    """:class:`DossierReceiptOutputSerializer`'s fields, in its order, for one dossier."""
    return {
        "code": d.code,
        "status": d.state,
        "status_label": str(d.get_state_display()),
        "procedure": {"code": d.procedure.code, "name": d.procedure.name},
        "field": d.procedure.field.name,
        "receiving_unit": _unit(d.receiving_unit),
        "resolving_unit": _unit(d.resolving_unit),
        "current_unit": _unit(d.current_unit),
        "channel": d.channel,
        "return_channel": d.return_channel,
        "on_the_spot": d.on_the_spot,
        "applicant": {
            "name": d.applicant_name, "id_number": d.applicant_id_number, "phone": d.applicant_phone,
            "address": d.applicant_address, "email": d.applicant_email,
        },
        "request_content": d.request_content,
        "documents": d.documents,
        "copies": d.copies,
        "submitted_at": _instant(d.submitted_at),
        "received_at": _instant(d.received_at),
        "receipt_date": _day(d.receipt_date),
        "processing_time": d.processing_time,
        "time_unit": d.time_unit,
        "due_date": _day(d.due_date),
        "due_at": _instant(d.due_at),
        "due_text": d.due_text,
        "version": d.version,
        "actions": actions,
    }


class DossierDetailOutputSerializer(DossierReceiptOutputSerializer):
    """A dossier with its steps, pauses and history: answers detail and every action."""

    base_due_date = serializers.DateField(allow_null=True, help_text="Ngày hẹn trả trước khi tạm dừng.")
    overdue = OverdueField()
    paused_at = serializers.DateTimeField(allow_null=True)
    supplement_count = serializers.IntegerField()
    appointment_date = serializers.DateField(allow_null=True, help_text="Ngày hẹn lại sau phiếu xin lỗi (D8).")
    apologized_at = serializers.DateTimeField(allow_null=True)
    assigned_to = serializers.CharField(source="assigned_to.username", allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()
    classification = serializers.CharField(help_text="early, on_time, late once resolved (D9); empty while open.")
    outcome_note = serializers.CharField()
    returned_at = serializers.DateTimeField(allow_null=True)
    steps = DossierStepOutputSerializer(many=True)
    pauses = DossierPauseOutputSerializer(many=True)
    history = DossierEventOutputSerializer(source="events", many=True)
