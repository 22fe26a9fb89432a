"""Every index on the dossiers' tables is declared by the ``dossiers`` app (issue 20).

Ten indexes were created with raw SQL by ``dossiers`` (0003), ``reporting`` (0002, 0003) and
``monitoring`` (0002, 0003) migrations, which hard-coded the open states. Those migrations are
applied in the field and stay as they are; this one takes their indexes over under the same
names:

- the state: ``AddIndex`` of each into ``Dossier`` / ``DossierStep`` / ``DossierEvent``
  ``Meta.indexes`` (the partial ones on ``workflow.OPEN_STATES``, through
  ``dossiers.models.open_dossiers``), so that a changed state or column makes ``makemigrations``
  rebuild them;
- the database: ``CREATE INDEX CONCURRENTLY IF NOT EXISTS`` with the same name and the SQL Django
  writes for the declared index, i.e. nothing where the earlier migrations built them (their
  definitions are the same, ``tests/dossiers/test_indexes.py`` compares them in pg_indexes), the
  index where a database lacks it. Not atomic (CONCURRENTLY; no write lock on a live table).
- what only PostgreSQL can express (the trigram index of the name search, the GiST range index
  of the report's stock), vendor-guarded, in ``POSTGRESQL_ONLY``.

SQLite gets what it can: it keeps the earlier migrations' indexes (every column in the key, it
has no INCLUDE), and the events' ``(dossier, at desc, id desc)`` index replaces the plain
``reporting_event_dossier_at`` there as it did on PostgreSQL (reporting 0003).
"""
from django.db import migrations, models

#: name -> statement, PostgreSQL only (an extension's operator class, a range expression)
POSTGRESQL_ONLY = {
    "dossier_name_folded_trgm": (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS dossier_name_folded_trgm ON dossiers_dossier "
        "USING gin (applicant_name_folded gin_trgm_ops)"
    ),
    "reporting_dossier_open_range": (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS reporting_dossier_open_range ON dossiers_dossier "
        "USING gist (tstzrange(received_at, resolved_at, '(]')) "
        "INCLUDE (id, resolving_unit_id, procedure_id, supplement_count, received_at, resolved_at) "
        "WHERE received_at IS NOT NULL"
    ),
}
#: on SQLite, the events' plain index that reporting 0003 replaced on PostgreSQL
SQLITE_REPLACED = ("reporting_event_dossier_at", "dossiers_dossierevent (dossier_id, at)")

OPEN = ["received", "in_processing", "awaiting_supplement"]

TAKEN_OVER = [
    ("dossier", models.Index(
        fields=["resolving_unit", "state"], name="dossier_vis_resolving",
        include=("current_unit", "id", "assigned_to", "procedure", "due_date", "paused_on"),
    )),
    ("dossier", models.Index(
        fields=["receiving_unit", "state"], name="dossier_vis_receiving", include=("current_unit", "resolving_unit"),
    )),
    ("dossier", models.Index(
        condition=models.Q(("state__in", OPEN)), fields=["current_unit", "assigned_to", "procedure"],
        include=("resolving_unit", "due_date", "paused_on"), name="monitoring_open_board",
    )),
    ("dossier", models.Index(
        condition=models.Q(("state__in", OPEN)), fields=["due_date"],
        include=("id", "paused_on", "time_unit", "due_at", "apologized_at", "appointment_date"),
        name="monitoring_open_due",
    )),
    ("dossier", models.Index(
        condition=models.Q(("state__in", OPEN), ("paused_on__isnull", False)), fields=["due_date", "due_at", "id"],
        name="monitoring_open_paused",
    )),
    ("dossier", models.Index(fields=["received_at"], name="reporting_dossier_received_at")),
    ("dossier", models.Index(fields=["resolved_on", "received_at"], name="reporting_dossier_resolved_on")),
    ("dossier", models.Index(
        condition=models.Q(("resolved_on__isnull", True)), fields=["received_at"], name="reporting_dossier_unresolved",
    )),
    ("dossierevent", models.Index(
        fields=["dossier", "-at", "-id"], include=("due_date",), name="reporting_event_due_asof",
    )),
    ("dossierstep", models.Index(fields=["unit", "dossier"], name="dossier_step_unit")),
]


def create(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    head = "CREATE INDEX CONCURRENTLY " if pg else "CREATE INDEX "
    for model_name, index in TAKEN_OVER:
        model = apps.get_model("dossiers", model_name)
        sql = str(index.create_sql(model, schema_editor, **({"concurrently": True} if pg else {})))
        assert sql.startswith(head), sql
        schema_editor.execute(sql.replace(head, f"{head}IF NOT EXISTS ", 1))
    if pg:
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for sql in POSTGRESQL_ONLY.values():
            schema_editor.execute(sql)
    else:
        schema_editor.execute(f"DROP INDEX IF EXISTS {SQLITE_REPLACED[0]}")


def restore(apps, schema_editor):
    """Back to 0013: the indexes stay (the earlier migrations own them there), but SQLite's."""
    if schema_editor.connection.vendor != "postgresql":
        name, target = SQLITE_REPLACED
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
        schema_editor.execute("DROP INDEX IF EXISTS reporting_event_due_asof")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dossiers", "0013_list_and_report_indexes"),
        # the migrations whose indexes this one takes over run first: on a new database they
        # build them, and this one finds them there
        ("reporting", "0003_postgresql_report_indexes"),
        ("monitoring", "0003_open_paused_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name=m, index=i) for m, i in TAKEN_OVER],
            database_operations=[migrations.RunPython(create, restore, elidable=False)],
        ),
    ]
