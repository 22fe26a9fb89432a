"""The transactional outbox: notifications survive a broker outage and arrive exactly once.

**Writing.** Whatever causes a notification writes an ``OutboxMessage`` row in its OWN database
transaction: an intake or workflow action (its service writes the row that
:func:`outbox_enqueue_event` builds, through ``dossiers.services.lifecycle``'s
``TRANSITION_HOOKS``), a deadline flag (the sweep, set-based),
a supervisor's digest. If the transaction rolls back, the message never existed; if it commits,
the message is there whatever the broker does.

**Kicking.** After the commit, ``on_commit`` publishes a small "drain the outbox" task. The kick
carries no data; if the broker is down the publish fails fast, is logged, and changes nothing:
the rows wait, and the next kick (any later action, or beat's ``monitoring-outbox-relay`` every
minute) drains them.

**Relaying, exactly once.** :func:`outbox_relay` takes pending rows with ``SELECT … FOR UPDATE
SKIP LOCKED`` (PostgreSQL; SQLite serialises writers instead), turns each into one
``Notification`` per recipient (unique per message and recipient), and marks it delivered, all
in one transaction. Two relays at once take disjoint rows; a relay that dies rolls back and the
rows are taken again. A message whose delivery raises is retried with back-off.

**E-mail.** A separate step (:func:`notification_emails_send`) mails pending notifications, one
e-mail per recipient per batch (a list when there are several), and marks them sent in the
transaction that holds their row locks. SMTP is outside the database: if a worker dies between
the SMTP server accepting and the commit, that e-mail may go twice (at-least-once); in-app
notifications are exactly once.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dossiers.models import Dossier, DossierEvent, DossierStep
from dossiers.roles import COUNTER_CLERK
from dossiers.workflow import DossierState
from monitoring import selectors as sel
from monitoring.models import DeadlineFlag, Notification, OutboxMessage

logger = logging.getLogger(__name__)
Level = Notification.Level

#: events older than this when written (history imports, demo data replayed through the
#: services) are history, not news: they notify nobody
EVENT_MAX_AGE = timedelta(days=1)
RELAY_BATCH = 200
EMAIL_BATCH = 500
EMAIL_MAX_ATTEMPTS = 6


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


# --- writing -------------------------------------------------------------------------------------

#: workflow action -> who hears about it: "officer" (the assigned officer), "leaders:<unit>"
#: (the leaders of that unit of the dossier: resolving, to, current), "clerks:receiving"
EVENT_RULES: dict[str, tuple[str, ...]] = {
    "receive": ("leaders:resolving",),  # a new dossier to assign
    "accept": ("leaders:resolving",),  # an online submission accepted
    "assign": ("officer",),  # you have a dossier to handle
    "transfer": ("leaders:to",),  # a dossier arrived at your unit (liên thông; not the hand-over to
    # the unit the receipt told already)
    "resume": ("officer",),  # the applicant's supplement arrived: the clock runs again
    "approve": ("clerks:receiving",),  # result ready at the counter
    "refuse": ("clerks:receiving",),  # refusal letter to hand back
    "withdraw": ("officer", "leaders:current"),  # stop working on it
}


def _handover_to_the_unit_told_at_receipt(dossier: Dossier, event: DossierEvent) -> bool:
    """The counter's hand-over (D18: ``transfer`` from ``received``) to the unit whose leaders
    the receipt ("receive", or "accept" of an online submission) told already: once is enough."""
    return (event.action == "transfer" and event.from_state == DossierState.RECEIVED
            and event.to_unit_id == dossier.resolving_unit_id)


def outbox_enqueue_event(dossier: Dossier, event: DossierEvent) -> list[OutboxMessage]:
    """Transition hook: the event's outbox message, for the caller to write in its transaction
    (on intake, in the same statement as the dossier and the event).

    Only actions in :data:`EVENT_RULES`; not for "4 tại chỗ" intake (done in one sitting), and
    not for events older than :data:`EVENT_MAX_AGE` (history being replayed).
    """
    if event.action not in EVENT_RULES:
        return []
    if event.at < timezone.now() - EVENT_MAX_AGE:
        return []
    if event.action == "receive" and dossier.on_the_spot:
        return []
    if _handover_to_the_unit_told_at_receipt(dossier, event):
        return []
    payload = {
        "action": event.action,
        "actor_id": event.actor_id,
        "officer_id": dossier.assigned_to_id,
        "units": {
            "resolving": dossier.resolving_unit_id,
            "current": dossier.current_unit_id,
            "receiving": dossier.receiving_unit_id,
            "to": event.to_unit_id,
        },
    }
    msg = OutboxMessage(
        topic=OutboxMessage.Topic.EVENT, dedupe_key=f"event:{event.pk}", dossier=dossier, event=event, payload=payload,
    )
    outbox_kick_on_commit()
    return [msg]


def outbox_enqueue_digest(*, user, facts: dict, day) -> bool:
    """A supervisor's daily digest (once per user and day); True if newly queued."""
    _msg, created = OutboxMessage.objects.get_or_create(
        dedupe_key=f"digest:{user.pk}:{day.isoformat()}",
        defaults={"topic": OutboxMessage.Topic.DIGEST, "recipient": user, "payload": facts},
    )
    return created


# --- kicking -------------------------------------------------------------------------------------


#: the kick's own broker connection: no reconnect loop, a short TCP timeout (redis), so that a
#: down broker costs the user's request milliseconds, not the default ~6 s of retries
KICK_TRANSPORT_OPTIONS = {"max_retries": 0}
KICK_REDIS_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}


#: after commits, a process kicks at most once per window, delayed by the window, so that the
#: intakes and actions committed meanwhile ride on the same relay (a kick opens a broker
#: connection: ~1 ms that every intake would pay); the per-minute beat relay is the safety net
KICK_WINDOW_SECONDS = 1.0
_kick_window = {"until": 0.0}


def task_publish(task, *, args: tuple = (), countdown: float | None = None) -> bool:
    """Publish `task` on its own short-lived broker connection (no retry loop, short timeouts);
    eager (tests, single process): run it here at once. Never raises: a broker outage only
    delays the work (the rows wait), and a later kick or beat runs it. Used by other apps'
    kicks too (``connected``)."""
    app = task.app
    try:
        if app.conf.task_always_eager:  # tests and single-process setups: run right here
            task.apply_async(args=args)
            return True
        options = dict(KICK_TRANSPORT_OPTIONS)
        if str(app.conf.broker_url or "").startswith(("redis://", "rediss://")):
            options.update(KICK_REDIS_OPTIONS)
        with app.connection_for_write(transport_options=options) as conn:
            task.apply_async(args=args, retry=False, connection=conn, countdown=countdown)
        return True
    except Exception as exc:  # the broker is down or unreachable: the rows wait for later
        logger.warning("%s not published (%s: %s); it waits for the next kick", task.name, type(exc).__name__, exc)
        return False


def outbox_kick(*, countdown: float | None = None) -> bool:
    """Ask a worker to drain the outbox. Never raises: a broker outage only delays delivery."""
    from monitoring.tasks import outbox_relay_task

    return task_publish(outbox_relay_task, countdown=countdown)


def outbox_kick_on_commit() -> None:
    """Kick after the current transaction commits (nothing happens if it rolls back). Several
    kicks are harmless: a relay that finds nothing pending does nothing."""
    transaction.on_commit(_outbox_kick_windowed)


def _outbox_kick_windowed() -> None:
    from monitoring.tasks import outbox_relay_task

    if outbox_relay_task.app.conf.task_always_eager:
        outbox_kick()
        return
    now = time.monotonic()
    broker = str(outbox_relay_task.app.conf.broker_url)
    if now < _kick_window["until"] and _kick_window.get("broker") == broker:
        return  # a kick of this process to this broker is pending and runs after this commit
    if outbox_kick(countdown=KICK_WINDOW_SECONDS):
        _kick_window.update(until=now + KICK_WINDOW_SECONDS, broker=broker)


# --- relaying ------------------------------------------------------------------------------------


def _dossier_url(code: str) -> str:
    return reverse("dossiers:detail", args=[code])


def _dmy(value) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def _event_texts(msg: OutboxMessage, d: Dossier) -> tuple[str, str, str, str]:
    """(kind, level, title, body) of an event message, in Vietnamese."""
    action = msg.payload.get("action", "")
    facts = {"code": d.code, "procedure": d.procedure.name, "applicant": d.applicant_name, "due": _dmy(d.due_date)}
    texts = {
        "receive": (Level.INFO, _("Hồ sơ mới %(code)s cần phân công xử lý"),
                    _("%(procedure)s · %(applicant)s · hẹn trả %(due)s")),
        "accept": (Level.INFO, _("Hồ sơ trực tuyến %(code)s đã được tiếp nhận, cần phân công xử lý"),
                   _("%(procedure)s · %(applicant)s · hẹn trả %(due)s")),
        "assign": (Level.INFO, _("Bạn được giao xử lý hồ sơ %(code)s"),
                   _("%(procedure)s · %(applicant)s · hạn giải quyết %(due)s")),
        "transfer": (Level.INFO, _("Hồ sơ %(code)s được chuyển đến đơn vị"),
                     _("%(procedure)s · hạn giải quyết %(due)s")),
        "resume": (Level.INFO, _("Hồ sơ %(code)s đã được bổ sung, tiếp tục tính thời hạn"),
                   _("%(procedure)s · hạn giải quyết mới %(due)s")),
        "approve": (Level.INFO, _("Hồ sơ %(code)s đã có kết quả, chờ trả cho người nộp"),
                    _("%(procedure)s · %(applicant)s")),
        "refuse": (Level.WARNING, _("Hồ sơ %(code)s bị từ chối giải quyết, chờ trả văn bản"),
                   _("%(procedure)s · %(applicant)s")),
        "withdraw": (Level.WARNING, _("Hồ sơ %(code)s đã được rút, dừng xử lý"),
                     _("%(procedure)s · %(applicant)s")),
    }
    level, title, body = texts[action]
    return action, level, title % facts, body % facts


def _flag_texts(flag: DeadlineFlag, d: Dossier, step: DossierStep | None) -> tuple[str, str, str, str]:
    facts = {
        "code": d.code, "procedure": d.procedure.name, "due": _dmy(flag.due_date),
        "step": step.name if step else "", "unit": (step.unit.name if step else d.current_unit.name),
        "appointment": _dmy(d.appointment_date),
    }
    K = DeadlineFlag.Kind
    texts = {
        K.OVERDUE: (Level.DANGER, _("Hồ sơ %(code)s đã quá hạn (hạn %(due)s)"),
                    _("%(procedure)s · đang ở %(unit)s")),
        K.DUE_SOON: (Level.WARNING, _("Hồ sơ %(code)s sắp đến hạn (%(due)s)"),
                     _("%(procedure)s · đang ở %(unit)s")),
        K.APOLOGY_REMINDER: (Level.WARNING, _("Hồ sơ %(code)s đến hạn %(due)s, chưa có kết quả: nếu không kịp, gửi văn bản xin lỗi (Mẫu 04) trong hôm nay"),
                             _("Pháp luật yêu cầu thông báo xin lỗi, hẹn lại chậm nhất một ngày làm việc trước ngày hết hạn. %(procedure)s")),
        K.APPOINTMENT_SOON: (Level.WARNING, _("Hồ sơ %(code)s sắp đến ngày hẹn lại (%(due)s)"),
                             _("Đã xin lỗi và hẹn lại một lần; không được hẹn lại lần nữa. %(procedure)s")),
        K.STEP_OVERDUE: (Level.DANGER, _("Bước “%(step)s” của hồ sơ %(code)s đã quá hạn (hạn %(due)s)"),
                         _("%(procedure)s · %(unit)s")),
        K.STEP_DUE_SOON: (Level.WARNING, _("Bước “%(step)s” của hồ sơ %(code)s sắp đến hạn (%(due)s)"),
                          _("%(procedure)s · %(unit)s")),
    }
    level, title, body = texts[flag.kind]
    return str(flag.kind), level, title % facts, body % facts


def _digest_texts(msg: OutboxMessage) -> tuple[str, str, str, str]:
    facts = msg.payload
    totals = facts.get("totals", {})
    day = _dmy(datetime.fromisoformat(facts["today"]).date()) if facts.get("today") else ""
    level = Level.DANGER if totals.get("overdue") else (Level.WARNING if totals.get("due_soon") else Level.INFO)
    title = _("Tổng hợp tiến độ ngày %(day)s: %(overdue)s quá hạn, %(soon)s sắp đến hạn") % {
        "day": day, "overdue": totals.get("overdue", 0), "soon": totals.get("due_soon", 0),
    }
    lines = [
        _("Đang xử lý: %(n)s") % {"n": totals.get("open", 0)},
        _("Đến hạn hôm nay: %(n)s") % {"n": totals.get("due_today", 0)},
        _("Sắp đến hạn: %(n)s") % {"n": totals.get("due_soon", 0)},
        _("Quá hạn: %(n)s") % {"n": totals.get("overdue", 0)},
        _("Tạm dừng (chờ bổ sung): %(n)s") % {"n": totals.get("paused", 0)},
    ]
    worst = facts.get("overdue_top") or []
    if worst:
        lines.append("")
        lines.append(_("Quá hạn lâu nhất:"))
        lines += [
            f"- {w['code']} (hạn {_dmy(datetime.fromisoformat(w['due_date']).date())}) · {w['procedure']} · {w['unit']}"
            for w in worst
        ]
    return "digest", level, title, "\n".join(lines)


def _recipients_event(msg: OutboxMessage, leaders: dict[int, list[int]], clerks: dict[int, list[int]]) -> set[int]:
    p = msg.payload
    out: set[int] = set()
    for rule in EVENT_RULES.get(p.get("action", ""), ()):
        if rule == "officer" and p.get("officer_id"):
            out.add(p["officer_id"])
        elif rule.startswith("leaders:"):
            out.update(leaders.get(p["units"].get(rule.split(":", 1)[1]), []))
        elif rule == "clerks:receiving":
            out.update(clerks.get(p["units"].get("receiving"), []))
    out.discard(p.get("actor_id"))  # nobody is told about what they just did themselves
    return out


def _deliver(messages: list[OutboxMessage], now: datetime) -> list[Notification]:
    """Build the notifications of a batch of messages (reads only)."""
    flag_ids = [m.flag_id for m in messages if m.flag_id]
    flags = DeadlineFlag.objects.select_related("step", "step__unit", "step__assigned_to").in_bulk(flag_ids)
    dossier_ids = {m.dossier_id for m in messages if m.dossier_id}
    dossiers = Dossier.objects.select_related("procedure", "current_unit").in_bulk(list(dossier_ids))

    unit_ids: set[int] = set()
    for m in messages:
        if m.topic == OutboxMessage.Topic.EVENT:
            unit_ids.update(u for u in m.payload.get("units", {}).values() if u)
        elif m.topic == OutboxMessage.Topic.FLAG and m.flag_id in flags and flags[m.flag_id].dossier_id in dossiers:
            f = flags[m.flag_id]
            d = dossiers[f.dossier_id]
            unit_ids.update((f.step.unit_id if f.step_id else d.current_unit_id, d.resolving_unit_id))
    leaders = sel.leaders_by_unit(unit_ids)
    clerks: dict[int, list[int]] = defaultdict(list)
    for user in sel.users_with_role_in_units(role=COUNTER_CLERK, unit_ids=unit_ids).select_related("staff"):
        clerks[user.staff.unit_id].append(user.pk)

    out: list[Notification] = []
    for m in messages:
        recipients: set[int] = set()
        dossier = dossiers.get(m.dossier_id) if m.dossier_id else None
        url = _dossier_url(dossier.code) if dossier else ""
        if m.topic == OutboxMessage.Topic.EVENT and dossier is not None:
            recipients = _recipients_event(m, leaders, clerks)
            kind, level, title, body = _event_texts(m, dossier)
        elif m.topic == OutboxMessage.Topic.FLAG and m.flag_id in flags and dossier is not None:
            f = flags[m.flag_id]
            step = f.step if f.step_id else None
            officer = (step.assigned_to_id if step and step.assigned_to_id else None) or dossier.assigned_to_id
            unit_id = step.unit_id if step else dossier.current_unit_id
            # The leaders of the unit holding it; a unit without leaders (a counter) falls back
            # to the leaders of the resolving unit, which answers for the whole deadline.
            recipients = set(leaders.get(unit_id) or leaders.get(dossier.resolving_unit_id, []))
            if officer:
                recipients.add(officer)
            kind, level, title, body = _flag_texts(f, dossier, step)
        elif m.topic == OutboxMessage.Topic.DIGEST and m.recipient_id:
            recipients = {m.recipient_id}
            kind, level, title, body = _digest_texts(m)
            url = reverse("monitoring:dashboard")
        else:
            continue  # the dossier or flag is gone: nothing left to say
        for uid in sorted(recipients):
            out.append(Notification(
                recipient_id=uid, message=m, kind=kind, level=level, dossier=dossier, title=title[:255], body=body,
                url=url, created_at=now, email_state=Notification.EmailState.PENDING, email_next_at=now,
            ))
    return out


#: Topics other apps relay themselves, registered in their ``AppConfig.ready()`` (monitoring
#: never imports them): ``handler(messages, at)`` runs inside the relay's transaction, so what it
#: writes (the ``connected`` app: webhook deliveries, notices to citizens) commits together with
#: the messages being marked delivered, exactly once.
TOPIC_HANDLERS: dict[str, Callable[[list[OutboxMessage], datetime], None]] = {}
#: Steps that ``manage.py outbox_relay`` runs after the relay, in this process (no worker
#: needed): ``hook() -> str`` delivers what is due and says what it did (``connected``).
DRAIN_HOOKS: list[Callable[[], str]] = []


def _deliver_and_mark(messages: list[OutboxMessage], at: datetime) -> None:
    by_handler: dict[str, list[OutboxMessage]] = defaultdict(list)
    for m in messages:
        if m.topic in TOPIC_HANDLERS:
            by_handler[m.topic].append(m)
    for topic, items in by_handler.items():
        TOPIC_HANDLERS[topic](items, at)
    Notification.objects.bulk_create(
        _deliver([m for m in messages if m.topic not in TOPIC_HANDLERS], at), ignore_conflicts=True,
    )
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages], delivered_at__isnull=True).update(delivered_at=at)


def outbox_relay(*, batch_size: int = RELAY_BATCH, now: datetime | None = None, max_batches: int | None = None,
                 max_seconds: float | None = None) -> int:
    """Deliver pending outbox messages (oldest first) into notifications, exactly once; then
    mail what is pending. Returns the number of messages delivered. `max_seconds` stops taking
    new batches after that long (a task under sustained load ends before its time limit)."""
    with translation.override(settings.LANGUAGE_CODE):  # stored texts: in the office's language
        return _outbox_relay(batch_size=batch_size, now=now, max_batches=max_batches, max_seconds=max_seconds)


def _outbox_relay(*, batch_size: int, now: datetime | None, max_batches: int | None, max_seconds: float | None = None) -> int:
    delivered = 0
    batches = 0
    stop_at = time.monotonic() + max_seconds if max_seconds is not None else None
    while (max_batches is None or batches < max_batches) and (stop_at is None or time.monotonic() < stop_at):
        at = now or timezone.now()
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(delivered_at__isnull=True, available_at__lte=at)
                .order_by("available_at", "id")[:batch_size]
            )
            if not batch:
                break
            try:
                with transaction.atomic():
                    _deliver_and_mark(batch, at)
            except Exception:  # one bad message must not hold the others back: go one by one
                logger.exception("outbox batch failed; delivering its messages one by one")
                for m in batch:
                    try:
                        with transaction.atomic():
                            _deliver_and_mark([m], at)
                    except Exception as exc:
                        m.attempts += 1
                        m.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                        m.available_at = at + _backoff(m.attempts)
                        m.save(update_fields=["attempts", "last_error", "available_at"])
                        logger.exception("outbox message %s failed (attempt %s)", m.dedupe_key, m.attempts)
            delivered += OutboxMessage.objects.filter(pk__in=[m.pk for m in batch], delivered_at=at).count()
        batches += 1
        if len(batch) < batch_size:
            break  # caught up: what arrives meanwhile is the next kick's (a relay never chases a trickle)
    notification_emails_send(now=now)
    return delivered


# --- e-mail --------------------------------------------------------------------------------------


def _site_url(path: str) -> str:
    base = getattr(settings, "SITE_URL", "") or ""
    return f"{base.rstrip('/')}{path}" if base else path


def _email_for(user, items: list[Notification]) -> EmailMessage:
    if len(items) == 1:
        subject = items[0].title
    else:
        subject = _("%(n)s thông báo mới") % {"n": len(items)}
    for n in items:
        n.link = _site_url(n.url) if n.url else ""
    body = render_to_string("monitoring/email/notifications.txt", {
        "user": user, "items": items, "inbox": _site_url(reverse("monitoring:notifications")),
    })
    return EmailMessage(subject=f"[OneCua] {subject}"[:250], body=body, to=[user.email])


def notification_emails_send(*, batch_size: int = EMAIL_BATCH, now: datetime | None = None) -> int:
    """Mail pending notifications, one e-mail per recipient per batch. Returns e-mails sent."""
    sent = 0
    while True:
        at = now or timezone.now()
        with transaction.atomic():
            pending = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(email_state=Notification.EmailState.PENDING)
                .filter(Q(email_next_at__isnull=True) | Q(email_next_at__lte=at))
                .select_related("recipient")
                .order_by("recipient_id", "id")[:batch_size]
            )
            if not pending:
                return sent
            by_user: dict[int, list[Notification]] = defaultdict(list)
            for n in pending:
                by_user[n.recipient_id].append(n)
            connection = get_connection()
            for items in by_user.values():
                user = items[0].recipient
                ids = [n.pk for n in items]
                if not user.email:
                    Notification.objects.filter(pk__in=ids).update(email_state=Notification.EmailState.NONE)
                    continue
                try:
                    connection.send_messages([_email_for(user, items)])
                except Exception as exc:  # SMTP trouble: back off, give up after a few tries
                    attempts = items[0].email_attempts + 1
                    state = Notification.EmailState.FAILED if attempts >= EMAIL_MAX_ATTEMPTS else Notification.EmailState.PENDING
                    Notification.objects.filter(pk__in=ids).update(
                        email_attempts=attempts, email_next_at=at + _backoff(attempts), email_state=state,
                        email_error=f"{type(exc).__name__}: {exc}"[:2000],
                    )
                    logger.warning("e-mail to %s failed (%s); attempt %s", user.email, exc, attempts)
                    continue
                Notification.objects.filter(pk__in=ids).update(
                    email_state=Notification.EmailState.SENT, emailed_at=at, email_error="",
                )
                sent += 1


# --- reading notifications (writes of the notification pages) -----------------------------------


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (idempotent); DoesNotExist for anyone else's."""
    n = Notification.objects.get(pk=notification_id, recipient=user)
    if n.read_at is None:
        n.read_at = timezone.now()
        n.save(update_fields=["read_at"])
    return n


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
