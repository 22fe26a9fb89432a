"""Organisation, procedure catalogue and calendar overrides.

Models own data and single-row invariants only; rules that span rows live in services.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Unit(models.Model):
    """An organisation unit with its electronic identifier (mã định danh, QCVN 102:2016/BTTTT).

    Units are never deleted: a unit merged away in the 2025 reform gets ``valid_to`` and a
    ``successor`` so that reports of earlier periods stay reproducible (domain.md §9).
    """

    class Level(models.TextChoices):
        MINISTRY = "ministry", _("Bộ, ngành")
        PROVINCE = "province", _("Cấp tỉnh")
        DISTRICT = "district", _("Cấp huyện")
        COMMUNE = "commune", _("Cấp xã")

    class Kind(models.TextChoices):
        SERVICE_CENTRE = "service_centre", _("Trung tâm / Bộ phận một cửa")
        AGENCY = "agency", _("Cơ quan chuyên môn")
        PEOPLE_COMMITTEE = "people_committee", _("Ủy ban nhân dân")
        VERTICAL = "vertical", _("Cơ quan ngành dọc")

    code = models.CharField(_("mã định danh"), max_length=32, unique=True)
    name = models.CharField(_("tên đơn vị"), max_length=255)
    level = models.CharField(_("cấp"), max_length=16, choices=Level.choices)
    kind = models.CharField(_("loại"), max_length=24, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("đơn vị cấp trên"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    place = models.CharField(
        _("địa danh"), max_length=100, blank=True,
        help_text=_("Địa danh ghi trên văn bản, ví dụ: Hòa Bình (…, ngày … tháng … năm …)."),
    )
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    successor = models.ForeignKey(
        "self", verbose_name=_("đơn vị kế thừa"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="predecessors",
    )

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="unit_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.")})
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("Đơn vị không thể là cấp trên của chính nó.")})

    def is_valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


class Field(models.Model):
    """Lĩnh vực: the sector a procedure belongs to (Hộ tịch, Đất đai…)."""

    name = models.CharField(_("tên lĩnh vực"), max_length=150, unique=True)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Counter(models.Model):
    """A desk (quầy) of a one-stop unit and the fields it serves."""

    unit = models.ForeignKey(Unit, verbose_name=_("bộ phận một cửa"), on_delete=models.PROTECT, related_name="counters")
    number = models.PositiveSmallIntegerField(_("số quầy"))
    name = models.CharField(_("tên quầy"), max_length=150)
    fields = models.ManyToManyField(Field, verbose_name=_("lĩnh vực tiếp nhận"), blank=True, related_name="counters")
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        verbose_name = _("quầy tiếp nhận")
        verbose_name_plural = _("quầy tiếp nhận")
        ordering = ["unit", "number"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="counter_unique_number")]

    def __str__(self) -> str:
        return f"{self.unit.name} – {self.name}"


class StaffProfile(models.Model):
    """Links a user to the unit (and counter) they work for; roles are Django groups (roles.py)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    unit = models.ForeignKey(Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="staff")
    counter = models.ForeignKey(
        Counter, verbose_name=_("quầy"), null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    title = models.CharField(_("chức vụ"), max_length=100, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("cán bộ")
        verbose_name_plural = _("cán bộ")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Procedure(models.Model):
    """An administrative procedure (thủ tục hành chính) of the national catalogue."""

    class TimeUnit(models.TextChoices):
        WORKING_DAYS = "working_days", _("ngày làm việc")
        WORKING_HOURS = "working_hours", _("giờ làm việc")
        CALENDAR_DAYS = "calendar_days", _("ngày")

    class OnlineLevel(models.TextChoices):
        NONE = "", _("Không có")
        FULL = "full", _("Toàn trình")
        PARTIAL = "partial", _("Một phần")

    code = models.CharField(_("mã thủ tục"), max_length=32, unique=True)
    name = models.CharField(_("tên thủ tục"), max_length=500)
    field = models.ForeignKey(Field, verbose_name=_("lĩnh vực"), on_delete=models.PROTECT, related_name="procedures")
    processing_time = models.PositiveIntegerField(_("thời hạn giải quyết"))
    time_unit = models.CharField(_("đơn vị thời gian"), max_length=16, choices=TimeUnit.choices)
    resolving_unit = models.ForeignKey(
        Unit, verbose_name=_("cơ quan giải quyết"), on_delete=models.PROTECT, related_name="procedures"
    )
    on_the_spot = models.BooleanField(_("4 tại chỗ"), default=False)
    online_level = models.CharField(_("dịch vụ công trực tuyến"), max_length=8, choices=OnlineLevel.choices, blank=True)
    fee = models.CharField(_("phí, lệ phí"), max_length=255, blank=True)
    documents = models.TextField(
        _("thành phần hồ sơ"), blank=True, help_text=_("Mỗi dòng một giấy tờ; in ra trên Giấy tiếp nhận (Mẫu 01).")
    )
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    @property
    def document_list(self) -> list[str]:
        return [line.strip() for line in self.documents.splitlines() if line.strip()]

    def time_text(self) -> str:
        if self.time_unit == self.TimeUnit.WORKING_DAYS and self.processing_time == 0:
            return str(_("trong ngày"))
        return f"{self.processing_time} {self.get_time_unit_display()}"


class ProcedureStep(models.Model):
    """One step of a procedure's workflow template (liên thông): who does it and its time budget.

    The budget is in the procedure's time unit; the sum over the steps may not exceed the legal
    processing time (checked by ``services.procedure_steps_validate``).
    """

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    name = models.CharField(_("tên bước"), max_length=255)
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị thực hiện"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="procedure_steps", help_text=_("Để trống: cơ quan giải quyết của thủ tục."),
    )
    allotted_time = models.PositiveIntegerField(_("thời gian (theo đơn vị của thủ tục)"))

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("quy trình xử lý")
        ordering = ["procedure", "order"]
        constraints = [models.UniqueConstraint(fields=["procedure", "order"], name="procedure_step_unique_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class CalendarOverride(models.Model):
    """An administrator's exception to the national calendar (domain.md D1): it always wins."""

    date = models.DateField(_("ngày"), unique=True)
    is_working_day = models.BooleanField(_("là ngày làm việc"))
    reason = models.CharField(_("lý do"), max_length=255)
    legal_source = models.CharField(_("căn cứ"), max_length=255, help_text=_("Ví dụ: Thông báo 6150/TB-BNV"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("điều chỉnh lịch làm việc")
        verbose_name_plural = _("điều chỉnh lịch làm việc")
        ordering = ["-date"]

    def __str__(self) -> str:
        kind = _("làm việc") if self.is_working_day else _("nghỉ")
        return f"{self.date:%d/%m/%Y}: {kind} – {self.reason}"
