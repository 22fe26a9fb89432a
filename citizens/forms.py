"""Forms of the citizen pages and the supervisors' answer: they only validate input."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from citizens.models import Feedback
from citizens.qr import CODE_PARAM
from citizens.scoring import CRITERIA
from citizens.services import VERIFY_DIGITS
from dossiers.identity import ascii_digits

MSG_CODE_REQUIRED = _("Vui lòng nhập mã hồ sơ (in trên giấy tiếp nhận).")
MSG_DIGITS = _("Vui lòng nhập đúng 4 chữ số cuối của số điện thoại hoặc số CCCD.")
MSG_CHOOSE_POINTS = _("Vui lòng chọn mức đánh giá cho tiêu chí này.")

POINT_CHOICES = [
    (0, _("0 điểm: Chưa hài lòng")),
    (1, _("1 điểm: Hài lòng")),
    (2, _("2 điểm: Rất hài lòng")),
]


def code_from_input(text: str) -> str:
    """The dossier code from what was typed, or from a whole lookup link (a QR scanner at the
    kiosk types the link the receipt's QR encodes)."""
    text = (text or "").strip()
    if "://" in text or text.startswith("/"):
        values = parse_qs(urlsplit(text).query).get(CODE_PARAM)
        return values[0].strip() if values else ""
    return text


class DigitsInput(forms.TextInput):
    """The four digits are never written back into a page (a failed try starts empty)."""

    def format_value(self, value):
        return None


class LookupForm(forms.Form):
    code = forms.CharField(
        label=_("Mã hồ sơ"), max_length=500,
        error_messages={"required": MSG_CODE_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "000.00.31.H23-250315-0007"}),
    )
    digits = forms.CharField(
        label=_("4 số cuối điện thoại hoặc CCCD"), max_length=VERIFY_DIGITS, min_length=VERIFY_DIGITS,
        error_messages={"required": MSG_DIGITS, "min_length": MSG_DIGITS, "max_length": MSG_DIGITS},
        widget=DigitsInput(attrs={
            "inputmode": "numeric", "pattern": "[0-9]{4}", "autocomplete": "off", "maxlength": VERIFY_DIGITS,
            "size": 6,
        }),
    )

    def clean_code(self):
        code = code_from_input(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(MSG_CODE_REQUIRED)
        return code

    def clean_digits(self):
        digits = ascii_digits(self.cleaned_data["digits"].strip())
        if len(digits) != VERIFY_DIGITS or not digits.isdigit():
            raise forms.ValidationError(MSG_DIGITS)
        return digits


class EvaluationForm(forms.Form):
    """The nine criteria (domain.md §5) as 0/1/2 choices, plus a free comment."""

    comment = forms.CharField(
        label=_("Ý kiến khác (nếu có)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Ý kiến không được dài quá %(limit_value)d ký tự.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i, label in enumerate(CRITERIA, start=1):
            self.fields[f"c{i}"] = forms.TypedChoiceField(
                label=label, choices=POINT_CHOICES, coerce=int, widget=forms.RadioSelect,
                error_messages={"required": MSG_CHOOSE_POINTS, "invalid_choice": MSG_CHOOSE_POINTS},
            )
        # comment last
        self.order_fields([f"c{i}" for i in range(1, len(CRITERIA) + 1)] + ["comment"])

    def criteria_fields(self):
        return [self[f"c{i}"] for i in range(1, len(CRITERIA) + 1)]

    def points(self) -> list[int]:
        return [self.cleaned_data[f"c{i}"] for i in range(1, len(CRITERIA) + 1)]


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Loại"), choices=Feedback.Kind.choices, widget=forms.RadioSelect, initial=Feedback.Kind.COMPLAINT,
        error_messages={"required": _("Vui lòng chọn phản ánh hoặc kiến nghị."),
                        "invalid_choice": _("Vui lòng chọn phản ánh hoặc kiến nghị.")},
    )
    content = forms.CharField(
        label=_("Nội dung"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Vui lòng nhập nội dung phản ánh, kiến nghị."),
                        "max_length": _("Nội dung không được dài quá %(limit_value)d ký tự.")},
    )


class FeedbackAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Nội dung trả lời"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Vui lòng nhập nội dung trả lời."),
                        "max_length": _("Nội dung trả lời không được dài quá %(limit_value)d ký tự.")},
    )
