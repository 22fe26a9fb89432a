"""Notices to citizens (D22): e-mail and SMS, from templates administrators edit.

A ``Notice`` (one event, one channel) is created by the relay only when the applicant consented
at intake. Sending (:func:`notices_send`) is **at most once**: a batch is first claimed
(``sending``, committed), then sent, then marked ``sent`` — or, when the channel fails, put back
with a growing delay, and after :data:`MAX_ATTEMPTS` marked ``failed``. A worker that dies
between claiming and marking leaves ``sending`` rows; after :data:`STALE_AFTER` they are marked
failed ("không rõ đã gửi hay chưa"), never sent a second time.

Texts: ``NoticeTemplate`` rows, else ``notice_defaults``; facts from ``notice_text.PLACEHOLDERS``
(never the CCCD or the phone: the rendered text is checked again and not sent if it has one).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation

from citizens.qr import lookup_url
from connected import notice_text
from connected.events import NOTICE_KINDS
from connected.models import Notice, NoticeTemplate
from connected.notice_defaults import DEFAULTS
from connected.sms import sms_gateway
from dossiers.models import Dossier, DossierEvent
from dossiers.workflow import DossierState

MAX_ATTEMPTS = 6
STALE_AFTER = timedelta(minutes=15)
BATCH = 50
N = Notice.State
MSG_LEAK = "Nội dung có số CCCD hoặc số điện thoại: không gửi."
MSG_NO_ADDRESS = "Hồ sơ không còn địa chỉ email / số điện thoại."
MSG_STALE = "Không rõ đã gửi hay chưa (tiến trình gửi bị dừng giữa chừng); không gửi lại tự động."
MSG_KIND = "Loại thông báo không có."


def _delay(attempts: int) -> timedelta:
    base = float(getattr(settings, "NOTICE_RETRY_BASE_SECONDS", 60))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


# --- templates --------------------------------------------------------------------------------------


def notice_template_get(kind: str, channel: str) -> tuple[str, str]:
    """(subject, body) of a kind on a channel: the administrators' text, else the built-in one."""
    row = NoticeTemplate.objects.filter(kind=kind, channel=channel).first()
    if row is not None:
        return row.subject, row.body
    return DEFAULTS[(kind, channel)]


def notice_template_save(*, kind: str, channel: str, subject: str, body: str, actor=None) -> NoticeTemplate:
    """Save a template; refused (field errors) when it names a placeholder that does not exist."""
    errors: dict[str, list[str]] = {}
    if (kind, channel) not in DEFAULTS:
        raise ValidationError({"kind": [MSG_KIND]})
    subject, body = (subject or "").strip(), (body or "").strip()
    if not body:
        errors["body"] = ["Vui lòng nhập nội dung."]
    for field, text in (("subject", subject), ("body", body)):
        problems = notice_text.template_errors(text)
        if problems:
            errors.setdefault(field, []).extend(problems)
    if channel == NoticeTemplate.Channel.EMAIL and not subject:
        errors.setdefault("subject", []).append("Vui lòng nhập tiêu đề email.")
    if errors:
        raise ValidationError(errors)
    row, _created = NoticeTemplate.objects.update_or_create(
        kind=kind, channel=channel,
        defaults={"subject": subject, "body": body, "updated_at": timezone.now(),
                  "updated_by": actor if getattr(actor, "pk", None) else None},
    )
    return row


def _dmy(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return f"{value:%d/%m/%Y}"


def notice_facts(dossier: Dossier, event: DossierEvent | None) -> dict[str, str]:
    with translation.override("vi"):
        status = str(DossierState(event.to_state).label) if event and event.to_state in DossierState.values else ""
    return {
        "ma_ho_so": dossier.code,
        "thu_tuc": dossier.procedure.name,
        "trang_thai": status,
        "ngay": _dmy(event.at if event else timezone.now()),
        "ngay_hen_tra": _dmy(dossier.appointment_date or dossier.due_date),
        "co_quan": dossier.resolving_unit.name,
        "ho_ten": dossier.applicant_name,
        "link_tra_cuu": lookup_url(dossier.code),
    }


SAMPLE_FACTS = {
    "ma_ho_so": "000.00.31.H23-261203-0001", "thu_tuc": "Cấp bản sao trích lục hộ tịch",
    "trang_thai": "Đã tiếp nhận", "ngay": "03/12/2026", "ngay_hen_tra": "10/12/2026",
    "co_quan": "Sở Tư pháp tỉnh Hòa Bình", "ho_ten": "Nguyễn Văn An",
    "link_tra_cuu": "https://motcua.example.gov.vn/tra-cuu-ho-so/?ma=000.00.31.H23-261203-0001",
}


def notice_preview(*, subject: str, body: str) -> tuple[str, str]:
    return notice_text.render(subject, SAMPLE_FACTS), notice_text.render(body, SAMPLE_FACTS)


# --- sending ----------------------------------------------------------------------------------------


def _claim(at: datetime, limit: int) -> list[Notice]:
    with transaction.atomic():
        rows = list(
            Notice.objects.select_for_update(skip_locked=True)
            .filter(state=N.PENDING, next_at__lte=at).order_by("next_at", "id")[:limit]
        )
        Notice.objects.filter(pk__in=[n.pk for n in rows]).update(state=N.SENDING, claimed_at=at)
    return rows


def _send_one(n: Notice, d: Dossier, event: DossierEvent | None, connection, gateway) -> None:
    subject_t, body_t = notice_template_get(n.kind, n.channel)
    facts = notice_facts(d, event)
    subject, body = notice_text.render(subject_t, facts), notice_text.render(body_t, facts)
    if notice_text.leaks(subject + "\n" + body, id_number=d.applicant_id_number, phone=d.applicant_phone):
        raise PermissionError(MSG_LEAK)
    n.subject, n.body = subject[:200], body
    if n.channel == NoticeTemplate.Channel.EMAIL:
        if not d.applicant_email:
            raise PermissionError(MSG_NO_ADDRESS)
        connection.send_messages([EmailMessage(subject=subject[:250], body=body, to=[d.applicant_email])])
    else:
        if not d.applicant_phone:
            raise PermissionError(MSG_NO_ADDRESS)
        gateway.send(to=d.applicant_phone, text=body, ref=f"onecua-notice-{n.pk}")


def notices_send(*, now: datetime | None = None, batch_size: int = BATCH) -> dict:
    """Send the due notices once each. Returns ``{"sent", "failed", "retry"}``."""
    out = {"sent": 0, "failed": 0, "retry": 0}
    stale = (now or timezone.now()) - STALE_AFTER
    out["failed"] += Notice.objects.filter(state=N.SENDING, claimed_at__lt=stale).update(state=N.FAILED, error=MSG_STALE)
    while True:
        at = now or timezone.now()
        batch = _claim(at, batch_size)
        if not batch:
            return out
        dossiers = Dossier.objects.select_related("procedure", "resolving_unit").in_bulk([n.dossier_id for n in batch])
        events = DossierEvent.objects.in_bulk([n.event_id for n in batch])
        connection, gateway = get_connection(), sms_gateway()
        try:
            for n in batch:
                d = dossiers.get(n.dossier_id)
                n.attempts += 1
                try:
                    if d is None:
                        raise PermissionError(MSG_NO_ADDRESS)
                    _send_one(n, d, events.get(n.event_id), connection, gateway)
                except PermissionError as exc:  # nothing to retry: it must not or cannot go
                    n.state, n.error = N.FAILED, str(exc)[:500]
                    out["failed"] += 1
                except Exception as exc:  # the channel failed: later, a few times
                    n.error = f"{type(exc).__name__}: {exc}"[:500]
                    if n.attempts >= MAX_ATTEMPTS:
                        n.state = N.FAILED
                        out["failed"] += 1
                    else:
                        n.state, n.next_at = N.PENDING, max(at, timezone.now()) + _delay(n.attempts)
                        out["retry"] += 1
                else:
                    n.state, n.sent_at, n.error = N.SENT, timezone.now(), ""
                    out["sent"] += 1
        finally:
            gateway.close()
        Notice.objects.bulk_update(batch, ["state", "attempts", "next_at", "sent_at", "subject", "body", "error"])


def notice_kind_label(kind: str) -> str:
    return NOTICE_KINDS.get(kind, kind)
