"""REST API v1 (interfaces.md): every app adds its routes here."""
from django.urls import include, path
from onecua.api import TokenObtainApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token"),
    path("", include("dossiers.api.urls")),
    path("", include("reporting.api.urls")),
    path("", include("connected.api.urls")),
]
