"""Register books (Sổ theo dõi hồ sơ): "Quyển số / Số thứ tự" given at intake (issue 14).

One book per counter and year; a dossier taken in without a counter (API, online) goes in its
receiving unit's own book (interfaces.md "Additions"). The year is that of the local date of
the receipt instant R, like the D15 code's day.

The number is taken the way the D15 code is: one upsert increments the book's row and returns
it, the row stays locked until the commit (gap-free under concurrent intake: a rolled-back
intake gives its number back), and on PostgreSQL it runs inside the intake's one statement
(:func:`register_sql`), so it costs no extra round trip. It serialises only the intakes of one
counter, which the (unit, day) D15 row already does.
"""
from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone

from dossiers.models import Counter, Dossier, RegisterBook, Unit


def _book_key(unit: Unit, counter: Counter | None, received_at: datetime) -> list:
    """(unit_id, counter_id, counter_key, year): the book a dossier received then goes in."""
    year = timezone.localtime(received_at).year
    counter_id = counter.pk if counter is not None and counter.unit_id == unit.pk else None
    return [unit.pk, counter_id, counter_id or 0, year]


def _upsert_sql() -> str:
    table = connection.ops.quote_name(RegisterBook._meta.db_table)
    # INSERT … ON CONFLICT … RETURNING: PostgreSQL, and SQLite ≥ 3.35.
    return (
        f"INSERT INTO {table} (unit_id, counter_id, counter_key, year, last) VALUES (%s, %s, %s, %s, 1) "
        f"ON CONFLICT (unit_id, counter_key, year) DO UPDATE SET last = {table}.last + 1 RETURNING id, last"
    )


def register_sql(dossier: Dossier) -> tuple[tuple[str, list], list[tuple[Dossier, str, str, list]]]:
    """The register entry as SQL for the intake's one statement (PostgreSQL): a CTE ``book``
    to add to the prelude and the two column expressions that read it."""
    key = _book_key(dossier.receiving_unit, dossier.counter, dossier.received_at)
    cte = (f"book AS ({_upsert_sql()})", key)
    return cte, [
        (dossier, "register_book_id", "SELECT id FROM book", []),
        (dossier, "register_number", "SELECT last FROM book", []),
    ]


def register_assign(dossier: Dossier) -> None:
    """Give an unsaved or a just-accepted dossier its book and number (one statement; the
    caller's transaction keeps the book's row locked until it commits)."""
    if dossier.received_at is None or dossier.register_number:
        return
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), _book_key(dossier.receiving_unit, dossier.counter, dossier.received_at))
        dossier.register_book_id, dossier.register_number = cursor.fetchone()
