"""Two partial covering indexes on the dossier table (owned by ``dossiers``) for monitoring's
set-based queries over OPEN dossiers only (resolved ones, the vast majority over the years,
are not in them):

- ``monitoring_open_board`` (current unit, officer, procedure) + resolving unit, due date,
  pause day: the supervisor dashboard counts every open dossier per (unit, officer, procedure)
  in one sorted, parallel index-only scan (``monitoring.selectors.dashboard_get``) instead of
  reading the wide dossier rows: at a million open dossiers ~60 MB of index instead of
  ~650 MB of table.
- ``monitoring_open_due`` (due date) + what the sweep reads: each sweep statement
  (``monitoring.services.sweep``) is an index-only range scan over the dossiers due up to the
  next working day (~10× faster than visiting their rows, measured in bench/bench_sweep.py).

They live here because only monitoring's queries use them; the dossiers app may adopt them into
``Dossier.Meta.indexes`` later (then drop this migration's operations). PostgreSQL builds them
CONCURRENTLY (no write lock on a live table), so this migration is not atomic. SQLite (no
INCLUDE) gets the same indexes with every column in the key.
"""
from django.db import migrations

OPEN = "('received', 'in_processing', 'awaiting_supplement')"
INDEXES = {
    # name: (key columns, included columns)
    "monitoring_open_board": (
        "current_unit_id, assigned_to_id, procedure_id",
        "resolving_unit_id, due_date, paused_on",
    ),
    "monitoring_open_due": (
        "due_date",
        "id, paused_on, time_unit, due_at, apologized_at, appointment_date",
    ),
}


#: PostgreSQL multiplies the three columns' distinct counts and expects ~100,000 groups where
#: there are a few thousand; with that guess it refuses a parallel plan for the dashboard's
#: GROUP BY. Extended statistics give it the real number (ANALYZE keeps them current).
STATISTICS = "monitoring_open_board_ndistinct"


def create(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    for name, (keys, included) in INDEXES.items():
        if pg:
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON dossiers_dossier ({keys}) INCLUDE ({included}) "
                f"WHERE state IN {OPEN}"
            )
        else:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON dossiers_dossier ({keys}, {included}) WHERE state IN {OPEN}"
            )
    if pg:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} (ndistinct) "
            "ON current_unit_id, assigned_to_id, procedure_id FROM dossiers_dossier"
        )


def drop(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    if pg:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
    concurrently = "CONCURRENTLY " if pg else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("monitoring", "0001_initial"),
        ("dossiers", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
