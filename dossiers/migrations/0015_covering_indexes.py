"""Two covering indexes carry more columns (bench/bench_scale.py, issue 19):

- ``reporting_dossier_received_at`` carries the receiving and lead units: the report's receipts
  by counter (D13's receiving dimension, ``reporting.selectors.receipts_by_counter``) read every
  dossier received in the period from the table, twice per report page (the period and the one
  before): 230 ms at a million dossiers for a province, now an index-only scan (20 ms).
- ``monitoring_open_due`` carries the state and the receipt instant: the API list filtered by a
  receipt window and a state walks the open dossiers in due-date order until a page is found
  (``selectors.dossiers_urgent_page``); with those two columns in the index the rows it drops
  are judged from the index alone (a province's last 60 days "in processing" at a million: 80,800
  entries dropped, 46,600 table pages read, 60 ms → 1,006 index pages, 11 ms).

On PostgreSQL each new index is built CONCURRENTLY under a temporary name with the SQL Django
writes for the declared index, then swapped in (no write lock on a live table; a rerun after a
crash starts the swap again), hence not atomic. SQLite has no INCLUDE: its indexes stay as they
are (Django writes the same key columns there).
"""
from django.db import migrations, models

OPEN = ["received", "in_processing", "awaiting_supplement"]
DUE_COLUMNS = ("id", "paused_on", "time_unit", "due_at", "apologized_at", "appointment_date")

#: (before, after), each the declared index under the same name
REPLACED = [
    (models.Index(fields=["received_at"], name="reporting_dossier_received_at"),
     models.Index(fields=["received_at"], include=("receiving_unit", "resolving_unit"),
                  name="reporting_dossier_received_at")),
    (models.Index(condition=models.Q(("state__in", OPEN)), fields=["due_date"], include=DUE_COLUMNS,
                  name="monitoring_open_due"),
     models.Index(condition=models.Q(("state__in", OPEN)), fields=["due_date"],
                  include=(*DUE_COLUMNS, "state", "received_at"), name="monitoring_open_due")),
]


def _swap(apps, schema_editor, *, forwards: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("dossiers", "Dossier")
    for before, after in REPLACED:
        index = after if forwards else before
        name, temporary = index.name, f"{index.name}_new"
        building = models.Index(fields=index.fields, include=index.include, condition=index.condition, name=temporary)
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {temporary}")  # half built by a crash
        schema_editor.execute(str(building.create_sql(model, schema_editor, concurrently=True)))
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(f"ALTER INDEX {temporary} RENAME TO {name}")


def forwards(apps, schema_editor):
    _swap(apps, schema_editor, forwards=True)


def backwards(apps, schema_editor):
    _swap(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dossiers", "0014_indexes_declared_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[op for before, after in REPLACED for op in (
                migrations.RemoveIndex(model_name="dossier", name=before.name),
                migrations.AddIndex(model_name="dossier", index=after),
            )],
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
        ),
    ]
