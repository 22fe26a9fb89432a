"""Browser-side hardening and printed forms (issue 18 items 3 and 9).

- Every page carries a Content-Security-Policy without 'unsafe-inline', and no page holds an
  inline script, an inline event handler, a ``<style>`` element or a ``style`` attribute.
- Signed-in pages and PDFs answer ``Cache-Control: no-store`` (shared counter PCs).
- Officer rows of the satisfaction report are named by an opaque reference: walking
  ``?row=officer:<id>`` through ids reads no staff name.
- A parent unit's leader sees CCCD and phone masked on the printed forms (Mẫu 01 HTML and PDF,
  Mẫu 02, Mẫu 05) exactly as on the dossier page.
"""
from __future__ import annotations

import re
import subprocess

import pytest
from django.test import Client
from django.urls import reverse

from citizens import report as cr
from dossiers.pii import mask_id_number, mask_phone
from dossiers.roles import ADMINISTRATOR
from dossiers.services import lifecycle
from tests.dossiers.lifecycle_fixtures import at
from tests.dossiers.test_intake_pages import make_user, register
from tests.hardening.test_pii import make_pii_world

pytestmark = pytest.mark.django_db

CCCD, PHONE = "017190001234", "0912345678"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


@pytest.fixture
def world(db):
    w = make_pii_world()
    w.admin = make_user("quantri1", "Phan Văn Quản", ADMINISTRATOR, unit=w.province)
    w.dossier = register(w, received_at=at(2026, 11, 2, 9))
    w.dossier = lifecycle.dossier_transfer(dossier=w.dossier, actor=None, at=at(2026, 11, 2, 9, 30))  # D18
    w.dossier = lifecycle.dossier_assign(dossier=w.dossier, actor=w.leader, officer=w.officer, at=at(2026, 11, 2, 10))
    w.dossier = lifecycle.dossier_request_supplement(dossier=w.dossier, actor=w.officer, reason="Thiếu tờ khai",
                                                     at=at(2026, 11, 3, 9))
    return w


def _client(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def _pages(w) -> list[tuple[object, str]]:
    code = w.dossier.code
    pause = w.dossier.pauses.get()
    staff = [
        (w.clerk, reverse("dossiers:intake")), (w.clerk, reverse("dossiers:worklist")),
        (w.clerk, reverse("dossiers:detail", args=[code])), (w.clerk, reverse("dossiers:receipt", args=[code])),
        (w.clerk, reverse("dossiers:receipt", args=[code]) + "?print=1"),
        (w.clerk, reverse("dossiers:control_sheet", args=[code])),
        (w.clerk, reverse("dossiers:supplement_slip", args=[code, pause.pk])),
        (w.clerk, reverse("dossiers:list", args=["supplement"])), (w.clerk, reverse("dossiers:search") + "?q=Hương"),
        (w.clerk, reverse("dossiers:counter_slip", args=["huong-dan"])),
        (w.clerk, reverse("password_change")),
        (w.province_leader, reverse("reporting:report_quarterly") + "?year=2026&quarter=4"),
        (w.province_leader, reverse("monitoring:dashboard")),
        (w.province_leader, reverse("monitoring:list", args=["dang-xu-ly"])),
        (w.province_leader, reverse("citizens:scorecard") + "?year=2026&quarter=4"),
        (w.province_leader, reverse("citizens:satisfaction_units") + "?year=2026&quarter=4"),
        (w.admin, reverse("dossiers:calendar")),
    ]
    public = [(None, reverse("login")), (None, reverse("citizens:lookup")), (None, reverse("citizens:kiosk")),
              (None, reverse("api-docs"))]
    return staff + public


def test_every_page_has_a_strict_csp_and_no_inline_script_or_style(world):
    for user, url in _pages(world):
        r = _client(user).get(url)
        assert r.status_code == 200, url
        policy = r["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        html = r.content.decode()
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html).group())
        assert not INLINE_HANDLER.search(html), (url, INLINE_HANDLER.search(html).group())
        assert "<style" not in html and " style=" not in html, url


def test_signed_in_pages_and_pdfs_are_not_stored(world):
    code = world.dossier.code
    for url in (reverse("dossiers:detail", args=[code]), reverse("dossiers:intake"),
                reverse("dossiers:receipt", args=[code]) + "?format=pdf"):
        r = _client(world.clerk).get(url)
        assert r.status_code == 200 and "no-store" in r["Cache-Control"] and "private" in r["Cache-Control"], url
    landing = _client().get(reverse("home"))
    assert "no-store" not in landing.get("Cache-Control", "")  # the public landing page may be cached


def test_officer_rows_are_opaque_and_ids_read_no_name(world):
    """?row=officer:<id> answered with the name of any account whose id was guessed."""
    url = reverse("citizens:satisfaction_evaluations")
    leader = _client(world.province_leader)
    for user in (world.clerk, world.officer, world.admin):
        r = leader.get(url, {"year": "2026", "quarter": "4", "row": f"officer:{user.pk}"})
        page = r.content.decode().split("<main", 1)[-1]  # the header names the signed-in leader
        assert r.status_code == 404 and user.last_name not in page
    ref = cr.officer_ref(world.officer.pk)
    assert re.fullmatch(r"[0-9a-f]{24}", ref) and str(world.officer.pk) != ref
    # a real reference of an officer with no evaluation in this report is no row of it either
    assert leader.get(url, {"year": "2026", "quarter": "4", "row": f"officer:{ref}"}).status_code == 404


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_printed_forms_mask_like_the_page_for_a_parent_leader(world, tmp_path):
    code = world.dossier.code
    pause = world.dossier.pauses.get()
    forms = [reverse("dossiers:receipt", args=[code]), reverse("dossiers:supplement_slip", args=[code, pause.pk]),
             reverse("dossiers:control_sheet", args=[code])]
    parent = _client(world.province_leader)
    page = parent.get(reverse("dossiers:detail", args=[code])).content.decode()
    assert CCCD not in page and mask_id_number(CCCD) in page  # the page's rule
    for url in forms:
        html = parent.get(url).content.decode()
        assert CCCD not in html and PHONE not in html and "0912 345 678" not in html, url
    receipt = parent.get(reverse("dossiers:receipt", args=[code]))
    assert mask_id_number(CCCD) in receipt.content.decode() and mask_phone(PHONE) in receipt.content.decode()
    pdf = _pdf_text(parent.get(reverse("dossiers:receipt", args=[code]) + "?format=pdf").content, tmp_path)
    assert CCCD not in pdf and PHONE not in pdf and mask_id_number(CCCD) in pdf
    slip = _pdf_text(parent.get(forms[1] + "?format=pdf").content, tmp_path)
    assert PHONE not in slip and mask_phone(PHONE) in slip
    # the dossier's own units still print them in full
    own = _client(world.clerk).get(reverse("dossiers:receipt", args=[code])).content.decode()
    assert CCCD in own and PHONE in own
    world.dossier.refresh_from_db()
    assert world.dossier.applicant_id_number == CCCD  # the masked copy was never saved
