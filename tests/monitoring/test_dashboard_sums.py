"""The dashboard's sums: PostgreSQL's one statement (``GROUPING SETS``) gives what the Python sum
of the (unit, officer, procedure) groups gives, for any open dossiers (hypothesis), for the
whole province and for a subtree; and both equal a count written out by hand."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dossiers.models import Dossier
from monitoring import selectors as sel
from tests.conftest import require_postgres
from tests.monitoring.conftest import make_world

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

#: one open dossier: (state, holding unit, lead unit, officer, procedure, due in days, paused)
DOSSIER = st.tuples(
    st.sampled_from(["received", "in_processing", "awaiting_supplement"]),
    st.sampled_from(["justice", "building", "district"]),
    st.sampled_from(["justice", "building", "district"]),
    st.sampled_from([None, "off_just", "off_build"]),
    st.sampled_from(["days5", "build5", "lien"]),
    st.integers(min_value=-15, max_value=15),
    st.booleans(),
)


def _bulk(w, rows) -> None:
    today = timezone.localdate()
    now = timezone.now()
    Dossier.objects.bulk_create([
        Dossier(code=f"SUM-{i:05d}", procedure=getattr(w, proc), receiving_unit=w.centre,
                resolving_unit=getattr(w, lead), current_unit=getattr(w, held), channel="direct", state=state,
                applicant_name="Nguyễn Văn An", received_at=now - timedelta(days=20), receipt_date=today,
                processing_time=5, time_unit="working_days", base_due_date=today + timedelta(days=due),
                due_date=today + timedelta(days=due), due_at=now + timedelta(days=due),
                paused_on=today - timedelta(days=1) if paused else None,
                assigned_to=getattr(w, officer) if officer else None)
        for i, (state, held, lead, officer, proc, due, paused) in enumerate(rows)])


@pytest.fixture
def world_pg(db):
    require_postgres()
    return make_world()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(DOSSIER, max_size=40))
def test_grouping_sets_equal_the_python_sums(world_pg, rows):
    w = world_pg
    clock = sel.Clock.at()
    counts = sel._counts_by_day(clock)
    with transaction.atomic():
        _bulk(w, rows)
        for scope in (None, {w.justice.pk}, {w.district.pk, w.building.pk}, set()):
            parts = sel.board_parts(sel.dashboard_dossiers(w.lead_prov, scope=scope).order_by(), scope)
            assert sel._board_sums_grouped(parts, counts) == sel._board_sums(parts, counts), scope
        transaction.set_rollback(True)


def test_the_sums_written_out(world_pg):
    """Three dossiers, counted by hand: two held by the Sở Tư pháp (one unassigned, overdue;
    one paused), one led by it but held by the district."""
    w = world_pg
    _bulk(w, [("in_processing", "justice", "justice", None, "days5", -2, False),
              ("awaiting_supplement", "justice", "justice", "off_just", "days5", 5, True),
              ("in_processing", "district", "justice", "off_just", "lien", 0, False)])
    clock = sel.Clock.at()
    parts = sel.board_parts(sel.dashboard_dossiers(w.lead_just, scope={w.justice.pk}).order_by(), {w.justice.pk})
    totals, by = sel._board_sums_grouped(parts, sel._counts_by_day(clock))
    # BUCKETS: open, due today, due soon, overdue, paused
    assert totals == [3, 1, 1, 1, 1]
    assert by["units"] == {w.justice.pk: [2, 0, 0, 1, 1], w.district.pk: [1, 1, 1, 0, 0]}
    assert by["officers"] == {None: [1, 0, 0, 1, 0], w.off_just.pk: [2, 1, 1, 0, 1]}
    assert by["procedures"] == {w.days5.pk: [2, 0, 0, 1, 1], w.lien.pk: [1, 1, 1, 0, 0]}
