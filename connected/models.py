"""Connected systems (webhooks) and notices to citizens (D22).

- ``Subscription``: an outside system that wants dossier events, signed with its secret.
- ``Delivery``: one event for one subscription: the exact signed body, its attempts; at least
  once, one dossier's events in version order (``services.webhooks``).
- ``NoticeTemplate``: the Vietnamese text of one notice kind on one channel, edited by
  administrators.
- ``Notice``: one notice to the citizen on one channel for one event, sent at most once.

No database foreign keys to dossiers (``db_constraint=False``), like monitoring's outbox: the
relay writes these rows in bulk, and a KEY SHARE lock on a dossier row would make an officer's
``select_for_update(nowait=True)`` fail with a spurious conflict.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Subscription(models.Model):
    url = models.URLField(_("địa chỉ nhận (URL)"), max_length=500)
    secret = models.CharField(_("khóa bí mật"), max_length=200, help_text=_("Dùng để ký HMAC-SHA256 nội dung gửi."))
    events = models.JSONField(_("loại sự kiện"), default=list, help_text=_('Danh sách loại sự kiện, hoặc ["*"].'))
    name = models.CharField(_("tên hệ thống"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ended_at = models.DateTimeField(_("ngừng lúc"), null=True, blank=True)
    # the receiver failed (down, 5xx, timeout): nothing more is tried before this instant, so a
    # dead receiver costs one probe per back-off period instead of a timeout per delivery
    retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("đăng ký nhận sự kiện (webhook)")
        verbose_name_plural = _("đăng ký nhận sự kiện (webhook)")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or self.url

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class Delivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Đang chờ gửi")
        DELIVERED = "delivered", _("Đã gửi")
        FAILED = "failed", _("Gửi không thành công")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    event_id = models.UUIDField(_("mã sự kiện"))
    event_type = models.CharField(_("loại sự kiện"), max_length=40)
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    dossier_event = models.ForeignKey("dossiers.DossierEvent", null=True, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    version = models.PositiveIntegerField(_("phiên bản hồ sơ"))
    body = models.TextField(help_text=_("Nội dung JSON đúng từng byte đã ký."))
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    created_at = models.DateTimeField(_("sự kiện ghi lúc"), default=timezone.now)
    next_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text=_("Hết thời gian thử lại (24 giờ)."))
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("lượt gửi sự kiện")
        verbose_name_plural = _("lượt gửi sự kiện")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"], name="delivery_once_per_subscription")]
        indexes = [
            # what is due, per subscription
            models.Index(fields=["subscription", "next_at", "id"], condition=Q(state="pending"), name="delivery_due"),
            # "an earlier version of this dossier is still waiting" (per-dossier order)
            models.Index(fields=["subscription", "dossier", "version"], condition=Q(state="pending"), name="delivery_order"),
            models.Index(fields=["created_at"], condition=Q(state="failed"), name="delivery_failed"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class NoticeTemplate(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    kind = models.CharField(_("loại thông báo"), max_length=16)
    channel = models.CharField(_("kênh"), max_length=8, choices=Channel.choices)
    subject = models.CharField(_("tiêu đề email"), max_length=200, blank=True)
    body = models.TextField(_("nội dung"))
    updated_at = models.DateTimeField(_("sửa lúc"), default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("mẫu thông báo công dân")
        verbose_name_plural = _("mẫu thông báo công dân")
        ordering = ["kind", "channel"]
        constraints = [models.UniqueConstraint(fields=["kind", "channel"], name="notice_template_once")]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel}"


class Notice(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENDING = "sending", _("Đang gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi không thành công")

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    event = models.ForeignKey("dossiers.DossierEvent", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    kind = models.CharField(_("loại thông báo"), max_length=16)
    channel = models.CharField(_("kênh"), max_length=8, choices=NoticeTemplate.Channel.choices)
    state = models.CharField(_("tình trạng"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # what was sent (no CCCD, no phone: checked before sending)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("thông báo công dân")
        verbose_name_plural = _("thông báo công dân")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "channel"], name="notice_once_per_event_channel")]
        indexes = [models.Index(fields=["next_at", "id"], condition=Q(state="pending"), name="notice_due")]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel}"
