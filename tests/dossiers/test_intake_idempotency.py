"""Idempotent intake (interfaces.md "Dossier API", issue 13): nothing is taken in twice.

API: ``POST /api/v1/dossiers/`` with ``Idempotency-Key``: a repeat with the same key and body
within 24 hours, by the same user, answers the first dossier again (201, same body, header
``Idempotent-Replayed: true``) and creates nothing; the same key with another body answers 409;
a key over 255 characters 400. Concurrent repeats on PostgreSQL: exactly one dossier, the others
wait for it and replay it. The counter page's one-time form token: a resubmitted form leads to
the dossier already taken in, with "Hồ sơ này đã được tiếp nhận (mã …)".
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connections
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dossiers.models import Dossier, Field, IntakeKey, Procedure, StaffProfile, Unit
from dossiers.roles import COUNTER_CLERK, role_group_name, roles_sync
from dossiers.services import intake_keys, lifecycle
from dossiers.tasks import intake_keys_purge_task
from tests.conftest import require_postgres
from tests.dossiers.test_code_sequence import _run_threads

URL = "/api/v1/dossiers/"
CCCD = "017090001234"


@pytest.fixture
def org(db):
    roles_sync()
    centre = Unit.objects.create(code="000.00.01.H23", name="Trung tâm Phục vụ hành chính công tỉnh",
                                 level="province", kind="service_centre")
    agency = Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp", level="province", kind="agency")
    procedure = Procedure.objects.create(
        code="1.001234", name="Đăng ký khai sinh", field=Field.objects.create(name="Hộ tịch"), processing_time=5,
        time_unit=Procedure.TimeUnit.WORKING_DAYS, resolving_unit=agency, documents="Tờ khai\nGiấy chứng sinh",
    )

    def clerk(username):
        u = User.objects.create_user(username, password="mat-khau-123", first_name=username.title())
        StaffProfile.objects.create(user=u, unit=centre)
        u.groups.add(Group.objects.get(name=role_group_name(COUNTER_CLERK)))
        return u

    return type("Org", (), dict(centre=centre, procedure=procedure, clerk=clerk("clerk"), clerk2=clerk("clerk2")))


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def body(org, name="Nguyễn Văn An") -> dict:
    return {
        "procedure": org.procedure.code, "receiving_unit": org.centre.code, "channel": "direct",
        "applicant": {"name": name, "id_number": CCCD, "phone": "0912345678"}, "on_the_spot": False,
    }


def post(client, data, key=None):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(URL, data, format="json", **headers)


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    data = response.json()
    assert set(data) == {"detail", "errors"} and data["detail"]
    return data


# --- the API ---------------------------------------------------------------------------------


def test_a_repeat_with_the_same_key_and_body_answers_the_first_dossier(org):
    client = api(org.clerk)
    first = post(client, body(org), key="portal-2026-000123")
    again = post(client, body(org), key="portal-2026-000123")
    assert first.status_code == again.status_code == 201
    assert first.content == again.content  # the same bytes: the answer is kept, not rebuilt
    assert again.json()["code"] == "000.00.01.H23-" + timezone.localdate().strftime("%y%m%d") + "-0001"
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert first["Location"] == again["Location"] == f"/api/v1/dossiers/{first.json()['code']}/"
    assert Dossier.objects.count() == 1
    assert IntakeKey.objects.get().dossier.code == first.json()["code"]


def test_the_same_body_in_another_key_order_is_the_same_body(org):
    client = api(org.clerk)
    data = body(org)
    post(client, data, key="k1")
    reordered = {k: data[k] for k in reversed(list(data))}
    reordered["applicant"] = {k: data["applicant"][k] for k in reversed(list(data["applicant"]))}
    assert post(client, reordered, key="k1")["Idempotent-Replayed"] == "true"
    assert Dossier.objects.count() == 1


def test_a_replay_still_answers_after_the_dossier_moved_on(org):
    """The kept answer is the first one (status "received"), even after the dossier changed."""
    client = api(org.clerk)
    first = post(client, body(org), key="k-moved")
    d = Dossier.objects.get()
    lifecycle.dossier_withdraw(dossier=d, actor=org.clerk, reason="Người nộp rút hồ sơ")
    again = post(client, body(org), key="k-moved")
    assert again.status_code == 201 and again.json() == first.json() and again.json()["status"] == "received"


def test_the_same_key_with_another_body_is_refused_with_409(org):
    client = api(org.clerk)
    first = post(client, body(org), key="k-409")
    response = post(client, body(org, name="Trần Thị Bình"), key="k-409")
    data = assert_error(response, 409)
    code = first.json()["code"]
    assert data["detail"] == (
        f"Idempotency-Key “k-409” đã dùng cho một yêu cầu tiếp nhận khác trong 24 giờ qua (hồ sơ {code}); "
        "dùng khóa mới cho hồ sơ mới."
    )
    assert data["errors"] == {"Idempotency-Key": [data["detail"]]}
    assert Dossier.objects.count() == 1


def test_keys_belong_to_their_user(org):
    """Two clerks who happen to choose the same key each get their own dossier."""
    a = post(api(org.clerk), body(org), key="shared")
    b = post(api(org.clerk2), body(org), key="shared")
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b
    assert a.json()["code"] != b.json()["code"]
    assert Dossier.objects.count() == 2


def test_without_a_key_every_post_is_a_new_dossier(org):
    client = api(org.clerk)
    assert post(client, body(org)).status_code == post(client, body(org)).status_code == 201
    assert Dossier.objects.count() == 2
    assert not IntakeKey.objects.exists()


@pytest.mark.parametrize(
    "key, message",
    [
        ("x" * 256, "Idempotency-Key dài tối đa 255 ký tự (đang có 256)."),
        ("", "Idempotency-Key không được để trống."),
        ("a\tb", "Idempotency-Key có ký tự điều khiển không được phép."),
    ],
)
def test_a_bad_key_is_a_400_and_nothing_is_taken_in(org, key, message):
    data = assert_error(post(api(org.clerk), body(org), key=key), 400)
    assert data == {"detail": message, "errors": {"Idempotency-Key": [message]}}
    assert not Dossier.objects.exists() and not IntakeKey.objects.exists()


def test_a_key_of_255_characters_is_accepted(org):
    client = api(org.clerk)
    key = "é" * 255
    assert post(client, body(org), key=key).status_code == 201
    assert post(client, body(org), key=key)["Idempotent-Replayed"] == "true"
    assert Dossier.objects.count() == 1


def test_a_refused_intake_keeps_no_key_so_the_corrected_repeat_goes_through(org):
    """A body the rules refuse (400) stores nothing: the caller fixes it and sends the same key."""
    client = api(org.clerk)
    bad = body(org)
    bad["applicant"]["id_number"] = "12345"
    assert_error(post(client, bad, key="k-fix"), 400)
    assert not IntakeKey.objects.exists()
    assert post(client, body(org), key="k-fix").status_code == 201
    assert Dossier.objects.count() == 1


def test_a_repeat_whose_body_no_longer_validates_still_answers_the_first_dossier(org):
    """The procedure is withdrawn from the catalogue after the intake; the retry still gets it."""
    client = api(org.clerk)
    first = post(client, body(org), key="k-late")
    Procedure.objects.filter(pk=org.procedure.pk).update(code="1.009999")
    from dossiers.reference import reference_reset

    reference_reset()
    again = post(client, body(org), key="k-late")
    assert again.status_code == 201 and again.content == first.content
    assert post(client, body(org), key="k-other").status_code == 400  # a new key is validated as usual


def test_a_key_older_than_24_hours_is_free_again_and_purged(org):
    client = api(org.clerk)
    post(client, body(org), key="k-old")
    IntakeKey.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    again = post(client, body(org), key="k-old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Dossier.objects.count() == 2
    assert IntakeKey.objects.count() == 1  # the expired row was replaced
    # the purge: keys past 24 h go, younger ones stay; a second run deletes nothing
    IntakeKey.objects.create(user=org.clerk2, key="old", body_hash="0" * 64,
                             created_at=timezone.now() - timedelta(hours=25))
    assert intake_keys_purge_task.delay().get() == 1
    assert intake_keys_purge_task.delay().get() == 0
    assert list(IntakeKey.objects.values_list("key", flat=True)) == ["k-old"]


def test_body_hash_is_the_canonical_json():
    assert intake_keys.body_hash({"b": 1, "a": [1, "á"]}) == intake_keys.body_hash({"a": [1, "á"], "b": 1})
    assert intake_keys.body_hash({"a": 1}) != intake_keys.body_hash({"a": "1"})
    assert intake_keys.body_hash({"a": 1}) == (
        "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"  # sha256('{"a":1}')
    )


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


def _overlap(first, second) -> None:
    """Run `first` in a thread until it signals that it holds its transaction open, then
    `second` in another; `second` must still be waiting 1 s later; then let `first` finish."""
    holding, release = threading.Event(), threading.Event()

    def in_thread(fn):
        def run():
            try:
                fn(holding, release)
            finally:
                connections.close_all()  # each thread has its own connection
        return threading.Thread(target=run)

    t1, t2 = in_thread(first), in_thread(second)
    try:
        t1.start()
        assert holding.wait(timeout=30)
        t2.start()
        t2.join(timeout=1.0)
        assert t2.is_alive(), "the repeat must wait for the first intake, not answer at once"
        assert not Dossier.objects.exists()  # nothing committed yet
    finally:
        release.set()
        t1.join(timeout=60)
        t2.join(timeout=60)
    assert not t1.is_alive() and not t2.is_alive(), "a thread hung"


@pytest.mark.postgres
def test_concurrent_repeats_with_one_key_make_exactly_one_dossier(transactional_db, org):
    """8 clients send the same keyed intake at the same moment: one dossier; every answer is
    201 with the same body, seven of them replays."""
    require_postgres()
    token = Token.objects.get_or_create(user=org.clerk)[0].key
    data, results = body(org), [None] * 8
    barrier = threading.Barrier(8)

    def send(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait(timeout=30)
        r = client.post(URL, data, format="json", HTTP_IDEMPOTENCY_KEY="burst-1")
        results[i] = (r.status_code, r.content, r.get("Idempotent-Replayed"))

    errors = _run_threads(send, 8)
    assert errors == []
    assert [status for status, _c, _h in results] == [201] * 8
    assert len({content for _s, content, _h in results}) == 1
    assert sorted(str(h) for _s, _c, h in results) == ["None"] + ["true"] * 7
    assert Dossier.objects.count() == 1 and IntakeKey.objects.count() == 1


@pytest.mark.postgres
def test_a_repeat_waits_for_the_uncommitted_first_and_then_replays_it(transactional_db, org):
    """While the first intake is still inside its transaction, the repeat neither creates a
    second dossier nor fails: it waits, then answers the first one."""
    require_postgres()
    answers = {}

    def slow_hook(dossier, event):
        if not slow_hook.held.is_set():
            slow_hook.held.set()
            assert slow_hook.release.wait(timeout=30)
        return ()

    def first(holding, release):
        slow_hook.held, slow_hook.release = holding, release
        answers["first"] = post(api(org.clerk), body(org), key="slow")

    def second(holding, release):
        answers["second"] = post(api(org.clerk), body(org), key="slow")

    lifecycle.TRANSITION_HOOKS.append(slow_hook)
    try:
        _overlap(first, second)
    finally:
        lifecycle.TRANSITION_HOOKS.remove(slow_hook)
    assert answers["first"].status_code == answers["second"].status_code == 201
    assert answers["second"].content == answers["first"].content
    assert answers["second"]["Idempotent-Replayed"] == "true"
    assert Dossier.objects.count() == 1


@pytest.mark.postgres
def test_when_the_first_intake_rolls_back_the_waiting_repeat_takes_the_dossier_in(transactional_db, org):
    require_postgres()
    outcome = {}

    def good_register():
        d = lifecycle.dossier_register(procedure=org.procedure, receiving_unit=org.centre, channel="direct",
                                       applicant={"name": "An"}, actor=org.clerk)
        return d, '{"code": "%s"}' % d.code

    def first(holding, release):
        def failing_register():
            holding.set()
            assert release.wait(timeout=30)
            raise lifecycle.DossierError("Thủ tục đã ngừng áp dụng.")

        try:
            intake_keys.intake_once(user=org.clerk, key="k", digest="h", register=failing_register)
        except lifecycle.DossierError as exc:
            outcome["first"] = exc.message

    def second(holding, release):
        outcome["second"] = intake_keys.intake_once(user=org.clerk, key="k", digest="h", register=good_register)

    _overlap(first, second)
    assert outcome["first"] == "Thủ tục đã ngừng áp dụng."
    assert outcome["second"].replayed is False
    assert Dossier.objects.count() == 1 and IntakeKey.objects.get().dossier == Dossier.objects.get()
