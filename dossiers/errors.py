"""Rule violations raised by services (HackSoft's ApplicationError).

A view or API turns a ``DossierError`` into a message next to the field (pages) or into
``{"detail", "errors"}`` with ``status_code`` (API). ``ConflictError`` is a wrong state or a
concurrent change: 409 in the API. ``ForbiddenError`` is an action this user may not take on a
dossier they can see (domain.md D17): 403 with the reason, naming who may.
"""


class DossierError(Exception):
    status_code = 400

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class ConflictError(DossierError):
    status_code = 409


class ForbiddenError(DossierError):
    status_code = 403
