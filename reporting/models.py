"""Roll-up tables (per-day statistics) and frozen reports.

``DailyStatistic``, ``DailyStock`` and ``SegmentStatistic`` are derived data:
``reporting.services.rollup_day`` rebuilds all rows of a day (and of its half-month segment)
from the dossiers' history (delete + insert in one transaction) and never increments them, so a
retry or a backfill is harmless (style.md principle 10). The design of flows, stocks and
segments is explained in ``reporting.services``.

``FrozenReport`` is a published report: its figures never change once saved. Its
``FrozenReportEntry`` rows record, per dossier, which figures it was counted in, so that a
later recomputation can name the dossiers that explain every difference.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dossiers.models import Channel, Dossier, Field, Procedure, Unit


class DailyStatistic(models.Model):
    """The flows of one local day for one (lead resolving unit, procedure, submission channel):
    dossiers received that day and dossiers resolved that day. ``field`` is the procedure's
    field copied at roll-up time."""

    day = models.DateField(_("ngày"))
    resolving_unit = models.ForeignKey(Unit, verbose_name=_("cơ quan chủ trì"), on_delete=models.PROTECT, related_name="+")
    procedure = models.ForeignKey(Procedure, verbose_name=_("thủ tục"), on_delete=models.PROTECT, related_name="+")
    field = models.ForeignKey(Field, verbose_name=_("lĩnh vực"), on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("hình thức nộp"), max_length=8, choices=Channel.choices)

    received = models.PositiveIntegerField(_("tiếp nhận mới"), default=0)
    received_on_the_spot = models.PositiveIntegerField(_("tiếp nhận mới “4 tại chỗ”"), default=0)
    resolved = models.PositiveIntegerField(_("đã giải quyết"), default=0)
    resolved_early = models.PositiveIntegerField(_("trước hạn"), default=0)
    resolved_on_time = models.PositiveIntegerField(_("đúng hạn"), default=0)
    resolved_late = models.PositiveIntegerField(_("quá hạn"), default=0)
    withdrawn = models.PositiveIntegerField(_("rút hồ sơ"), default=0)
    resolved_multi_supplement = models.PositiveIntegerField(_("đã giải quyết, bổ sung hơn một lần"), default=0)

    class Meta:
        verbose_name = _("số liệu tổng hợp ngày")
        verbose_name_plural = _("số liệu tổng hợp ngày")
        constraints = [
            models.UniqueConstraint(fields=["day", "resolving_unit", "procedure", "channel"], name="daily_statistic_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.resolving_unit_id} {self.procedure_id} {self.channel}"


class DailyStock(models.Model):
    """The dossiers in progress at the end of a snapshot day, per (lead resolving unit, field):
    within deadline or overdue as D12 judges them at that moment. (Stocks have no channel; the
    report reads them per unit and field only, which keeps a national snapshot small.)"""

    day = models.DateField(_("ngày"))
    resolving_unit = models.ForeignKey(Unit, verbose_name=_("cơ quan chủ trì"), on_delete=models.PROTECT, related_name="+")
    field = models.ForeignKey(Field, verbose_name=_("lĩnh vực"), on_delete=models.PROTECT, related_name="+")
    open_total = models.PositiveIntegerField(_("đang giải quyết"), default=0)
    open_within = models.PositiveIntegerField(_("trong hạn"), default=0)
    open_overdue = models.PositiveIntegerField(_("quá hạn"), default=0)
    open_multi_supplement = models.PositiveIntegerField(_("bổ sung hơn một lần"), default=0)

    class Meta:
        verbose_name = _("số hồ sơ đang giải quyết cuối ngày")
        verbose_name_plural = _("số hồ sơ đang giải quyết cuối ngày")
        constraints = [
            models.UniqueConstraint(fields=["day", "resolving_unit", "field"], name="daily_stock_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.resolving_unit_id} {self.field_id}"


class SegmentStatistic(models.Model):
    """The flows of a half-month segment (days 1–14 or 15–end, ``segment`` = its first day)
    per (lead resolving unit, field), summed from ``DailyStatistic``. Every report period of
    both bases is a union of whole segments, so a quarter reads six segments instead of
    ninety days."""

    segment = models.DateField(_("nửa tháng từ ngày"))
    resolving_unit = models.ForeignKey(Unit, verbose_name=_("cơ quan chủ trì"), on_delete=models.PROTECT, related_name="+")
    field = models.ForeignKey(Field, verbose_name=_("lĩnh vực"), on_delete=models.PROTECT, related_name="+")
    received_online = models.PositiveIntegerField(default=0)
    received_direct_postal = models.PositiveIntegerField(default=0)
    received_on_the_spot = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_early = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    resolved_late = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    resolved_multi_supplement = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("số liệu tổng hợp nửa tháng")
        verbose_name_plural = _("số liệu tổng hợp nửa tháng")
        constraints = [
            models.UniqueConstraint(fields=["segment", "resolving_unit", "field"], name="segment_statistic_unique"),
        ]


class DailyReceipt(models.Model):
    """The dossiers new on one local day per (receiving unit, lead resolving unit as at the end
    of that day): the report's receipts by counter (D13's other dimension, D19: a commune's
    dossier taken in at the provincial centre), summed over a period instead of counting its
    receipts from the dossiers (half a million a quarter at ten million dossiers). Rebuilt with
    the day's flows (``reporting.services.rollup_day``)."""

    day = models.DateField(_("ngày"))
    receiving_unit = models.ForeignKey(Unit, verbose_name=_("đơn vị tiếp nhận"), on_delete=models.PROTECT,
                                       related_name="+")
    resolving_unit = models.ForeignKey(Unit, verbose_name=_("cơ quan chủ trì"), on_delete=models.PROTECT,
                                       related_name="+", db_index=False)
    received = models.PositiveIntegerField(_("tiếp nhận mới"), default=0)

    class Meta:
        verbose_name = _("số hồ sơ tiếp nhận trong ngày theo nơi tiếp nhận")
        verbose_name_plural = _("số hồ sơ tiếp nhận trong ngày theo nơi tiếp nhận")
        constraints = [
            models.UniqueConstraint(fields=["day", "receiving_unit", "resolving_unit"], name="daily_receipt_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.receiving_unit_id} → {self.resolving_unit_id}"


class RollupSegment(models.Model):
    """A half-month segment's marker: its row is locked while the segment is rebuilt, so that
    days of the same segment rolled up concurrently each sum the other's committed rows."""

    segment = models.DateField(_("nửa tháng từ ngày"), unique=True)
    rebuilt_at = models.DateTimeField(_("tổng hợp lúc"))
    rows = models.PositiveIntegerField(_("số dòng"), default=0)

    class Meta:
        verbose_name = _("nửa tháng đã tổng hợp")
        verbose_name_plural = _("nửa tháng đã tổng hợp")
        ordering = ["-segment"]

    def __str__(self) -> str:
        return f"{self.segment:%d/%m/%Y}"


class RollupDay(models.Model):
    """Marks a day as rolled up: its flows (and its segment) are complete; ``has_stock``: its
    end-of-day stock was snapshotted too (always on period boundary days)."""

    day = models.DateField(_("ngày"), unique=True)
    rebuilt_at = models.DateTimeField(_("tổng hợp lúc"))
    has_stock = models.BooleanField(_("có số liệu đang giải quyết"), default=False)
    rows = models.PositiveIntegerField(_("số dòng"), default=0)
    dossiers = models.PositiveIntegerField(_("số hồ sơ đọc"), default=0)
    seconds = models.FloatField(_("thời gian (giây)"), default=0)

    class Meta:
        verbose_name = _("ngày đã tổng hợp")
        verbose_name_plural = _("ngày đã tổng hợp")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y}"


class RollupRun(models.Model):
    """One run of the nightly roll-up: dossiers created after the start of the last successful
    run are what may have made older days stale (``reporting.services.rollup_pending``)."""

    started_at = models.DateTimeField(_("bắt đầu"))
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    first_day = models.DateField(_("từ ngày"), null=True, blank=True)
    last_day = models.DateField(_("đến ngày"), null=True, blank=True)
    days = models.PositiveIntegerField(_("số ngày"), default=0)

    class Meta:
        verbose_name = _("lần tổng hợp hằng đêm")
        verbose_name_plural = _("các lần tổng hợp hằng đêm")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class FrozenReport(models.Model):
    """A published (frozen) report: the figures a leader signed. Never changed once saved."""

    class Basis(models.TextChoices):
        REGULATORY = "regulatory", _("Theo quy định (15 – 14)")
        CALENDAR = "calendar", _("Dương lịch")

    class Kind(models.TextChoices):
        MONTH = "month", _("Tháng")
        QUARTER = "quarter", _("Quý")
        HALF = "half", _("6 tháng")
        NINE_MONTHS = "nine_months", _("9 tháng")
        YEAR = "year", _("Năm")

    #: scope of a report covering every unit
    ALL_UNITS = "*"

    basis = models.CharField(_("cách tính kỳ"), max_length=12, choices=Basis.choices)
    kind = models.CharField(_("loại kỳ"), max_length=12, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("năm"))
    number = models.PositiveSmallIntegerField(_("kỳ số"))
    start = models.DateField(_("từ ngày"))
    end = models.DateField(_("đến ngày"))
    unit = models.ForeignKey(
        Unit, verbose_name=_("phạm vi đơn vị"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Để trống: toàn bộ các đơn vị."),
    )
    scope = models.CharField(_("phạm vi"), max_length=32, help_text=_("Mã đơn vị, hoặc * cho toàn bộ."))
    figures = models.JSONField(_("số liệu"))
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người chốt"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    frozen_by_name = models.CharField(_("họ tên người chốt"), max_length=255, blank=True)
    frozen_at = models.DateTimeField(_("chốt lúc"))
    note = models.CharField(_("ghi chú"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("báo cáo đã chốt")
        verbose_name_plural = _("báo cáo đã chốt")
        ordering = ["-year", "-number", "scope"]
        constraints = [
            models.UniqueConstraint(fields=["basis", "kind", "year", "number", "scope"], name="frozen_report_unique"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="frozen_report_range"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}/{self.year} ({self.basis}) – {self.scope}"

    def save(self, *args, **kwargs):
        # Single-row invariant: a frozen report is written once (frozen figures never change).
        if not self._state.adding:
            raise ValidationError(_("Báo cáo đã chốt không thể sửa."))
        super().save(*args, **kwargs)


class FrozenReportEntry(models.Model):
    """One dossier counted in a frozen report and the figures it was counted in (a bit mask of
    ``reporting.selectors.FLAG_BITS``), with the unit and field it was counted under."""

    report = models.ForeignKey(FrozenReport, on_delete=models.CASCADE, related_name="entries")
    dossier = models.ForeignKey(Dossier, null=True, on_delete=models.SET_NULL, related_name="+")
    code = models.CharField(_("mã hồ sơ"), max_length=64)
    resolving_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="+")
    flags = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("hồ sơ trong báo cáo đã chốt")
        verbose_name_plural = _("hồ sơ trong báo cáo đã chốt")
        constraints = [models.UniqueConstraint(fields=["report", "code"], name="frozen_report_entry_unique")]
