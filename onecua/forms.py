"""One way to show a service's refusal on a Django form (every app's pages use it)."""
from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.Form, exc: Exception, *, field_map: Mapping[str, str] | None = None) -> None:
    """Put a service's field-keyed errors next to the form's fields, the rest above the form.

    `exc` is a Django ``ValidationError`` or a service error with ``errors`` (``{key:
    [messages]}``) and ``message`` (``onecua.errors.ServiceError``: ``DossierError``, ``ReportError``). `field_map` renames
    service keys to form fields where they differ (``applicant.name`` → ``applicant_name``).
    When no message lands on a field, the error's own ``message`` (if it has one) is shown
    above the form, so a refusal is never silent.
    """
    if isinstance(exc, ValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        summary = None
    else:
        errors, summary = getattr(exc, "errors", None) or {}, getattr(exc, "message", None) or str(exc)
    field_map = field_map or {}
    placed, rest = False, []
    for key, messages in errors.items():
        name = field_map.get(key, key)
        if name is not None and name in form.fields:
            for message in messages:
                form.add_error(name, message)
            placed = True
        else:
            rest += messages
    if not placed and summary:
        rest = [summary]
    for message in dict.fromkeys(rest):  # once each, in order
        form.add_error(None, message)
