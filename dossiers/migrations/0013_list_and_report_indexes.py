"""Two indexes on the dossier table found by bench/bench_scale.py (issue 19):

- ``dossier_received_order`` for the API list's last group (``selectors.API_LIST_GROUPS``):
  every dossier neither open nor waiting for acceptance, latest received first. Without it
  PostgreSQL sorted every visible dossier to show a page (an ORDER BY of CASE expressions:
  13.6 s at a million dossiers for the province leader); walking this one it stops after a
  page. In the list's own order (``received_at`` DESC NULLS LAST, ``id`` DESC): no sort.
- ``dossier_stopped_resolved`` for the report's stopped dossiers (D16, not in the roll-ups:
  ``reporting.selectors``, counted from the dossiers by resolution day): partial, only stopped
  dossiers, so that the report page no longer reads every dossier resolved in the period
  (25,000 a quarter at a million, twice per report: current and previous period).

Built CONCURRENTLY on PostgreSQL (no write lock on a live table), hence not atomic; the model's
``Meta.indexes`` declares them.
"""
from django.db import migrations, models

INDEXES = {
    # name: (columns, condition)
    "dossier_received_order": ("received_at DESC NULLS LAST, id DESC", ""),
    "dossier_stopped_resolved": ("resolved_on, resolving_unit_id, procedure_id", "outcome = 'stopped'"),
}


def create(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    concurrently = "CONCURRENTLY " if pg else ""
    for name, (columns, condition) in INDEXES.items():
        if not pg:  # SQLite has no NULLS LAST in an index, and sorts NULL last when descending
            columns = columns.replace(" NULLS LAST", "")
        where = f" WHERE {condition}" if condition else ""
        schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON dossiers_dossier ({columns}){where}")


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dossiers", "0012_procedure_resolving_level"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="dossier",
                    index=models.Index(
                        models.OrderBy(models.F("received_at"), descending=True, nulls_last=True),
                        models.OrderBy(models.F("id"), descending=True),
                        name="dossier_received_order",
                    ),
                ),
                migrations.AddIndex(
                    model_name="dossier",
                    index=models.Index(
                        fields=["resolved_on", "resolving_unit", "procedure"], name="dossier_stopped_resolved",
                        condition=models.Q(("outcome", "stopped")),
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
        ),
    ]
