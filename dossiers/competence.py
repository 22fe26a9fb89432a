"""The competent unit of a dossier (cơ quan chủ trì; domain.md D19, NĐ 118/2025): pure rules.

A procedure is resolved either by one named unit or by **every People's Committee of a level**
(``Procedure.resolving_level``: each commune-level People's Committee resolves its own dossiers
of "Đăng ký khai sinh"). Any one-stop counter of the province may receive any procedure; the
competent unit is then chosen at intake:

- a named-unit procedure: that unit, and only that one (naming another is refused);
- a level procedure: one of the province's People's Committees of that level that are valid on
  the receipt date (an installation serves one province, so "the province's" is "the
  database's"). Default: the receiving unit when it is one of them, or the People's Committee
  whose own one-stop department (a child unit) received it; otherwise the clerk or the calling
  system must name one.

Plain data in (``UnitFacts``), a unit id or a ``CompetenceError`` out; no ORM, no settings, so
the intake, the API and the history import ask the same question the same way.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

#: the unit kind that resolves a level procedure (interfaces.md ``import_units``: ``kind``)
PEOPLE_COMMITTEE = "people_committee"
#: how many valid units a refusal names before it says how to search the rest
LIST_LIMIT = 10

LEVEL_NAMES = {"ministry": "cấp bộ", "province": "cấp tỉnh", "district": "cấp huyện", "commune": "cấp xã"}

MSG_REQUIRED = ("Thủ tục {procedure} do Ủy ban nhân dân {level} nơi có thẩm quyền giải quyết: chọn cơ quan "
                "giải quyết ({count} đơn vị).")
MSG_NOT_COMPETENT = "{unit} ({code}) không giải quyết thủ tục {procedure}."
MSG_ENDED = "{unit} ({code}) không còn hoạt động vào ngày {day:%d/%m/%Y}."
MSG_NONE_VALID = "Không có Ủy ban nhân dân {level} nào còn hoạt động vào ngày {day:%d/%m/%Y} để giải quyết thủ tục {procedure}."
MSG_CHOOSE = "Đơn vị có thẩm quyền: {units}."
MSG_CHOOSE_MORE = "Đơn vị có thẩm quyền ({count} đơn vị), ví dụ: {units}; tìm theo tên: {search}."
MSG_ONLY = "Cơ quan giải quyết của thủ tục này là {unit} ({code})."


@dataclass(frozen=True)
class UnitFacts:
    id: int
    code: str
    name: str
    level: str
    kind: str
    parent_id: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


class CompetenceError(Exception):
    """The competent unit cannot be taken as given; ``message`` is the field error of
    ``resolving_unit`` (it names the valid units, up to ``LIST_LIMIT``, or how to search them)."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.message = message
        self.reason = reason  # required | not_competent | ended | none_valid


def candidates(level: str, units: Iterable[UnitFacts], day: date) -> list[UnitFacts]:
    """The People's Committees of ``level`` valid on ``day``, by name: who may resolve a level
    procedure's dossier received that day."""
    return sorted((u for u in units if u.level == level and u.kind == PEOPLE_COMMITTEE and u.valid_on(day)),
                  key=lambda u: (u.name, u.code))


def valid_units_text(valid: list[UnitFacts], *, search: str = "") -> str:
    """The sentence that lists the valid units (all of them up to ``LIST_LIMIT``, else the first
    ones and how to search the rest)."""
    shown = "; ".join(f"{u.name} ({u.code})" for u in valid[:LIST_LIMIT])
    if len(valid) <= LIST_LIMIT or not search:
        return MSG_CHOOSE.format(units=shown)
    return MSG_CHOOSE_MORE.format(count=len(valid), units=shown, search=search)


def choose(
    *, procedure_code: str, resolving_unit: UnitFacts | None, resolving_level: str, receiving: UnitFacts,
    requested: UnitFacts | None, day: date, units: Iterable[UnitFacts], search: str = "",
) -> int:
    """The id of the dossier's competent unit, or ``CompetenceError``.

    :param resolving_unit: the procedure's named unit (None for a level procedure)
    :param requested: the unit the clerk or the system named (None: the default)
    :param units: every unit of the installation (only needed for a level procedure)
    :param search: how to search the valid units, said when there are more than ``LIST_LIMIT``
    """
    if resolving_unit is not None:  # one named unit: it, and only it
        if requested is None or requested.id == resolving_unit.id:
            return resolving_unit.id
        raise CompetenceError(
            MSG_NOT_COMPETENT.format(unit=requested.name, code=requested.code, procedure=procedure_code) + " "
            + MSG_ONLY.format(unit=resolving_unit.name, code=resolving_unit.code), reason="not_competent")
    level_name = LEVEL_NAMES.get(resolving_level, resolving_level)
    valid = candidates(resolving_level, units, day)
    valid_ids = {u.id for u in valid}
    if requested is not None:
        if requested.id in valid_ids:
            return requested.id
        if requested.level == resolving_level and requested.kind == PEOPLE_COMMITTEE:
            head = MSG_ENDED.format(unit=requested.name, code=requested.code, day=day)
            reason = "ended"
        else:
            head = MSG_NOT_COMPETENT.format(unit=requested.name, code=requested.code, procedure=procedure_code)
            reason = "not_competent"
        if not valid:
            raise CompetenceError(head + " " + MSG_NONE_VALID.format(level=level_name, day=day, procedure=procedure_code),
                                  reason=reason)
        raise CompetenceError(head + " " + valid_units_text(valid, search=search), reason=reason)
    for unit_id in (receiving.id, receiving.parent_id):  # the unit itself, or its own one-stop department
        if unit_id in valid_ids:
            return unit_id
    if not valid:
        raise CompetenceError(MSG_NONE_VALID.format(level=level_name, day=day, procedure=procedure_code),
                              reason="none_valid")
    raise CompetenceError(
        MSG_REQUIRED.format(procedure=procedure_code, level=level_name, count=len(valid)) + " "
        + valid_units_text(valid, search=search), reason="required")


def default_for(*, resolving_level: str, receiving: UnitFacts, units: Iterable[UnitFacts], day: date) -> int | None:
    """The D19 default of a level procedure at this receiving unit, or None (the clerk chooses)."""
    valid_ids = {u.id for u in candidates(resolving_level, units, day)}
    for unit_id in (receiving.id, receiving.parent_id):
        if unit_id in valid_ids:
            return unit_id
    return None
