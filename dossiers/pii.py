"""Personal data (Nghị định 13/2023/NĐ-CP): the one place that masks CCCD numbers and phones.

Lists, inboxes, search results, monitoring pages and logs show ``0010******45`` and
``0912****78``; the full value is shown only on the dossier page to a user of one of the
dossier's own units (:func:`pii_visible_to`). The logging filter (``onecua.logging``) uses
:data:`ID_NUMBER_RE` and :data:`PHONE_RE` to mask whatever reaches a log record.
"""
from __future__ import annotations

import re

#: a 12-digit CCCD (or any 12-digit run not part of a longer number)
ID_NUMBER_RE = re.compile(r"(?<![\d])\d{12}(?![\d])")
#: a Vietnamese phone: 0 or +84, then a mobile (3/5/7/8/9) or landline (2) prefix and 8–9
#: more digits, optionally grouped by spaces, dots or dashes ("0912 345 678", "024.3825.1234")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+84[ .\-]?|0)[235789](?:[ .\-]?\d){8,9}(?![\d])")


def _mask(value: str, keep_start: int, keep_end: int) -> str:
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    if len(digits) <= keep_start + keep_end:
        return "*" * len(value) if value else value
    hidden = set(digits[keep_start:len(digits) - keep_end])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def mask_id_number(value: str | None) -> str:
    """``"001099012345"`` → ``"0010******45"``: the province and century code and the last two
    digits stay, enough for a clerk to tell two applicants apart."""
    return _mask((value or "").strip(), 4, 2)


def mask_phone(value: str | None) -> str:
    """``"0912345678"`` → ``"0912****78"`` (grouping characters kept)."""
    return _mask((value or "").strip(), 4, 2)


def mask_text(text: str) -> str:
    """Every CCCD-like number and phone in free text, masked (for log records)."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = ID_NUMBER_RE.sub(lambda m: mask_id_number(m.group()), text)
    return PHONE_RE.sub(lambda m: mask_phone(m.group()), text)


def pii_visible_to(user, dossier) -> bool:
    """May this user see the dossier's CCCD and phone in full? Only a member of one of the
    dossier's own units: receiving, resolving, current, or the unit of one of its steps. A
    leader of a parent unit, an administrator without such a unit, or anyone else sees them
    masked."""
    from dossiers.selectors import staff_profile

    if not getattr(user, "is_authenticated", False):
        return False
    profile = staff_profile(user)
    if profile is None:
        return False
    unit_id = profile.unit_id
    if unit_id in {dossier.receiving_unit_id, dossier.resolving_unit_id, dossier.current_unit_id}:
        return True
    return dossier.steps.filter(unit_id=unit_id).exists()


def dossier_as_seen_by(user, dossier):
    """The dossier as ``user`` may see it: itself when :func:`pii_visible_to`, else a copy (never
    saved) whose CCCD and phone are masked. The printed forms (Mẫu 01, 02, 04, 05, HTML and PDF)
    are rendered from it, so they show exactly what the dossier page shows to the same user."""
    import copy

    if pii_visible_to(user, dossier):
        return dossier
    masked = copy.copy(dossier)
    masked.applicant_id_number = mask_id_number(dossier.applicant_id_number)
    masked.applicant_phone = mask_phone(dossier.applicant_phone)
    masked.save = masked.delete = None  # a display copy: writing it would store the masks
    return masked
