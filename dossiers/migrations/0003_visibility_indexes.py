"""Covering indexes for counting what a unit's staff may see (``dossiers.selectors
.dossier_counts_by_state``, the left menu's counts on every page), so that each disjoint part of
the visibility rule is an index-only range scan of the units' entries:

- ``dossier_vis_resolving`` (resolving unit, state) + current unit, id, officer, procedure, due
  date, pause day: dossiers led by the units and held elsewhere; its ids also tell which steps'
  dossiers are already counted. The supervisor dashboard of a subtree counts its "led, held
  elsewhere" part from it too (``monitoring.selectors.dashboard_get``; the "held" part is a
  range of ``monitoring_open_board``). Not partial, hence larger than ``monitoring_open_board``,
  so that the planner keeps reading that one, in key order, for the whole tree;
- ``dossier_vis_receiving`` (receiving unit, state) + current and resolving unit: dossiers only
  received there;
- ``dossier_step_unit`` (unit, dossier) on the steps: the dossiers a unit stepped through.

(The held-now part uses ``dossier_current_state`` of ``Dossier.Meta``.) PostgreSQL builds them
CONCURRENTLY (no write lock on a live table), so this migration is not atomic. SQLite (no
INCLUDE) gets the same indexes with every column in the key.
"""
from django.db import migrations

INDEXES = {
    # name: (table, key columns, included columns)
    "dossier_vis_resolving": (
        "dossiers_dossier", "resolving_unit_id, state",
        "current_unit_id, id, assigned_to_id, procedure_id, due_date, paused_on",
    ),
    "dossier_vis_receiving": ("dossiers_dossier", "receiving_unit_id, state", "current_unit_id, resolving_unit_id"),
    "dossier_step_unit": ("dossiers_dossierstep", "unit_id, dossier_id", ""),
}


def create(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    for name, (table, keys, included) in INDEXES.items():
        if pg:
            include = f" INCLUDE ({included})" if included else ""
            schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({keys}){include}")
        else:
            columns = f"{keys}, {included}" if included else keys
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dossiers", "0002_dossierevent_append_only"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
