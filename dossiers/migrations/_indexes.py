"""Helpers shared by the dossiers migrations that rebuild covering indexes (0015, 0016)."""
from django.db import migrations, models


def swap_indexes(apps, schema_editor, replaced, *, forwards: bool) -> None:
    """Replace each (before, after) pair of declared indexes of ``Dossier`` (before None: a new
    index). PostgreSQL: built CONCURRENTLY under a temporary name with the SQL Django writes for
    the declared index, then swapped in (no write lock on a live table; a rerun after a crash
    starts the swap again); the migration must not be atomic. SQLite has no INCLUDE: only a new
    index is added (Django writes the same key columns there)."""
    if schema_editor.connection.vendor != "postgresql":
        # SQLite: the same key columns as before, except the new index
        model = apps.get_model("dossiers", "Dossier")
        for before, after in replaced:
            if before is None:
                if forwards:
                    schema_editor.add_index(model, after)
                else:
                    schema_editor.remove_index(model, after)
        return
    model = apps.get_model("dossiers", "Dossier")
    for before, after in replaced:
        if before is None:  # a new index: built, or dropped going back
            if forwards:
                schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {after.name}")  # half built by a crash
                schema_editor.execute(str(after.create_sql(model, schema_editor, concurrently=True)))
            else:
                schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {after.name}")
            continue
        index = after if forwards else before
        name, temporary = index.name, f"{index.name}_new"
        building = models.Index(fields=index.fields, include=index.include, condition=index.condition, name=temporary)
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {temporary}")  # half built by a crash
        schema_editor.execute(str(building.create_sql(model, schema_editor, concurrently=True)))
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(f"ALTER INDEX {temporary} RENAME TO {name}")


def swap_operation(replaced) -> migrations.SeparateDatabaseAndState:
    """The migration operation of :func:`swap_indexes`: the state's indexes replaced (RemoveIndex
    of each ``before``, AddIndex of each ``after``), the database's by the concurrent swap."""

    def forwards(apps, schema_editor):
        swap_indexes(apps, schema_editor, replaced, forwards=True)

    def backwards(apps, schema_editor):
        swap_indexes(apps, schema_editor, replaced, forwards=False)

    return migrations.SeparateDatabaseAndState(
        state_operations=[op for before, after in replaced for op in (
            *([migrations.RemoveIndex(model_name="dossier", name=before.name)] if before else []),
            migrations.AddIndex(model_name="dossier", index=after),
        )],
        database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
    )
