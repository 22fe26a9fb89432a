"""Forms of the administrators' page: parse only; the rules are the services'."""
from django import forms
from django.utils.translation import gettext_lazy as _

from connected.events import EVENT_TYPES


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Tên hệ thống"), max_length=200, required=False)
    url = forms.CharField(label=_("Địa chỉ nhận (URL)"), max_length=500, required=False)
    secret = forms.CharField(label=_("Khóa bí mật"), max_length=200, required=False)
    all_events = forms.BooleanField(label=_("Tất cả sự kiện"), required=False, initial=True)
    events = forms.MultipleChoiceField(
        label=_("Hoặc chỉ các sự kiện"), choices=[(e, e) for e in EVENT_TYPES], required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def chosen_events(self) -> list[str]:
        return ["*"] if self.cleaned_data.get("all_events") or not self.cleaned_data.get("events") else self.cleaned_data["events"]


class NoticeTemplateForm(forms.Form):
    subject = forms.CharField(label=_("Tiêu đề email"), max_length=200, required=False)
    body = forms.CharField(label=_("Nội dung"), widget=forms.Textarea(attrs={"rows": 9}), required=False)
