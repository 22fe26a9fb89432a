"""Pages of the statistical report (Vietnamese slugs, as staff read them in the address bar)."""
from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("thong-ke/bao-cao/", views.report_quarterly, name="report_quarterly"),
    path("thong-ke/bao-cao/dien-bien/", views.report_trend, name="report_trend"),
    path("thong-ke/bao-cao/ho-so/", views.report_dossiers_page, name="report_dossiers"),
    path("thong-ke/bao-cao/chot-so-lieu/", views.report_freeze_view, name="report_freeze"),
    path("thong-ke/bao-cao/so-sanh/", views.report_diff_view, name="report_diff"),
    path("thong-ke/bao-cao/xuat/<str:fmt>/", views.export, name="export_file"),
    path("thong-ke/bao-cao/xuat/<str:fmt>/tac-vu/", views.export, {"start": True}, name="export_start"),
    path("thong-ke/bao-cao/tep-xuat/<str:token>/", views.export_status, name="export_status"),
    path("thong-ke/bao-cao/tep-xuat/<str:token>/tai-ve/", views.export_download, name="export_download"),
]
