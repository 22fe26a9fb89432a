"""Template tags of the citizen side: the lookup QR printed on the receipt (Mẫu 01)."""
from django import template
from django.utils.safestring import mark_safe

from citizens.qr import lookup_url, qr_svg

register = template.Library()


@register.inclusion_tag("citizens/public/_receipt_qr.html", takes_context=True)
def receipt_qr(context, code: str):
    """The QR code (inline SVG) that opens the public lookup page with `code` filled in."""
    url = lookup_url(code, context.get("request"))
    return {"qr_url": url, "qr_svg": mark_safe(qr_svg(url, title=f"Tra cứu hồ sơ {code}"))}  # noqa: S308 (segno output)
