"""Organisation, procedure catalogue and calendar overrides.

Models own data and single-row invariants only; rules that span rows live in services.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dossiers import search as search_text


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

    def place_on_forms(self) -> str:
        """The place name printed on its papers ("Hòa Bình, ngày … tháng … năm …"): its own, or
        its nearest parent's."""
        unit = self
        while unit is not None:
            if unit.place:
                return unit.place
            unit = unit.parent
        return ""


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
    #: set by ``import_staff`` for an account given a password by an administrator: the pages
    #: ask for a new one at the next login (the API token endpoint does not)
    password_change_required = models.BooleanField(_("phải đổi mật khẩu"), default=False)

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
    # D19: one named competent unit, or every People's Committee of a level (each resolves its
    # own dossiers, the one chosen at intake); exactly one of the two (constraint below)
    resolving_unit = models.ForeignKey(
        Unit, verbose_name=_("cơ quan giải quyết"), on_delete=models.PROTECT, related_name="procedures",
        null=True, blank=True, help_text=_("Để trống khi thủ tục do mọi đơn vị của một cấp giải quyết."),
    )
    resolving_level = models.CharField(
        _("cấp giải quyết"), max_length=16, choices=Unit.Level.choices, blank=True, default="",
        help_text=_("Mọi Ủy ban nhân dân của cấp này giải quyết hồ sơ của mình (ví dụ: cấp xã); "
                    "đơn vị có thẩm quyền được chọn khi tiếp nhận."),
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
        constraints = [
            models.CheckConstraint(
                condition=(Q(resolving_unit__isnull=False) & Q(resolving_level=""))
                | (Q(resolving_unit__isnull=True) & ~Q(resolving_level="")),
                name="procedure_unit_xor_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def clean(self):
        if (self.resolving_unit_id is None) == (not self.resolving_level):
            message = _("Chọn một cơ quan giải quyết hoặc một cấp giải quyết (không chọn cả hai).")
            raise ValidationError({"resolving_unit": message, "resolving_level": message})

    @property
    def by_level(self) -> bool:
        """D19: resolved by every People's Committee of ``resolving_level``."""
        return not self.resolving_unit_id and bool(self.resolving_level)

    def competent_text(self) -> str:
        """Who resolves it, as a clerk reads it: the unit's name, or "Ủy ban nhân dân cấp xã"."""
        if self.resolving_unit_id:
            return self.resolving_unit.name
        return str(_("Ủy ban nhân dân %(level)s (nơi có thẩm quyền)")) % {
            "level": str(Unit.Level(self.resolving_level).label).lower()}

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


# ---------------------------------------------------------------------------------------------
# Dossiers (hồ sơ) and their history
# ---------------------------------------------------------------------------------------------
from dossiers.workflow import OPEN_STATES, DossierState  # noqa: E402  (models below use the workflow table)


def open_dossiers(*more: Q) -> Q:
    """The condition of the partial indexes over open dossiers (``workflow.OPEN_STATES``).

    The states are listed in their declaration order, so that the index's SQL (and the
    migration written from it) is the same in every process; a state added to or removed from
    ``OPEN_STATES`` changes the condition, and ``makemigrations`` then rebuilds the indexes.
    """
    condition = Q(state__in=[state.value for state in DossierState if state in OPEN_STATES])
    for extra in more:
        condition &= extra
    return condition


class Channel(models.TextChoices):
    ONLINE = "online", _("Trực tuyến")
    DIRECT = "direct", _("Trực tiếp")
    POSTAL = "postal", _("Bưu chính công ích")


class ReturnChannel(models.TextChoices):
    COUNTER = "counter", _("Tại Bộ phận một cửa")
    POSTAL = "postal", _("Qua bưu chính công ích")
    ONLINE = "online", _("Trực tuyến")


class Outcome(models.TextChoices):
    APPROVED = "approved", _("Có kết quả")
    REFUSED = "refused", _("Từ chối")
    WITHDRAWN = "withdrawn", _("Rút hồ sơ")
    STOPPED = "stopped", _("Dừng giải quyết")


class Classification(models.TextChoices):
    EARLY = "early", _("Trước hạn")
    ON_TIME = "on_time", _("Đúng hạn")
    LATE = "late", _("Trễ hạn")


class DossierSequence(models.Model):
    """Last dossier number issued by a receiving unit on a day (D15). Rows are locked to allocate."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="dossier_sequence_unique")]


class RegisterBook(models.Model):
    """A tracking register (Sổ theo dõi hồ sơ, Mẫu 07 of TT 03/2025, Mẫu 06 of TT 01/2018).

    One book per counter and year; a dossier taken in without a counter (API, online) goes in
    its receiving unit's own book (``counter_key`` 0). ``last`` is the last "số thứ tự" given:
    the intake takes the next one in the same statement that writes the dossier (the row stays
    locked until the commit), so the numbers of a book are gap-free under concurrent intake.
    """

    unit = models.ForeignKey(Unit, verbose_name=_("bộ phận một cửa"), on_delete=models.PROTECT, related_name="+")
    counter = models.ForeignKey(Counter, verbose_name=_("quầy"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    counter_key = models.PositiveIntegerField(default=0, help_text="The counter's id, 0 for the unit's own book.")
    year = models.PositiveSmallIntegerField(_("năm"))
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("sổ theo dõi hồ sơ")
        verbose_name_plural = _("sổ theo dõi hồ sơ")
        constraints = [models.UniqueConstraint(fields=["unit", "counter_key", "year"], name="register_book_unique")]

    @property
    def number(self) -> str:
        """"Quyển số" as printed: the counter's number and the year ("02/2026"); the unit's own
        book is "00/2026"."""
        return f"{self.counter.number if self.counter_id else 0:02d}/{self.year}"

    def __str__(self) -> str:
        return self.number


class DerivedCharField(models.CharField):
    """A column computed from another field of the same row on every write.

    ``pre_save`` sets it from ``source`` through ``derive``, and every path that writes a row
    goes through ``pre_save``: ``Model.save`` (insert and update), ``bulk_create`` and
    ``onecua.rows.rows_insert`` (the intake's one-statement insert). Paths that bypass it
    (``QuerySet.update`` of the source, raw SQL, COPY) must set it themselves.
    """

    def __init__(self, *args, source: str = "", derive=None, **kwargs):
        self.source, self.derive = source, derive
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        # NULL until first written (rows older than the column, before the migration's backfill):
        # a nullable column without a default is a plain ALTER TABLE … ADD COLUMN on SQLite too,
        # where any other makes Django rebuild the table and lose the raw-SQL indexes
        kwargs.setdefault("null", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source  # `derive` is code, not schema: migrations need not know it
        for key, value in (("editable", False), ("blank", True), ("null", True)):
            if kwargs.get(key) == value:
                kwargs.pop(key)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        if self.derive is not None and self.source:
            value = self.derive(getattr(model_instance, self.source))[: self.max_length]
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)


class Dossier(models.Model):
    """A dossier (hồ sơ TTHC): the tracked object with its legal clock.

    The deadline facts (processing time, unit, due date) are copied from the procedure at
    receipt so that later catalogue changes never rewrite history.
    """

    code = models.CharField(_("mã hồ sơ"), max_length=64, unique=True)
    procedure = models.ForeignKey(Procedure, verbose_name=_("thủ tục"), on_delete=models.PROTECT, related_name="dossiers")
    # No single-column index on the three unit keys: the composite indexes of Meta start with
    # them (every intake and transfer would otherwise write three more index entries).
    receiving_unit = models.ForeignKey(
        Unit, verbose_name=_("nơi tiếp nhận"), on_delete=models.PROTECT, related_name="received_dossiers",
        db_index=False,
    )
    counter = models.ForeignKey(Counter, verbose_name=_("quầy"), null=True, blank=True, on_delete=models.SET_NULL)
    resolving_unit = models.ForeignKey(
        Unit, verbose_name=_("cơ quan chủ trì"), on_delete=models.PROTECT, related_name="resolved_dossiers",
        db_index=False,
    )
    current_unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị đang xử lý"), on_delete=models.PROTECT, related_name="current_dossiers",
        db_index=False,
    )
    channel = models.CharField(_("hình thức nộp"), max_length=8, choices=Channel.choices)
    return_channel = models.CharField(_("hình thức nhận kết quả"), max_length=8, choices=ReturnChannel.choices, default=ReturnChannel.COUNTER)
    state = models.CharField(_("trạng thái"), max_length=24, choices=DossierState.choices, default=DossierState.RECEIVED)
    on_the_spot = models.BooleanField(_("4 tại chỗ"), default=False)

    applicant_name = models.CharField(_("họ và tên"), max_length=255)
    applicant_id_number = models.CharField(_("số CCCD"), max_length=12, blank=True)
    applicant_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=500, blank=True)
    applicant_email = models.EmailField(_("email"), blank=True)
    # What staff search compares (dossiers.search): the name without case or diacritics, and
    # the phone as its national digits, kept in step with the two columns above on every write.
    applicant_name_folded = DerivedCharField(max_length=255, source="applicant_name", derive=search_text.fold)
    applicant_phone_digits = DerivedCharField(max_length=20, source="applicant_phone", derive=search_text.phone_digits)
    # D22: the applicant's consent, given at intake, to notices by e-mail / SMS (connected app)
    notify_email = models.BooleanField(_("nhận thông báo qua email"), default=False)
    notify_sms = models.BooleanField(_("nhận thông báo qua SMS"), default=False)
    request_content = models.CharField(_("nội dung yêu cầu giải quyết"), max_length=1000, blank=True)
    documents = models.JSONField(_("thành phần hồ sơ"), default=list, blank=True)
    copies = models.PositiveSmallIntegerField(_("số lượng hồ sơ (bộ)"), default=1)

    submitted_at = models.DateTimeField(_("thời điểm nộp"), null=True, blank=True)
    received_at = models.DateTimeField(_("thời điểm tiếp nhận"), null=True, blank=True)
    receipt_date = models.DateField(_("ngày tiếp nhận (tính hạn)"), null=True, blank=True)
    processing_time = models.PositiveIntegerField(_("thời hạn giải quyết"))
    time_unit = models.CharField(_("đơn vị thời gian"), max_length=16, choices=Procedure.TimeUnit.choices)
    base_due_date = models.DateField(_("ngày hẹn trả ban đầu"), null=True, blank=True)
    due_date = models.DateField(_("ngày hẹn trả"), null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(_("thời hạn"), null=True, blank=True)
    due_text = models.CharField(_("giải thích ngày hẹn trả"), max_length=500, blank=True)
    paused_at = models.DateTimeField(_("tạm dừng từ"), null=True, blank=True)
    paused_on = models.DateField(_("ngày tạm dừng"), null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(_("số lần yêu cầu bổ sung"), default=0)
    appointment_date = models.DateField(_("ngày hẹn lại"), null=True, blank=True)
    apologized_at = models.DateTimeField(_("thời điểm xin lỗi"), null=True, blank=True)
    apology_reason = models.CharField(_("lý do trễ hạn"), max_length=1000, blank=True)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người xử lý"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="assigned_dossiers",
    )
    resolved_at = models.DateTimeField(_("thời điểm giải quyết"), null=True, blank=True)
    resolved_on = models.DateField(_("ngày giải quyết"), null=True, blank=True)
    outcome = models.CharField(_("kết quả"), max_length=12, choices=Outcome.choices, blank=True)
    classification = models.CharField(_("đánh giá"), max_length=8, choices=Classification.choices, blank=True)
    outcome_note = models.CharField(_("lý do / ghi chú kết quả"), max_length=1000, blank=True)
    returned_at = models.DateTimeField(_("thời điểm trả kết quả"), null=True, blank=True)
    #: D18: when the counter must have handed the dossier over, and when it did
    handover_due_at = models.DateTimeField(_("hạn chuyển hồ sơ"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("thời điểm chuyển hồ sơ"), null=True, blank=True)
    register_book = models.ForeignKey(
        RegisterBook, verbose_name=_("quyển sổ theo dõi"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="dossiers", db_index=False,
    )
    register_number = models.PositiveIntegerField(_("số thứ tự trong sổ"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=0, help_text="Incremented by every transition (optimistic check).")

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["state", "due_date"], name="dossier_state_due"),
            models.Index(fields=["receiving_unit", "received_at"], name="dossier_recv_unit_at"),
            models.Index(fields=["resolving_unit", "state"], name="dossier_resolving_state"),
            # with the lead unit and the id: a unit scope's name search finds "held here, led
            # elsewhere" from the index alone before reading those (few) rows' names
            models.Index(fields=["current_unit", "state"], include=["resolving_unit", "id"], name="dossier_current_state"),
            models.Index(fields=["applicant_id_number"], name="dossier_applicant_id"),
            # the "đã trả kết quả" tab, newest first, walked backwards until a page is full
            models.Index(fields=["returned_at", "id"], name="dossier_returned_order", condition=Q(state="returned")),
            # the "chờ trả kết quả" tab, oldest result first (its order: resolved_at, id)
            models.Index(fields=["resolved_at", "id"], name="dossier_result_order",
                         condition=Q(state__in=["approved", "refused"])),
            models.Index(fields=["register_book", "register_number"], name="dossier_register_entry"),
            # the API list's dossiers that are neither open nor waiting, latest received first
            # (selectors.API_LIST_GROUPS), walked in order until a page is full
            models.Index(models.OrderBy(models.F("received_at"), descending=True, nulls_last=True),
                         models.OrderBy(models.F("id"), descending=True), name="dossier_received_order"),
            # the report's stopped dossiers by resolution day (D16; not in the roll-ups)
            models.Index(fields=["resolved_on", "resolving_unit", "procedure"], name="dossier_stopped_resolved",
                         condition=Q(outcome="stopped")),
            # staff search (dossiers.search): a phone; a code's start is the unique code's own
            # "_like" index (varchar_pattern_ops, made by Django on PostgreSQL), a name's words
            # the trigram index of migration 0009_search_columns
            models.Index(fields=["applicant_name_folded"], name="dossier_name_folded_prefix",
                         opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["applicant_phone_digits"], name="dossier_phone_digits",
                         condition=~Q(applicant_phone_digits="")),
            # Counting what a unit's staff may see (dossiers.selectors.dossier_counts_by_state,
            # the menu's counts on every page): each disjoint part of the visibility rule is an
            # index-only range scan. Led by the units and held elsewhere (the supervisor
            # dashboard's "led, held elsewhere" part reads it too); only received there.
            # It also carries what a unit scope's name search reads of the dossiers its units
            # lead (selectors.search_ranked: names containing the text, judged from the index).
            models.Index(fields=["resolving_unit", "state"], name="dossier_vis_resolving",
                         include=["current_unit", "id", "assigned_to", "procedure", "due_date", "paused_on",
                                  "receiving_unit", "received_at", "applicant_name_folded"]),
            models.Index(fields=["receiving_unit", "state"], name="dossier_vis_receiving",
                         include=["current_unit", "resolving_unit", "id"]),
            # Monitoring over open dossiers only (resolved ones, the vast majority over the
            # years, are not in them): the supervisor dashboard per (unit, officer, procedure)
            # in one index-only scan (monitoring.selectors.dashboard_get); the deadline sweep's
            # range up to the next working day (monitoring.services.sweep); the "Tạm dừng"
            # list, in the dashboard lists' order (monitoring.selectors.dashboard_list).
            models.Index(fields=["current_unit", "assigned_to", "procedure"], name="monitoring_open_board",
                         include=["resolving_unit", "due_date", "paused_on"], condition=open_dossiers()),
            # (the state and the receipt instant included: the API list filtered by a receipt
            # window walks it in due-date order and judges the rows it drops from it alone)
            # "Hồ sơ của tôi": an officer's open dossiers, counted in the menu on every page (a
            # BitmapAnd of the officer's dossiers of five years with every open one: 180 ms at
            # ten million) and listed in the inbox
            models.Index(fields=["assigned_to", "due_date"], name="dossier_mine_open", condition=open_dossiers()),
            models.Index(fields=["due_date"], name="monitoring_open_due",
                         include=["id", "paused_on", "time_unit", "due_at", "apologized_at", "appointment_date",
                                  "state", "received_at"],
                         condition=open_dossiers()),
            models.Index(fields=["due_date", "due_at", "id"], name="monitoring_open_paused",
                         condition=open_dossiers(Q(paused_on__isnull=False))),
            # Reports (reporting.selectors): dossiers received in a period; resolved on a day,
            # and the stock in progress at a date (resolved later, received before); the stock
            # of "now". The GiST range index for national-scale stock is PostgreSQL only
            # (migration 0014_indexes_declared_here, with the name trigram index of the search).
            # (its receiving and lead units included: the report's receipts by counter, D13, are
            # an index-only scan of the period's range instead of a heap read per dossier)
            models.Index(fields=["received_at"], name="reporting_dossier_received_at",
                         include=["receiving_unit", "resolving_unit"]),
            models.Index(fields=["resolved_on", "received_at"], name="reporting_dossier_resolved_on"),
            models.Index(fields=["received_at"], name="reporting_dossier_unresolved",
                         condition=Q(resolved_on__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(received_at__isnull=False), name="dossier_resolved_after_receipt_exists"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def handover_late(self) -> bool:
        """D18 "chậm chuyển": handed over after its deadline, or still at the counter past it."""
        from dossiers.core import handover_late
        from django.utils import timezone

        return handover_late(self, timezone.now())


class DossierStep(models.Model):
    """One step of a dossier at one agency (liên thông), planned from the procedure's template."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Chờ")
        CURRENT = "current", _("Đang xử lý")
        DONE = "done", _("Đã xong")
        SKIPPED = "skipped", _("Không cần thực hiện")

    class Kind(models.TextChoices):
        """Counter steps (reception, return) are done by the receiving counter (dossiers.core)."""

        RECEPTION = "reception", _("Tiếp nhận")
        PROCESSING = "processing", _("Xử lý")
        RETURN = "return", _("Trả kết quả")

    # indexed by the unique (dossier, order) constraint, which starts with it
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps", db_index=False)
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    name = models.CharField(_("tên bước"), max_length=255)
    unit = models.ForeignKey(Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="dossier_steps")
    allotted_time = models.PositiveIntegerField(_("thời gian được giao"))
    due_date = models.DateField(_("hạn xử lý"), null=True, blank=True)
    due_at = models.DateTimeField(_("thời hạn"), null=True, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PROCESSING)
    state = models.CharField(max_length=8, choices=State.choices, default=State.WAITING)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_steps"
    )
    classification = models.CharField(max_length=8, choices=Classification.choices, blank=True)

    class Meta:
        verbose_name = _("bước xử lý hồ sơ")
        verbose_name_plural = _("các bước xử lý hồ sơ")
        ordering = ["dossier", "order"]
        constraints = [models.UniqueConstraint(fields=["dossier", "order"], name="dossier_step_unique_order")]
        indexes = [
            models.Index(fields=["state", "due_date"], name="dossier_step_state_due"),
            # the dossiers a unit stepped through (the visibility rule, see Dossier.Meta)
            models.Index(fields=["unit", "dossier"], name="dossier_step_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier.code} #{self.order} {self.name}"


class DossierPause(models.Model):
    """A supplement request (Mẫu 02 during processing): the clock stops at requested_at (D7)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="pauses")
    requested_at = models.DateTimeField(_("yêu cầu bổ sung lúc"))
    completed_at = models.DateTimeField(_("nhận bổ sung lúc"), null=True, blank=True)
    reason = models.TextField(_("lý do"))
    documents = models.TextField(_("giấy tờ cần bổ sung"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: the unit that asked (D17: it, or the counter, receives the supplement)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("yêu cầu bổ sung")
        verbose_name_plural = _("yêu cầu bổ sung")
        ordering = ["dossier", "requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(completed_at__gte=models.F("requested_at")),
                name="dossier_pause_order",
            ),
        ]


class DossierEvent(models.Model):
    """Append-only history: one row per action (the control sheet Mẫu 05 is read from here)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("thời điểm"))
    action = models.CharField(_("thao tác"), max_length=32)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=255, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("lịch sử xử lý")
        verbose_name_plural = _("lịch sử xử lý")
        ordering = ["dossier", "at", "id"]
        indexes = [
            models.Index(fields=["at"], name="dossier_event_at"),
            # "the due date as it was at t" (reporting) is an index-only lookup
            models.Index(fields=["dossier", "-at", "-id"], name="reporting_event_due_asof", include=["due_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class IntakeKey(models.Model):
    """An intake's idempotency key (interfaces.md "Dossier API"): one per user and key.

    Written in the intake's own transaction, before the dossier, so that a concurrent repeat
    waits on the unique index and then finds the committed first answer. ``body_hash`` is the
    SHA-256 of the canonical JSON of the request; ``response`` the first answer's JSON text,
    replayed as it was. Keys older than 24 hours are ignored and purged (``intake_keys_purge``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    body_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    status_code = models.PositiveSmallIntegerField(default=201)
    response = models.TextField(blank=True)

    class Meta:
        verbose_name = _("khóa tiếp nhận một lần")
        verbose_name_plural = _("khóa tiếp nhận một lần")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="intake_key_user_key")]
        indexes = [models.Index(fields=["created_at"], name="intake_key_created")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class Reorganisation(models.Model):
    """A reorganisation entry (domain.md D20): the old unit ends the day before ``effective_date``
    and its open dossiers move to ``successor`` (dossiers.services.reorganisation)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ chuyển hồ sơ")
        MOVING = "moving", _("Đang chuyển hồ sơ")
        DONE = "done", _("Đã chuyển xong")

    old_unit = models.ForeignKey(Unit, verbose_name=_("đơn vị cũ"), on_delete=models.PROTECT, related_name="+")
    successor = models.ForeignKey(Unit, verbose_name=_("đơn vị kế thừa"), on_delete=models.PROTECT, related_name="+")
    effective_date = models.DateField(_("ngày có hiệu lực"))
    legal_basis = models.CharField(_("căn cứ"), max_length=500)
    status = models.CharField(_("tình trạng"), max_length=8, choices=Status.choices, default=Status.PENDING)
    #: open dossiers to move as counted when the move started, and those moved so far (progress)
    planned = models.PositiveIntegerField(_("số hồ sơ cần chuyển"), default=0)
    moved = models.PositiveIntegerField(_("số hồ sơ đã chuyển"), default=0)
    created_at = models.DateTimeField(_("thời điểm nhập"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    finished_at = models.DateTimeField(_("chuyển xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("sắp xếp đơn vị hành chính")
        verbose_name_plural = _("sắp xếp đơn vị hành chính")
        ordering = ["-effective_date", "old_unit"]
        constraints = [
            # one successor per unit and date (a second one is refused by the import)
            models.UniqueConstraint(fields=["old_unit", "effective_date"], name="reorganisation_unique_old_date"),
        ]

    def __str__(self) -> str:
        return f"{self.old_unit_id} → {self.successor_id} ({self.effective_date:%d/%m/%Y})"


class DossierMove(models.Model):
    """One dossier moved by one reorganisation (D20): what the history event says, as a row that
    makes the move idempotent (unique per dossier and reorganisation) and that reports read to
    count a dossier under its lead unit as at a date (D13 refined by D20): while ``at`` is after
    that date, the lead unit was ``from_unit`` when ``lead`` is set."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="moves", db_index=False)
    reorganisation = models.ForeignKey(Reorganisation, on_delete=models.PROTECT, related_name="moves")
    at = models.DateTimeField(_("thời điểm"))
    from_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    lead = models.BooleanField(_("chuyển cơ quan chủ trì"), default=False)

    class Meta:
        verbose_name = _("hồ sơ chuyển theo sắp xếp")
        verbose_name_plural = _("hồ sơ chuyển theo sắp xếp")
        constraints = [
            models.UniqueConstraint(fields=["dossier", "reorganisation"], name="dossier_move_unique"),
        ]
        indexes = [models.Index(fields=["at"], name="dossier_move_lead_at", condition=Q(lead=True))]
