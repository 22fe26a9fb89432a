"""The receipt's QR code: a link to the public lookup page with the dossier code filled in.

The link is absolute: ``settings.SITE_URL`` (the address citizens reach from outside, e.g.
``https://motcua.hoabinh.gov.vn``) when set, else the address of the request that printed the
receipt. The QR is drawn by ``segno`` (pure Python) as inline SVG, so the HTML page and the
WeasyPrint PDF carry the same vector image.
"""
from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.urls import reverse

#: Query parameter that carries the code (read by ``citizens.forms.code_from_input`` too).
CODE_PARAM = "ma"
#: Error correction "M" (15 %) survives a creased or slightly stained slip; 4 modules of quiet
#: zone as ISO/IEC 18004 asks.
QR_ERROR = "m"
QR_BORDER = 4


def lookup_url(code: str, request=None) -> str:
    """The absolute address of the lookup page for this dossier code."""
    path = reverse("citizens:lookup") + "?" + urlencode({CODE_PARAM: code})
    site = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if site:
        return site + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path


def qr_svg(text: str, *, title: str = "") -> str:
    """`text` as a QR code, an ``<svg>`` element sized by CSS (viewBox only)."""
    return segno.make(text, error=QR_ERROR).svg_inline(
        scale=1, border=QR_BORDER, omitsize=True, title=title or None, svgclass="lookup-qr-code"
    )
