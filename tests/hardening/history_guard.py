"""Test helper: lift the append-only guard on the dossier history for one block.

The history table refuses UPDATE and DELETE (migration ``dossiers/0002_dossierevent_append_only``).
A test that must fabricate a broken history (a report that has to fail loudly on it) does what
the database owner would do for a documented repair: disable the trigger inside the current
transaction, and put it back afterwards.
"""
from __future__ import annotations

import importlib
from contextlib import contextmanager

from django.db import connection

GUARD = importlib.import_module("dossiers.migrations.0002_dossierevent_append_only")


@contextmanager
def history_rewrite_allowed():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE waits for no deferred foreign-key check of this transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE dossiers_dossierevent DISABLE TRIGGER {GUARD.PG_TRIGGER}")
        elif connection.vendor == "sqlite":
            cursor.execute(GUARD.SQLITE_REMOVE)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE dossiers_dossierevent ENABLE TRIGGER {GUARD.PG_TRIGGER}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            elif connection.vendor == "sqlite":
                cursor.execute(GUARD.SQLITE_INSTALL)
