"""Page URLs (Vietnamese slugs, as staff read them in the address bar)."""
from django.urls import path

from dossiers.views import calendar_admin, forms, intake, processing, reorganisation_admin
import onecua.converters  # noqa: F401  (registers <dossier_code:…>)

app_name = "dossiers"

urlpatterns = [
    # Counter clerk
    path("tiep-nhan/", intake.intake, name="intake"),
    path("tiep-nhan/thu-tuc.json", intake.procedure_search, name="procedure_search"),
    path("tiep-nhan/han-xu-ly.json", intake.due_preview, name="due_preview"),
    path("tiep-nhan/don-vi.json", intake.competent_units, name="competent_units"),
    path("tiep-nhan/nguoi-nop.json", intake.applicant_lookup, name="applicant_lookup"),
    path("tiep-nhan/phieu/<str:kind>/", intake.counter_slip, name="counter_slip"),  # kind: huong-dan (Mẫu 02) | tu-choi (Mẫu 03)
    path("mot-cua/", intake.worklist, name="worklist"),
    # Processing
    path("ho-so/danh-sach/<str:tab>/", processing.dossier_list, name="list"),
    path("ho-so/cua-toi/", processing.inbox, name="inbox"),
    path("tra-cuu/", processing.search, name="search"),
    path("ho-so/<dossier_code:code>/", processing.dossier_detail, name="detail"),
    path("ho-so/<dossier_code:code>/giay-tiep-nhan/", forms.receipt, name="receipt"),  # Mẫu 01 (?format=pdf)
    path("ho-so/<dossier_code:code>/phieu-kiem-soat/", forms.control_sheet, name="control_sheet"),  # Mẫu 06 (TT 01/2018: 05)
    path("ho-so/<dossier_code:code>/phieu-bo-sung/<int:pause_id>/", forms.supplement_slip, name="supplement_slip"),  # Mẫu 02
    path("ho-so/<dossier_code:code>/phieu-xin-loi/", forms.apology_slip, name="apology_slip"),  # Mẫu 04
    path("ho-so/<dossier_code:code>/thong-bao-dung/", forms.stop_notice, name="stop_notice"),  # Mẫu 05 (TT 03/2025)
    path("so-theo-doi-ho-so/", forms.register, name="register"),  # Mẫu 07 (TT 01/2018: 06)
    path("ho-so/<dossier_code:code>/thao-tac/<str:action>/", processing.dossier_action, name="action"),
    # Calendar (administrators)
    path("danh-muc/lich-lam-viec/", calendar_admin.calendar_year, name="calendar"),
    path("danh-muc/lich-lam-viec/<int:year>/", calendar_admin.calendar_year, name="calendar_year"),
    path("danh-muc/lich-lam-viec/dieu-chinh/", calendar_admin.override_form, name="calendar_override"),
    # Reorganisations (administrators, D20)
    path("danh-muc/sap-xep-don-vi/", reorganisation_admin.reorganisation_page, name="reorganisation"),
    path("danh-muc/sap-xep-don-vi/tien-do.json", reorganisation_admin.reorganisation_progress_json,
         name="reorganisation_progress"),
]
