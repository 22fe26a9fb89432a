"""Dossier routes of REST API v1 (under /api/v1/, see onecua/api_urls.py).

Dossier codes contain dots and dashes (``000.00.12.H23-220128-0001``): ``<dossier_code:code>`` matches
any run of characters without a slash; a legacy code's ``/`` is written ``~2F`` (``onecua/converters.py``).
"""
from django.urls import path

from dossiers.api import views
import onecua.converters  # noqa: F401  (registers <dossier_code:…>)

urlpatterns = [
    path("procedures/<str:code>/competent-units/", views.ProcedureCompetentUnitsApi.as_view(),
         name="api-procedure-competent-units"),
    path("dossiers/", views.DossierCollectionApi.as_view(), name="api-dossier-list"),
    path("dossiers/<dossier_code:code>/", views.DossierDetailApi.as_view(), name="api-dossier-detail"),
    *(
        path(f"dossiers/<dossier_code:code>/{action}/", api.as_view(), name=f"api-dossier-{action}")
        for action, api in views.ACTION_APIS.items()
    ),
    # Anything else under a dossier: a JSON 404 ("no such action"), not Django's HTML page.
    path("dossiers/<dossier_code:code>/<str:action>/", views.DossierUnknownActionApi.as_view(), name="api-dossier-unknown-action"),
]
