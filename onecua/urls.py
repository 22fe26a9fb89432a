from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dossiers import views as dossier_views
from dossiers.views import accounts

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("doi-mat-khau/", accounts.password_change, name="password_change"),
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
    path("", include("papers.urls")),  # namespace "papers" (app_name)
    path("", include("connected.urls")),  # namespace "connected" (app_name)
]

admin.site.site_header = "OneCua – Quản trị"
admin.site.site_title = "OneCua"
admin.site.index_title = "Danh mục và cấu hình"
