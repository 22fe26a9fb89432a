"""onecua.rows: several models' new rows in one statement (PostgreSQL), the ORM elsewhere."""
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossiers.models import Field, Unit
from monitoring.models import OutboxMessage
from onecua.rows import ids_reserve, rows_insert
from tests.conftest import require_postgres

pytestmark = pytest.mark.django_db


def _unit(code: str, parent: Unit | None = None) -> Unit:
    return Unit(code=code, name=f"Đơn vị {code}", level="province", kind="agency", parent=parent)


def test_rows_of_several_models_land_together_with_their_references():
    root = _unit("000.00.90.H23")
    ids_reserve(root)
    first, second = _unit("000.00.91.H23", parent=root), _unit("000.00.92.H23", parent=root)
    field = Field(name="Lĩnh vực thử")
    with CaptureQueriesContext(connection) as queries:
        rows_insert([root, first, second, field])
    if connection.vendor == "postgresql":
        assert len(queries.captured_queries) == 1
    stored = {u.code: u for u in Unit.objects.filter(code__startswith="000.00.9")}
    assert set(stored) == {"000.00.90.H23", "000.00.91.H23", "000.00.92.H23"}
    assert stored["000.00.91.H23"].parent_id == stored["000.00.92.H23"].parent_id == stored["000.00.90.H23"].pk
    # every instance now carries the id of its own row and is no longer "adding"
    for obj in (root, first, second):
        assert stored[obj.code].pk == obj.pk
        assert not obj._state.adding
    assert Field.objects.get(pk=field.pk).name == "Lĩnh vực thử"


def test_values_are_prepared_as_save_prepares_them():
    payload = {"action": "receive", "units": {"to": None, "resolving": 7}, "tên": "Hộ tịch"}
    by_orm = OutboxMessage(topic="event", dedupe_key="event:orm", payload=payload)
    by_orm.save()
    by_rows = OutboxMessage(topic="event", dedupe_key="event:rows", payload=payload)
    rows_insert([by_rows])
    a, b = OutboxMessage.objects.get(pk=by_orm.pk), OutboxMessage.objects.get(pk=by_rows.pk)
    assert b.payload == a.payload == payload
    assert (b.topic, b.attempts, b.last_error, b.delivered_at) == (a.topic, a.attempts, a.last_error, a.delivered_at)
    assert timezone.is_aware(b.created_at) and abs(b.created_at - a.created_at) < timedelta(seconds=5)
    assert b.created_at == by_rows.created_at  # the default chosen in Python is the one stored


def test_a_failing_row_writes_none_of_them():
    Field.objects.create(name="Đã có")
    unit = _unit("000.00.93.H23")
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert([unit, Field(name="Đã có")])
    assert not Unit.objects.filter(code="000.00.93.H23").exists()


def test_a_column_can_come_from_sql_run_in_the_same_statement():
    field = Field(name="chưa đặt")
    prelude = ("n AS (SELECT %s::int + 1 AS v)", [41])
    expression = (field, "name", "SELECT %s || n.v FROM n", ["Lĩnh vực "])
    if connection.vendor != "postgresql":  # the ORM fallback has no SQL expressions
        with pytest.raises(NotImplementedError):
            rows_insert([field], prelude=prelude, expression=expression)
        return
    rows_insert([_unit("000.00.94.H23"), field], prelude=prelude, expression=expression)
    assert field.name == "Lĩnh vực 42"
    assert Field.objects.get(pk=field.pk).name == "Lĩnh vực 42"


def test_the_intake_writes_its_rows_in_one_statement(django_user_model):
    require_postgres()
    from tests.factories import ProcedureFactory, ProcedureStepFactory, UnitFactory
    from dossiers.models import Dossier, DossierEvent, DossierStep
    from dossiers.services.lifecycle import dossier_register

    centre, agency = UnitFactory(), UnitFactory()
    procedure = ProcedureFactory(resolving_unit=agency)
    ProcedureStepFactory(procedure=procedure, order=1, unit=agency, allotted_time=1)
    ProcedureStepFactory(procedure=procedure, order=2, unit=centre, allotted_time=1)
    with CaptureQueriesContext(connection) as queries:
        dossier = dossier_register(procedure=procedure, receiving_unit=centre, channel="direct",
                                   applicant={"name": "Nguyễn Văn A"})
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == 1
    assert all(f'INSERT INTO "{m._meta.db_table}"' in inserts[0] for m in (Dossier, DossierStep, DossierEvent))
    stored = Dossier.objects.get(pk=dossier.pk)
    assert stored.code == dossier.code and stored.code.startswith(f"{centre.code}-")
    # the template ends at another unit than the lead: the lead's decision step follows (D17)
    assert list(stored.steps.order_by("order").values_list("unit_id", flat=True)) == [agency.pk, centre.pk, agency.pk]
    assert stored.events.get().action == "receive"
