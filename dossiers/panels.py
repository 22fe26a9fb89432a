"""Panels of the dossier page contributed by other apps (a registry: ``dossiers`` never imports
them). Each hook ``hook(request, dossier) -> str | None`` returns ready HTML (rendered by its own
app's template, escaped there) or None; the page shows them in order below the history. The
``connected`` app registers the log of notices to the citizen (D22) here.
"""
from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

DOSSIER_PANELS: list[Callable] = []


def dossier_panels_render(request, dossier) -> SafeString:
    parts = []
    for hook in DOSSIER_PANELS:
        html = hook(request, dossier)
        if html:
            parts.append(str(html))
    return mark_safe("".join(parts))  # each part was rendered (and escaped) by its own template
