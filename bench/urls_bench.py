"""OneCua's URLs plus the baseline endpoint of the intake benchmark (bench.settings_bench only)."""
from django.urls import include, path

from bench.benchapp.views import NoteCreateApi

urlpatterns = [
    path("bench/baseline/", NoteCreateApi.as_view(), name="bench-baseline"),
    path("", include("onecua.urls")),
]
