"""What citizens give back: one satisfaction evaluation per returned dossier, and feedback
(phản ánh, kiến nghị) that a supervisor answers by a deadline.

Both rows carry the unit (and, for evaluations, the officer) they are counted under, copied
when they are written, so that reports group them without re-deriving history.
"""
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from citizens.scoring import MAX_POINTS_PER_CRITERION, MAX_TOTAL, Band
from dossiers.models import Dossier, Unit

_points = dict(validators=[MaxValueValidator(MAX_POINTS_PER_CRITERION)])


class Evaluation(models.Model):
    """A citizen's evaluation of one resolved dossier by the nine criteria (domain.md §5)."""

    class Source(models.TextChoices):
        ONLINE = "online", _("Trang tra cứu")
        KIOSK = "kiosk", _("Máy đánh giá tại quầy")

    dossier = models.OneToOneField(Dossier, verbose_name=_("hồ sơ"), on_delete=models.PROTECT, related_name="evaluation")
    c1 = models.PositiveSmallIntegerField(_("tiêu chí 1"), **_points)
    c2 = models.PositiveSmallIntegerField(_("tiêu chí 2"), **_points)
    c3 = models.PositiveSmallIntegerField(_("tiêu chí 3"), **_points)
    c4 = models.PositiveSmallIntegerField(_("tiêu chí 4"), **_points)
    c5 = models.PositiveSmallIntegerField(_("tiêu chí 5"), **_points)
    c6 = models.PositiveSmallIntegerField(_("tiêu chí 6"), **_points)
    c7 = models.PositiveSmallIntegerField(_("tiêu chí 7"), **_points)
    c8 = models.PositiveSmallIntegerField(_("tiêu chí 8"), **_points)
    c9 = models.PositiveSmallIntegerField(_("tiêu chí 9"), **_points)
    total = models.PositiveSmallIntegerField(_("tổng điểm"), validators=[MaxValueValidator(MAX_TOTAL)])
    band = models.CharField(_("xếp loại"), max_length=12, choices=Band.choices)
    comment = models.TextField(_("ý kiến khác"), blank=True, max_length=2000)
    source = models.CharField(_("nơi đánh giá"), max_length=8, choices=Source.choices)
    submitted_at = models.DateTimeField(_("thời điểm đánh giá"))
    submitted_on = models.DateField(_("ngày đánh giá"), db_index=True)
    unit = models.ForeignKey(Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cán bộ xử lý"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("phiếu đánh giá")
        verbose_name_plural = _("phiếu đánh giá")
        indexes = [models.Index(fields=["unit", "submitted_on"])]
        constraints = [
            *[
                models.CheckConstraint(condition=Q(**{f"c{i}__lte": MAX_POINTS_PER_CRITERION}), name=f"evaluation_c{i}_range")
                for i in range(1, 10)
            ],
            models.CheckConstraint(
                condition=Q(total=models.F("c1") + models.F("c2") + models.F("c3") + models.F("c4") + models.F("c5")
                            + models.F("c6") + models.F("c7") + models.F("c8") + models.F("c9")),
                name="evaluation_total_is_sum",
            ),
        ]

    def __str__(self):
        return f"{self.dossier_id}: {self.total}/{MAX_TOTAL}"

    @property
    def points(self) -> list[int]:
        return [getattr(self, f"c{i}") for i in range(1, 10)]


class Feedback(models.Model):
    """Phản ánh, kiến nghị about one dossier; the resolving unit's supervisor answers it."""

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("Phản ánh")
        PROPOSAL = "proposal", _("Kiến nghị")

    class State(models.TextChoices):
        OPEN = "open", _("Chờ trả lời")
        ANSWERED = "answered", _("Đã trả lời")

    dossier = models.ForeignKey(Dossier, verbose_name=_("hồ sơ"), on_delete=models.PROTECT, related_name="feedback")
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    content = models.TextField(_("nội dung"), max_length=4000)
    submitted_at = models.DateTimeField(_("thời điểm gửi"))
    submitted_on = models.DateField(_("ngày gửi"), db_index=True)
    answer_due = models.DateField(_("hạn trả lời"))
    unit = models.ForeignKey(Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.OPEN)
    answer = models.TextField(_("nội dung trả lời"), blank=True, max_length=4000)
    answered_at = models.DateTimeField(_("thời điểm trả lời"), null=True, blank=True)
    answered_on = models.DateField(_("ngày trả lời"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người trả lời"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")
        ordering = ["answer_due", "id"]
        indexes = [models.Index(fields=["unit", "state", "answer_due"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open", answered_at__isnull=True) | Q(state="answered", answered_at__isnull=False),
                name="feedback_answered_consistent",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def answered_late(self) -> bool | None:
        if self.answered_on is None:
            return None
        return self.answered_on > self.answer_due
