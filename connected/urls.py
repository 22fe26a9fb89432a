"""Pages of the connected app (namespace ``connected``)."""
from django.urls import path

from connected import views

app_name = "connected"
urlpatterns = [
    path("quan-tri/ket-noi/", views.connected_admin, name="admin"),
    path("quan-tri/ket-noi/dang-ky/", views.subscription_add, name="subscription_add"),
    path("quan-tri/ket-noi/dang-ky/<int:pk>/ngung/", views.subscription_end, name="subscription_end"),
    path("quan-tri/ket-noi/gui-lai/<int:pk>/", views.delivery_resend, name="delivery_resend"),
    path("quan-tri/mau-thong-bao/<str:kind>/<str:channel>/", views.notice_template_edit, name="template_edit"),
]
