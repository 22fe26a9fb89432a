"""What goes out, as tables (pure: no ORM, no settings): the event types of webhooks and the
notices to citizens (D22), each keyed by the ``DossierEvent.action`` that causes it, so that a
new action (the lifecycle grows: ``stop``, ``send-back``…) slots in with one line here.

Also the signature of a webhook body (interfaces.md "Connected systems"): ``X-OneCua-Signature:
sha256=<hex HMAC-SHA256 of the raw body, keyed with the subscription's secret>``.
"""
from __future__ import annotations

import hashlib
import hmac
import json

#: DossierEvent.action -> webhook event type. Actions not listed (assign, skip a step, recompute
#: the due date…) are internal and send nothing.
ACTION_EVENT_TYPES: dict[str, str] = {
    "receive": "dossier.received",
    "accept": "dossier.received",  # an online submission accepted: received now (D2)
    "transfer": "dossier.transferred",  # a step done, to the next unit (the counter's hand-over too, D18)
    "send-back": "dossier.sent_back",
    "request-supplement": "dossier.supplement_requested",
    "resume": "dossier.supplement_received",
    "apologize": "dossier.apologized",  # Mẫu 04: a new appointment
    "approve": "dossier.approved",
    "refuse": "dossier.refused",
    "stop": "dossier.stopped",  # D16
    "withdraw": "dossier.withdrawn",
    "return-result": "dossier.returned",
    "reorganise": "dossier.moved",  # D20: moved to the successor unit
    "move": "dossier.moved",
    "document-add": "document.added",  # D21
}

#: every event type a subscription may ask for (interfaces.md), in a stable order
EVENT_TYPES: tuple[str, ...] = tuple(dict.fromkeys([
    "dossier.received", "dossier.transferred", "dossier.sent_back", "dossier.supplement_requested",
    "dossier.supplement_received", "dossier.apologized", "dossier.approved", "dossier.refused",
    "dossier.stopped", "dossier.withdrawn", "dossier.returned", "dossier.moved", "document.added",
]))
ALL = "*"

#: DossierEvent.action -> the notice to the citizen (D22: receipt, supplement requested, apology,
#: result ready, refused, stopped, returned). Keys of ``NOTICE_KINDS``.
ACTION_NOTICES: dict[str, str] = {
    "receive": "received",
    "accept": "received",
    "request-supplement": "supplement",
    "apologize": "apology",
    "approve": "result",
    "refuse": "refused",
    "stop": "stopped",
    "return-result": "returned",
}

#: notice kind -> its name for administrators (Vietnamese)
NOTICE_KINDS: dict[str, str] = {
    "received": "Tiếp nhận hồ sơ",
    "supplement": "Yêu cầu bổ sung hồ sơ",
    "apology": "Xin lỗi, hẹn lại ngày trả kết quả",
    "result": "Có kết quả, mời nhận",
    "refused": "Từ chối giải quyết",
    "stopped": "Dừng giải quyết",
    "returned": "Đã trả kết quả",
}


def event_type_of(action: str) -> str | None:
    return ACTION_EVENT_TYPES.get(action)


def wants(events: list[str], event_type: str) -> bool:
    """Whether a subscription to `events` (a list of types, or ``["*"]``) receives `event_type`."""
    return ALL in events or event_type in events


def body_bytes(body: dict) -> bytes:
    """The exact bytes sent (and signed): compact JSON, UTF-8, keys in a stable order."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def signature(secret: str, raw: bytes) -> str:
    """The ``X-OneCua-Signature`` header value for a raw body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def signature_valid(secret: str, raw: bytes, header: str | None) -> bool:
    """What a receiver checks (constant-time compare)."""
    return bool(header) and hmac.compare_digest(signature(secret, raw), header)
