"""The administrative units of Vietnam as reference data (issue 15, item 5): suggestions only.

Two maintained libraries, pinned in requirements.txt:

- ``vietnam-provinces`` (2025.10.1): the divisions in force since 1/7/2025 (NQ 202/2025/QH15 and
  the Standing Committee's resolutions on each province): 34 provinces, 3,321 communes and wards,
  with their official codes. Used to suggest a unit's place and to recognise a commune named in
  an applicant's address.
- ``vietnamadminunits`` (1.0.4): converts a pre-2025 address (province, district, commune; the
  address printed on many ID cards) to the new commune. Its import takes about 3 s (it loads
  geopy and its data), so it is imported lazily, once per process, by the first address that
  names a district (the intake page's first suggestion of the day waits for it; never the page
  itself nor the save).

Everything here is a suggestion shown to the clerk, never a refusal and never a silent rewrite:
test and training provinces use invented names, and an address the libraries do not know is
simply left as typed. No ORM; callers pass the units they consider (``competence.UnitFacts``).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from dossiers.search import fold

#: official words in front of a commune's / unit's name, longest first
_PREFIXES = ("uy ban nhan dan ", "ubnd ", "thi tran ", "phuong ", "xa ", "dac khu ")
_KIND_WORDS = ("thi tran", "phuong", "xa", "dac khu")

_convert_lock = threading.Lock()
_converter = None


@dataclass(frozen=True)
class Conversion:
    """A pre-2025 address read against the 1/7/2025 divisions."""

    old_commune: str  # "Phường Tân Thịnh, Thành phố Hòa Bình, Tỉnh Hòa Bình"
    new_commune: str  # "Phường Hòa Bình"
    new_province: str  # "Tỉnh Phú Thọ"
    street: str  # what precedes the commune ("Tổ 5"), as typed

    @property
    def text(self) -> str:
        """The converted address, as suggested to the clerk."""
        return ", ".join(part for part in (self.street, self.new_commune, self.new_province) if part)


def short_name(name: str) -> str:
    """The unit's own name without its title, folded: "Ủy ban nhân dân phường Tân Thịnh" →
    "tan thinh"; "Xã Cư Yên" → "cu yen"."""
    text = fold(name).strip()
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if text.startswith(prefix):
                text, changed = text[len(prefix):].strip(), True
    return text


def _words(text: str) -> str:
    return " " + re.sub(r"[^0-9a-z]+", " ", fold(text)).strip() + " "


def commune_in_address(address: str, names: dict[int, str]) -> int | None:
    """The id of the unit whose commune the address names, or None.

    ``names`` maps unit ids to their names (or places). A unit is named when its short name
    appears, as whole words, after "xã", "phường", "thị trấn" or "đặc khu" in the address (or,
    failing that, as the address's first part); the longest such name wins, and a tie names
    nobody (two units, one suggestion would be a guess).
    """
    if not address or not names:
        return None
    words = _words(address[:1000])
    hits: dict[int, int] = {}
    for unit_id, name in names.items():
        short = short_name(name)
        if not short:
            continue
        if any(f" {kind} {short} " in words for kind in _KIND_WORDS):
            hits[unit_id] = len(short) + 1000  # titled: a strong match
        elif words.startswith(f" {short} "):
            hits[unit_id] = len(short)
    if not hits:
        return None
    best = max(hits.values())
    winners = [uid for uid, score in hits.items() if score == best]
    return winners[0] if len(winners) == 1 else None


@lru_cache(maxsize=1)
def province_names() -> tuple[str, ...]:
    """The 34 provinces in force since 1/7/2025 (``vietnam-provinces``)."""
    from vietnam_provinces import Province

    return tuple(p.name for p in Province.iter_all())


@lru_cache(maxsize=64)
def communes_of_province(name: str) -> tuple[tuple[int, str], ...]:
    """The communes and wards (official code, name) of the province called ``name`` ("Phú Thọ",
    "Tỉnh Phú Thọ", "Thành phố Huế"), or () when the libraries do not know it."""
    from vietnam_provinces import Province, Ward

    wanted = _province_key(name)
    for p in Province.iter_all():
        if _province_key(p.name) == wanted:
            return tuple((w.code.value, w.name) for w in Ward.iter_all() if w.province_code == p.code)
    return ()


def _province_key(name: str) -> str:
    """"Ủy ban nhân dân tỉnh Phú Thọ", "Tỉnh Phú Thọ", "Phú Thọ" → "phu tho"."""
    text = short_name(name)
    for prefix in ("tinh ", "thanh pho ", "tp. ", "tp "):
        if text.startswith(prefix):
            return text[len(prefix):].strip()
    return text


def place_suggestion(unit_name: str, province: str) -> str:
    """The official commune name a unit's place should read ("Hòa Bình" for "Ủy ban nhân dân
    phường Hòa Bình") when the province's list has it, else ""."""
    short = short_name(unit_name)
    for _code, name in communes_of_province(province):
        if short_name(name) == short:
            return re.sub(r"^(Xã|Phường|Thị trấn|Đặc khu)\s+", "", name)
    return ""


def _load_converter():
    global _converter
    if _converter is None:
        with _convert_lock:
            if _converter is None:
                from vietnamadminunits import convert_address

                _converter = convert_address
    return _converter


def convert_old_address(address: str) -> Conversion | None:
    """The 1/7/2025 commune of a pre-2025 address ("…, phường Tân Thịnh, thành phố Hòa Bình, tỉnh
    Hòa Bình" → Phường Hòa Bình, Tỉnh Phú Thọ), or None when the address names no district or
    the library cannot read it. A suggestion: the caller shows it and keeps what was typed."""
    address = (address or "").strip()
    if not address or len(address) > 500:
        return None
    folded = _words(address)
    if not any(f" {w} " in folded for w in ("huyen", "quan", "thi xa", "thanh pho", "tp", "h", "q")):
        return None  # no district named: already the two-level form (or not an address at all)
    try:
        result = _load_converter()(address)
    except Exception:  # the library's parse errors are many and undocumented: no suggestion
        return None
    old = getattr(result, "OldAdminUnit", None)
    if not result or not result.ward or old is None or not getattr(old, "district", None):
        return None
    return Conversion(
        old_commune=", ".join(x for x in (old.ward, old.district, old.province) if x),
        new_commune=result.ward, new_province=result.province or "", street=(result.street or "").strip(),
    )
