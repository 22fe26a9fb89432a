"""An index for the "Hồ sơ đã trả kết quả" list tab: returned dossiers by ``returned_at``.

The tab shows the newest returns first; without an index PostgreSQL sorted every returned
dossier the user may see (500,000 returned of a million: 3.4 s for a district leader); walking
this one backwards it stops after a page (257 ms). Partial: only returned dossiers, so intake
and the open workflow never write to it. Built CONCURRENTLY on PostgreSQL (no write lock on a
live table), hence not atomic; the model's ``Meta.indexes`` declares it.
"""
from django.db import migrations, models

NAME = "dossier_returned_order"
COLUMNS = "returned_at, id"
CONDITION = "state = 'returned'"


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {NAME} ON dossiers_dossier ({COLUMNS}) WHERE {CONDITION}"
    )


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dossiers", "0004_drop_covered_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="dossier",
                    index=models.Index(
                        condition=models.Q(("state", "returned")), fields=["returned_at", "id"], name=NAME,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
        ),
    ]
