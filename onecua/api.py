"""One DRF exception handler: every API error has the shape {"detail": "…", "errors": {field: […]}}."""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dossiers.errors import DossierError


def _field_errors(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out = {}
        for field, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _field_errors(value).items():
                    out[f"{field}.{sub}"] = msgs
            else:
                out[field] = [str(m) for m in (value if isinstance(value, list) else [value])]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, DossierError):
        return Response(
            {"detail": exc.message, "errors": exc.errors},
            status=exc.status_code,
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        response.data = {"detail": "Dữ liệu không hợp lệ.", "errors": errors}
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"detail": str(detail), "errors": {}}
    return response
