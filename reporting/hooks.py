"""Extension points of the report, filled by apps that ``reporting`` must not import.

Imports point one way (style.md §3): ``citizens`` reads ``reporting``, never the reverse. An app
that adds figures to the leaders' report registers callables here from its ``AppConfig.ready()``:

- :data:`REPORT_SECTION_HOOKS`: ``hook(*, request, req) -> str | None``; ``req`` is the page's
  ``reporting.views.ReportRequest`` (period and scope unit). The returned HTML (already
  rendered, safe) is placed on the report page after the Biểu 06 figures; None adds nothing.
- :data:`REPORT_JSON_HOOKS`: ``hook(*, period, unit) -> dict`` of NEW top-level keys for the
  report JSON of the API and of ``manage.py report --format json`` (interfaces.md: keys are
  only ever added, never renamed or dropped; a hook may not overwrite an existing key).
"""
from __future__ import annotations

from collections.abc import Callable

REPORT_SECTION_HOOKS: list[Callable] = []
REPORT_JSON_HOOKS: list[Callable] = []


def register(hooks: list[Callable], hook: Callable) -> None:
    """Add `hook` once (``ready()`` may run more than once in tests)."""
    if hook not in hooks:
        hooks.append(hook)


def report_sections(*, request, req) -> list[str]:
    """The extra sections of the report page, in registration order."""
    out = []
    for hook in REPORT_SECTION_HOOKS:
        html = hook(request=request, req=req)
        if html:
            out.append(html)
    return out


def report_json_extend(report: dict, *, period, unit) -> dict:
    """Add the hooks' keys to `report` (in place, and returned); existing keys win."""
    for hook in REPORT_JSON_HOOKS:
        for key, value in hook(period=period, unit=unit).items():
            report.setdefault(key, value)
    return report
