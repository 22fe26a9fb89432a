"""Every index on a dossiers table is declared by the ``dossiers`` app (issue 20), as built.

Read from the database (pg_indexes), not from the code that declares them: the database must hold
exactly the indexes that ``Meta`` (fields, unique constraints, ``Meta.indexes``) and the one
PostgreSQL-only migration declare, each with the definition Django writes for its declaration,
and the partial indexes over open dossiers must cover exactly ``workflow.OPEN_STATES``.
"""
import importlib
import re

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.models import Q

from dossiers import models as dossier_models
from dossiers.workflow import OPEN_STATES, DossierState
from tests.conftest import require_postgres

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("dossiers.migrations.0014_indexes_declared_here")
#: the partial indexes over open dossiers, by hand (a new one is added here on purpose)
OPEN_INDEXES = {"monitoring_open_board", "monitoring_open_due", "monitoring_open_paused", "dossier_mine_open"}
#: partial on another list of states: the results waiting at the counter ("chờ trả kết quả")
RESULT_INDEXES = {"dossier_result_order"}


def _pg_indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def _constraint_indexes(table: str) -> set[str]:
    """Indexes PostgreSQL makes for primary keys and UNIQUE columns (the fields declare them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u')", [table]
        )
        return {name for (name,) in cursor.fetchall()}


def _field_and_meta_indexes(model) -> set[str]:
    """Names of the indexes Django builds for the model: its fields' (db_index, the ``_like``
    twins) and its ``Meta.indexes``, as its schema editor would create them now."""
    with connection.schema_editor(collect_sql=True) as editor:
        return {str(statement.parts["name"]).strip('"') for statement in editor._model_indexes_sql(model)}


def test_every_index_on_a_dossiers_table_is_declared_by_dossiers():
    require_postgres()
    for model in apps.get_app_config("dossiers").get_models():
        table = model._meta.db_table
        declared = _field_and_meta_indexes(model) | _constraint_indexes(table)
        declared |= {c.name for c in model._meta.constraints if hasattr(c, "fields")}
        if table == "dossiers_dossier":
            declared |= set(MIGRATION.POSTGRESQL_ONLY)
        assert set(_pg_indexes(table)) == declared, table


def test_each_declared_index_is_built_as_declared():
    """Django's SQL for each ``Meta.indexes`` entry, built under another name, gives the same
    definition PostgreSQL holds for the index (built by older raw-SQL migrations)."""
    require_postgres()
    checked = 0
    for model in apps.get_app_config("dossiers").get_models():
        actual = _pg_indexes(model._meta.db_table)
        for index in model._meta.indexes:
            probe = index.clone()
            probe.name = f"probe_{checked}"
            with transaction.atomic():
                with connection.schema_editor() as editor:
                    editor.add_index(model, probe)
                built = _pg_indexes(model._meta.db_table)[probe.name]
                transaction.set_rollback(True)
            assert built.replace(probe.name, index.name, 1) == actual[index.name]
            checked += 1
    assert checked >= 22


def _states_in(definition: str) -> set[str]:
    match = re.search(r"\(state\)::text = ANY \(\(ARRAY\[([^\]]*)\]", definition)
    assert match, definition
    return set(re.findall(r"'(\w+)'::character varying", match.group(1)))


def test_the_partial_indexes_over_open_dossiers_cover_exactly_the_open_states():
    require_postgres()
    actual = _pg_indexes("dossiers_dossier")
    on_a_state_list = {name for name, definition in actual.items() if "(state)::text = ANY" in definition}
    assert on_a_state_list == OPEN_INDEXES | RESULT_INDEXES
    for name in OPEN_INDEXES:
        assert _states_in(actual[name]) == {"received", "in_processing", "awaiting_supplement"} == set(OPEN_STATES)
    for name in RESULT_INDEXES:
        assert _states_in(actual[name]) == {"approved", "refused"}


def test_another_open_state_changes_the_declared_partial_indexes(monkeypatch):
    """The condition is read from ``workflow.OPEN_STATES``: one more open state gives another
    index definition (so ``makemigrations`` writes a migration, and the test above fails until
    it is applied)."""
    declared = {index.name: index for index in dossier_models.Dossier._meta.indexes}
    assert dossier_models.open_dossiers() == Q(state__in=["received", "in_processing", "awaiting_supplement"])
    monkeypatch.setattr(dossier_models, "OPEN_STATES", OPEN_STATES | {DossierState.APPROVED})
    widened = dossier_models.open_dossiers()
    assert widened == Q(state__in=["received", "in_processing", "awaiting_supplement", "approved"])
    monkeypatch.undo()
    for name in OPEN_INDEXES:
        # each declared condition starts with what open_dossiers() gives
        assert declared[name].condition.children[0] == dossier_models.open_dossiers().children[0]
        changed = declared[name].clone()
        changed.condition = Q(widened.children[0], *declared[name].condition.children[1:])
        editor = connection.schema_editor(collect_sql=True)  # only to write SQL, never entered
        before = str(declared[name].create_sql(dossier_models.Dossier, editor))
        after = str(changed.create_sql(dossier_models.Dossier, editor))
        assert "'approved'" in after and "'approved'" not in before
        assert changed.deconstruct() != declared[name].deconstruct()  # what makemigrations compares
