"""Pages of deadline monitoring (Vietnamese slugs, as staff read them in the address bar)."""
from django.urls import path

from monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("theo-doi/", views.dashboard, name="dashboard"),
    path("theo-doi/so-lieu.json", views.dashboard_data, name="dashboard_data"),
    path("theo-doi/<str:bucket>/", views.dossier_list, name="list"),
    path("thong-bao/", views.notifications, name="notifications"),
    path("thong-bao/doc-tat-ca/", views.notifications_read_all, name="notifications_read_all"),
    path("thong-bao/<int:pk>/", views.notification_open, name="notification_open"),
]
