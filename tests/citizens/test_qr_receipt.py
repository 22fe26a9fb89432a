"""The receipt (Mẫu 01) carries a QR code that opens the public lookup page with the code filled in.

The QR in the page is read back as a phone would: its SVG drawn into pixels and decoded by an
independent decoder (zxing-cpp, pinned in requirements.txt), which must find the printed link;
the link must resolve to the lookup page, and SITE_URL, when set, gives its host.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.urls import resolve, reverse
from PIL import Image, ImageDraw

from citizens.qr import lookup_url
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
    assert svgs[0] == svgs[1]
    assert f"<title>Tra cứu hồ sơ {d.code}</title>" in svgs[0]
    assert qr_decode(svgs[0]) == [f"http://testserver/tra-cuu-ho-so/?ma={d.code}"]
    # (the reader is no rubber stamp: without its top-left finder pattern the code reads as nothing)
    assert qr_decode(svgs[0], blank_top_left_finder=True) == []
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
    assert qr_decode(SVG_RE.findall(html)[0]) == [f"https://motcua.example.gov.vn/tra-cuu-ho-so/?ma={d.code}"]
    assert lookup_url(d.code) == f"https://motcua.example.gov.vn/tra-cuu-ho-so/?ma={d.code}"


def test_receipt_pdf_renders_with_the_qr(staff_client, world):
    d = register(world)
    r = staff_client.get(reverse("dossiers:receipt", args=[d.code]) + "?format=pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")


# --- reading a QR from its SVG -------------------------------------------------------------------

PATH_RE = re.compile(r'<path[^>]* d="([^"]+)"')
STEP_RE = re.compile(r"([MmHhVv])\s*(-?[\d.]+)(?:[ ,]+(-?[\d.]+))?")
PIXELS_PER_MODULE = 8


def qr_decode(svg: str, *, blank_top_left_finder: bool = False) -> list[str]:
    """The texts a barcode reader finds in `svg`: its path's strokes (one module wide, as the
    SVG renderer draws them) painted black on white, then decoded by zxing-cpp. With
    `blank_top_left_finder` the 7×7 finder pattern inside the 4-module quiet zone is painted over."""
    size = int(float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1)))
    image = Image.new("L", (size * PIXELS_PER_MODULE,) * 2, 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for d in PATH_RE.findall(svg):
        for cmd, a, b in STEP_RE.findall(d):
            a = float(a)
            if cmd in "Mm":
                x, y = (a, float(b)) if cmd == "M" else (x + a, y + float(b))
                continue
            x2, y2 = {"H": (a, y), "h": (x + a, y), "V": (x, a), "v": (x, y + a)}[cmd]
            if x2 != x:  # a horizontal stroke: the row of modules y - 0.5
                left, right = sorted((x, x2))
                draw.rectangle([left * PIXELS_PER_MODULE, (y - 0.5) * PIXELS_PER_MODULE,
                                right * PIXELS_PER_MODULE - 1, (y + 0.5) * PIXELS_PER_MODULE - 1], fill=0)
            elif y2 != y:
                top, bottom = sorted((y, y2))
                draw.rectangle([(x - 0.5) * PIXELS_PER_MODULE, top * PIXELS_PER_MODULE,
                                (x + 0.5) * PIXELS_PER_MODULE - 1, bottom * PIXELS_PER_MODULE - 1], fill=0)
            x, y = x2, y2
    if blank_top_left_finder:
        draw.rectangle([4 * PIXELS_PER_MODULE, 4 * PIXELS_PER_MODULE, 11 * PIXELS_PER_MODULE - 1,
                        11 * PIXELS_PER_MODULE - 1], fill=255)
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
