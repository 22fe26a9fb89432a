"""Forms of the counter clerk's pages: they parse and validate input, nothing more.

The rules themselves (CCCD format, "4 tại chỗ", channels) live in
``dossiers.services.lifecycle``; the forms call its pure validator so that every error of a
submitted form shows at once, next to its field, and the service checks again when saving.
"""
from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from dossiers.errors import DossierError
from dossiers.models import Channel, Procedure, ReturnChannel, Unit
from dossiers.services.lifecycle import applicant_validate
from onecua.forms import add_service_errors as form_add_service_errors

#: service error keys (``DossierError.errors``) -> form field names
SERVICE_FIELD_MAP = {
    "applicant.name": "applicant_name",
    "applicant.id_number": "applicant_id_number",
    "applicant.phone": "applicant_phone",
    "applicant.address": "applicant_address",
    "applicant.email": "applicant_email",
    "applicant.notify_email": "applicant_notify_email",
    "applicant.notify_sms": "applicant_notify_sms",
    "on_the_spot": "on_the_spot",
    "channel": "channel",
    "return_channel": "return_channel",
    "procedure": "procedure",
    "receiving_unit": "receiving_unit",
    "resolving_unit": "resolving_unit",
}

MSG_PROCEDURE_REQUIRED = _("Chọn thủ tục hành chính.")
MSG_PROCEDURE_UNKNOWN = _("Không tìm thấy thủ tục này hoặc thủ tục đã ngừng áp dụng.")
MSG_DOCUMENTS_REQUIRED = _("Đánh dấu các thành phần hồ sơ đã nhận.")
MSG_REASON_REQUIRED = _("Vui lòng ghi rõ lý do.")
MSG_MISSING_REQUIRED = _("Ghi các giấy tờ cần bổ sung, hoàn thiện.")
MSG_UNIT_REQUIRED = _("Chọn nơi tiếp nhận.")
MSG_COMPETENT_UNKNOWN = _("Không tìm thấy đơn vị này: chọn trong danh sách.")

#: the most documents one dossier's checklist may carry (a guard against absurd posts)
MAX_DOCUMENTS = 60


def add_service_errors(form: forms.Form, exc: DossierError) -> None:
    """A lifecycle service's refusal on an intake or counter-slip form (applicant keys renamed)."""
    form_add_service_errors(form, exc, field_map=SERVICE_FIELD_MAP)


class ApplicantFields(forms.Form):
    """The applicant block shared by the intake form and the counter slips."""

    # Not limited here: the service says "tối đa N ký tự" (issue 14), the same for the API.
    applicant_name = forms.CharField(label=_("Họ và tên"), required=False)
    applicant_id_number = forms.CharField(label=_("Số CCCD"), max_length=20, required=False)
    applicant_phone = forms.CharField(label=_("Điện thoại"), max_length=20, required=False)
    applicant_address = forms.CharField(label=_("Địa chỉ"), required=False)
    applicant_email = forms.CharField(label=_("Email"), required=False)
    applicant_notify_email = forms.BooleanField(label=_("Nhận thông báo qua email"), required=False)
    applicant_notify_sms = forms.BooleanField(label=_("Nhận thông báo qua SMS"), required=False)

    def applicant(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "name": data.get("applicant_name", ""),
            "id_number": data.get("applicant_id_number", ""),
            "phone": data.get("applicant_phone", ""),
            "address": data.get("applicant_address", ""),
            "email": data.get("applicant_email", ""),
            "notify_email": data.get("applicant_notify_email", False),
            "notify_sms": data.get("applicant_notify_sms", False),
        }

    def clean(self):
        cleaned = super().clean()
        try:
            valid = applicant_validate(self.applicant())
        except DossierError as exc:
            add_service_errors(self, exc)
        else:
            for key, value in valid.items():
                cleaned[f"applicant_{key}"] = value
        return cleaned


def _procedure_by_code(code: str) -> Procedure | None:
    code = (code or "").strip()
    if not code:
        return None
    return Procedure.objects.select_related("field", "resolving_unit").filter(code=code, is_active=True).first()


class IntakeForm(ApplicantFields):
    """Tiếp nhận hồ sơ at the counter (ux.md "Intake screen").

    The document checklist comes as ``doc-<i>-name``, ``doc-<i>-on`` (ticked),
    ``doc-<i>-originals``, ``doc-<i>-copies`` for i < ``doc-count``; only ticked rows are kept.
    """

    procedure = forms.CharField(label=_("Thủ tục"), max_length=32, required=False)
    channel = forms.ChoiceField(
        label=_("Hình thức nộp"), choices=[(Channel.DIRECT, _("Trực tiếp")), (Channel.POSTAL, _("Bưu chính"))],
        initial=Channel.DIRECT, widget=forms.RadioSelect,
    )
    return_channel = forms.ChoiceField(
        label=_("Nhận kết quả"),
        choices=[(ReturnChannel.COUNTER, _("Tại bộ phận một cửa")), (ReturnChannel.POSTAL, _("Qua bưu chính"))],
        initial=ReturnChannel.COUNTER, widget=forms.RadioSelect,
    )
    on_the_spot = forms.BooleanField(label=_("Giải quyết “4 tại chỗ”"), required=False)
    request_content = forms.CharField(label=_("Nội dung yêu cầu giải quyết"), max_length=1000, required=False)
    copies = forms.IntegerField(label=_("Số lượng hồ sơ (bộ)"), min_value=1, max_value=99, initial=1)
    receiving_unit = forms.ModelChoiceField(
        label=_("Nơi tiếp nhận"), queryset=Unit.objects.none(), required=False,
        help_text=_("Tài khoản chưa gắn với đơn vị: chọn bộ phận một cửa tiếp nhận."),
    )
    #: D19: the competent unit's code, for a procedure resolved by every unit of a level (the
    #: page's type-ahead fills it; empty: the default, checked again by the service)
    resolving_unit = forms.CharField(label=_("Cơ quan giải quyết"), max_length=32, required=False)
    #: one-time token of this form (a fresh one per blank form): the same form sent twice
    #: (double click, back and resend) takes in one dossier (services.intake_keys)
    once = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, need_unit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("once", uuid.uuid4().hex)
        self.need_unit = need_unit
        if need_unit:
            self.fields["receiving_unit"].queryset = Unit.objects.filter(valid_to__isnull=True).order_by("kind", "name")
            self.fields["receiving_unit"].required = True
            self.fields["receiving_unit"].error_messages["required"] = MSG_UNIT_REQUIRED
        else:
            del self.fields["receiving_unit"]
        self.procedure_obj: Procedure | None = None
        if self.is_bound:
            self.procedure_obj = _procedure_by_code(self.data.get("procedure", ""))
        self.checklist = self._checklist_rows()

    # --- the document checklist ------------------------------------------------------------

    def _int(self, key: str, default: int) -> int:
        try:
            value = int(self.data.get(key, default))
        except (TypeError, ValueError):
            return default
        return max(0, min(value, 99))

    def _checklist_rows(self) -> list[dict]:
        """The rows to show: the submitted ones when bound, else the procedure's list."""
        if self.is_bound:
            try:
                count = min(int(self.data.get("doc-count", 0)), MAX_DOCUMENTS)
            except (TypeError, ValueError):
                count = 0
            rows = []
            for i in range(count):
                name = (self.data.get(f"doc-{i}-name") or "").strip()[:500]
                if not name:
                    continue
                rows.append({
                    "name": name,
                    "on": bool(self.data.get(f"doc-{i}-on")),
                    "originals": self._int(f"doc-{i}-originals", 0),
                    "copies": self._int(f"doc-{i}-copies", 1),
                })
            extra = (self.data.get("doc-extra") or "").strip()
            for line in extra.splitlines()[:MAX_DOCUMENTS]:
                if line.strip():
                    rows.append({"name": line.strip()[:500], "on": True, "originals": 0, "copies": 1, "extra": True})
            return rows
        return []

    def documents(self) -> list[dict]:
        """The ticked documents, as the service stores them."""
        return [
            {"name": r["name"], "originals": r["originals"], "copies": r["copies"]}
            for r in self.checklist if r["on"]
        ]

    def clean(self):
        cleaned = super().clean()
        if not (self.data.get("procedure") or "").strip():
            self.add_error("procedure", MSG_PROCEDURE_REQUIRED)
        elif self.procedure_obj is None:
            self.add_error("procedure", MSG_PROCEDURE_UNKNOWN)
        else:
            cleaned["procedure"] = self.procedure_obj
            if self.procedure_obj.document_list and not self.documents():
                self.add_error(None, MSG_DOCUMENTS_REQUIRED)
        code = (cleaned.get("resolving_unit") or "").strip()
        cleaned["resolving_unit"] = None
        if code:
            unit = Unit.objects.filter(code=code).first()
            if unit is None:
                self.add_error("resolving_unit", MSG_COMPETENT_UNKNOWN)
            else:
                cleaned["resolving_unit"] = unit
        return cleaned


class CounterSlipForm(ApplicantFields):
    """Mẫu 02 (guidance for an incomplete dossier) or Mẫu 03 (refusal) before receipt (D10).

    Neither creates a dossier: the slip is printed and handed to the applicant.
    """

    procedure = forms.CharField(label=_("Thủ tục"), max_length=32, required=False)
    request_content = forms.CharField(label=_("Nội dung yêu cầu giải quyết"), max_length=1000, required=False)
    missing = forms.CharField(
        label=_("Giấy tờ cần bổ sung, hoàn thiện"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Mỗi dòng một giấy tờ."),
    )
    reason = forms.CharField(label=_("Lý do"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == "tu-choi":
            del self.fields["missing"]
            self.fields["reason"].label = _("Lý do không tiếp nhận, giải quyết")
        else:
            self.fields["reason"].label = _("Lý do, nội dung hướng dẫn")
        self.procedure_obj: Procedure | None = None
        if self.is_bound:
            self.procedure_obj = _procedure_by_code(self.data.get("procedure", ""))

    def clean(self):
        cleaned = super().clean()
        code = (self.data.get("procedure") or "").strip()
        if not code:
            self.add_error("procedure", MSG_PROCEDURE_REQUIRED)
        elif self.procedure_obj is None:
            self.add_error("procedure", MSG_PROCEDURE_UNKNOWN)
        else:
            cleaned["procedure"] = self.procedure_obj
        if self.kind == "tu-choi":
            if not (cleaned.get("reason") or "").strip():
                self.add_error("reason", MSG_REASON_REQUIRED)
        elif not [line for line in (cleaned.get("missing") or "").splitlines() if line.strip()]:
            self.add_error("missing", MSG_MISSING_REQUIRED)
        return cleaned

    def missing_list(self) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get("missing") or "").splitlines() if line.strip()]
