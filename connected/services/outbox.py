"""Dossier events into monitoring's transactional outbox, and out of it into deliveries.

**Writing** (:func:`connected_enqueue_event`, a ``lifecycle.TRANSITION_HOOKS`` hook): when an
event has a webhook type someone subscribed to, or a notice the applicant consented to (D22),
one ``OutboxMessage`` (topic ``connect``) is built for the service to write in the SAME
transaction as the change (on intake in the same statement as the dossier). It carries what
the event was (status, version, due date, units as ids): the facts are frozen at the event, not
read when sending. Events of history (older than monitoring's ``EVENT_MAX_AGE`` when written:
imports, replays) send nothing, to nobody.

**Relaying** (:func:`connected_relay`, registered in ``monitoring``'s ``TOPIC_HANDLERS``): inside
the relay's transaction each message becomes one ``Delivery`` per active subscription that
wants its type (the exact signed body fixed here) and one ``Notice`` per consented channel;
unique keys make this exactly once. After the commit the senders are kicked; they never run
inside an intake or an action.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connected import events as ev
from connected.models import Delivery, Notice, Subscription
from dossiers.models import Dossier, DossierEvent, Procedure, Unit
from monitoring.models import OutboxMessage
from monitoring.services.outbox import EVENT_MAX_AGE, outbox_kick_on_commit
from onecua.stamps import SharedStamp

_subscriptions_stamp = SharedStamp("connected:subscriptions")
_subscribed = {"stamp": None, "types": frozenset()}


def subscriptions_changed() -> None:
    """Every process re-reads the subscribed types (this one at once, others within a second)."""
    _subscriptions_stamp.bump()


def subscribed_types() -> frozenset[str]:
    """The event types some active subscription wants (``"*"`` included as is), per process."""
    stamp = _subscriptions_stamp.current()
    if _subscribed["stamp"] != stamp:
        types: set[str] = set()
        for events in Subscription.objects.filter(ended_at__isnull=True).values_list("events", flat=True):
            types.update(events or ())
        _subscribed.update(stamp=stamp, types=frozenset(types))
    return _subscribed["types"]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _written_at(event: DossierEvent) -> datetime:
    """When the event was written: a reorganisation's move (D20) is dated at the start of its
    effective date, possibly long ago, and records when it was written (it is news then)."""
    recorded = (event.data or {}).get("recorded_at")
    if recorded:
        try:
            return max(event.at, datetime.fromisoformat(recorded))
        except (TypeError, ValueError):
            pass
    return event.at


def connected_enqueue_event(dossier: Dossier, event: DossierEvent) -> list[OutboxMessage]:
    """Transition hook: the event's ``connect`` outbox message, or nothing."""
    event_type = ev.event_type_of(event.action)
    notice = ev.ACTION_NOTICES.get(event.action)
    channels = []
    if notice:
        if dossier.notify_email and dossier.applicant_email:
            channels.append("email")
        if dossier.notify_sms and dossier.applicant_phone:
            channels.append("sms")
    if event_type is not None:
        types = subscribed_types()
        if ev.ALL not in types and event_type not in types:
            event_type = None
    if event_type is None and not channels:
        return []
    if _written_at(event) < timezone.now() - EVENT_MAX_AGE:
        return []  # history being replayed: not news
    payload = {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "notice": notice if channels else None,
        "channels": channels,
        "action": event.action,
        "occurred_at": _iso(event.at),
        "status": event.to_state,
        "version": dossier.version,
        "procedure": dossier.procedure_id,
        "receiving_unit": dossier.receiving_unit_id,
        "resolving_unit": dossier.resolving_unit_id,
        "current_unit": dossier.current_unit_id,
        "unit": event.unit_id,
        "to_unit": event.to_unit_id,
        "channel": dossier.channel,
        "received_at": _iso(dossier.received_at),
        "due_date": _iso(dossier.due_date),
        "appointment_date": _iso(dossier.appointment_date),
        "outcome": dossier.outcome or None,
        "resolved_at": _iso(dossier.resolved_at),
        "returned_at": _iso(dossier.returned_at),
    }
    msg = OutboxMessage(
        topic=OutboxMessage.Topic.CONNECTED, dedupe_key=f"connect:{event.pk}", dossier=dossier, event=event,
        payload=payload,
    )
    outbox_kick_on_commit()
    return [msg]


def webhook_body(payload: dict, *, code: str, units: dict[int, str], procedures: dict[int, str]) -> dict:
    """The delivery body (interfaces.md "Connected systems"; fields added, never renamed).
    Nothing personal: no name, no CCCD, no phone, no address."""
    return {
        "id": payload["event_id"],
        "type": payload["type"],
        "occurred_at": payload["occurred_at"],
        "dossier": {
            "code": code,
            "status": payload["status"],
            "procedure": procedures.get(payload["procedure"]),
            "receiving_unit": units.get(payload["receiving_unit"]),
            "resolving_unit": units.get(payload["resolving_unit"]),
            "current_unit": units.get(payload["current_unit"]),
            "channel": payload["channel"],
            "received_at": payload["received_at"],
            "due_date": payload["due_date"],
            "appointment_date": payload["appointment_date"],
            "outcome": payload["outcome"],
            "resolved_at": payload["resolved_at"],
            "returned_at": payload["returned_at"],
            "version": payload["version"],
        },
        "event": {
            "action": payload["action"],
            "unit": units.get(payload["unit"]),
            "to_unit": units.get(payload["to_unit"]),
        },
    }


def retry_window() -> timedelta:
    return timedelta(hours=float(getattr(settings, "WEBHOOK_RETRY_HOURS", 24)))


def connected_relay(messages: list[OutboxMessage], at: datetime) -> None:
    """``TOPIC_HANDLERS["connect"]``: deliveries and notices of a batch, in the relay's transaction."""
    payloads = [m.payload for m in messages]
    unit_ids = {p.get(k) for p in payloads for k in ("receiving_unit", "resolving_unit", "current_unit", "unit", "to_unit")}
    units = dict(Unit.objects.filter(pk__in=[u for u in unit_ids if u]).values_list("pk", "code"))
    procedures = dict(Procedure.objects.filter(pk__in={p.get("procedure") for p in payloads}).values_list("pk", "code"))
    codes = dict(Dossier.objects.filter(pk__in={m.dossier_id for m in messages}).values_list("pk", "code"))
    subscriptions = list(Subscription.objects.filter(ended_at__isnull=True)) if any(p.get("type") for p in payloads) else []
    window = retry_window()
    deliveries: list[Delivery] = []
    notices: list[Notice] = []
    for m in messages:
        p = m.payload
        if m.dossier_id not in codes:
            continue  # the dossier is gone
        if p.get("type"):
            raw = ev.body_bytes(webhook_body(p, code=codes[m.dossier_id], units=units, procedures=procedures)).decode("utf-8")
            for s in subscriptions:
                if ev.wants(s.events, p["type"]):
                    deliveries.append(Delivery(
                        subscription=s, event_id=p["event_id"], event_type=p["type"], dossier_id=m.dossier_id,
                        dossier_event_id=m.event_id, version=p["version"], body=raw, created_at=m.created_at,
                        next_at=at, expires_at=m.created_at + window,
                    ))
        for channel in p.get("channels") or ():
            notices.append(Notice(
                dossier_id=m.dossier_id, event_id=m.event_id, kind=p["notice"], channel=channel,
                created_at=m.created_at, next_at=at,
            ))
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=500)
    Notice.objects.bulk_create(notices, ignore_conflicts=True, batch_size=500)
    from connected.tasks import kick_deliveries, kick_notices

    for sub_id in sorted({d.subscription_id for d in deliveries}):
        transaction.on_commit(lambda s=sub_id: kick_deliveries(s))
    if notices:
        transaction.on_commit(kick_notices)
