# D22 (issue 17): the applicant's consent to notices by e-mail and SMS, given at intake.
#
# Written as ADD COLUMN … DEFAULT on every database: Django's SQLite schema editor would rebuild
# the dossier table for a NOT NULL column, and a rebuild drops the indexes that 0003 and
# monitoring 0002/0003 create in raw SQL. The database keeps the DEFAULT (harmless: the model
# always writes the value).
from django.db import migrations, models


def add_columns(apps, schema_editor):
    false = "0" if schema_editor.connection.vendor == "sqlite" else "false"
    for column in ("notify_email", "notify_sms"):
        schema_editor.execute(f"ALTER TABLE dossiers_dossier ADD COLUMN {column} boolean NOT NULL DEFAULT {false}")


def drop_columns(apps, schema_editor):
    for column in ("notify_email", "notify_sms"):
        schema_editor.execute(f"ALTER TABLE dossiers_dossier DROP COLUMN {column}")


class Migration(migrations.Migration):

    dependencies = [
        ("dossiers", "0009_search_columns"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
            state_operations=[
                migrations.AddField(
                    model_name="dossier",
                    name="notify_email",
                    field=models.BooleanField(default=False, verbose_name="nhận thông báo qua email"),
                ),
                migrations.AddField(
                    model_name="dossier",
                    name="notify_sms",
                    field=models.BooleanField(default=False, verbose_name="nhận thông báo qua SMS"),
                ),
            ],
        ),
    ]
