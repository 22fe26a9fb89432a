"""Read-only views of the connected app's rows in Django's admin (writes go through the pages)."""
from django.contrib import admin

from connected.models import Delivery, Notice, NoticeTemplate, Subscription
from dossiers.admin import ReadOnlyAdmin


class ReadOnly(ReadOnlyAdmin):
    deletable = True  # a subscription, delivery or notice may be cleared by hand


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnly):
    list_display = ("id", "name", "url", "created_at", "ended_at", "retry_at")
    exclude = ("secret",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("id", "event_type", "subscription", "dossier_id", "version", "state", "attempts", "created_at", "delivered_at")
    list_filter = ("state", "event_type")


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ("id", "dossier_id", "kind", "channel", "state", "attempts", "sent_at", "error")
    list_filter = ("state", "channel", "kind")


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(ReadOnly):
    list_display = ("kind", "channel", "subject", "updated_at")
