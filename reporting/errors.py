"""Rule violations of the reporting services (``onecua.errors.ServiceError``): a bad range, a
period not ended yet (400); a period frozen already (409)."""
from onecua.errors import ServiceError


class ReportError(ServiceError):
    pass


class ReportConflictError(ReportError):
    status_code = 409
