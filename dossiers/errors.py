"""Rule violations of the dossier services (``onecua.errors.ServiceError``).

A view or API turns a ``DossierError`` into a message next to the field (pages) or into
``{"detail", "errors"}`` with ``status_code`` (API). ``ConflictError`` is a wrong state or a
concurrent change: 409 in the API. ``ForbiddenError`` is an action this user may not take on a
dossier they can see (domain.md D17): 403 with the reason, naming who may.
"""
from onecua.errors import ServiceError


class DossierError(ServiceError):
    pass


class ConflictError(DossierError):
    status_code = 409


class ForbiddenError(DossierError):
    status_code = 403
