"""Report routes of REST API v1 (included under /api/v1/ by onecua/api_urls.py)."""
from django.urls import path

from reporting.api import views

urlpatterns = [
    path("reports/quarterly/", views.ReportQuarterlyApi.as_view(), name="api-report-quarterly"),
    path("reports/period/", views.ReportPeriodApi.as_view(), name="api-report-period"),
]
