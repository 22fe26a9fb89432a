from django.urls import path

from connected.api.views import WebhookCollectionApi, WebhookDetailApi

urlpatterns = [
    path("webhooks/", WebhookCollectionApi.as_view(), name="api-webhook-list"),
    path("webhooks/<int:pk>/", WebhookDetailApi.as_view(), name="api-webhook-detail"),
]
