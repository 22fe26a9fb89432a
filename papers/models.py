"""Papers of a dossier (domain.md D21): application papers per checklist item, and results.

A document is immutable: its bytes live in the object store under ``key`` and never change;
a newer document *supersedes* an older one (the old row is untouched). Several rows may share
one key (a paper reused from an earlier dossier: same bytes, same SHA-256).
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dossiers.models import Dossier, Unit


class Document(models.Model):
    class Kind(models.TextChoices):
        APPLICATION = "application", _("Thành phần hồ sơ")
        RESULT = "result", _("Kết quả giải quyết")

    class Origin(models.TextChoices):
        SCANNED = "scanned", _("Số hóa tại quầy")
        UPLOADED = "uploaded", _("Nộp trực tuyến")
        REUSED = "reused", _("Tái sử dụng")
        NONE = "", _("—")

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="papers")
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    checklist_item = models.PositiveSmallIntegerField(_("giấy tờ số"), null=True, blank=True)
    item_name = models.CharField(_("tên giấy tờ"), max_length=500, blank=True)
    name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(_("kiểu tệp"), max_length=64)
    size = models.BigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    key = models.CharField(_("khóa lưu trữ"), max_length=255, db_index=True)
    origin = models.CharField(_("nguồn"), max_length=10, choices=Origin.choices, blank=True)
    reuse_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reuses")
    supersedes = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by")
    has_javascript = models.BooleanField(_("PDF có JavaScript"), default=False)
    signed = models.BooleanField(_("đã ký số"), default=False)
    signer = models.CharField(_("người ký"), max_length=255, blank=True)
    signed_at = models.DateTimeField(_("thời điểm ký"), null=True, blank=True)
    signing_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(_("thời điểm lưu"))

    class Meta:
        verbose_name = _("giấy tờ số hóa")
        verbose_name_plural = _("giấy tờ số hóa")
        ordering = ["dossier", "kind", "checklist_item", "created_at", "id"]
        indexes = [models.Index(fields=["dossier", "kind"], name="papers_doc_dossier_kind")]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gte=0), name="papers_doc_size"),
            models.CheckConstraint(
                condition=~models.Q(origin="reused") | models.Q(reuse_of__isnull=False), name="papers_doc_reuse_has_source"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.name}"


class SigningKey(models.Model):
    """A unit's signing key, as administrators configure it (interfaces.md "Papers").

    Secrets (PIN, PKCS#12 password) are never stored here: ``secret_env`` names the environment
    variable that holds them."""

    class Source(models.TextChoices):
        PKCS12 = "pkcs12", _("Tệp PKCS#12")
        PKCS11 = "pkcs11", _("Token / HSM (PKCS#11)")

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="signing_key", verbose_name=_("đơn vị"))
    source = models.CharField(_("nguồn khóa"), max_length=8, choices=Source.choices)
    pkcs12_path = models.CharField(_("đường dẫn tệp PKCS#12"), max_length=500, blank=True)
    pkcs11_module = models.CharField(_("thư viện PKCS#11"), max_length=500, blank=True)
    pkcs11_token = models.CharField(_("nhãn token"), max_length=100, blank=True)
    pkcs11_key_label = models.CharField(_("nhãn khóa"), max_length=100, blank=True)
    secret_env = models.CharField(_("biến môi trường chứa mật khẩu/PIN"), max_length=100)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("khóa ký số của đơn vị")
        verbose_name_plural = _("khóa ký số của đơn vị")

    def __str__(self) -> str:
        return f"{self.unit} ({self.get_source_display()})"
