"""REST API v1 (interfaces.md): every app adds its routes here."""
from django.urls import include, path
from rest_framework.authtoken.views import ObtainAuthToken

urlpatterns = [
    path("auth/token/", ObtainAuthToken.as_view(), name="api-token"),
    path("", include("dossiers.api.urls")),
    path("", include("reporting.api.urls")),
]
