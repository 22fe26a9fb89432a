"""Reports off a read replica (onecua/replica.py, issue 19).

The router's rules on any database; then, on PostgreSQL with a real streaming replica
(``scripts/replica.sh start``, ``DATABASE_REPLICA_URL``: `.ci/run` starts one), that the report
pages read the replica, seen by pausing its replay: the drill-down list shows the replica's
older view while the staff list shows the primary's, and falls back to the primary when the
replica lags beyond ``REPLICA_MAX_LAG_SECONDS`` or does not answer.

The replica copies the whole cluster, the test database included, so the test points the
``replica`` alias (a mirror of ``default`` in tests) at the replica's copy of the test
database; its data must be committed to reach the replica (``transaction=True``).
"""
from __future__ import annotations

import os
import time
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.urls import reverse

from dossiers.calendar import LOCAL_TZ
from dossiers.models import Dossier, Field, Procedure, Unit
from dossiers.services import lifecycle
from onecua import replica
from onecua.replica import ReplicaRouter, replica_health_forget, replica_reads, replica_usable
from tests.conftest import IN_CI, require_postgres

REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
QUARTER = {"basis": "regulatory", "kind": "quarter", "year": 2022, "number": 1}  # 15/12/2021 – 14/03/2022


# --- the router's rules (any database) -----------------------------------------------------------


def test_without_a_replica_everything_reads_the_primary(monkeypatch):
    monkeypatch.setattr(replica, "replica_configured", lambda: False)
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Dossier) is None
        assert replica_usable() is False
    assert router.db_for_write(Dossier) == "default"
    assert router.allow_migrate("replica", "dossiers") is False and router.allow_migrate("default", "dossiers")


def test_only_report_data_inside_the_scope_may_go_to_the_replica(monkeypatch):
    """Outside ``replica_reads``, for other apps and for a frozen report (the user may have
    just published it): the primary, whatever the replica's health."""
    from reporting.models import DailyStatistic, FrozenReport

    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    monkeypatch.setattr(replica, "replica_usable", lambda: True)
    router = ReplicaRouter()
    assert router.db_for_read(Dossier) is None
    with replica_reads():
        assert router.db_for_read(Dossier) == "replica"
        assert router.db_for_read(DailyStatistic) == "replica"
        assert router.db_for_read(FrozenReport) is None
        assert router.db_for_read(get_user_model()) is None
    monkeypatch.setattr(replica, "replica_usable", lambda: False)
    with replica_reads():
        assert router.db_for_read(Dossier) is None


# --- a real streaming replica --------------------------------------------------------------------


def _require_replica():
    require_postgres()
    if not REPLICA_URL or "replica" not in connections.settings:
        if IN_CI:
            pytest.fail("CI=true: set DATABASE_REPLICA_URL (scripts/replica.sh start; .ci/run does)")
        pytest.skip("needs a streaming replica: scripts/replica.sh start, DATABASE_REPLICA_URL=…")


def _replica_sql(sql: str):
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


@pytest.fixture
def on_replica(settings):
    """The ``replica`` alias at the replica's copy of the test database, checked afresh each read."""
    _require_replica()
    conn = connections["replica"]
    original = conn.settings_dict
    parts = urlsplit(REPLICA_URL)
    conn.close()
    conn.settings_dict = {**connections["default"].settings_dict, "HOST": parts.hostname, "PORT": parts.port or 5432,
                          "OPTIONS": {**connections["default"].settings_dict.get("OPTIONS", {}), "connect_timeout": 2}}
    settings.REPLICA_CHECK_SECONDS = 0
    replica_health_forget()
    yield conn
    try:
        _replica_sql("SELECT pg_wal_replay_resume()")
    except Exception:  # noqa: BLE001 - the test pointed the alias at a dead port
        pass
    conn.close()
    conn.settings_dict = original
    replica_health_forget()


def _wait_until_replayed(code: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _replica_sql(f"SELECT count(*) FROM dossiers_dossier WHERE code = '{code}'")[0]:
            return
        time.sleep(0.1)
    raise AssertionError(f"the replica did not receive {code} in {timeout} s")


@pytest.fixture
def province(db):
    province = Unit.objects.create(code="000.00.00.H25", name="UBND tỉnh", level="province", kind="people_committee")
    commune = Unit.objects.create(code="000.01.10.H25", name="UBND xã", level="commune", kind="people_committee",
                                  parent=province)
    field = Field.objects.create(name="Chứng thực")
    proc = Procedure.objects.create(code="2.000001", name="Chứng thực bản sao", field=field, processing_time=1,
                                    time_unit="working_days", resolving_unit=commune)
    admin = get_user_model().objects.create_superuser(username="admin", password=None)
    return type("Province", (), dict(commune=commune, proc=proc, admin=admin))


def _receive(province, name: str, day: int) -> Dossier:
    return lifecycle.dossier_register(
        procedure=province.proc, receiving_unit=province.commune, channel="direct",
        applicant={"name": name, "id_number": "", "phone": "", "address": ""},
        received_at=datetime(2022, 2, day, 9, tzinfo=LOCAL_TZ))


def _drill_down_codes(client) -> set[str]:
    html = client.get(reverse("reporting:report_dossiers"), {**QUARTER, "figure": "received_total",
                                                             "row": "total"}).content.decode()
    return {d.code for d in Dossier.objects.all() if f"/{d.code}/" in html}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_reports_read_the_replica_and_fall_back_when_it_lags(client, province, on_replica, settings):
    first = _receive(province, "Nguyễn Văn An", 7)
    _wait_until_replayed(first.code)
    assert _replica_sql("SELECT pg_is_in_recovery()") == (True,)
    _replica_sql("SELECT pg_wal_replay_pause()")
    second = _receive(province, "Trần Thị Bình", 8)  # committed on the primary, not replayed
    client.force_login(province.admin)

    settings.REPLICA_MAX_LAG_SECONDS = 3600
    assert _drill_down_codes(client) == {first.code}                   # the report: the replica's older view
    detail = client.get(reverse("dossiers:detail", args=[second.code]))
    assert detail.status_code == 200                                   # a staff page: the primary, up to date

    settings.REPLICA_MAX_LAG_SECONDS = 1
    time.sleep(1.5)                                                    # the replica is now >1 s behind
    assert _drill_down_codes(client) == {first.code, second.code}      # lagging: the primary
    assert replica._health["lag"] is not None and replica._health["lag"] > 1

    _replica_sql("SELECT pg_wal_replay_resume()")
    _wait_until_replayed(second.code)
    assert _drill_down_codes(client) == {first.code, second.code}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_reports_fall_back_to_the_primary_when_the_replica_is_down(client, province, on_replica):
    first = _receive(province, "Nguyễn Văn An", 7)
    client.force_login(province.admin)
    on_replica.close()
    on_replica.settings_dict = {**on_replica.settings_dict, "PORT": 1}  # nothing listens there
    replica_health_forget()
    assert _drill_down_codes(client) == {first.code}
    assert replica._health["usable"] is False and replica._health["lag"] is None
