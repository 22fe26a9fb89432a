"""Write a few new rows of several models in ONE SQL statement (PostgreSQL).

The intake is the hottest write of OneCua: a dossier, its steps, its first event and the
outbox message that announces it. Saved one by one through the ORM that is five statements,
five round trips and five passes of the ORM's insert compiler (about a millisecond of CPU
each for the 45-column dossier). :func:`rows_insert` writes them as one statement of
data-modifying CTEs, ``WITH a AS (INSERT …), b AS (INSERT …) SELECT …``: every row or none,
one round trip, and values prepared by each field exactly as ``Model.save`` prepares them
(``pre_save`` + ``get_db_prep_save``), so defaults, ``auto_now`` and JSON behave the same.

Rows that reference each other need their ids before the statement: :func:`ids_reserve`
takes them from the tables' identity sequences in one round trip (a rolled-back id is simply
never used, as with any insert).

On other databases (SQLite in development) both fall back to the ORM, one save per row.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


@lru_cache(maxsize=None)
def _sequence(table: str, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        return cursor.fetchone()[0]


def ids_reserve(*instances: models.Model) -> bool:
    """Give each unsaved instance its primary key from its table's sequence (one query).

    PostgreSQL only: elsewhere nothing happens, the ids come with the inserts, and the answer
    is False (True: every instance has its id now).
    """
    todo = [obj for obj in instances if obj.pk is None]
    if not todo:
        return True
    if connection.vendor != "postgresql":
        return False
    sequences = []
    for obj in todo:
        pk = obj._meta.pk
        sequences.append(_sequence(obj._meta.db_table, pk.column))
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["nextval(%s)"] * len(sequences)), sequences)
        for obj, value in zip(todo, cursor.fetchone()):
            obj.pk = value
    return True


@lru_cache(maxsize=None)
def _columns(model: type[models.Model], with_pk: bool) -> tuple[tuple[models.Field, ...], str]:
    fields = tuple(f for f in model._meta.concrete_fields if with_pk or not f.primary_key)
    quote = connection.ops.quote_name
    return fields, ", ".join(quote(f.column) for f in fields)


def rows_insert(
    rows: Sequence[models.Model],
    *,
    prelude: tuple[str, list] | None = None,
    expression: tuple[models.Model, str, str, list] | None = None,
    expressions: Sequence[tuple[models.Model, str, str, list]] = (),
) -> None:
    """INSERT new instances of any models, in the order given, in one statement.

    Consecutive rows of one model become one multi-row ``VALUES``. A row without a primary key
    gets it from ``RETURNING``. Foreign keys are written as they are set: reserve the ids of
    rows that others point at first (:func:`ids_reserve`).

    `prelude` is extra leading CTEs, ``("name AS (…)[, other AS (…)]", params)``, and each of
    `expressions` (or the single `expression`) sets one column of one row from SQL instead of
    its attribute, ``(row, attname, "sql", params)`` (the SQL may read the prelude); the value
    it produced is set on the row. They exist for the numbers the intake takes in the same
    statement as the dossier row: the D15 dossier code and the register book's "số thứ tự".
    Their SQL uses ``%s`` placeholders (and ``%%`` for a literal percent sign), like any Django
    raw SQL.
    """
    if not rows:
        return
    exprs = ([expression] if expression is not None else []) + list(expressions)
    conn = connections[DEFAULT_DB_ALIAS]  # the object itself: `connection` is a per-access proxy
    if conn.vendor != "postgresql":
        for obj in rows:
            if any(obj is e[0] for e in exprs):
                raise NotImplementedError("SQL expressions in rows_insert need PostgreSQL")
            obj.save(force_insert=True)
        return
    groups: list[list[models.Model]] = []
    for obj in rows:
        if groups and type(groups[-1][0]) is type(obj) and (groups[-1][0].pk is None) == (obj.pk is None):
            groups[-1].append(obj)
        else:
            groups.append([obj])
    targets = {(id(e[0]), e[1]): k for k, e in enumerate(exprs)}
    params: list = list(prelude[1]) if prelude is not None else []
    shape: list = [prelude[0] if prelude is not None else None]
    for group in groups:
        fields, _ = _columns(type(group[0]), group[0].pk is not None)
        expressions_at = []
        for i, obj in enumerate(group):
            obj._prepare_related_fields_for_save(operation_name="rows_insert")  # FK ids, as save() does
            for field in fields:
                k = targets.get((id(obj), field.attname))
                if k is not None:
                    expressions_at.append((i, field.attname, k))
                    params += exprs[k][3]
                else:
                    params.append(field.get_db_prep_save(field.pre_save(obj, True), conn))
        shape.append((type(group[0]), group[0].pk is not None, len(group), tuple(expressions_at)))
    sql = _statement(tuple(shape), tuple((e[2], len(e[3])) for e in exprs), len(prelude[1]) if prelude else 0)
    values = iter(_execute(conn, sql, params))
    for group in groups:
        ids = next(values)
        if group[0].pk is None:
            for obj, pk in zip(group, ids):
                obj.pk = pk
        for obj in group:
            obj._state.adding = False
            obj._state.db = conn.alias
    for e in exprs:
        setattr(e[0], e[1], next(values))


@lru_cache(maxsize=64)
def _statement(shape: tuple, expressions: tuple[tuple[str, int], ...], prelude_params: int) -> str:
    """The statement for one shape of rows, with PostgreSQL's ``$n`` placeholders: the same
    few shapes recur (one per number of steps), so it is built once per process."""
    quote = connection.ops.quote_name
    counter = iter(range(1, 10_000))

    def numbered(sql: str, count: int) -> str:
        return sql % tuple(f"${next(counter)}" for _ in range(count))

    ctes = [numbered(shape[0], prelude_params)] if shape[0] is not None else []
    selects = []
    extras: dict[int, tuple[str, str]] = {}  # expression -> (CTE, column) that returns its value
    for n, (model, with_pk, count, expressions_at) in enumerate(shape[1:]):
        fields, column_list = _columns(model, with_pk)
        pk_column = quote(model._meta.pk.column)
        at = {(i, attname): k for i, attname, k in expressions_at}
        returned = []
        tuples = []
        for i in range(count):
            placeholders = []
            for field in fields:
                k = at.get((i, field.attname))
                if k is not None:
                    placeholders.append(f"({numbered(*expressions[k])})")
                    extras[k] = (f"r{n}", quote(field.column))
                    returned.append(quote(field.column))
                else:
                    placeholders.append(f"${next(counter)}")
            tuples.append("(" + ", ".join(placeholders) + ")")
        returning = ", ".join([pk_column, *returned])
        ctes.append(f"r{n} AS (INSERT INTO {quote(model._meta.db_table)} ({column_list}) "
                    f"VALUES {', '.join(tuples)} RETURNING {returning})")
        # the identity values are drawn in VALUES order, so sorted ids are the rows' ids in order
        selects.append(f"ARRAY(SELECT {pk_column} FROM r{n} ORDER BY {pk_column})")
    for k in range(len(expressions)):
        cte, column = extras[k]
        selects.append(f"(SELECT {column} FROM {cte})")
    return "WITH " + ", ".join(ctes) + " SELECT " + ", ".join(selects)


def _execute(conn, sql: str, params: list) -> tuple:
    """Run a ``$n`` statement through a psycopg ``RawCursor`` on Django's connection: psycopg
    would otherwise re-parse this long statement's placeholders on every call (its parse cache
    stops at 4 kB and 50 parameters). Errors are Django's; the statement shows in
    ``connection.queries`` when queries are logged (DEBUG, tests)."""
    import psycopg

    conn.ensure_connection()
    start = time.monotonic()
    with conn.wrap_database_errors:
        with psycopg.RawCursor(conn.connection) as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
    if conn.queries_logged:
        conn.queries_log.append({"sql": sql, "time": f"{time.monotonic() - start:.3f}"})
    return row
