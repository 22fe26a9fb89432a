"""Webhook subscriptions and their deliveries (interfaces.md "Connected systems").

**Subscriptions** are created and ended by administrators (API and page): an http(s) URL that is
not on a loopback/private address (unless ``WEBHOOK_ALLOW_PRIVATE``), a secret, and the event
types wanted (``["*"]`` for all).

**Sending** (:func:`webhook_deliveries_send`, one subscription at a time so that one slow or
dead receiver never holds the others): ``POST url`` with the stored body and the headers
``X-OneCua-Event-Id`` and ``X-OneCua-Signature: sha256=<hex HMAC-SHA256 of the body>``. Any 2xx
is delivered; anything else is retried with growing delays (:func:`retry_delay`) until 24 hours
after the event, then kept as failed for administrators, who may send it again
(:func:`delivery_resend`). At least once: a crash after the receiver answered and before the
commit sends that delivery again (receivers de-duplicate by event id).

**Order.** One dossier's events go out in version order: a delivery is sent only when no
earlier version of the same dossier is still pending for that subscription (a failed one no
longer holds the later ones back; sent again, it arrives after them, with its own ``version``).

**A receiver in trouble** (no answer, timeout, 5xx, 429) stops the subscription's batch and
pauses the subscription until that delivery's next attempt (``Subscription.retry_at``): one
probe per back-off period instead of one timeout per waiting delivery.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, Min, OuterRef, Q, Subquery
from django.utils import timezone

from connected import events as ev
from connected.models import Delivery, Subscription
from connected.outbound import Poster, url_problems
from connected.services.outbox import retry_window, subscriptions_changed

MSG_SECRET = "Cần khóa bí mật (secret) để ký nội dung gửi."
MSG_EVENTS = "Loại sự kiện không có: {name}. Dùng \"*\" hoặc: {known}."
MSG_EVENTS_EMPTY = "Chọn ít nhất một loại sự kiện (hoặc \"*\": tất cả)."
MSG_EXPIRED = "Hết thời gian thử lại (24 giờ sau sự kiện)."
MSG_RESENT_ONLY_FAILED = "Chỉ gửi lại được lượt gửi không thành công."
BATCH = 100
D = Delivery.State


def retry_delay(attempts: int) -> timedelta:
    """Growing delays: base × 2^(n−1), capped at an hour (base ``WEBHOOK_RETRY_BASE_SECONDS``,
    default 10 s: 10 s, 20 s, 40 s … 1 h, about 30 attempts in 24 hours)."""
    base = float(getattr(settings, "WEBHOOK_RETRY_BASE_SECONDS", 10))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


# --- subscriptions ----------------------------------------------------------------------------------


def subscription_create(*, url: str, secret: str, events: list[str] | None = None, name: str = "", actor=None) -> Subscription:
    url, secret, name = (url or "").strip(), (secret or "").strip(), (name or "").strip()
    events = list(events) if events else [ev.ALL]
    errors: dict[str, list[str]] = {}
    problems = url_problems(url) if url else ["Vui lòng nhập địa chỉ nhận (URL)."]
    if problems:
        errors["url"] = problems
    elif len(url) > 500:
        errors["url"] = ["Địa chỉ dài quá 500 ký tự."]
    if not secret:
        errors["secret"] = [MSG_SECRET]
    elif len(secret) > 200:
        errors["secret"] = ["Khóa bí mật dài quá 200 ký tự."]
    unknown = [e for e in events if not isinstance(e, str) or (e != ev.ALL and e not in ev.EVENT_TYPES)]
    if unknown:
        errors["events"] = [MSG_EVENTS.format(name=", ".join(map(str, unknown)), known=", ".join(ev.EVENT_TYPES))]
    if errors:
        raise ValidationError(errors)
    sub = Subscription.objects.create(
        url=url, secret=secret, events=[ev.ALL] if ev.ALL in events else list(dict.fromkeys(events)), name=name[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    transaction.on_commit(subscriptions_changed)
    subscriptions_changed()
    return sub


def subscription_end(*, subscription: Subscription, at: datetime | None = None) -> Subscription:
    """End a subscription: nothing more is sent to it (its history stays)."""
    if subscription.ended_at is None:
        subscription.ended_at = at or timezone.now()
        subscription.save(update_fields=["ended_at"])
        transaction.on_commit(subscriptions_changed)
        subscriptions_changed()
    return subscription


# --- sending ----------------------------------------------------------------------------------------


def _headers(d: Delivery, secret: str, raw: bytes) -> dict[str, str]:
    return {"X-OneCua-Event-Id": str(d.event_id), "X-OneCua-Event-Type": d.event_type,
            "X-OneCua-Signature": ev.signature(secret, raw)}


def _expire(sub: Subscription, at: datetime) -> int:
    return Delivery.objects.filter(subscription=sub, state=D.PENDING, expires_at__lte=at).update(
        state=D.FAILED, last_error=MSG_EXPIRED,
    )


def _head():
    """The id of the earliest pending delivery (version, then id) of the outer row's dossier."""
    return (
        Delivery.objects.filter(subscription_id=OuterRef("subscription_id"), dossier_id=OuterRef("dossier_id"), state=D.PENDING)
        .order_by("version", "id").values("id")[:1]
    )


def _due_heads(sub: Subscription, at: datetime, limit: int) -> list[Delivery]:
    """Due deliveries that are the earliest pending one of their dossier (version, then id),
    locked (skip locked). The head is found per row through the (subscription, dossier, version)
    index: a scalar subquery, never turned into a join (an anti-join planned on stale
    statistics read every pending row once per candidate: 2.7 s instead of 50 ms at 20,000)."""
    return list(
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(subscription=sub, state=D.PENDING, next_at__lte=at, id=Subquery(_head()))
        .order_by("next_at", "id")[:limit]
    )


def webhook_deliveries_send(*, subscription_id: int, now: datetime | None = None, batch_size: int = BATCH,
                            budget_seconds: float = 50.0) -> dict:
    """Send what is due to one subscription, in batches, for at most `budget_seconds`.

    Returns ``{"delivered", "failed", "retry", "more"}``; ``more`` is the instant of the next
    due delivery (None: nothing waits), for the caller to come back then.
    """
    sub = Subscription.objects.filter(pk=subscription_id).first()
    out = {"delivered": 0, "failed": 0, "retry": 0, "more": None}
    if sub is None or sub.ended_at is not None:
        return out
    poster = Poster(sub.url)
    started = time.monotonic()
    out["failed"] += _expire(sub, now or timezone.now())  # once a run: it reads every pending row
    try:
        while time.monotonic() - started < budget_seconds:
            at = now or timezone.now()
            sub.refresh_from_db(fields=["retry_at", "ended_at"])
            if sub.ended_at is not None or (sub.retry_at and sub.retry_at > at):
                break
            with transaction.atomic():
                batch = _due_heads(sub, at, batch_size)
                if not batch:
                    if sub.retry_at:
                        Subscription.objects.filter(pk=sub.pk).update(retry_at=None)
                    break
                done: list[Delivery] = []
                trouble_until = None
                for d in batch:
                    raw = d.body.encode("utf-8")
                    answer = poster.post(raw, _headers(d, sub.secret, raw))
                    sent_at = max(at, timezone.now())
                    d.attempts += 1
                    d.last_status = answer.status
                    if answer.ok:
                        d.state, d.delivered_at, d.last_error = D.DELIVERED, timezone.now(), ""
                        out["delivered"] += 1
                    else:
                        d.last_error = answer.error[:500]
                        d.next_at = sent_at + retry_delay(d.attempts)
                        if d.next_at >= d.expires_at:
                            d.state = D.FAILED
                            out["failed"] += 1
                        else:
                            out["retry"] += 1
                    done.append(d)
                    if not answer.ok and answer.receiver_trouble:
                        trouble_until = d.next_at if d.state == D.PENDING else sent_at + retry_delay(d.attempts)
                        break  # the receiver is in trouble: leave the rest of the batch for later
                _record(done)
                Subscription.objects.filter(pk=sub.pk).update(retry_at=trouble_until)
                if trouble_until is not None:
                    break
    finally:
        poster.close()
    sub.refresh_from_db(fields=["retry_at"])
    # the next time something can go: the earliest due time among the heads (a later version
    # waiting behind a retrying one is not due before it)
    nxt = Delivery.objects.filter(subscription=sub, state=D.PENDING, id=Subquery(_head())).aggregate(t=Min("next_at"))["t"]
    if nxt is not None:
        out["more"] = max(nxt, sub.retry_at) if sub.retry_at else nxt
    return out


def _record(done: list[Delivery]) -> None:
    """Write a batch's outcomes: the delivered ones (nearly all) in one plain UPDATE per status
    code, the rest row by row (a CASE-per-column bulk update costs more than it saves)."""
    by_status: dict[int, list[Delivery]] = {}
    for d in done:
        if d.state == D.DELIVERED:
            by_status.setdefault(d.last_status, []).append(d)
        else:
            d.save(update_fields=["state", "attempts", "last_status", "last_error", "next_at"])
    for status, rows in by_status.items():
        Delivery.objects.filter(pk__in=[d.pk for d in rows]).update(
            state=D.DELIVERED, attempts=F("attempts") + 1, last_status=status, last_error="",
            delivered_at=max(d.delivered_at for d in rows),
        )


def delivery_resend(*, delivery: Delivery, at: datetime | None = None) -> Delivery:
    """An administrator sends a failed delivery again: another 24 hours of attempts, from now."""
    at = at or timezone.now()
    with transaction.atomic():
        d = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if d.state != D.FAILED:
            raise ValidationError({"delivery": [MSG_RESENT_ONLY_FAILED]})
        d.state, d.attempts, d.next_at, d.expires_at, d.last_error = D.PENDING, 0, at, at + retry_window(), ""
        d.save(update_fields=["state", "attempts", "next_at", "expires_at", "last_error"])
        Subscription.objects.filter(pk=d.subscription_id).update(retry_at=None)
        from connected.tasks import kick_deliveries

        transaction.on_commit(lambda: kick_deliveries(d.subscription_id))
    return d


def subscriptions_with_due_work(at: datetime | None = None) -> list[int]:
    at = at or timezone.now()
    return list(
        Subscription.objects.filter(ended_at__isnull=True)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=at))
        .filter(Exists(Delivery.objects.filter(subscription=OuterRef("pk"), state=D.PENDING, next_at__lte=at)))
        .values_list("pk", flat=True)
    )


def webhooks_drain(*, now: datetime | None = None) -> dict:
    """Everything due, every subscription, once, in this process (``manage.py outbox_relay``)."""
    total = {"delivered": 0, "failed": 0, "retry": 0}
    for sub_id in subscriptions_with_due_work(now):
        result = webhook_deliveries_send(subscription_id=sub_id, now=now)
        for k in total:
            total[k] += result[k]
    return total
