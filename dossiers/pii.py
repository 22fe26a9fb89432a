"""Personal data (Nghị định 13/2023/NĐ-CP): the one place that masks CCCD numbers and phones.

Lists, inboxes, search results, monitoring pages and logs show ``0010******45`` and
``0912****78``; the full value is shown only on the dossier page to a user of one of the
dossier's own units (:func:`pii_visible_to`). The masking rule itself is ``onecua.pii`` (pure,
shared with the logging filter of the ground package); its names are importable from here too.
"""
from __future__ import annotations

from onecua.pii import ID_NUMBER_RE, PHONE_RE, mask_id_number, mask_phone, mask_text

__all__ = ["ID_NUMBER_RE", "PHONE_RE", "dossier_as_seen_by", "mask_id_number", "mask_phone", "mask_text",
           "pii_visible_to"]


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
