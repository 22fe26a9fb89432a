"""Drop single-column indexes that composite ones already cover: the dossier's three unit keys
(``dossier_recv_unit_at``, ``dossier_resolving_state`` and ``dossier_current_state`` start with
the same columns) and the step's dossier key (the unique ``dossier_step_unique_order`` starts
with it). They served no lookup the others do not, while every intake, transfer and import paid
their index entries.

Only the indexes go: Django's own AlterField would also drop and re-validate the foreign keys
(a scan of the whole dossier table under lock), so the database side is a plain DROP INDEX.
"""
import django.db.models.deletion
from django.db import migrations, models

INDEXES = [
    "dossiers_dossier_receiving_unit_id_0453b4b0",
    "dossiers_dossier_resolving_unit_id_327b0084",
    "dossiers_dossier_current_unit_id_879e2efd",
    "dossiers_dossierstep_dossier_id_c1142212",
]
COLUMNS = [("dossiers_dossier", "receiving_unit_id"), ("dossiers_dossier", "resolving_unit_id"),
           ("dossiers_dossier", "current_unit_id"), ("dossiers_dossierstep", "dossier_id")]


def _field(related_name: str, verbose_name: str):
    return models.ForeignKey(
        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name=related_name,
        to="dossiers.unit", verbose_name=verbose_name,
    )


class Migration(migrations.Migration):

    dependencies = [
        ("dossiers", "0003_visibility_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="dossier", name="current_unit",
                                      field=_field("current_dossiers", "đơn vị đang xử lý")),
                migrations.AlterField(model_name="dossier", name="receiving_unit",
                                      field=_field("received_dossiers", "nơi tiếp nhận")),
                migrations.AlterField(model_name="dossier", name="resolving_unit",
                                      field=_field("resolved_dossiers", "cơ quan chủ trì")),
                migrations.AlterField(
                    model_name="dossierstep", name="dossier",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="steps", to="dossiers.dossier"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [f'DROP INDEX IF EXISTS "{name}"' for name in INDEXES],
                    reverse_sql=[
                        f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")'
                        for name, (table, column) in zip(INDEXES, COLUMNS)
                    ],
                ),
            ],
        ),
    ]
