"""The receipt (Mẫu 01) carries a QR code that opens the public lookup page with the code filled in.

The QR in the page must be exactly segno's encoding of the printed link (so it encodes that
link), the link must resolve to the lookup page, and SITE_URL, when set, gives its host.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import resolve, reverse

from citizens.qr import lookup_url, qr_svg
from tests.citizens.test_public_fixtures import org, procedures, register, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

URL_RE = re.compile(r'data-lookup-url="([^"]+)"')
SVG_RE = re.compile(r'<svg viewBox="[^"]+" class="lookup-qr-code">.*?</svg>', re.S)


@pytest.fixture
def staff_client(client, world):
    client.force_login(get_user_model().objects.create_superuser("root_qr", "r@example.vn", "x"))
    return client


def test_receipt_qr_encodes_a_link_to_the_lookup_page(staff_client, world):
    d = register(world)
    html = staff_client.get(reverse("dossiers:receipt", args=[d.code])).content.decode()
    links = URL_RE.findall(html)
    assert len(links) == 2  # both copies (Liên 1, Liên 2)
    link = links[0].replace("&amp;", "&")
    assert link == f"http://testserver/tra-cuu-ho-so/?ma={d.code}"
    svgs = SVG_RE.findall(html)
    assert len(svgs) == 2
    expected = qr_svg(link, title=f"Tra cứu hồ sơ {d.code}")
    assert svgs[0] == expected and svgs[1] == expected
    parts = urlsplit(link)
    assert resolve(parts.path).view_name == "citizens:lookup"
    assert parse_qs(parts.query) == {"ma": [d.code]}
    # Opening the link (no login) shows the lookup form with the code filled in.
    staff_client.logout()
    page = staff_client.get(parts.path + "?" + parts.query)
    assert page.status_code == 200
    assert f'value="{d.code}"' in page.content.decode()


def test_site_url_setting_gives_the_host(settings, staff_client, world):
    settings.SITE_URL = "https://motcua.example.gov.vn/"
    d = register(world)
    html = staff_client.get(reverse("dossiers:receipt", args=[d.code])).content.decode()
    assert URL_RE.findall(html)[0] == f"https://motcua.example.gov.vn/tra-cuu-ho-so/?ma={d.code}"
    assert lookup_url(d.code) == f"https://motcua.example.gov.vn/tra-cuu-ho-so/?ma={d.code}"


def test_receipt_pdf_renders_with_the_qr(staff_client, world):
    d = register(world)
    r = staff_client.get(reverse("dossiers:receipt", args=[d.code]) + "?format=pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
