"""The rule violation every service may raise (HackSoft's ApplicationError), of no app in particular.

``message`` is the headline, ``errors`` the field-level messages, ``status_code`` what the API
answers: ``onecua.api.exception_handler`` turns any ``ServiceError`` into
``{"detail": message, "errors": errors}``. Each app names its own: ``dossiers.errors.DossierError``
(dossiers, their papers), ``reporting.errors.ReportError`` (report periods, rollups, freezing).
"""


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
