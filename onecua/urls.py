from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dossiers import views as dossier_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Staff change their own password (Django's view: old password, validators; this session is
    # kept, the user's other sessions and API tokens end: onecua/tokens.py).
    path("doi-mat-khau/", auth_views.PasswordChangeView.as_view(
        template_name="registration/password_change.html", success_url=reverse_lazy("password_change_done"),
        extra_context={"min_length": settings.PASSWORD_MIN_LENGTH},
    ), name="password_change"),
    path("doi-mat-khau/xong/", auth_views.PasswordChangeDoneView.as_view(
        template_name="registration/password_change_done.html"), name="password_change_done"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start script as a file (no inline script under the CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("onecua.api_urls")),
    path("", dossier_views.home, name="home"),
    path("", include("dossiers.urls")),
    path("", include("reporting.urls")),
    path("", include("monitoring.urls")),  # namespace "monitoring" (app_name)
    path("", include("citizens.urls")),  # namespace "citizens" (app_name)
]

admin.site.site_header = "OneCua – Quản trị"
admin.site.site_title = "OneCua"
admin.site.index_title = "Danh mục và cấu hình"
