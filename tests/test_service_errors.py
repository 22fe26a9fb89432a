"""Each app raises its own rule violation; the API answers every one in the same shape."""
import pytest

from dossiers.errors import ConflictError, DossierError
from onecua.api import exception_handler
from reporting.errors import ReportConflictError, ReportError


@pytest.mark.parametrize("exc, status", [
    (DossierError("Thủ tục đã ngừng áp dụng.", errors={"procedure": ["Thủ tục đã ngừng áp dụng."]}), 400),
    (ConflictError("Hồ sơ đã thay đổi.", errors={}), 409),
    (ReportError("Kỳ báo cáo chưa kết thúc.", errors={"period": ["Kỳ báo cáo chưa kết thúc."]}), 400),
    (ReportConflictError("Số liệu kỳ này đã được chốt.", errors={"period": ["Số liệu kỳ này đã được chốt."]}), 409),
])
def test_a_service_error_of_any_app_answers_detail_and_errors(exc, status):
    response = exception_handler(exc, {})
    assert response.status_code == status
    assert response.data == {"detail": exc.message, "errors": exc.errors}


def test_a_report_error_is_not_a_dossier_error():
    """Pages that catch a dossier's rule violation do not swallow a report's, and the reverse."""
    assert not issubclass(ReportError, DossierError) and not issubclass(DossierError, ReportError)
    assert not issubclass(ReportConflictError, ConflictError)
