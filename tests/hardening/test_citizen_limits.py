"""The citizens' pages against guessing and flooding (issue 18 items 2 and 9, public part).

- Wrong tails for one code, spread over many addresses, lock that code for everybody (the
  right digits included), with a Vietnamese message that says how to get help; an unknown code
  locks the very same way (the answers still say nothing about existence).
- Feedback and evaluation posts are limited per dossier and per address.
- The counter kiosk has its own budget per registered kiosk device: a busy public lookup from
  the office's address does not block it.
- A verification lasts 30 minutes, and "Kết thúc tra cứu" ends it at once.
"""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from citizens import ratelimit
from citizens.models import Feedback
from citizens.views import public
from tests.citizens.test_public_fixtures import (  # noqa: F401 (fixtures)
    CCCD_LAST4, PHONE_LAST4, at, org, procedures, register, returned, strip_csrf, verify, world,
)

pytestmark = pytest.mark.django_db

MSG_LOCK_START = "Mã hồ sơ này tạm khóa tra cứu"
MSG_HELP = "mang Giấy tiếp nhận và CCCD đến quầy"


@pytest.fixture
def clock(monkeypatch):
    now = {"t": 1_000_000_020.0}
    monkeypatch.setattr(ratelimit, "_now_seconds", lambda: now["t"])
    monkeypatch.setattr(public, "_now_seconds", lambda: now["t"])
    return now


def _from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def test_wrong_tails_from_many_addresses_lock_the_code_for_everybody(returned, settings):
    settings.LOOKUP_CODE_FAILURE_LIMIT = 5
    settings.PUBLIC_LOOKUP_RATE_LIMIT = 10
    answers = [verify(_from(f"198.51.100.{i}"), returned.code, f"{1000 + i}").status_code for i in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the fifth wrong tail locks the code
    right = verify(_from("203.0.113.77"), returned.code, PHONE_LAST4)  # a fresh address, the right digits
    assert right.status_code == 429
    page = right.content.decode()
    assert MSG_LOCK_START in page and MSG_HELP in page and "30 phút" in page
    assert right["Retry-After"] == str(30 * 60)
    # another dossier's code is not affected
    assert verify(_from("203.0.113.77"), returned.code + "X", "0000").status_code == 200


def test_an_unknown_code_locks_exactly_like_a_real_one(returned, settings):
    settings.LOOKUP_CODE_FAILURE_LIMIT = 3
    unknown = returned.code[:-1] + ("9" if returned.code[-1] != "9" else "8")
    real = [verify(_from(f"198.51.100.{i}"), returned.code, "0000") for i in range(4)]
    fake = [verify(_from(f"192.0.2.{i}"), unknown, "0000") for i in range(4)]
    assert [r.status_code for r in real] == [r.status_code for r in fake] == [200, 200, 429, 429]
    assert strip_csrf(real[-1].content.decode().replace(returned.code, "C")) == strip_csrf(
        fake[-1].content.decode().replace(unknown, "C"))


def test_the_right_digits_clear_earlier_failures(returned, settings):
    settings.LOOKUP_CODE_FAILURE_LIMIT = 3
    verify(_from("198.51.100.1"), returned.code, "0000")
    verify(_from("198.51.100.2"), returned.code, "0001")
    assert verify(_from("198.51.100.3"), returned.code, CCCD_LAST4).status_code == 302
    assert verify(_from("198.51.100.4"), returned.code, "0002").status_code == 200  # counting starts again


def test_feedback_is_limited_per_dossier(returned, settings):
    """A verified visitor cannot create dozens of feedback rows (each a legal answer obligation)."""
    settings.FEEDBACK_RATE_PER_DOSSIER = 3
    settings.CITIZEN_POST_RATE_PER_ADDRESS = 100
    statuses = []
    for i in range(6):
        visitor = _from(f"198.51.100.{i}")  # a new address each time: the dossier's budget holds
        assert verify(visitor, returned.code, PHONE_LAST4).status_code == 302
        r = visitor.post(reverse("citizens:public_feedback", args=[returned.code]),
                         {"kind": "complaint", "content": f"Phản ánh số {i}"})
        statuses.append(r.status_code)
    assert statuses == [302, 302, 302, 429, 429, 429]
    assert Feedback.objects.filter(dossier=returned).count() == 3


def test_feedback_and_evaluation_posts_are_limited_per_address(world, settings):
    settings.FEEDBACK_RATE_PER_DOSSIER = 100
    settings.CITIZEN_POST_RATE_PER_ADDRESS = 4
    visitor = _from("198.51.100.9")
    statuses = []
    for _ in range(3):  # three dossiers, same address
        d = register(world)
        assert verify(visitor, d.code, PHONE_LAST4).status_code == 302
        for kind in ("complaint", "proposal"):
            statuses.append(visitor.post(reverse("citizens:public_feedback", args=[d.code]),
                                         {"kind": kind, "content": "Nội dung"}).status_code)
    assert statuses == [302, 302, 302, 302, 429, 429]
    evaluation = visitor.post(reverse("citizens:public_evaluate", args=[d.code]), {f"c{i}": "2" for i in range(1, 10)})
    assert evaluation.status_code == 429


def test_the_kiosk_has_its_own_budget_per_registered_device(returned, world, settings, clock):
    settings.PUBLIC_LOOKUP_RATE_LIMIT = 2
    settings.KIOSK_RATE_LIMIT = 3
    office = "10.20.30.40"  # the counter hall's shared address
    for i in range(3):
        verify(_from(office), f"x{i}", "0000")  # a different code each time: only the address budget counts
    assert verify(_from(office), returned.code, PHONE_LAST4).status_code == 429  # the public budget is spent

    staff = _from(office)
    staff.force_login(world["people"]["clerk"])
    assert staff.post(reverse("citizens:kiosk_device")).status_code == 302  # registers this PC
    kiosk = _from(office)  # the kiosk screen itself runs without a login
    kiosk.cookies["onecua_kiosk"] = staff.cookies["onecua_kiosk"].value
    start = reverse("citizens:kiosk")
    assert kiosk.post(start, {"code": returned.code, "digits": PHONE_LAST4}).status_code == 302
    assert [kiosk.post(start, {"code": f"k{i}", "digits": "0000"}).status_code for i in range(3)] == [200, 200, 429]
    # a forged device cookie is no device: counted per address, in the kiosk's own scope
    forged = _from(office)
    forged.cookies["onecua_kiosk"] = "abc:forged"
    assert forged.post(start, {"code": "f1", "digits": "0000"}).status_code == 200


def test_a_verification_lasts_thirty_minutes(returned, clock):
    visitor = _from("198.51.100.20")
    verify(visitor, returned.code, PHONE_LAST4)
    page = reverse("citizens:public_dossier", args=[returned.code])
    clock["t"] += 29 * 60
    assert visitor.get(page).status_code == 200
    clock["t"] += 2 * 60
    assert visitor.get(page).status_code == 302


def test_ending_the_lookup_forgets_the_dossier(returned):
    visitor = _from("198.51.100.21")
    verify(visitor, returned.code, PHONE_LAST4)
    page = reverse("citizens:public_dossier", args=[returned.code])
    shown = visitor.get(page).content.decode()
    assert "Kết thúc tra cứu" in shown and reverse("citizens:lookup_end") in shown
    end = visitor.post(reverse("citizens:lookup_end"))
    assert end.status_code == 302 and end["Location"] == reverse("citizens:lookup")
    assert visitor.get(page).status_code == 302
