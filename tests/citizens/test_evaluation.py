"""Satisfaction evaluation (domain.md §5): one per returned dossier, online or at the kiosk.

The service validates by field, counts the evaluation under the resolving unit and the officer
who handled the dossier, and refuses a second evaluation, also when two submits race on
PostgreSQL.
"""
from __future__ import annotations

import re
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.urls import reverse

from citizens.models import Evaluation
from citizens.scoring import Band
from citizens.services import MSG_ALREADY_EVALUATED, MSG_NOT_RETURNED, evaluation_submit
from dossiers.services import lifecycle
from tests.citizens.test_public_fixtures import (  # noqa: F401 (fixtures)
    CCCD_LAST4, PHONE_LAST4, at, make_returned, org, procedures, register, returned, verify, world,
)
from tests.conftest import require_postgres
from tests.dossiers.lifecycle_fixtures import approve_after_handover

ALL = {f"c{i}": "2" for i in range(1, 10)}


# --- service ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("points", "total", "band"), [
    ([2] * 9, 18, Band.EXCELLENT),
    ([2] * 7 + [1, 0], 15, Band.GOOD),
    ([1] * 9, 9, Band.FAIR),
    ([1] * 6 + [0] * 3, 6, Band.AVERAGE),
    ([0] * 9, 0, Band.POOR),
])
def test_evaluation_totals_and_bands(returned, points, total, band):
    e = evaluation_submit(dossier=returned, points=points, comment="  Tốt  ", source="online", at=at(2022, 2, 16, 23, 30))
    e.refresh_from_db()
    assert (e.total, e.band, e.points) == (total, band, points)
    assert e.comment == "Tốt"
    assert e.submitted_on.isoformat() == "2022-02-16"  # local date of 23:30 in Hà Nội time


@pytest.mark.django_db
def test_evaluation_is_counted_under_resolving_unit_and_officer(returned, world):
    e = evaluation_submit(dossier=returned, points=[2] * 9, source="kiosk")
    assert e.unit == world["org"]["justice"] == returned.resolving_unit
    assert e.officer == world["people"]["officer"]
    assert e.source == Evaluation.Source.KIOSK


@pytest.mark.django_db
def test_officer_falls_back_to_last_assigned_step(world):
    """A transfer clears the dossier's assignee; the officer of the last step with one counts."""
    p = world["people"]
    d = register(world, procedure="lien_thong")
    lifecycle.dossier_transfer(dossier=d, actor=None, at=at(2022, 1, 28, 9, 45))  # the counter's hand-over
    lifecycle.dossier_transfer(dossier=d, actor=None, at=at(2022, 1, 28, 9, 50))  # step 1 → Sở Tư pháp
    lifecycle.dossier_assign(dossier=d, actor=p["leader"], officer=p["officer"], at=at(2022, 1, 28, 10))
    lifecycle.dossier_transfer(dossier=d, actor=p["officer"], at=at(2022, 2, 7, 10))
    approve_after_handover(dossier=d, actor=None, at=at(2022, 2, 8, 10))
    lifecycle.dossier_return_result(dossier=d, actor=p["clerk"], at=at(2022, 2, 8, 15))
    d.refresh_from_db()
    assert d.assigned_to is None
    e = evaluation_submit(dossier=d, points=[1] * 9, source="online")
    assert e.officer == p["officer"]
    assert e.unit == world["org"]["construction"]


@pytest.mark.django_db
@pytest.mark.parametrize(("points", "source", "keys"), [
    ([2] * 8, "online", {"points"}),
    ([2] * 10, "online", {"points"}),
    ([2, 2, 3, 2, 2, 2, 2, 2, -1], "online", {"c3", "c9"}),
    ([2, "2", 2, 2, 2, 2, 2, 2, True], "online", {"c2", "c9"}),
    ([2] * 9, "phone", {"source"}),
])
def test_evaluation_errors_are_keyed_by_field(returned, points, source, keys):
    with pytest.raises(ValidationError) as exc:
        evaluation_submit(dossier=returned, points=points, source=source)
    assert set(exc.value.message_dict) == keys
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_open_dossier_cannot_be_evaluated(world):
    d = register(world)
    with pytest.raises(ValidationError) as exc:
        evaluation_submit(dossier=d, points=[2] * 9, source="online")
    assert exc.value.message_dict == {"dossier": [str(MSG_NOT_RETURNED)]}


@pytest.mark.django_db
def test_second_evaluation_is_refused(returned):
    evaluation_submit(dossier=returned, points=[2] * 9, source="online")
    with pytest.raises(ValidationError) as exc:
        evaluation_submit(dossier=returned, points=[0] * 9, source="kiosk")
    assert exc.value.message_dict == {"dossier": [str(MSG_ALREADY_EVALUATED)]}
    assert Evaluation.objects.get().total == 18


@pytest.mark.django_db(transaction=True)
def test_concurrent_evaluations_keep_one_on_postgres(world):
    """A holds its insert uncommitted; B passes the existence check, blocks on the unique
    index, and must end with the friendly error once A commits."""
    require_postgres()
    dossier = make_returned(world)
    inserted, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first():
        try:
            with transaction.atomic():
                evaluation_submit(dossier=dossier, points=[2] * 9, source="online")
                inserted.set()
                release.wait(10)
            outcome["a"] = "ok"
        except Exception as exc:  # noqa: BLE001 (reported below)
            outcome["a"] = exc
        finally:
            connection.close()

    def second():
        try:
            evaluation_submit(dossier=dossier, points=[0] * 9, source="kiosk")
            outcome["b"] = "ok"
        except Exception as exc:  # noqa: BLE001
            outcome["b"] = exc
        finally:
            connection.close()

    ta = threading.Thread(target=first)
    ta.start()
    assert inserted.wait(10)
    tb = threading.Thread(target=second)
    tb.start()
    time.sleep(0.5)
    assert tb.is_alive(), "B should be waiting on A's uncommitted row"
    release.set()
    ta.join(10)
    tb.join(10)
    close_old_connections()
    assert outcome["a"] == "ok"
    assert isinstance(outcome["b"], ValidationError), outcome["b"]
    assert outcome["b"].message_dict == {"dossier": [str(MSG_ALREADY_EVALUATED)]}
    assert list(Evaluation.objects.values_list("total", "source")) == [(18, "online")]


# --- the lookup page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_online_evaluation_shows_the_band(client, returned):
    verify(client, returned.code, PHONE_LAST4)
    page = client.get(reverse("citizens:public_dossier", args=[returned.code])).content.decode()
    assert page.count('type="radio" name="c') == 27  # nine criteria × three choices
    points = {**ALL, "c8": "1", "c9": "0", "comment": "Cán bộ nhiệt tình"}
    r = client.post(reverse("citizens:public_evaluate", args=[returned.code]), points, follow=True)
    html = r.content.decode()
    assert r.status_code == 200
    assert "15/18 điểm" in html and "Tốt" in html
    assert 'name="c1"' not in html  # the form is gone
    e = Evaluation.objects.get()
    assert (e.total, e.band, e.source, e.comment) == (15, Band.GOOD, "online", "Cán bộ nhiệt tình")
    again = client.post(reverse("citizens:public_evaluate", args=[returned.code]), ALL, follow=True)
    assert again.redirect_chain[0][1] == 302
    assert "Mỗi hồ sơ chỉ được đánh giá một lần" in again.content.decode()
    assert Evaluation.objects.count() == 1


@pytest.mark.django_db
def test_missing_criteria_get_field_errors_and_save_nothing(client, returned):
    verify(client, returned.code, CCCD_LAST4)
    r = client.post(reverse("citizens:public_evaluate", args=[returned.code]), {"c1": "2", "c2": "5"})
    html = r.content.decode()
    assert r.status_code == 400
    assert html.count("Vui lòng chọn mức đánh giá cho tiêu chí này.") == 8
    assert re.search(r'<input[^>]*id="id_c1_2"[^>]*checked', html)  # the choice made is kept
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_open_dossier_page_offers_no_evaluation(client, world):
    d = register(world)
    verify(client, d.code, PHONE_LAST4)
    html = client.get(reverse("citizens:public_dossier", args=[d.code])).content.decode()
    assert 'name="c1"' not in html
    assert "sau khi nhận kết quả" in html
    r = client.post(reverse("citizens:public_evaluate", args=[d.code]), ALL, follow=True)
    assert r.redirect_chain[0][1] == 302 and "chưa trả kết quả" in r.content.decode()
    assert not Evaluation.objects.exists()


# --- the kiosk -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_kiosk_evaluates_then_returns_to_start(returned):
    kiosk = Client()
    start = reverse("citizens:kiosk")
    qr_link = "https://motcua.example.gov.vn/tra-cuu-ho-so/?ma=" + returned.code  # typed by a QR scanner
    r = kiosk.post(start, {"code": qr_link, "digits": CCCD_LAST4})
    assert r.status_code == 302 and r["Location"] == reverse("citizens:kiosk_evaluate")
    assert returned.code not in r["Location"]
    form = kiosk.get(r["Location"]).content.decode()
    assert form.count('type="radio" name="c') == 27 and 'class="sidebar' not in form
    r = kiosk.post(reverse("citizens:kiosk_evaluate"), {**ALL, "c1": "0"})
    assert r.status_code == 302 and r["Location"] == reverse("citizens:kiosk_thanks")
    thanks = kiosk.get(r["Location"]).content.decode()
    assert "16/18" in thanks and "Xuất sắc" in thanks
    assert f'content="12;url={start}"' in thanks  # back to the start screen by itself
    assert Evaluation.objects.get().source == Evaluation.Source.KIOSK
    # the kiosk forgot the dossier: the next citizen starts from the code
    assert kiosk.get(reverse("citizens:kiosk_evaluate"))["Location"] == start
    assert kiosk.get(reverse("citizens:kiosk_thanks"))["Location"] == start
    again = kiosk.post(start, {"code": returned.code, "digits": CCCD_LAST4})
    assert again.status_code == 200 and "Mỗi hồ sơ chỉ được đánh giá một lần" in again.content.decode()


@pytest.mark.django_db
def test_kiosk_refuses_open_dossier_and_wrong_digits(world):
    d = register(world)
    kiosk = Client()
    r = kiosk.post(reverse("citizens:kiosk"), {"code": d.code, "digits": PHONE_LAST4})
    assert r.status_code == 200 and "chưa trả kết quả" in r.content.decode()
    r = kiosk.post(reverse("citizens:kiosk"), {"code": d.code, "digits": "1111"})
    assert "Không tìm thấy hồ sơ khớp" in r.content.decode()
    assert kiosk.get(reverse("citizens:kiosk_evaluate"))["Location"] == reverse("citizens:kiosk")
