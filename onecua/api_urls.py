"""REST API v1 (interfaces.md): every app adds its routes here."""
from django.urls import include, path
from onecua.api import TokenObtainApi
from papers import urls as papers_urls

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token"),
    path("", include(papers_urls.api_urlpatterns)),  # before dossiers' "unknown action" catch-all
    path("", include("dossiers.api.urls")),
    path("", include("reporting.api.urls")),
    path("", include("connected.api.urls")),
]
