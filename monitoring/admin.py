"""Admin: read-mostly views of the sweep runs, flags, outbox and notifications.

The schedules themselves (every 10 minutes, 07:30…) are django-celery-beat's "Periodic tasks",
synced from ``CELERY_BEAT_SCHEDULE`` when beat starts. Disabling an entry there sticks; a
changed crontab of a named entry is reset from settings at the next beat start.
"""
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dossiers.admin import ReadOnlyAdmin
from monitoring.models import DeadlineFlag, DeadlineSweep, Notification, OutboxMessage


class ClearableAdmin(ReadOnlyAdmin):
    deletable = True  # old sweeps, flags, messages and notifications may be cleared by hand


@admin.register(DeadlineSweep)
class DeadlineSweepAdmin(ClearableAdmin):
    list_display = ("started_at", "finished_at", "as_of", "trigger", "flagged", "counts")
    list_filter = ("trigger",)
    date_hierarchy = "started_at"


@admin.register(DeadlineFlag)
class DeadlineFlagAdmin(ClearableAdmin):
    list_display = ("dossier", "step", "kind", "due_date", "flagged_at", "sweep")
    list_filter = ("kind",)
    search_fields = ("dossier__code",)
    list_select_related = ("dossier", "step", "sweep")
    raw_id_fields = ("dossier", "step", "sweep")
    date_hierarchy = "flagged_at"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ClearableAdmin):
    list_display = ("dedupe_key", "topic", "created_at", "delivered_at", "attempts", "available_at", "last_error")
    list_filter = ("topic", ("delivered_at", admin.EmptyFieldListFilter))
    search_fields = ("dedupe_key",)
    raw_id_fields = ("dossier", "event", "flag", "recipient")
    actions = ["retry_now"]

    @admin.action(description=_("Chuyển lại ngay các thông điệp chưa chuyển"))
    def retry_now(self, request, queryset):
        from monitoring.services.outbox import outbox_kick

        n = queryset.filter(delivered_at__isnull=True).update(available_at=timezone.now())
        outbox_kick()
        self.message_user(request, _("Đã đưa %(n)s thông điệp vào hàng chuyển.") % {"n": n})

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.has_perm("monitoring.change_outboxmessage")


@admin.register(Notification)
class NotificationAdmin(ClearableAdmin):
    list_display = ("title", "recipient", "kind", "level", "created_at", "read_at", "email_state")
    list_filter = ("kind", "level", "email_state")
    search_fields = ("title", "recipient__username", "dossier__code")
    raw_id_fields = ("recipient", "message", "dossier")
    date_hierarchy = "created_at"
