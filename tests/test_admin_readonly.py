"""Rows written by services only are read-only in the admin (one ``dossiers.admin.ReadOnlyAdmin``):
no add and no change for anyone, delete only where an administrator may clear old rows."""
import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory

pytestmark = pytest.mark.django_db

#: model label -> may a superuser delete its rows in the admin (written out, not read from the admins)
READ_ONLY = {
    "dossiers.dossierevent": False,
    "reporting.dailystatistic": False, "reporting.dailystock": False, "reporting.segmentstatistic": False,
    "reporting.dailyreceipt": False,
    "reporting.rollupday": False, "reporting.rolluprun": False, "reporting.frozenreport": False,
    "citizens.evaluation": False, "citizens.feedback": False,
    "papers.document": False,
    "connected.subscription": True, "connected.delivery": True, "connected.notice": True,
    "connected.noticetemplate": True,
    "monitoring.deadlinesweep": True, "monitoring.deadlineflag": True, "monitoring.notification": True,
    "monitoring.outboxmessage": True,
}


@pytest.mark.parametrize("label,deletable", sorted(READ_ONLY.items()))
def test_service_rows_are_read_only_in_the_admin(label, deletable):
    superuser = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    model_admin = admin.site._registry[model]
    assert model_admin.has_add_permission(request) is False
    row_change = model_admin.has_change_permission(request, obj=object())
    assert row_change is False
    assert model_admin.has_delete_permission(request) is deletable


def test_the_outbox_list_keeps_its_retry_action_for_who_may_change_messages():
    superuser = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    request = RequestFactory().get("/admin/")
    request.user = superuser
    from monitoring.models import OutboxMessage

    assert admin.site._registry[OutboxMessage].has_change_permission(request) is True
