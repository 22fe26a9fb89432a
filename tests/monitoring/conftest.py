"""Fixtures of the monitoring tests: a small province with leaders at two levels.

Units: the province people's committee (root) → the service centre, Sở Tư pháp, Sở Xây dựng,
and a district people's committee. Leaders: ``lead_prov`` (root: sees everything),
``lead_just`` (Sở Tư pháp only), ``lead_dist`` (the district only). Officers: ``off_just``,
``off_build``; a counter clerk at the centre. Everyone has an e-mail address.

Procedures: 5 working days (justice; and one at construction), 4 working hours (justice, "4 tại
chỗ"), and a liên thông procedure of 10 working days in three steps (3 + 5 + 2) across
construction and justice.
"""
from __future__ import annotations

import os

from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from dossiers.calendar import LOCAL_TZ
from dossiers.models import Dossier, DossierStep, Field, Procedure, ProcedureStep, StaffProfile, Unit
from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, role_group_name, roles_sync

PASSWORD = "mat-khau-thu-nghiem"
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "017090001234", "phone": "0912345678", "address": "Phường Phương Lâm"}


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """An aware local (Asia/Ho_Chi_Minh) instant."""
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def make_world() -> SimpleNamespace:
    roles_sync()
    User = get_user_model()
    province = Unit.objects.create(code="000.00.00.H23", name="UBND tỉnh Hòa Bình", level="province", kind="people_committee")
    centre = Unit.objects.create(
        code="000.00.31.H23", name="Trung tâm Phục vụ hành chính công tỉnh", level="province",
        kind="service_centre", parent=province,
    )
    justice = Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp", level="province", kind="agency", parent=province)
    building = Unit.objects.create(code="000.00.14.H23", name="Sở Xây dựng", level="province", kind="agency", parent=province)
    district = Unit.objects.create(
        code="000.30.00.H23", name="UBND huyện Lạc Sơn", level="district", kind="people_committee", parent=province,
    )

    def person(username, first, last, role, unit):
        u = User.objects.create_user(username, email=f"{username}@onecua.test", password=PASSWORD, first_name=first, last_name=last)
        u.groups.add(Group.objects.get(name=role_group_name(role)))
        StaffProfile.objects.create(user=u, unit=unit)
        return u

    civil, construction = Field.objects.create(name="Hộ tịch"), Field.objects.create(name="Xây dựng")
    days5 = Procedure.objects.create(
        code="1.000001", name="Cấp bản sao trích lục hộ tịch", field=civil, processing_time=5,
        time_unit="working_days", resolving_unit=justice,
    )
    hours4 = Procedure.objects.create(
        code="2.000004", name="Chứng thực chữ ký", field=civil, processing_time=4, time_unit="working_hours",
        resolving_unit=justice, on_the_spot=True,
    )
    build5 = Procedure.objects.create(
        code="1.000055", name="Cấp chứng chỉ hành nghề xây dựng", field=construction, processing_time=5,
        time_unit="working_days", resolving_unit=building,
    )
    lien = Procedure.objects.create(
        code="1.009999", name="Cấp giấy phép xây dựng (liên thông)", field=construction, processing_time=10,
        time_unit="working_days", resolving_unit=building,
    )
    ProcedureStep.objects.create(procedure=lien, order=1, name="Thẩm định hồ sơ", unit=building, allotted_time=3)
    ProcedureStep.objects.create(procedure=lien, order=2, name="Lấy ý kiến Sở Tư pháp", unit=justice, allotted_time=5)
    ProcedureStep.objects.create(procedure=lien, order=3, name="Phê duyệt", unit=building, allotted_time=2)
    return SimpleNamespace(
        province=province, centre=centre, justice=justice, building=building, district=district,
        days5=days5, hours4=hours4, build5=build5, lien=lien,
        lead_prov=person("lanhdao_tinh", "Hoàng Văn", "Tỉnh", LEADER, province),
        lead_just=person("lanhdao_tp", "Bùi Thị", "Tư", LEADER, justice),
        lead_build=person("lanhdao_xd", "Đinh Văn", "Xây", LEADER, building),
        lead_dist=person("lanhdao_huyen", "Quách Văn", "Huyện", LEADER, district),
        off_just=person("chuyenvien_tp", "Lê Văn", "Bình", OFFICER, justice),
        off_build=person("chuyenvien_xd", "Phạm Văn", "Cường", OFFICER, building),
        clerk=person("motcua", "Trần Thị", "Lan", COUNTER_CLERK, centre),
    )


@pytest.fixture
def world(db):
    return make_world()


def register(w, procedure, received_at: datetime, **kw):
    """Receive a dossier at the centre through the live service."""
    from dossiers.services.lifecycle import dossier_register

    return dossier_register(
        procedure=procedure, receiving_unit=kw.pop("receiving_unit", w.centre), channel=kw.pop("channel", "direct"),
        applicant=kw.pop("applicant", APPLICANT), actor=kw.pop("actor", w.clerk), received_at=received_at, **kw,
    )


@contextmanager
def celery_broker(url: str):
    """Point the project's Celery app at `url`, not eager; restore everything afterwards."""
    from onecua.celery import app

    keys = ("broker_url", "broker_transport_options", "task_always_eager", "broker_connection_retry_on_startup")
    saved = {k: app.conf.get(k) for k in keys}

    def reset_pools():
        from kombu import pools

        if app._pool is not None:
            app._pool.force_close_all()
            app._pool = None
        amqp = app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None
        # kombu keeps producer pools in a process-wide registry keyed by connection: closing one
        # without clearing the registry left it closed for every later task ("Acquire on closed pool")
        pools.reset()

    app.conf.update(broker_url=url, broker_transport_options={}, task_always_eager=False,
                    broker_connection_retry_on_startup=True)
    # Celery's Settings.broker_url reads the CELERY_BROKER_URL environment variable before the
    # configuration (CI sets it to the shared Redis): point it at `url` as well.
    saved_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    reset_pools()
    try:
        yield app
    finally:
        reset_pools()
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app.conf.update(saved)


def place(d, *, due, paused_on=None, officer=None, unit=None, due_at=None):
    """Put a dossier's stored deadline facts where a dashboard test needs them (hand-made, so
    that the test means the same on any weekday it runs)."""
    from datetime import time as dtime

    from dossiers.models import Dossier

    due_at = due_at or datetime.combine(due, dtime(17, 0), LOCAL_TZ)
    fields = {"due_date": due, "due_at": due_at, "paused_on": paused_on}
    if paused_on is not None:
        fields.update(state="awaiting_supplement", paused_at=datetime.combine(paused_on, dtime(9, 0), LOCAL_TZ))
    if officer is not None:
        fields.update(assigned_to=officer, state="in_processing" if paused_on is None else "awaiting_supplement")
    if unit is not None:
        fields["current_unit"] = unit
    Dossier.objects.filter(pk=d.pk).update(**fields)
    d.refresh_from_db()
    return d


def make_board(w) -> dict:
    """Open dossiers in every bucket relative to the real today T (N = next working day):

    ========================  ===========  ==================  =========  =========
    name                      due          where               officer    bucket
    ========================  ===========  ==================  =========  =========
    overdue                   T − 3        Sở Tư pháp          off_just   overdue
    overdue_old               T − 20       Sở Tư pháp          off_just   overdue
    today                     T            Sở Tư pháp          –          due today, due soon
    tomorrow                  N            Sở Xây dựng         off_build  due soon
    paused                    T + 5        Sở Tư pháp (p T−1)  off_just   paused
    paused_late               T − 4        Sở Tư pháp (p T−1)  off_just   paused, overdue
    later                     T + 10       Sở Xây dựng         off_build  –
    district                  T − 1        UBND huyện          –          overdue
    hours_late                T, 1 min ago Sở Tư pháp          off_just   overdue (4 working hours)
    resolved                  (approved)                                  not open
    ========================  ===========  ==================  =========  =========
    """
    from datetime import timedelta

    from django.utils import timezone

    from dossiers.selectors import calendar_get
    from dossiers.services import lifecycle

    today = timezone.localdate()
    nxt = calendar_get().next_working_day(today)
    b = {}
    b["overdue"] = place(register(w, w.days5, None), due=today - timedelta(days=3), officer=w.off_just, unit=w.justice)
    b["overdue_old"] = place(register(w, w.days5, None), due=today - timedelta(days=20), officer=w.off_just, unit=w.justice)
    b["today"] = place(register(w, w.days5, None), due=today, unit=w.justice)
    b["tomorrow"] = place(register(w, w.build5, None), due=nxt, officer=w.off_build, unit=w.building)
    b["paused"] = place(register(w, w.days5, None), due=today + timedelta(days=5), paused_on=today - timedelta(days=1),
                        officer=w.off_just, unit=w.justice)
    b["paused_late"] = place(register(w, w.days5, None), due=today - timedelta(days=4),
                             paused_on=today - timedelta(days=1), officer=w.off_just, unit=w.justice)
    b["later"] = place(register(w, w.build5, None), due=today + timedelta(days=10), officer=w.off_build, unit=w.building)
    # A district-led dossier (one imported from 2022, when this procedure had a district lead):
    # D19 refuses that at intake today, so the lead is set by hand like the deadline facts.
    district = register(w, w.days5, None, receiving_unit=w.district)
    Dossier.objects.filter(pk=district.pk).update(resolving_unit=w.district)
    DossierStep.objects.filter(dossier=district, unit=w.justice).update(unit=w.district)
    b["district"] = place(district, due=today - timedelta(days=1), unit=w.district)
    b["hours_late"] = place(register(w, w.hours4, None), due=today, due_at=timezone.now() - timedelta(minutes=1),
                            officer=w.off_just, unit=w.justice)
    d = lifecycle.dossier_transfer(dossier=register(w, w.days5, None), actor=None)  # handed over (D18)
    b["resolved"] = lifecycle.dossier_approve(dossier=d, actor=w.lead_just)
    return b


def many_overdue(w, count: int, received) -> None:
    """`count` open dossiers due long ago (bulk rows: the sweep only reads their columns)."""
    Dossier.objects.bulk_create([
        Dossier(
            code=f"TEST-{received:%y%m%d}-{i:05d}", procedure=w.days5, receiving_unit=w.centre, resolving_unit=w.justice,
            current_unit=w.justice, channel="direct", state="in_processing", applicant_name="Nguyễn Văn An",
            received_at=received, receipt_date=received.date(), processing_time=5, time_unit="working_days",
            base_due_date=received.date() + timedelta(days=7), due_date=received.date() + timedelta(days=7),
            due_at=received + timedelta(days=7), assigned_to=w.off_just,
        )
        for i in range(count)
    ])
