"""onecua.forms.add_service_errors: a service's refusal lands next to the fields, never silently."""
from django import forms
from django.core.exceptions import ValidationError

from dossiers.errors import DossierError
from onecua.forms import add_service_errors


class _Form(forms.Form):
    applicant_name = forms.CharField(required=False)
    reason = forms.CharField(required=False)


def _bound() -> _Form:
    form = _Form({"applicant_name": "", "reason": ""})
    assert form.is_valid()
    return form


def test_keyed_validation_errors_go_to_their_fields_and_unknown_keys_above_the_form():
    form = _bound()
    add_service_errors(form, ValidationError({"reason": ["Vui lòng ghi rõ lý do."], "code": ["Mã không đúng."]}))
    assert form.errors["reason"] == ["Vui lòng ghi rõ lý do."]
    assert form.non_field_errors() == ["Mã không đúng."]


def test_an_unkeyed_validation_error_is_shown_above_the_form():
    form = _bound()
    add_service_errors(form, ValidationError("Hồ sơ không tìm thấy."))
    assert form.non_field_errors() == ["Hồ sơ không tìm thấy."]


def test_service_keys_are_renamed_to_form_fields():
    form = _bound()
    exc = DossierError("Thông tin người nộp chưa hợp lệ.", errors={"applicant.name": ["Vui lòng nhập họ và tên."]})
    add_service_errors(form, exc, field_map={"applicant.name": "applicant_name"})
    assert form.errors["applicant_name"] == ["Vui lòng nhập họ và tên."]
    assert form.non_field_errors() == []  # the summary is not repeated when a field says it


def test_a_refusal_with_no_field_to_show_it_on_shows_its_message():
    for errors in ({}, {"state": ["Đã trả kết quả"]}):
        form = _bound()
        add_service_errors(form, DossierError("Hồ sơ đã trả kết quả, không thể thực hiện.", errors=errors))
        assert form.non_field_errors() == ["Hồ sơ đã trả kết quả, không thể thực hiện."]
        assert "reason" not in form.errors
