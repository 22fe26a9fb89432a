"""Idempotent intake: nothing is taken in twice (interfaces.md "Dossier API", issue 13).

A caller names an intake with a key (the API's ``Idempotency-Key`` header, the counter page's
one-time form token). The first intake with a (user, key) pair creates the dossier; a repeat
within :data:`KEY_LIFETIME` with the same body answers that dossier again and creates nothing;
the same key with another body is refused (409).

How it holds under concurrency: the key row is inserted (``INSERT … ON CONFLICT DO NOTHING``)
in the intake's own transaction, *before* the dossier. A second request with the same key
while the first is still uncommitted blocks on the unique index (PostgreSQL waits for the
first transaction to end); when the first commits, the insert does nothing and the second
reads the committed key row, with its dossier and answer, and replays it. When the first rolls
back (a rule refused the intake), the second's insert goes through and it takes the dossier in
itself. On SQLite writers are serialised anyway. The dossier's own one-statement write
(``lifecycle.dossier_register``) is unchanged; a keyed intake costs two more statements.

A key older than 24 hours is treated as unused (and its row replaced); the beat task
``dossiers.intake_keys_purge`` deletes such rows.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from dossiers.errors import ConflictError, DossierError
from dossiers.models import Dossier, IntakeKey

KEY_LIFETIME = timedelta(hours=24)
KEY_MAX_LENGTH = 255

# Messages (asserted by tests).
MSG_KEY_TOO_LONG = "Idempotency-Key dài tối đa 255 ký tự (đang có {n})."
MSG_KEY_EMPTY = "Idempotency-Key không được để trống."
MSG_KEY_CONTROL = "Idempotency-Key có ký tự điều khiển không được phép."
MSG_KEY_OTHER_BODY = (
    "Idempotency-Key “{key}” đã dùng cho một yêu cầu tiếp nhận khác trong 24 giờ qua "
    "(hồ sơ {code}); dùng khóa mới cho hồ sơ mới."
)

KEY_FIELD = "Idempotency-Key"


@dataclass(frozen=True)
class IntakeOnce:
    """What a keyed intake answered: the dossier, its answer (JSON text, or "" for a page), and
    whether this was a replay of an earlier intake."""

    dossier: Dossier
    response: str
    status_code: int
    replayed: bool


def intake_key_check(key: str) -> str:
    """The key as given, if acceptable: 1–255 characters, no control characters (400 otherwise)."""
    if key == "":
        raise DossierError(MSG_KEY_EMPTY, errors={KEY_FIELD: [MSG_KEY_EMPTY]})
    if len(key) > KEY_MAX_LENGTH:
        msg = MSG_KEY_TOO_LONG.format(n=len(key))
        raise DossierError(msg, errors={KEY_FIELD: [msg]})
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise DossierError(MSG_KEY_CONTROL, errors={KEY_FIELD: [MSG_KEY_CONTROL]})
    return key


def body_hash(data) -> str:
    """SHA-256 of the canonical JSON of a request body (keys sorted, no spaces, UTF-8): two
    bodies that mean the same JSON hash the same, whatever their key order or spacing."""
    if hasattr(data, "lists"):  # a QueryDict (form or multipart post): every value of every key
        data = {key: values for key, values in data.lists()}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _claim_sql() -> str:
    q = connection.ops.quote_name
    columns = ", ".join(q(c) for c in ("user_id", "key", "body_hash", "created_at", "status_code", "response"))
    # INSERT … ON CONFLICT … RETURNING: PostgreSQL, and SQLite ≥ 3.35 (as the D15 sequence).
    return (
        f"INSERT INTO {q(IntakeKey._meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s, %s, '') "
        f"ON CONFLICT ({q('user_id')}, {q('key')}) DO NOTHING RETURNING {q('id')}"
    )


def _claim(*, user_id: int, key: str, digest: str, now: datetime, status_code: int) -> int | None:
    """Insert the key row; its id, or None when the (user, key) row exists (committed)."""
    created = IntakeKey._meta.get_field("created_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(), [user_id, key, digest, created, status_code])
        row = cursor.fetchone()
    return row[0] if row else None


def intake_once(
    *,
    user,
    key: str,
    digest: str,
    register: Callable[[], tuple[Dossier, str]],
    status_code: int = 201,
    now: datetime | None = None,
) -> IntakeOnce:
    """Run the intake `register` at most once for (`user`, `key`) within 24 hours.

    `register` takes the dossier in and returns it with the answer to keep (JSON text; "" when
    the caller replays by other means). It runs inside this function's transaction, after the
    key row is written: whatever it raises rolls the key back too, so a refused intake can be
    sent again with the same key. Raises ``ConflictError`` (409) when the key was used with
    another body.
    """
    intake_key_check(key)
    for _attempt in range(3):  # an expired row is deleted and the claim tried again
        at = now or timezone.now()
        with transaction.atomic():
            claimed = _claim(user_id=user.pk, key=key, digest=digest, now=at, status_code=status_code)
            if claimed is not None:
                dossier, response = register()
                IntakeKey.objects.filter(pk=claimed).update(dossier=dossier, response=response)
                return IntakeOnce(dossier=dossier, response=response, status_code=status_code, replayed=False)
        # The key is taken, and committed: the insert above waited for its writer.
        row = IntakeKey.objects.select_related("dossier").filter(user=user, key=key).first()
        if row is None:  # purged between the two statements: claim it again
            continue
        if row.created_at <= at - KEY_LIFETIME:
            IntakeKey.objects.filter(pk=row.pk, created_at=row.created_at).delete()
            continue
        if row.body_hash != digest:
            msg = MSG_KEY_OTHER_BODY.format(key=key[:64], code=row.dossier.code if row.dossier else "")
            raise ConflictError(msg, errors={KEY_FIELD: [msg]})
        return IntakeOnce(dossier=row.dossier, response=row.response, status_code=row.status_code, replayed=True)
    raise ConflictError(MSG_KEY_OTHER_BODY.format(key=key[:64], code=""))  # pragma: no cover - a purge storm


def intake_replay_find(*, user, key: str, digest: str, now: datetime | None = None) -> IntakeOnce | None:
    """A committed intake under (`user`, `key`) within 24 hours, or None; 409 for another body.

    For a repeat whose body no longer passes validation (a procedure withdrawn since): the
    first answer still stands."""
    at = now or timezone.now()
    row = (
        IntakeKey.objects.select_related("dossier")
        .filter(user=user, key=key, created_at__gt=at - KEY_LIFETIME, dossier__isnull=False)
        .first()
    )
    if row is None:
        return None
    if row.body_hash != digest:
        msg = MSG_KEY_OTHER_BODY.format(key=key[:64], code=row.dossier.code)
        raise ConflictError(msg, errors={KEY_FIELD: [msg]})
    return IntakeOnce(dossier=row.dossier, response=row.response, status_code=row.status_code, replayed=True)


def intake_keys_purge(*, now: datetime | None = None) -> int:
    """Delete keys older than 24 hours; returns how many (safe to run any number of times)."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    deleted, _by_model = IntakeKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted
