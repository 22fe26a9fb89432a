"""Personal data in text (Nghị định 13/2023/NĐ-CP): the one rule that masks CCCD numbers and phones.

Pure (no app imports), so that the logging filter of the ground package (``onecua.logging``)
masks whatever reaches a log record with the same rule the pages use. Who may see a dossier's
values in full is the dossiers app's (``dossiers.pii``).
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
