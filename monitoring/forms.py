"""The filter bar of the dashboard lists. Units, officers and procedures are resolved by the
selector (404 outside the user's subtree); the form parses the free fields (dates dd/mm/yyyy;
an unparsable one is ignored, as in the dossier lists)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from dossiers.models import Channel, Field, Procedure, Unit


MSG_BAD_DATE = _("Ngày không hợp lệ, nhập theo dạng dd/mm/yyyy.")


class ListFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Mã hồ sơ, người nộp"), required=False, max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Mã hoặc tên")}),
    )
    procedure = forms.ModelChoiceField(label=_("Thủ tục"), required=False, queryset=Procedure.objects.none(), empty_label=_("Tất cả"))
    field = forms.ModelChoiceField(label=_("Lĩnh vực"), required=False, queryset=Field.objects.all(), empty_label=_("Tất cả"))
    unit = forms.ModelChoiceField(label=_("Đơn vị đang xử lý"), required=False, queryset=Unit.objects.none(), empty_label=_("Tất cả"))
    channel = forms.ChoiceField(label=_("Hình thức nộp"), required=False, choices=[("", _("Tất cả"))] + list(Channel.choices))
    date_from = forms.DateField(
        label=_("Tiếp nhận từ"), required=False, input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"invalid": MSG_BAD_DATE},
    )
    date_to = forms.DateField(
        label=_("Đến ngày"), required=False, input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"invalid": MSG_BAD_DATE},
    )
    officer = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, units=None, procedures=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units
        if procedures is not None:
            self.fields["procedure"].queryset = procedures
        self.fields["procedure"].label_from_instance = lambda p: f"{p.code} – {p.name}"
