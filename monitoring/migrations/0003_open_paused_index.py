"""A small partial index on the OPEN dossiers waiting for a supplement (``paused_on`` set, a few
per cent of them), in the order of the dashboard's lists (``monitoring.selectors
.dashboard_list``: due date, due instant, id): the "Tạm dừng" list reads its first page and its
count from it. Without it PostgreSQL walked the due-date index from the oldest date and visited
every open dossier due before the first paused one (300,000 rows, ~0.7 s at a million).

Built CONCURRENTLY on PostgreSQL (not atomic); the same index on SQLite.
"""
from django.db import migrations

OPEN = "('received', 'in_processing', 'awaiting_supplement')"
NAME = "monitoring_open_paused"


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {NAME} ON dossiers_dossier (due_date, due_at, id) "
        f"WHERE state IN {OPEN} AND paused_on IS NOT NULL"
    )


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("monitoring", "0002_open_dossier_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
