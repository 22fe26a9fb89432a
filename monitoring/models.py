"""Deadline flags, the transactional outbox and in-app notifications.

- ``DeadlineSweep``: one run of the deadline sweep (when, as of which day, what it flagged).
- ``DeadlineFlag``: "this dossier (or step) reached this deadline state for this date", written
  once. Unique per (dossier, kind, date), or (step, kind, date) for a step: running the sweep
  again, or on two workers at once, inserts nothing more (INSERT … ON CONFLICT DO NOTHING). The
  date is part of the key on purpose: a due date that moves (supplement, calendar change) is a
  new deadline and is warned about again.
- ``OutboxMessage``: something to tell people, written in the SAME database transaction as the
  change it reports (an action, a flag, a daily digest), so that nothing is lost when the
  broker is down; a relay turns each message into notifications exactly once.
- ``Notification``: one message for one user: shown under the bell, and e-mailed.

Models own data and single-row invariants only; the rules are in ``services`` and ``selectors``.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeadlineSweep(models.Model):
    """One run of the deadline sweep: an audit trail, and the key that tells a run's new flags."""

    started_at = models.DateTimeField(_("bắt đầu"))
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    as_of = models.DateField(_("tính đến ngày"))
    trigger = models.CharField(_("nguồn"), max_length=16, default="beat")
    counts = models.JSONField(_("số cờ mới"), default=dict, blank=True)

    class Meta:
        verbose_name = _("lượt quét hạn xử lý")
        verbose_name_plural = _("lượt quét hạn xử lý")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.started_at):%H:%M %d/%m/%Y} ({self.trigger})"

    @property
    def flagged(self) -> int:
        return sum(self.counts.values()) if self.counts else 0


class DeadlineFlag(models.Model):
    """A deadline state reached by a dossier or one of its steps, recorded once."""

    class Kind(models.TextChoices):
        OVERDUE = "overdue", _("Quá hạn")
        DUE_SOON = "due_soon", _("Sắp đến hạn")
        APOLOGY_REMINDER = "apology_reminder", _("Nhắc gửi văn bản xin lỗi (Mẫu 04)")
        APPOINTMENT_SOON = "appointment_soon", _("Sắp đến ngày hẹn lại")
        STEP_OVERDUE = "step_overdue", _("Bước xử lý quá hạn")
        STEP_DUE_SOON = "step_due_soon", _("Bước xử lý sắp đến hạn")

    # No database-level foreign keys to dossiers (db_constraint=False): the sweep inserts tens of
    # thousands of flags in one transaction, and PostgreSQL's FK check would take a KEY SHARE
    # lock on every flagged dossier row for the whole sweep, so an officer acting on one of them
    # (``select_for_update(nowait=True)``) would get a spurious conflict. The rows are inserted
    # from the dossier table itself, so they point at existing rows by construction; dossiers
    # are never deleted, and Django's CASCADE still applies if one is.
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="deadline_flags", db_constraint=False,
        db_index=False,  # the unique (dossier, kind, due_date) index serves lookups
    )
    step = models.ForeignKey(
        "dossiers.DossierStep", null=True, blank=True, on_delete=models.CASCADE, related_name="deadline_flags",
        db_constraint=False, db_index=False,  # the unique (step, kind, due_date) index serves lookups
    )
    kind = models.CharField(_("loại"), max_length=24, choices=Kind.choices)
    due_date = models.DateField(_("hạn"), help_text=_("Hạn của hồ sơ, của bước, hoặc ngày hẹn lại."))
    sweep = models.ForeignKey(
        DeadlineSweep, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags", db_constraint=False,
    )
    flagged_at = models.DateTimeField(_("thời điểm gắn cờ"))

    class Meta:
        verbose_name = _("cờ hạn xử lý")
        verbose_name_plural = _("cờ hạn xử lý")
        ordering = ["-flagged_at", "-id"]
        constraints = [
            # Partial unique indexes: NULL steps would never conflict in a plain unique index.
            models.UniqueConstraint(
                fields=["dossier", "kind", "due_date"], condition=Q(step__isnull=True), name="deadline_flag_dossier_once"
            ),
            models.UniqueConstraint(
                fields=["step", "kind", "due_date"], condition=Q(step__isnull=False), name="deadline_flag_step_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_date:%d/%m/%Y}"


class OutboxMessage(models.Model):
    """Transactional outbox: written with the change it reports; delivered exactly once.

    ``dedupe_key`` (``event:<id>``, ``flag:<id>``, ``digest:<user>:<date>``) makes enqueueing
    idempotent. The relay takes pending rows with ``SELECT … FOR UPDATE SKIP LOCKED``, creates
    the notifications and sets ``delivered_at`` in one transaction.
    """

    class Topic(models.TextChoices):
        EVENT = "event", _("Thao tác trên hồ sơ")
        FLAG = "flag", _("Cảnh báo hạn xử lý")
        DIGEST = "digest", _("Tổng hợp hằng ngày")
        # handled by the app registered in services.outbox.TOPIC_HANDLERS (connected: webhooks,
        # notices to citizens)
        CONNECTED = "connect", _("Hệ thống kết nối, thông báo công dân")

    topic = models.CharField(_("loại"), max_length=8, choices=Topic.choices)
    dedupe_key = models.CharField(max_length=100)  # unique: see Meta (no extra LIKE index)
    # Written in bulk by the sweep: no database FK checks (see DeadlineFlag.dossier) and no
    # index on columns nothing searches by.
    dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False,
        db_index=False,
    )
    event = models.ForeignKey(
        "dossiers.DossierEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        db_constraint=False, db_index=False,
    )
    flag = models.ForeignKey(
        DeadlineFlag, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False,
        db_index=False,
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False,
        help_text=_("Chỉ cho bản tổng hợp; các loại khác tính người nhận khi chuyển."),
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    available_at = models.DateTimeField(_("chuyển từ"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("số lần thử"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    delivered_at = models.DateTimeField(_("đã chuyển lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông điệp chờ chuyển (outbox)")
        verbose_name_plural = _("thông điệp chờ chuyển (outbox)")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="outbox_dedupe_key")]
        indexes = [
            models.Index(fields=["available_at", "id"], condition=Q(delivered_at__isnull=True), name="outbox_pending"),
        ]

    def __str__(self) -> str:
        return self.dedupe_key


class Notification(models.Model):
    """One message for one user, under the bell and by e-mail; unique per (message, user)."""

    class Level(models.TextChoices):
        INFO = "info", _("Thông tin")
        WARNING = "warning", _("Cảnh báo")
        DANGER = "danger", _("Khẩn")

    class EmailState(models.TextChoices):
        NONE = "none", _("Không gửi")
        PENDING = "pending", _("Chờ gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi lỗi")

    # (Lookups by recipient and by message use the composite indexes in Meta.)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False,
    )
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="notifications", db_index=False)
    kind = models.CharField(_("loại"), max_length=32)
    level = models.CharField(_("mức"), max_length=8, choices=Level.choices, default=Level.INFO)
    dossier = models.ForeignKey(  # no DB FK: the relay must not KEY SHARE-lock dossier rows
        "dossiers.Dossier", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False,
    )
    title = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"), blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(_("thời điểm"), default=timezone.now)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)
    email_state = models.CharField(max_length=8, choices=EmailState.choices, default=EmailState.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_next_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["message", "recipient"], name="notification_once_per_message")]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_time"),
            models.Index(fields=["email_next_at", "id"], condition=Q(email_state="pending"), name="notification_email_pending"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
