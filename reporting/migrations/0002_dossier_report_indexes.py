"""Indexes the report queries need on the dossiers' tables.

Created by the reporting app (which owns the queries) with plain SQL that SQLite and
PostgreSQL both accept; they do not change the dossiers' models:

- ``received_at``: new dossiers of a day or a period;
- ``(resolved_on, received_at)``: dossiers resolved on a day, and the stock in progress at a
  date (resolved later, received before: the second column is checked in the index);
- a partial index of the dossiers never resolved (the stock of "now");
- ``(dossier_id, at)`` on events: the due date of a dossier as it was at a given moment.
"""
from django.db import migrations

INDEXES = [
    ("reporting_dossier_received_at", "dossiers_dossier (received_at)", ""),
    ("reporting_dossier_resolved_on", "dossiers_dossier (resolved_on, received_at)", ""),
    ("reporting_dossier_unresolved", "dossiers_dossier (received_at)", " WHERE resolved_on IS NULL"),
    ("reporting_event_dossier_at", "dossiers_dossierevent (dossier_id, at)", ""),
]


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_initial"),
        ("dossiers", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {target}{where}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, target, where in INDEXES
    ]
