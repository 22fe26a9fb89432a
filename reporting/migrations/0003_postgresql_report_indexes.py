"""PostgreSQL-only indexes for national-scale roll-ups (nothing on SQLite).

- ``reporting_dossier_open_range``: GiST over ``tstzrange(received_at, resolved_at, '(]')``,
  carrying the columns the stock query reads; "in progress at instant t" is then a
  containment query (``reporting.selectors._open_at``) answered by an index-only scan: the
  few hundred thousand dossiers open on a past day among ten million, without reading the
  millions resolved later nor the table's pages.
- ``reporting_event_due_asof``: events by (dossier, at desc, id desc) carrying ``due_date``:
  "the due date as it was at t" is an index-only lookup. It replaces the plain
  ``reporting_event_dossier_at`` of migration 0002 on PostgreSQL.
"""
from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS reporting_dossier_open_range ON dossiers_dossier "
    "USING gist (tstzrange(received_at, resolved_at, '(]')) "
    "INCLUDE (id, resolving_unit_id, procedure_id, supplement_count, received_at, resolved_at) "
    "WHERE received_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS reporting_event_due_asof ON dossiers_dossierevent "
    "(dossier_id, at DESC, id DESC) INCLUDE (due_date)",
    "DROP INDEX IF EXISTS reporting_event_dossier_at",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS reporting_event_dossier_at ON dossiers_dossierevent (dossier_id, at)",
    "DROP INDEX IF EXISTS reporting_event_due_asof",
    "DROP INDEX IF EXISTS reporting_dossier_open_range",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("reporting", "0002_dossier_report_indexes")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
