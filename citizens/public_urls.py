"""Public lookup, evaluation (online and kiosk), feedback; staff feedback answers."""
from django.urls import path

from citizens.views import feedback, kiosk, public
import onecua.converters  # noqa: F401  (registers <dossier_code:…>)

urlpatterns = [
    # Public (no login): the receipt's QR opens lookup with ?ma=<code>
    path("tra-cuu-ho-so/", public.lookup, name="lookup"),
    path("tra-cuu-ho-so/ket-thuc/", public.lookup_end, name="lookup_end"),
    path("tra-cuu-ho-so/ho-so/<dossier_code:code>/", public.public_dossier, name="public_dossier"),
    path("tra-cuu-ho-so/ho-so/<dossier_code:code>/danh-gia/", public.public_evaluate, name="public_evaluate"),
    path("tra-cuu-ho-so/ho-so/<dossier_code:code>/phan-anh/", public.public_feedback, name="public_feedback"),
    # Counter kiosk (no login)
    path("danh-gia-tai-quay/", kiosk.kiosk_start, name="kiosk"),
    path("danh-gia-tai-quay/thiet-bi/", kiosk.kiosk_device, name="kiosk_device"),  # staff: register this PC as a kiosk
    path("danh-gia-tai-quay/phieu/", kiosk.kiosk_evaluate, name="kiosk_evaluate"),
    path("danh-gia-tai-quay/cam-on/", kiosk.kiosk_thanks, name="kiosk_thanks"),
    # Supervisors
    path("phan-anh-kien-nghi/", feedback.feedback_list, name="feedback_list"),
    path("phan-anh-kien-nghi/<int:pk>/", feedback.feedback_detail, name="feedback_detail"),
]
