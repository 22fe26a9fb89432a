"""Staff search: the one normalisation of text people type, and how a query is read.

Pure functions, no database. ``fold`` is what both sides of a name match go through: the
stored ``Dossier.applicant_name_folded`` (filled by the field on every write, see
``dossiers.models.FoldedField``) and the words typed in the search box, so that "tran thi kiem"
finds "Trần Thị Kiểm" and "nguyen van duc" finds "Nguyễn Văn Đức", in any case and spacing.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"\D")
#: what a phone number may be written with besides digits ("0912 345 678", "+84 912.345.678")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-]+$")


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return bare.replace("đ", "d")


def fold(text: str | None) -> str:
    """Lower case, no Vietnamese diacritics (đ/Đ → d), single spaces, no edge spaces.

    ``fold("  Nguyễn  Văn ĐỨC ") == "nguyen van duc"``. Idempotent: ``fold(fold(x)) == fold(x)``
    (NFKD and case folding can each undo the other's work on a few exotic letters, e.g.
    mathematical capitals: repeated until nothing changes, at most a few rounds).
    """
    text = text or ""
    for _round in range(4):
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return _SPACES.sub(" ", text).strip()


def phone_digits(text: str | None) -> str:
    """A phone number as its national digits: "+84 912-345-678" → "0912345678"."""
    digits = _NOT_DIGIT.sub("", text or "")
    if (text or "").strip().startswith("+84") or (digits.startswith("84") and len(digits) == 11):
        digits = "0" + digits[2:]
    return digits


@dataclass(frozen=True)
class Query:
    """A search box's text, read once: what to compare with each column.

    - ``text``: as typed, trimmed (compared with the code, exactly or as its start);
    - ``words``: the folded words, each of which a matching name must contain;
    - ``id_number``: a CCCD/CMND (9 or 12 digits) when the text is one, else "";
    - ``phone``: the national digits when the text reads as a phone number (9–11 digits), else "".
    """

    text: str
    words: tuple[str, ...]
    id_number: str
    phone: str

    @property
    def is_empty(self) -> bool:
        return not self.text

    @property
    def folded(self) -> str:
        return " ".join(self.words)


def parse(text: str | None) -> Query:
    text = _SPACES.sub(" ", text or "").strip()
    folded = fold(text)
    compact = _NOT_DIGIT.sub("", text)
    numeric = bool(text) and bool(_PHONE_CHARS.match(text))
    id_number = compact if numeric and len(compact) in (9, 12) and compact == text.replace(" ", "") else ""
    phone = phone_digits(text) if numeric and 9 <= len(phone_digits(text)) <= 11 else ""
    return Query(text=text, words=tuple(folded.split()) if folded else (), id_number=id_number, phone=phone)
