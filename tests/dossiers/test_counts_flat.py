"""Counts that stay flat over the years (issue 19): the left menu and the list tabs never count
the final states (returned, withdrawn, rejected), which pile up for as long as a province keeps
its dossiers; every count query reads the counted states only, from an index that starts with
the unit and the state (``dossier_current_state``, ``dossier_vis_resolving``, ``dossier_vis_receiving``;
PostgreSQL: the plan shows the state in the index condition)."""
from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers import selectors as dsel
from dossiers.models import Unit
from dossiers.workflow import FINAL_STATES
from tests.conftest import require_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(db):
    province = Unit.objects.create(code="000.00.00.H25", name="Tỉnh", level="province", kind="people_committee")
    commune = Unit.objects.create(code="000.01.10.H25", name="Xã", level="commune", kind="people_committee",
                                  parent=province)
    return province, commune


def test_the_counted_states_are_every_state_but_the_final_ones():
    assert set(dsel.COUNTED_STATES) == {"submitted", "received", "in_processing", "awaiting_supplement", "approved",
                                        "refused"} | ({"stopped"} if "stopped" not in FINAL_STATES
                                                      and "stopped" in dsel.DossierState.values else set())
    assert not set(dsel.COUNTED_STATES) & set(FINAL_STATES)


@pytest.mark.parametrize("scope", ["whole tree", "one unit"])
def test_every_count_query_names_the_counted_states(units, scope):
    unit_ids = None if scope == "whole tree" else {units[1].pk}
    with CaptureQueriesContext(connection) as ctx:
        dsel.dossier_counts_by_state(unit_ids=unit_ids)
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts
    for sql in counts:
        assert re.search(r'"state" IN \(', sql), sql
        assert "'returned'" not in sql and "'withdrawn'" not in sql


@pytest.mark.postgres
def test_postgres_reads_the_counted_states_from_the_unit_state_indexes(units):
    require_postgres()
    ids = sorted(u.pk for u in units)
    with connection.cursor() as c:
        c.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show its index
        c.execute("SET LOCAL enable_bitmapscan = off")
    from dossiers.models import Dossier

    for qs, indexes in [
        (Dossier.objects.filter(current_unit_id__in=ids), ("dossier_current_state",)),
        (Dossier.objects.filter(resolving_unit_id__in=ids), ("dossier_resolving_state", "dossier_vis_resolving")),
        (Dossier.objects.filter(receiving_unit_id__in=ids), ("dossier_vis_receiving",)),
    ]:
        plan = qs.filter(state__in=dsel.COUNTED_STATES).values("state").order_by().explain()
        # the planner prints the state either as an index condition or a filter, cast or not
        assert any(index in plan for index in indexes) and "Index Cond" in plan, plan
        assert re.search(r"\(?state\)?(::text)? = ANY", plan), plan
