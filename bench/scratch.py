"""Scratch PostgreSQL databases for the benchmarks and the scripts: one copy of what each needs.

A bench works in its own database (``onecua_bench_*``) on the server of ``BENCH_DATABASE_URL``
or ``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432), created, re-created or kept
(``--reuse``) by the script, administered through the server's ``postgres`` database. The
scripts (``scripts/acceptance_hoa_binh.py``, ``scripts/backup_restore_check.py``) use the same
functions (``from bench.scratch import …``).
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def scratch_url(name: str, *, server: str | None = None) -> str:
    """The URL of database `name` on the server of `server` (a database URL), by default the
    benchmark's server."""
    base = server or os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not base.startswith(("postgres://", "postgresql://")):
        base = DEFAULT_SERVER
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, parts.fragment))


def admin_execute(url: str, *statements: str) -> None:
    """Run statements (CREATE/DROP DATABASE…) on the server of `url`, outside any transaction."""
    import psycopg

    with psycopg.connect(_admin(url), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    """Drop the database of `url` (closing its sessions) and create it empty."""
    name = database_name(url)
    admin_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    admin_execute(url, f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


def database_exists(url: str) -> bool:
    import psycopg

    with psycopg.connect(_admin(url), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]).fetchone() is not None


def setup_django(url: str) -> None:
    """Point Django at `url` and set it up (DEBUG settings, quiet logs)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onecua.settings")
    import django

    django.setup()


# --- loading in bulk -------------------------------------------------------------------------


def load_session(cursor, seed: float) -> None:
    """Inside the loading transaction: no foreign-key triggers, room to sort and hash, and a
    seeded ``random()`` so that a run generates the same data again."""
    cursor.execute("SET LOCAL session_replication_role = replica")
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute("SELECT setseed(%s)", [seed])


def insert_columns(cursor, table: str, given: dict[str, str]) -> tuple[str, str]:
    """Column list and SELECT list for an ``INSERT … SELECT`` into `table`: the `given` SQL
    expressions, and a neutral value for every other NOT NULL column without a default (columns
    added after the bench was written)."""
    cursor.execute(
        "SELECT column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns "
        "WHERE table_name = %s ORDER BY ordinal_position", [table])
    columns, values = [], []
    for name, dtype, nullable, default, identity in cursor.fetchall():
        if name in given:
            columns.append(name)
            values.append(given[name])
        elif nullable == "NO" and default is None and identity != "YES":
            neutral = {"boolean": "false", "jsonb": "'{}'::jsonb", "integer": "0", "smallint": "0", "bigint": "0",
                       "date": "CURRENT_DATE", "timestamp with time zone": "now()"}.get(dtype, "''")
            columns.append(name)
            values.append(neutral)
    return ", ".join(columns), ", ".join(values)


def secondary_indexes_drop(cursor, tables: list[str]) -> list[str]:
    """Drop the indexes of `tables` that back no constraint (a load is faster without them);
    returns their definitions for :func:`secondary_indexes_restore`."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND NOT EXISTS ("
        " SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", [tables])
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


def secondary_indexes_restore(cursor, definitions: list[str], tables: list[str]) -> None:
    """Build the dropped indexes again, then VACUUM ANALYZE as autovacuum would: statistics,
    and the visibility map that index-only scans need."""
    cursor.execute("SET maintenance_work_mem = '1GB'")
    for definition in definitions:
        cursor.execute(definition)
    for table in tables:
        cursor.execute(f"VACUUM (ANALYZE) {table}")


def staged_events_insert(cursor, events: list[tuple[str, str, str, str, str, str]], tables: list[str]) -> None:
    """Write the dossier events of the staged dossiers (table ``bench_src``: ``id``,
    ``unit_id`` and whatever the expressions read), one kind per ``(action, from_state,
    to_state, at, due_date, condition)`` of SQL expressions; then drop the staging table and
    move the sequences of `tables` past the ids written."""
    selects = " UNION ALL ".join(
        f"SELECT id, {at} AS at, {action} AS action, {frm} AS from_state, {to} AS to_state, {due} AS due_date, "
        f"unit_id FROM bench_src WHERE {cond}"
        for action, frm, to, at, due, cond in events)
    cols, vals = insert_columns(cursor, "dossiers_dossierevent", {
        "dossier_id": "id", "at": "at", "action": "action", "from_state": "from_state", "to_state": "to_state",
        "actor_name": "''", "unit_id": "unit_id", "note": "''", "due_date": "due_date", "data": "'{}'::jsonb"})
    cursor.execute(f"INSERT INTO dossiers_dossierevent ({cols}) SELECT {vals} FROM ({selects}) x")
    cursor.execute("DROP TABLE bench_src")
    for table in tables:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1)) FROM {table}")
