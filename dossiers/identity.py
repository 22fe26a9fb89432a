"""Identity data as people type it, made comparable: CCCD, phone and names (pure, no Django).

One normalisation for every way a dossier's applicant comes in: the intake page, the API and
the imports (``lifecycle.applicant_validate``, ``history_import``). Why:

- **Digits.** A CCCD typed with a phone keyboard or pasted from a PDF may hold fullwidth
  (``０``–``９``) or Arabic-Indic (``٠``–``٩``) digits. Stored as such, its last four never match
  what a citizen types at the public lookup, and a search by number finds nothing. NFKC folds
  the compatibility forms (fullwidth); any other decimal digit (category ``Nd``) is read by
  its value. Only ASCII digits are stored.
- **CCCD** (căn cước công dân): exactly 12 digits, not all zeros (``000000000000`` is a
  placeholder, not a person). Spaces, dots and dashes between groups are dropped.
- **Phone**: 9 to 11 digits after dropping spaces, dots, dashes and brackets; one leading
  ``+`` is kept (``+84…``). A value without any digit is refused.
- **Names** are NFC (the composed form Vietnamese keyboards produce: an NFD ``Nguyễn`` is
  another string to an equality or ``icontains`` search), inner whitespace collapsed, and
  refused when they hold a control character, a bidirectional override or isolate (which
  reorder what is displayed: ``Trần`` + U+202E + ``…`` shows a different name than stored)
  or a zero-width / invisible character, or are empty once stripped.

Every function returns the normalised value or raises :class:`IdentityError` with the
Vietnamese message for the field.
"""
from __future__ import annotations

import re
import unicodedata

MSG_CCCD = "Số CCCD phải gồm 12 chữ số."
MSG_CCCD_ZEROS = "Số CCCD không hợp lệ (không thể toàn số 0)."
MSG_PHONE = "Số điện thoại không hợp lệ: cần 9 đến 11 chữ số."
MSG_NAME_REQUIRED = "Vui lòng nhập họ và tên người nộp hồ sơ."
MSG_NAME_CHARS = "Họ và tên có ký tự không được phép (ký tự điều khiển, ký tự ẩn hoặc đảo chiều văn bản)."

CCCD_LENGTH = 12
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 9, 11

#: bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069), marks
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
#: zero-width and invisible characters that are not format controls in every version
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e\u3164\u115f\u1160\u2800")
_SEPARATORS_ID = re.compile(r"[\s.\-]")
_SEPARATORS_PHONE = re.compile(r"[\s.\-()]")


class IdentityError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def ascii_digits(value: str) -> str:
    """NFKC, then every decimal digit of any script as its ASCII digit."""
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch for ch in text)


def normalize_id_number(value: str | None) -> str:
    """``"００１ ０９９ ０１２３４５"`` → ``"001099012345"``; ``""`` stays ``""`` (optional field)."""
    raw = (value or "").strip()
    if not raw:
        return ""
    text = _SEPARATORS_ID.sub("", ascii_digits(raw))
    if len(text) != CCCD_LENGTH or not text.isascii() or not text.isdigit():
        raise IdentityError(MSG_CCCD)
    if set(text) == {"0"}:
        raise IdentityError(MSG_CCCD_ZEROS)
    return text


def normalize_phone(value: str | None) -> str:
    """``"0912 345 678"`` → ``"0912345678"``, ``"+84 912.345.678"`` → ``"+84912345678"``."""
    raw = (value or "").strip()
    if not raw:
        return ""
    text = _SEPARATORS_PHONE.sub("", ascii_digits(raw))
    digits = text[1:] if text.startswith("+") else text
    if not (digits.isascii() and digits.isdigit() and PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS):
        raise IdentityError(MSG_PHONE)
    return text


def name_forbidden_char(value: str) -> str | None:
    """The first character a name may not hold, as ``U+202E``, or None."""
    for ch in value:
        category = unicodedata.category(ch)
        if ch in _BIDI or ch in _INVISIBLE or category in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"):
            if ch in "\t\n\r":  # plain whitespace: collapsed, not refused
                continue
            return f"U+{ord(ch):04X}"
    return None


def normalize_name(value: str | None, *, required: bool = True) -> str:
    """NFC, whitespace collapsed; refused with control, bidi or invisible characters, or empty."""
    text = unicodedata.normalize("NFC", value or "")
    if name_forbidden_char(text):
        raise IdentityError(MSG_NAME_CHARS)
    text = " ".join(text.split())
    if required and not text:
        raise IdentityError(MSG_NAME_REQUIRED)
    return text
