"""Extension points for apps that add to a dossier without ``dossiers`` importing them.

Each list is filled in the other app's ``AppConfig.ready()`` (the ``papers`` app registers
its documents here). Every hook is optional: with none registered, dossiers behaves as before.

- ``ACTION_HOOKS[action]``: ``hook(dossier, actor, payload) -> dict | None``, called by the
  service inside the action's transaction, on the locked row, after the state change; a dict
  it returns goes into the event's ``data``; raising ``DossierError`` undoes the action.
  ``payload`` holds the action's extra input (e.g. approve's ``result_document``).
- ``DETAIL_HOOKS``: ``hook(dossier, request) -> dict`` of extra fields in the API detail.
- ``PAGE_PANELS`` / ``INTAKE_PANELS`` / ``PUBLIC_PANELS`` / ``KIOSK_PANELS``:
  ``hook(request[, dossier]) -> str`` (safe HTML) shown on the dossier page, the intake page,
  the citizen's dossier page and the counter kiosk's evaluation screen.
- ``INTAKE_SAVED``: ``hook(request, dossier)`` after the intake page saved a dossier (its own
  transaction is committed; the hook may add messages, never undo the dossier).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.safestring import mark_safe

ACTION_HOOKS: dict[str, list[Callable[..., dict | None]]] = {}
DETAIL_HOOKS: list[Callable[..., dict]] = []
PAGE_PANELS: list[Callable[..., str]] = []
INTAKE_PANELS: list[Callable[..., str]] = []
PUBLIC_PANELS: list[Callable[..., str]] = []
KIOSK_PANELS: list[Callable[..., str]] = []
INTAKE_SAVED: list[Callable[..., None]] = []


def action_hooks_run(action: str, dossier, actor, payload: dict[str, Any] | None) -> dict:
    data: dict = {}
    for hook in ACTION_HOOKS.get(str(action), ()):
        data.update(hook(dossier, actor, dict(payload or {})) or {})
    return data


def detail_extra(dossier, request) -> dict:
    data: dict = {}
    for hook in DETAIL_HOOKS:
        data.update(hook(dossier, request))
    return data


def panels(hooks: list, *args) -> list[str]:
    return [mark_safe(html) for html in (hook(*args) for hook in hooks) if html]


def register(hooks: list, hook) -> None:
    """Append once (``ready()`` may run more than once in tests)."""
    if hook not in hooks:
        hooks.append(hook)
