"""Forms of the processing pages: one per workflow action, the list filters and the search box.

Forms only validate input shape (required fields, dates dd/mm/yyyy, choices); every rule about
the dossier (state, once-only apology, new date after the due date…) is the service's.
Each action form carries the dossier's ``version`` the user saw, passed to the service as
``expected_version`` so that two people acting at once cannot overwrite each other.
"""
from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from dossiers.models import Channel, Field, ReturnChannel, Unit

MSG_REASON = _("Vui lòng ghi rõ lý do.")
MSG_DATE = _("Nhập ngày theo dạng dd/mm/yyyy, ví dụ 25/03/2022.")


class ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, dossier=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        if dossier is not None and not self.is_bound:
            self.initial.setdefault("version", dossier.version)


def _reason(label=_("Lý do"), required=True, rows=3):
    return forms.CharField(
        label=label, required=required, max_length=1000,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": MSG_REASON},
    )


def _note():
    return forms.CharField(label=_("Ghi chú"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.get_username()
        title = getattr(getattr(obj, "staff", None), "title", "")
        return f"{name} – {title}" if title else name


class AssignForm(ActionForm):
    officer = OfficerChoiceField(
        label=_("Chuyên viên xử lý"), queryset=get_user_model().objects.none(),
        error_messages={"required": _("Chọn chuyên viên xử lý."), "invalid_choice": _("Chuyên viên này không thuộc đơn vị đang xử lý hồ sơ.")},
    )
    note = _note()

    def __init__(self, *args, officers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if officers is not None:
            self.fields["officer"].queryset = officers


class TransferForm(ActionForm):
    note = _note()


class RequestSupplementForm(ActionForm):
    reason = _reason(_("Lý do yêu cầu bổ sung"))
    documents = forms.CharField(
        label=_("Giấy tờ cần bổ sung, hoàn thiện (mỗi dòng một giấy tờ)"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResumeForm(ActionForm):
    note = _note()


class ApproveForm(ActionForm):
    note = _note()


class RefuseForm(ActionForm):
    reason = _reason(_("Lý do từ chối giải quyết"))


class ApologizeForm(ActionForm):
    new_date = forms.DateField(
        label=_("Ngày hẹn trả mới (dd/mm/yyyy)"), input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Nhập ngày hẹn trả mới."), "invalid": MSG_DATE},
    )
    reason = _reason(_("Lý do chậm trả kết quả"))


class ReturnResultForm(ActionForm):
    return_channel = forms.ChoiceField(label=_("Hình thức trả kết quả"), choices=ReturnChannel.choices)
    note = _note()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.dossier is not None and not self.is_bound:
            self.initial.setdefault("return_channel", self.dossier.return_channel)


class WithdrawForm(ActionForm):
    reason = _reason(_("Lý do rút hồ sơ (theo đề nghị của người nộp)"))


class AcceptForm(ActionForm):
    pass


class RejectForm(ActionForm):
    reason = _reason(_("Lý do không tiếp nhận"))


class OnTheSpotForm(ActionForm):
    pass


class SendBackForm(ActionForm):
    reason = _reason(_("Lý do trả lại bước trước"))


class StopForm(ActionForm):
    reason = _reason(_("Lý do dừng giải quyết (ghi trên Thông báo dừng giải quyết hồ sơ, Mẫu 05)"))


class SkipStepForm(ActionForm):
    """The lead unit's leader marks a step that is not done yet as not needed."""

    step = forms.TypedChoiceField(label=_("Bước không cần thực hiện"), coerce=int, choices=())
    reason = _reason(_("Lý do"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.dossier is not None:
            steps = self.dossier.steps.filter(kind="processing", state__in=("waiting", "current")).select_related("unit")
            self.fields["step"].choices = [(s.order, f"{s.order}. {s.name} – {s.unit.name}") for s in steps.order_by("order")]


#: page action name -> its form
ACTION_FORMS: dict[str, type[ActionForm]] = {
    "accept": AcceptForm,
    "reject": RejectForm,
    "assign": AssignForm,
    "transfer": TransferForm,
    "send-back": SendBackForm,
    "skip-step": SkipStepForm,
    "request-supplement": RequestSupplementForm,
    "resume": ResumeForm,
    "approve": ApproveForm,
    "refuse": RefuseForm,
    "stop": StopForm,
    "apologize": ApologizeForm,
    "return-result": ReturnResultForm,
    "withdraw": WithdrawForm,
    "on-the-spot": OnTheSpotForm,
}


# --- lists -----------------------------------------------------------------------------------


class DossierFilterForm(forms.Form):
    """GET filters of the lists: every field optional; invalid values are ignored, not fatal."""

    procedure = forms.CharField(
        label=_("Thủ tục"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Mã hoặc tên thủ tục"), "type": "search"}),
    )
    field = forms.ModelChoiceField(label=_("Lĩnh vực"), required=False, queryset=Field.objects.all(), empty_label=_("Tất cả"))
    unit = forms.ModelChoiceField(label=_("Đơn vị xử lý"), required=False, queryset=Unit.objects.none(), empty_label=_("Tất cả"))
    channel = forms.ChoiceField(label=_("Hình thức nộp"), required=False, choices=[("", _("Tất cả"))] + list(Channel.choices))
    date_from = forms.DateField(
        label=_("Tiếp nhận từ"), required=False, input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"invalid": MSG_DATE},
    )
    date_to = forms.DateField(
        label=_("Đến ngày"), required=False, input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"invalid": MSG_DATE},
    )
    sort = forms.ChoiceField(
        label=_("Sắp xếp"), required=False,
        choices=[("", _("Theo hạn trả")), ("received", _("Mới tiếp nhận trước")), ("code", _("Theo mã hồ sơ"))],
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Mã hồ sơ, tên người nộp, số CCCD hoặc số điện thoại"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True, "placeholder": _("Ví dụ: 000.00.12.H23-220128-0001, nguyen van an, 001090001234, 0987 654 321")}),
    )
