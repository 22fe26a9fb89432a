"""An action reads the dossier's steps and pauses once: the pre-check's (403/409 before the
fields) serve the locked transition when the row has not changed since; a change in between
makes it read them again."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dossiers.errors import DossierError
from dossiers.models import Dossier, DossierStep
from dossiers.services import lifecycle
from tests.monitoring.conftest import make_world, register

pytestmark = pytest.mark.django_db


def _reads(queries, table: str) -> int:
    """SELECTs of `table`'s rows (not a visibility subquery naming it)."""
    return sum(1 for q in queries if q["sql"].startswith(f'SELECT "{table}".'))


def test_an_api_action_reads_steps_and_pauses_once_before_it_writes():
    w = make_world()
    d = register(w, w.days5, None)
    client = APIClient()
    client.force_authenticate(w.clerk)
    with CaptureQueriesContext(connection) as q:
        r = client.post(f"/api/v1/dossiers/{d.code}/transfer/", {}, format="json")
    assert r.status_code == 200, r.content
    first_write = next(i for i, x in enumerate(q.captured_queries) if x["sql"].startswith("UPDATE"))
    before = q.captured_queries[:first_write]
    assert (_reads(before, "dossiers_dossierstep"), _reads(before, "dossiers_dossierpause")) == (1, 1)


def test_a_change_between_the_check_and_the_lock_is_read_again():
    """The clerk's page checked the hand-over; meanwhile a colleague handed the dossier over:
    the second hand-over is refused on what the database holds, and the steps stay as one
    hand-over left them."""
    w = make_world()
    d = register(w, w.days5, None)
    seen = Dossier.objects.get(pk=d.pk)
    lifecycle.dossier_check(dossier=seen, action="transfer", user=w.clerk)
    lifecycle.dossier_transfer(dossier=Dossier.objects.get(pk=d.pk), actor=w.clerk)
    after_one = list(DossierStep.objects.filter(dossier=d).order_by("order").values_list("state", "unit_id"))
    with pytest.raises(DossierError):
        lifecycle.dossier_transfer(dossier=seen, actor=w.clerk)
    assert list(DossierStep.objects.filter(dossier=d).order_by("order").values_list("state", "unit_id")) == after_one
