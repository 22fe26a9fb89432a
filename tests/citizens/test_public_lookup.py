"""The public lookup page: what it shows, what it never shows, how it answers wrong input,
its rate limit and CSRF.

No personal data beyond the masked name may leave a public page; an unknown code and wrong
digits get the same page; the check counts against a per-address limit (HTTP 429 beyond it).
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from citizens import ratelimit
from citizens.models import Evaluation, Feedback
from citizens.selectors import mask_name
from citizens.services import dossier_verify
from tests.citizens.test_public_fixtures import (  # noqa: F401 (fixtures)
    APOLOGY_REASON, CCCD_LAST4, MASKED, PHONE_LAST4, SECRETS, at, org, procedures, register, returned, strip_csrf,
    verify, world,
)

pytestmark = pytest.mark.django_db

MSG_NO_MATCH_START = "Không tìm thấy hồ sơ khớp"
MSG_RATE_START = "Bạn đã tra cứu quá nhiều lần"


def _assert_private(response):
    # without the CSRF tokens: 64 random letters and digits, which once held "zeta" (a staff
    # first name's fragment in SECRETS) and failed CI
    body = strip_csrf(response.content.decode())
    leaked = [s for s in SECRETS if s.lower() in body.lower()]
    assert not leaked, f"{response.request['PATH_INFO']} shows {leaked}"


def _other_code(code: str) -> str:
    """A code of the same shape that does not exist."""
    last = code[-1]
    return code[:-1] + ("1" if last != "1" else "2")


@pytest.mark.parametrize(("name", "masked"), [
    ("Nguyễn Văn A", "N*** V** A"),
    ("Hoàng Thị Quỳnhhương", "H*** T** Q***"),
    ("  Lê   Bá  ", "L* B*"),
    ("Đỗ", "Đ*"),
    ("", ""),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_verify_accepts_last_four_of_phone_or_cccd_only(returned):
    code = returned.code
    assert dossier_verify(code=code, digits=PHONE_LAST4) == returned
    assert dossier_verify(code=code, digits=CCCD_LAST4) == returned
    assert dossier_verify(code=code.lower(), digits=CCCD_LAST4) == returned  # typed in lower case
    for wrong in ("0000", "1223", "654", "76543", "abcd", ""):
        assert dossier_verify(code=code, digits=wrong) is None
    assert dossier_verify(code=_other_code(code), digits=PHONE_LAST4) is None


def test_dossier_without_phone_or_cccd_cannot_be_opened(world):
    d = register(world, applicant={"name": "Phạm Văn Bình"})
    assert dossier_verify(code=d.code, digits="0000") is None
    assert dossier_verify(code=d.code, digits="\x00\x00\x00\x00") is None


def test_lookup_shows_progress_and_nothing_personal(client, returned):
    pages = [client.get(reverse("citizens:lookup") + "?" + urlencode({"ma": returned.code}))]
    assert returned.code in pages[0].content.decode()  # the QR link fills the code in
    r = verify(client, returned.code, PHONE_LAST4)
    assert r.status_code == 302 and r["Location"] == reverse("citizens:public_dossier", args=[returned.code])
    page = client.get(r["Location"])
    pages.append(page)
    html = page.content.decode()
    assert page.status_code == 200
    assert MASKED in html
    assert returned.procedure.name in html
    assert "09:00 28/01/2022" in html  # receipt
    # returned (issue 14): the return date, no appointment, no unit "handling" it any more
    facts = html.split('<dl class="pub-facts">')[1].split("</dl>")[0]
    assert "Ngày trả kết quả" in facts and "Đơn vị đang xử lý" not in facts and "Ngày hẹn trả kết quả" not in facts
    assert "Hẹn lại ngày trả kết quả: 25/02/2022" not in html
    assert APOLOGY_REASON in html  # why it was late stays in the timeline
    assert "Đã trả kết quả" in html
    for label in ("Tiếp nhận hồ sơ", "Yêu cầu bổ sung, hoàn thiện hồ sơ", "Xin lỗi và hẹn lại ngày trả kết quả"):
        assert label in html
    assert 'class="sidebar' not in html  # no staff menu
    assert "set_language" in html or 'name="language"' in html  # the language switch stays
    # The evaluation and feedback forms answer too, also with errors.
    pages.append(client.post(reverse("citizens:public_evaluate", args=[returned.code]), {"c1": "2"}))
    pages.append(client.post(reverse("citizens:public_feedback", args=[returned.code]), {"kind": "complaint", "content": ""}))
    assert pages[-2].status_code == 400 and pages[-1].status_code == 400
    pages.append(client.post(reverse("citizens:public_feedback", args=[returned.code]), {"kind": "proposal", "content": "Xin cảm ơn"}, follow=True))
    pages.append(client.post(reverse("citizens:public_evaluate", args=[returned.code]),
                             {f"c{i}": "2" for i in range(1, 10)}, follow=True))
    # The kiosk's pages
    kiosk = Client()
    pages.append(kiosk.get(reverse("citizens:kiosk")))
    pages.append(kiosk.post(reverse("citizens:kiosk"), {"code": returned.code, "digits": CCCD_LAST4}))  # already evaluated
    for p in pages:
        _assert_private(p)
    assert Feedback.objects.count() == 1 and Evaluation.objects.count() == 1


def test_english_switch_translates_nothing_personal(client, returned):
    client.cookies["django_language"] = "en"
    verify(client, returned.code, CCCD_LAST4)
    page = client.get(reverse("citizens:public_dossier", args=[returned.code]))
    assert page.status_code == 200
    assert page["Content-Language"] == "en"
    _assert_private(page)


def test_unknown_code_and_wrong_digits_answer_identically(client, returned):
    code, unknown = returned.code, _other_code(returned.code)
    a = verify(client, code, "0000")
    b = verify(Client(), unknown, "0000")
    c = verify(Client(), unknown, PHONE_LAST4)  # the right digits for another code
    assert a.status_code == b.status_code == c.status_code == 200
    body_a = strip_csrf(a.content.decode()).replace(code, "CODE")
    body_b = strip_csrf(b.content.decode()).replace(unknown, "CODE")
    body_c = strip_csrf(c.content.decode()).replace(unknown, "CODE")
    assert body_a == body_b == body_c
    assert MSG_NO_MATCH_START in body_a
    assert a.cookies.keys() == b.cookies.keys()
    assert "sessionid" not in a.cookies  # nothing was remembered


def test_dossier_pages_need_verification_in_this_session(client, returned):
    unknown = _other_code(returned.code)
    for code in (returned.code, unknown):
        r = client.get(reverse("citizens:public_dossier", args=[code]))
        assert r.status_code == 302
        assert r["Location"] == reverse("citizens:lookup") + "?" + urlencode({"ma": code})
    r = client.post(reverse("citizens:public_evaluate", args=[returned.code]), {f"c{i}": "2" for i in range(1, 10)})
    assert r.status_code == 302 and not Evaluation.objects.exists()
    r = client.post(reverse("citizens:public_feedback", args=[returned.code]), {"kind": "complaint", "content": "x"})
    assert r.status_code == 302 and not Feedback.objects.exists()
    # Verified in one browser, not in another
    verify(client, returned.code, PHONE_LAST4)
    assert client.get(reverse("citizens:public_dossier", args=[returned.code])).status_code == 200
    assert Client().get(reverse("citizens:public_dossier", args=[returned.code])).status_code == 302


def test_lookup_field_errors_are_vietnamese(client, returned):
    r = client.post(reverse("citizens:lookup"), {"code": "", "digits": "12"})
    html = r.content.decode()
    assert "Vui lòng nhập mã hồ sơ" in html
    assert "Vui lòng nhập đúng 4 chữ số cuối" in html


@pytest.fixture
def clock(monkeypatch):
    now = {"t": 1_000_000_020.0}  # 20 s into a minute: a test never straddles a window edge
    monkeypatch.setattr(ratelimit, "_now_seconds", lambda: now["t"])
    return now


def test_rate_limit_holds_then_resets(client, returned, settings, clock):
    settings.PUBLIC_LOOKUP_RATE_LIMIT = 3
    settings.PUBLIC_LOOKUP_RATE_WINDOW_SECONDS = 60
    for _ in range(3):
        assert verify(client, returned.code, "0000").status_code == 200
    blocked = verify(client, returned.code, PHONE_LAST4)  # even the right digits
    assert blocked.status_code == 429
    assert MSG_RATE_START in blocked.content.decode()
    assert client.get(reverse("citizens:public_dossier", args=[returned.code])).status_code == 302  # not verified
    kiosk = client.post(reverse("citizens:kiosk"), {"code": returned.code, "digits": PHONE_LAST4})
    assert kiosk.status_code == 302  # the kiosk has its own budget (issue 18: never the lookup's)
    # another address is not affected
    assert verify(Client(REMOTE_ADDR="10.1.2.3"), returned.code, "0000").status_code == 200
    # the next window starts afresh
    clock["t"] += 60
    r = verify(client, returned.code, PHONE_LAST4)
    assert r.status_code == 302


def test_rate_limit_counts_the_address_the_trusted_proxy_saw(returned, settings, clock):
    """Behind one trusted proxy (TRUSTED_PROXIES) the limit is per client address, taken from the
    right end of X-Forwarded-For: a client cannot dodge it by sending its own header."""
    settings.PUBLIC_LOOKUP_RATE_LIMIT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    url, body = reverse("citizens:lookup"), {"code": "x", "digits": "0000"}
    assert proxy.post(url, body, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 200
    assert proxy.post(url, body, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200
    assert proxy.post(url, body, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # a forged left-hand entry changes nothing: the proxy appended the real address
    assert proxy.post(url, body, HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5").status_code == 429


def _csrf_token(client: Client, url: str) -> str:
    html = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_csrf_is_enforced_on_every_public_post(returned):
    c = Client(enforce_csrf_checks=True)
    lookup = reverse("citizens:lookup")
    assert c.post(lookup, {"code": returned.code, "digits": PHONE_LAST4}).status_code == 403
    token = _csrf_token(c, lookup)
    r = c.post(lookup, {"code": returned.code, "digits": PHONE_LAST4, "csrfmiddlewaretoken": token})
    assert r.status_code == 302
    page = r["Location"]
    token = _csrf_token(c, page)
    points = {f"c{i}": "1" for i in range(1, 10)}
    for name, data in (("citizens:public_feedback", {"kind": "complaint", "content": "Chậm"}), ("citizens:public_evaluate", points)):
        url = reverse(name, args=[returned.code])
        assert c.post(url, data).status_code == 403
        assert c.post(url, {**data, "csrfmiddlewaretoken": token}).status_code == 302
    assert Feedback.objects.count() == 1 and Evaluation.objects.count() == 1

    k = Client(enforce_csrf_checks=True)
    kiosk = reverse("citizens:kiosk")
    assert k.post(kiosk, {"code": returned.code, "digits": PHONE_LAST4}).status_code == 403
    assert k.post(reverse("citizens:kiosk_evaluate"), points).status_code == 403
