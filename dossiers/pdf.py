"""Printed forms as PDF: the same HTML template as on screen, rendered by WeasyPrint.

The templates of ``templates/dossiers/forms/`` extend ``base_template``: ``base.html`` on
screen (menu, buttons), ``dossiers/forms/_print_base.html`` for a PDF (the document only).
The house stylesheet (``static/css/onecua.css``, with its ``.doc`` classes and ``@page A4``)
is linked from the static files as a ``file://`` URL (``pdf_stylesheets`` in the context, before
the template's own ``head`` block so that a form's styles win), so a PDF needs no web server.

Fonts: the stylesheet asks for DejaVu Serif/Sans, which cover Vietnamese (every precomposed
letter with its diacritics); WeasyPrint embeds the subset it uses, so the PDF reads the same on
any machine.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string

PRINT_BASE = "dossiers/forms/_print_base.html"
SCREEN_BASE = "base.html"
STYLESHEETS = ("css/onecua.css",)


def wants_pdf(request) -> bool:
    return request.GET.get("format") == "pdf"


def _stylesheet_paths() -> list[str]:
    paths = []
    for name in STYLESHEETS:
        found = finders.find(name)
        if found:
            paths.append(str(found))
    return paths


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """PDF bytes of an HTML document (its stylesheets linked as file:// URLs)."""
    from weasyprint import HTML  # imported here: it loads Pango, which a page view never needs

    return HTML(string=html, base_url=base_url or str(Path(settings.BASE_DIR))).write_pdf()


def render_form(request, template: str, context: dict, *, filename: str) -> HttpResponse:
    """A printable form as an HTML page, or with ``?format=pdf`` as a PDF download.

    ``context`` gets ``base_template``, ``pdf`` (True in the PDF) and ``pdf_stylesheets``; its
    ``dossier`` is replaced by the copy this user may see (CCCD and phone masked for a leader of a
    parent unit, as on the dossier page: ``dossiers.pii.dossier_as_seen_by``).
    """
    pdf = wants_pdf(request)
    if context.get("dossier") is not None:  # personal data as the dossier page shows it to this user
        from dossiers.pii import dossier_as_seen_by

        context = {**context, "dossier": dossier_as_seen_by(request.user, context["dossier"])}
    ctx = {
        **context,
        "pdf": pdf,
        "base_template": PRINT_BASE if pdf else SCREEN_BASE,
        "pdf_stylesheets": [Path(path).as_uri() for path in _stylesheet_paths()] if pdf else [],
    }
    html = render_to_string(template, ctx, request=request)
    if not pdf:
        return HttpResponse(html)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
