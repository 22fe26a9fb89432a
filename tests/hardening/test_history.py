"""The dossier history cannot be rewritten (issue #8 item 4).

The database itself refuses UPDATE and DELETE on ``dossiers_dossierevent`` (PostgreSQL: a row
trigger for both; SQLite: UPDATE only, see the migration), whatever the path: raw SQL, the
ORM's ``update()``/``delete()``, a model ``save()``, a cascade from the dossier. INSERT, the
whole lifecycle and TRUNCATE (test flushes) still work; the admin shows events read-only.
"""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from dossiers.models import Dossier, DossierEvent
from dossiers.services import lifecycle as svc
from tests.conftest import require_postgres
from tests.dossiers.lifecycle_fixtures import org, procedures, staff  # noqa: F401 (fixtures)
from tests.dossiers.lifecycle_fixtures import at, register
from tests.factories import UserFactory
from tests.hardening.history_guard import history_rewrite_allowed

REFUSED = "append-only"


@pytest.fixture
def dossier(procedures, org, staff):
    """A dossier with four events: received, handed over, assigned, approved."""
    d = register(procedures["days5"], org, received_at=at(2022, 3, 1, 9), actor=staff["clerk"])
    d = svc.dossier_transfer(dossier=d, actor=staff["clerk"], at=at(2022, 3, 1, 9, 30))
    d = svc.dossier_assign(dossier=d, actor=staff["officer"], officer=staff["officer"], at=at(2022, 3, 1, 10))
    return svc.dossier_approve(dossier=d, actor=staff["justice_leader"], at=at(2022, 3, 2, 9))


def refused(fn):
    """Run fn in a savepoint and return the database's refusal message."""
    with pytest.raises(IntegrityError) as exc:
        with transaction.atomic():
            fn()
    assert REFUSED in str(exc.value)
    return str(exc.value)


def snapshot(d):
    return list(DossierEvent.objects.filter(dossier=d).order_by("id").values())


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_raw_sql_update_is_refused(dossier):
    before = snapshot(dossier)
    assert len(before) == 4
    refused(lambda: raw("UPDATE dossiers_dossierevent SET note = %s WHERE dossier_id = %s", ["sửa lịch sử", dossier.pk]))
    refused(lambda: raw("UPDATE dossiers_dossierevent SET due_date = NULL"))
    assert snapshot(dossier) == before


def test_orm_update_and_save_are_refused(dossier):
    before = snapshot(dossier)
    refused(lambda: DossierEvent.objects.filter(dossier=dossier).update(note="sửa lịch sử"))
    event = DossierEvent.objects.filter(dossier=dossier).first()
    event.to_state = "returned"
    refused(event.save)
    assert snapshot(dossier) == before


def test_raw_sql_and_orm_delete_are_refused_on_postgresql(dossier):
    require_postgres()
    before = snapshot(dossier)
    refused(lambda: raw("DELETE FROM dossiers_dossierevent WHERE dossier_id = %s", [dossier.pk]))
    refused(lambda: DossierEvent.objects.filter(dossier=dossier).delete())
    refused(DossierEvent.objects.filter(dossier=dossier).last().delete)
    assert snapshot(dossier) == before


def test_a_dossier_with_history_cannot_be_deleted_on_postgresql(dossier):
    """Deleting a dossier cascades to its events: the database refuses, the dossier stays."""
    require_postgres()
    refused(lambda: Dossier.objects.filter(pk=dossier.pk).delete())
    assert Dossier.objects.filter(pk=dossier.pk).exists()
    assert len(snapshot(dossier)) == 4


def test_insert_and_the_whole_lifecycle_still_work(procedures, org, staff):
    """Every action appends its event; earlier events are byte-for-byte unchanged."""
    officer, clerk, leader = staff["officer"], staff["clerk"], staff["justice_leader"]
    d = register(procedures["days10"], org, received_at=at(2022, 1, 17, 9), actor=clerk)
    actions = [
        lambda d: svc.dossier_transfer(dossier=d, actor=clerk, at=at(2022, 1, 17, 9, 30)),
        lambda d: svc.dossier_assign(dossier=d, actor=officer, officer=officer, at=at(2022, 1, 17, 10)),
        lambda d: svc.dossier_request_supplement(dossier=d, actor=officer, reason="Thiếu tờ khai", at=at(2022, 1, 26, 10)),
        lambda d: svc.dossier_resume(dossier=d, actor=clerk, at=at(2022, 2, 8, 9)),
        lambda d: svc.dossier_apologize(dossier=d, actor=leader, new_date=at(2022, 2, 25).date(), reason="Chờ ý kiến",
                                        at=at(2022, 2, 9, 9)),
        lambda d: svc.dossier_approve(dossier=d, actor=leader, at=at(2022, 2, 10, 9)),
        lambda d: svc.dossier_return_result(dossier=d, actor=clerk, at=at(2022, 2, 11, 9)),
    ]
    history = snapshot(d)
    for act in actions:
        d = act(d)
        now = snapshot(d)
        assert now[: len(history)] == history
        assert len(now) == len(history) + 1
        history = now
    assert Dossier.objects.get(pk=d.pk).state == "returned"
    # A plain INSERT is fine too.
    DossierEvent.objects.create(dossier=d, at=at(2022, 2, 11, 10), action="note", to_state="returned", note="ghi chú")
    assert len(snapshot(d)) == len(history) + 1


def test_deleting_a_staff_account_keeps_the_history_and_the_name(dossier, staff):
    """The one allowed UPDATE: actor set to NULL (on_delete=SET_NULL), nothing else."""
    clerk = staff["clerk"]
    event = DossierEvent.objects.get(dossier=dossier, actor=clerk, action="receive")
    name_before = event.actor_name
    rows_before = [{k: v for k, v in row.items() if k != "actor_id"} for row in snapshot(dossier)]
    get_user_model().objects.filter(pk=clerk.pk).delete()
    event.refresh_from_db()
    assert event.actor_id is None and event.actor_name == name_before
    assert [{k: v for k, v in row.items() if k != "actor_id"} for row in snapshot(dossier)] == rows_before
    # ... but nulling the actor together with another change is still refused.
    officer_event = DossierEvent.objects.filter(dossier=dossier, actor=staff["officer"]).first()
    refused(lambda: DossierEvent.objects.filter(pk=officer_event.pk).update(actor=None, note="x"))


def test_the_repair_helper_lifts_the_guard_only_inside_its_block(dossier):
    with history_rewrite_allowed():
        DossierEvent.objects.filter(dossier=dossier).update(note="sửa có chủ đích")
    assert set(DossierEvent.objects.filter(dossier=dossier).values_list("note", flat=True)) == {"sửa có chủ đích"}
    refused(lambda: DossierEvent.objects.filter(dossier=dossier).update(note="lại sửa"))


@pytest.mark.django_db(transaction=True)
def test_truncate_still_empties_the_table_on_postgresql(procedures, org, staff):
    """TRUNCATE fires no row trigger: the flush between transactional tests keeps working."""
    require_postgres()
    register(procedures["days5"], org, received_at=at(2022, 3, 1, 9), actor=staff["clerk"])
    raw("TRUNCATE dossiers_dossierevent CASCADE")
    assert not DossierEvent.objects.exists()


# --- admin: read-only ---------------------------------------------------------------------


@pytest.fixture
def admin_client_su(client, db):
    user = UserFactory(username="su", superuser=True)
    client.force_login(user)
    return client


def test_admin_lists_and_shows_events_but_offers_no_add_change_or_delete(admin_client_su, dossier):
    client = admin_client_su
    event = DossierEvent.objects.filter(dossier=dossier).first()
    before = snapshot(dossier)
    listing = client.get(reverse("admin:dossiers_dossierevent_changelist"))
    assert listing.status_code == 200
    assert dossier.code in listing.content.decode()
    assert 'name="action"' not in listing.content.decode()  # no bulk "delete selected"
    page = client.get(reverse("admin:dossiers_dossierevent_change", args=[event.pk]))
    assert page.status_code == 200  # view-only page
    html = page.content.decode()
    assert 'name="_save"' not in html and 'name="_continue"' not in html and "deletelink" not in html
    assert client.get(reverse("admin:dossiers_dossierevent_add")).status_code == 403
    assert client.post(reverse("admin:dossiers_dossierevent_change", args=[event.pk]),
                       {"note": "sửa", "action": "x", "to_state": "x"}).status_code == 403
    assert client.post(reverse("admin:dossiers_dossierevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert snapshot(dossier) == before
