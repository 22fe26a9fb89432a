"""Catalogue services: CSV import of units, procedures and step templates; step budgets.

The file formats are a public contract (shared/interfaces.md, "Catalogue import"):

- UTF-8 (a leading BOM, as Excel's "CSV UTF-8" writes it, is accepted), comma-separated, one
  header row. Cell values are stripped, runs of white space become one space, and text is
  normalised to Unicode NFC (Vietnamese typed on macOS arrives decomposed; without this the
  same field name would be stored twice).
- Every problem is reported as ``line N, column C: reason``: N is the physical line in the file
  (the header is line 1; a quoted value spanning lines counts them all), C the column name, or
  ``#k`` (the k-th column) where the column has no usable name. All problems are collected and
  reported together, first line first; when there is one, nothing is written (one transaction).
- Re-importing updates rows by code, so importing the same file twice changes nothing. An
  optional column left out of the header leaves the stored value alone; an optional column that
  is present but empty sets the empty value (e.g. an empty ``valid_to`` reopens a unit).
- Optional extra columns beyond the contract: units ``place`` (địa danh printed on forms);
  procedures ``fee`` and ``documents`` (``;``-separated, stored one per line).

Step templates: the allotted times of a procedure's steps are in the procedure's time unit and
may not add up to more than its legal processing time (NĐ 61/2018, liên thông: the lead agency
answers for the total; each step gets its share). The same check guards the step import, the
admin inline and a procedure re-import that shortens the processing time.
"""
from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any, Union

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from dossiers.models import Field, Procedure, ProcedureStep, Unit
from dossiers.services.import_errors import ImportFileError, LocatedErrors  # noqa: F401 (re-exported for the imports' callers)

RowsOrFile = Union[str, os.PathLike, bytes, IO, Iterable[Mapping[str, Any]]]

# Messages asserted by tests.
MSG_STEP_BUDGET = "Tổng thời gian các bước ({steps} = {total} {unit}) vượt thời hạn giải quyết {limit} {unit}."
MSG_STEP_NAME = "Bước thứ {index}: chưa có tên bước."
MSG_STEP_TIME = "Bước “{name}”: thời gian phải là số nguyên không âm."
MSG_STEP_ORDER = "Bước “{name}”: thứ tự phải là số nguyên dương."
MSG_STEP_ORDER_DUP = "Thứ tự {order} bị trùng giữa các bước."

CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WHOLE_RE = re.compile(r"^[+-]?\d+$")
MAX_INT = 2_147_483_647  # PositiveIntegerField on every supported database


@dataclass
class ImportResult:
    """What an import did, counted per row (per step for step templates)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    fields_created: int = 0

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.deleted:
            text += f", {self.deleted} deleted"
        if self.fields_created:
            text += f" ({self.fields_created} new fields)"
        return text

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted or self.fields_created)

    def tally(self, *, created: bool, changed: bool) -> None:
        """Count one row: created, else updated when something changed, else unchanged."""
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1


# ---------------------------------------------------------------------------------------------
# Reading CSV files
# ---------------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    values: dict[str, str]
    bad: set[str]  # columns already reported (not UTF-8, control characters)

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class _Table:
    columns: list[str]
    rows: list[_Row]
    errors: LocatedErrors

    def has(self, column: str) -> bool:
        return column in self.columns


def _clean_cell(raw: str) -> str:
    return unicodedata.normalize("NFC", " ".join(raw.split()))


def _undecodable(value: str) -> str | None:
    """The first byte that was not UTF-8 (decoded with ``surrogateescape``), as ``0xE0``."""
    for ch in value:
        if "\udc80" <= ch <= "\udcff":
            return f"0x{ord(ch) - 0xDC00:02X}"
    return None


def _control_char(value: str) -> str | None:
    for ch in value:
        if unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return None


def _read_records(rows_or_file: RowsOrFile) -> tuple[list[tuple[int, list[str]]], LocatedErrors]:
    """Physical-line-numbered records (blank lines skipped) from a path, bytes, a file or dicts."""
    errors = LocatedErrors()
    if isinstance(rows_or_file, (str, os.PathLike)):
        content: bytes | str = Path(rows_or_file).read_bytes()
    elif isinstance(rows_or_file, (bytes, bytearray)):
        content = bytes(rows_or_file)
    elif hasattr(rows_or_file, "read"):
        content = rows_or_file.read()
    else:
        return _records_from_dicts(rows_or_file), errors
    if isinstance(content, bytes):
        # surrogateescape keeps undecodable bytes as lone surrogates, so that each one can be
        # reported on its own line and column instead of "the file is not UTF-8".
        text = content.decode("utf-8-sig", errors="surrogateescape")
    else:
        text = content.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, previous = [], 0
    try:
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                records.append((start, cells))
    except csv.Error as exc:
        errors.add(previous + 1, "(row)", f"malformed CSV ({exc}); check the quotes on this row")
    return records, errors


def _records_from_dicts(rows: Iterable[Mapping[str, Any]]) -> list[tuple[int, list[str]]]:
    rows = list(rows)
    header: list[str] = []
    for row in rows:
        header.extend(key for key in row if key not in header)
    records = [(1, list(header))]
    for index, row in enumerate(rows, start=2):
        records.append((index, ["" if row.get(key) is None else str(row.get(key)) for key in header]))
    return records


def _read_table(
    rows_or_file: RowsOrFile, *, required: tuple[str, ...], optional: tuple[str, ...], raw: tuple[str, ...] = ()
) -> _Table:
    """Parse and check the header; raise at once if the header is unusable (rows would be noise).

    Columns in `raw` keep their cells exactly as written (a password's spaces are part of it)."""
    raw_columns = raw
    records, errors = _read_records(rows_or_file)
    allowed = required + optional
    if not records:
        header_line, header = 1, []
    else:
        header_line, header = records[0]
    names: list[str] = []
    for index, raw in enumerate(header):
        name = _clean_cell(raw)
        label = f"#{index + 1}"
        errors.positions.setdefault(name or label, index)
        if not name:
            names.append("")
        elif _undecodable(name):
            errors.add(header_line, label, f"not valid UTF-8 text (byte {_undecodable(name)}); save the file as “CSV UTF-8”")
            names.append("")
        elif name not in allowed:
            errors.add(header_line, name, f"unknown column (expected: {', '.join(allowed)})")
            names.append("")
        elif name in names:
            errors.add(header_line, name, "duplicate column")
            names.append("")
        else:
            names.append(name)
    for name in required:
        errors.positions.setdefault(name, len(errors.positions))
        if name not in names:
            errors.add(header_line, name, "missing required column")
    errors.raise_if_any()

    rows = []
    for line, cells in records[1:]:
        values, bad = {}, set()
        for index, raw in enumerate(cells):
            column = names[index] if index < len(names) and names[index] else ""
            if not column:
                if raw.strip():
                    errors.add(line, f"#{index + 1}", "value in a column without a header")
                continue
            byte = _undecodable(raw)
            value = _clean_cell(raw)
            if byte:
                errors.add(line, column, f"not valid UTF-8 text (byte {byte}); save the file as “CSV UTF-8”")
                bad.add(column)
            elif _control_char(value):
                errors.add(line, column, f"contains a control character ({_control_char(value)})")
                bad.add(column)
            elif column == "documents":
                value = unicodedata.normalize("NFC", raw.strip())  # line breaks separate documents too
            elif column in raw_columns:
                value = raw
            values[column] = value
        rows.append(_Row(line=line, values=values, bad=bad))
    return _Table(columns=[n for n in names if n], rows=rows, errors=errors)


# Cell checks: each returns the parsed value, or None after reporting the problem.


def _required(table: _Table, row: _Row, column: str, *, max_length: int) -> str | None:
    if column in row.bad:
        return None
    value = row.get(column)
    if not value:
        table.errors.add(row.line, column, "required value missing")
        return None
    if len(value) > max_length:
        table.errors.add(row.line, column, f"too long ({len(value)} characters, at most {max_length})")
        return None
    return value


def _code(table: _Table, row: _Row, column: str) -> str | None:
    value = _required(table, row, column, max_length=32)
    if value is not None and not CODE_RE.match(value):
        table.errors.add(row.line, column, f"“{value}” is not a valid code (letters, digits, '.', '-', '_' only)")
        return None
    return value


def _choice(table: _Table, row: _Row, column: str, choices: list[str], *, allow_empty: bool = False) -> str | None:
    if column in row.bad:
        return None
    value = row.get(column)
    if value == "" and allow_empty:
        return value
    if value == "":
        table.errors.add(row.line, column, f"required value missing (one of: {', '.join(choices)})")
        return None
    if value not in choices:
        shown = ", ".join(choices) + (" or empty" if allow_empty else "")
        table.errors.add(row.line, column, f"“{value}” is not allowed (one of: {shown})")
        return None
    return value


def _iso_date(table: _Table, row: _Row, column: str) -> date | None | bool:
    """A date, None for an empty cell, or False after reporting a bad value."""
    if column in row.bad:
        return False
    value = row.get(column)
    if not value:
        return None
    try:
        if not ISO_DATE_RE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        table.errors.add(row.line, column, f"“{value}” is not an ISO date (YYYY-MM-DD)")
        return False


def _whole(table: _Table, row: _Row, column: str, *, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    if column in row.bad:
        return None
    value = row.get(column)
    if not value:
        table.errors.add(row.line, column, "required value missing")
        return None
    if not WHOLE_RE.match(value):
        table.errors.add(row.line, column, f"“{value}” is not a whole number")
        return None
    number = int(value)
    if number < minimum:
        table.errors.add(row.line, column, f"must be ≥ {minimum} (got {number})")
        return None
    if number > maximum:
        table.errors.add(row.line, column, f"must be ≤ {maximum} (got {number})")
        return None
    return number


def _check_duplicate(table: _Table, row: _Row, column: str, key, seen: dict, what: str) -> bool:
    if key in seen:
        table.errors.add(row.line, column, f"duplicate {what} (first on line {seen[key]})")
        return True
    seen[key] = row.line
    return False


def _clean_or_report(table: _Table, line: int, obj, columns: Mapping[str, str], exclude=None) -> bool:
    """``full_clean()`` a model instance; report its messages against the row's columns."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            table.errors.add(line, columns.get(field, field), "; ".join(messages))
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------

UNIT_REQUIRED = ("code", "name", "level", "kind")
UNIT_OPTIONAL = ("parent_code", "valid_from", "valid_to", "place")
UNIT_COLUMNS = {"code": "code", "name": "name", "level": "level", "kind": "kind", "parent": "parent_code",
                "valid_from": "valid_from", "valid_to": "valid_to", "place": "place"}


@transaction.atomic
def units_import(*, rows_or_file: RowsOrFile, dry_run: bool = False) -> ImportResult:
    """Create or update units from a CSV file (interfaces.md ``import_units``), all or nothing.

    A ``parent_code`` may name a unit anywhere in the file or already in the database; parents
    are linked after every unit exists. A parent chain that loops back (directly or through
    units already stored) is refused.
    """
    table = _read_table(rows_or_file, required=UNIT_REQUIRED, optional=UNIT_OPTIONAL)
    errors = table.errors
    wanted: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for row in table.rows:
        code = _code(table, row, "code")
        data: dict[str, Any] = {
            "line": row.line,
            "name": _required(table, row, "name", max_length=255),
            "level": _choice(table, row, "level", Unit.Level.values),
            "kind": _choice(table, row, "kind", Unit.Kind.values),
        }
        if table.has("place"):
            place = row.get("place")
            if len(place) > 100:
                errors.add(row.line, "place", f"too long ({len(place)} characters, at most 100)")
            data["place"] = place
        if table.has("parent_code"):
            parent = row.get("parent_code")
            if parent and not CODE_RE.match(parent):
                errors.add(row.line, "parent_code", f"“{parent}” is not a valid code")
                parent = ""
            elif parent and parent == code:
                errors.add(row.line, "parent_code", "a unit cannot be its own parent")
                parent = ""  # reported; keep it out of the cycle search
            data["parent_code"] = parent
        valid_from = _iso_date(table, row, "valid_from") if table.has("valid_from") else None
        valid_to = _iso_date(table, row, "valid_to") if table.has("valid_to") else None
        if valid_from and valid_to and valid_to < valid_from:
            errors.add(row.line, "valid_to", f"{valid_to.isoformat()} is before valid_from {valid_from.isoformat()}")
        if table.has("valid_from"):
            data["valid_from"] = valid_from or None
        if table.has("valid_to"):
            data["valid_to"] = valid_to or None
        if code is not None and not _check_duplicate(table, row, "code", code, seen, f"code {code}"):
            wanted[code] = data

    # Parents: known in the file or the database; no cycles through either.
    parent_of: dict[str, str | None] = dict(Unit.objects.values_list("code", "parent__code"))
    for code, data in wanted.items():
        parent = data.get("parent_code")
        if parent and parent not in wanted and parent not in parent_of:
            errors.add(data["line"], "parent_code", f"unknown unit {parent} (not in this file nor in the database)")
        if "parent_code" in data:
            parent_of[code] = data["parent_code"] or None
    _report_cycles(errors, wanted, parent_of)
    errors.raise_if_any()

    existing = {u.code: u for u in Unit.objects.select_related("parent").filter(code__in=list(wanted))}
    result = ImportResult()
    scalar = ("name", "level", "kind", "place", "valid_from", "valid_to")
    for code, data in wanted.items():
        unit = existing.get(code)
        changes = {f: data[f] for f in scalar if f in data}
        if unit is None:
            unit = Unit(code=code, **changes)
            result.created += 1
        else:
            parent_changed = "parent_code" in data and (unit.parent.code if unit.parent else "") != data["parent_code"]
            differs = [f for f, v in changes.items() if getattr(unit, f) != v]
            if not differs and not parent_changed:
                result.unchanged += 1
                continue
            result.updated += 1
            for f in differs:
                setattr(unit, f, changes[f])
        if _clean_or_report(table, data["line"], unit, UNIT_COLUMNS, exclude=["parent"]):
            unit.save()
            existing[code] = unit
    errors.raise_if_any()

    ids = dict(Unit.objects.filter(code__in={d["parent_code"] for d in wanted.values() if d.get("parent_code")})
               .values_list("code", "pk"))
    for code, data in wanted.items():
        if "parent_code" not in data:
            continue
        unit = existing[code]
        parent_id = ids.get(data["parent_code"]) if data["parent_code"] else None
        if unit.parent_id != parent_id:
            unit.parent_id = parent_id
            if _clean_or_report(table, data["line"], unit, UNIT_COLUMNS):
                unit.save(update_fields=["parent"])
    errors.raise_if_any()
    if dry_run:
        transaction.set_rollback(True)
    return result


def _report_cycles(errors: LocatedErrors, wanted: dict[str, dict], parent_of: dict[str, str | None]) -> None:
    """Report each parent cycle once, on the earliest line of the file that is part of it."""
    settled: set[str] = set()
    for start in wanted:
        path: list[str] = []
        where: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in settled and node not in where:
            where[node] = len(path)
            path.append(node)
            node = parent_of.get(node)
        if node is not None and node in where:
            cycle = path[where[node]:]
            in_file = [c for c in cycle if c in wanted]
            first = min(in_file, key=lambda c: wanted[c]["line"])
            i = cycle.index(first)
            loop = cycle[i:] + cycle[:i] + [first]
            errors.add(wanted[first]["line"], "parent_code", "parent cycle: " + " → ".join(loop))
        settled.update(path)


# ---------------------------------------------------------------------------------------------
# Procedures
# ---------------------------------------------------------------------------------------------

# D19: a row names the competent unit (``resolving_unit_code``) or the level whose every
# People's Committee resolves it (``resolving_level``): the header has at least one of the two
# columns, each row exactly one value.
PROCEDURE_REQUIRED = ("code", "name", "field", "processing_time", "time_unit")
PROCEDURE_OPTIONAL = ("resolving_unit_code", "resolving_level", "on_the_spot", "online_level", "fee", "documents")
PROCEDURE_COLUMNS = {"code": "code", "name": "name", "field": "field", "processing_time": "processing_time",
                     "time_unit": "time_unit", "resolving_unit": "resolving_unit_code",
                     "resolving_level": "resolving_level", "on_the_spot": "on_the_spot",
                     "online_level": "online_level", "fee": "fee", "documents": "documents"}
MSG_UNIT_OR_LEVEL = "give either resolving_unit_code or resolving_level, not both"
MSG_UNIT_OR_LEVEL_MISSING = "required value missing (or resolving_level)"


def _documents(raw: str) -> str:
    """``a; b; c`` (or one per line) → one document per line, white space tidied."""
    items = (_clean_cell(part) for part in re.split(r"[;\n]", raw))
    return "\n".join(item for item in items if item)


@transaction.atomic
def procedures_import(*, rows_or_file: RowsOrFile, dry_run: bool = False) -> ImportResult:
    """Create or update procedures from a CSV file (interfaces.md ``import_procedures``), all or nothing.

    A field (lĩnh vực) named for the first time is created. A shorter processing time than the
    procedure's step template needs is refused (change the steps first).
    """
    table = _read_table(rows_or_file, required=PROCEDURE_REQUIRED, optional=PROCEDURE_OPTIONAL)
    errors = table.errors
    if not table.has("resolving_unit_code") and not table.has("resolving_level"):
        errors.add(1, "resolving_unit_code", "missing required column (or resolving_level)")
        errors.raise_if_any()
    unit_codes = {row.get("resolving_unit_code") for row in table.rows}
    units = {u.code: u for u in Unit.objects.filter(code__in=unit_codes)}
    wanted: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for row in table.rows:
        code = _code(table, row, "code")
        data: dict[str, Any] = {
            "line": row.line,
            "name": _required(table, row, "name", max_length=500),
            "field": _required(table, row, "field", max_length=150),
            "processing_time": _whole(table, row, "processing_time"),
            "time_unit": _choice(table, row, "time_unit", Procedure.TimeUnit.values),
        }
        has_unit, has_level = bool(row.get("resolving_unit_code")), bool(row.get("resolving_level"))
        if has_unit and has_level:
            errors.add(row.line, "resolving_level", MSG_UNIT_OR_LEVEL)
        elif has_level:
            level = _choice(table, row, "resolving_level", Unit.Level.values)
            if level is not None:
                data["resolving_level"], data["resolving_unit"] = level, None
        elif not has_unit and "resolving_unit_code" not in row.bad and "resolving_level" not in row.bad:
            errors.add(row.line, "resolving_unit_code" if table.has("resolving_unit_code") else "resolving_level",
                       MSG_UNIT_OR_LEVEL_MISSING if table.has("resolving_level") else "required value missing")
        else:
            unit_code = _code(table, row, "resolving_unit_code")
            if unit_code is not None:
                data["resolving_unit"], data["resolving_level"] = units.get(unit_code), ""
                if data["resolving_unit"] is None:
                    errors.add(row.line, "resolving_unit_code", f"unknown unit {unit_code}")
        if table.has("on_the_spot"):
            value = _choice(table, row, "on_the_spot", ["1", "0"], allow_empty=True)
            data["on_the_spot"] = value == "1"
        if table.has("online_level"):
            value = _choice(table, row, "online_level", ["full", "partial"], allow_empty=True)
            data["online_level"] = value or ""
        if table.has("fee"):
            fee = row.get("fee")
            if len(fee) > 255:
                errors.add(row.line, "fee", f"too long ({len(fee)} characters, at most 255)")
            data["fee"] = fee
        if table.has("documents") and "documents" not in row.bad:
            data["documents"] = _documents(row.get("documents"))
        if code is not None and not _check_duplicate(table, row, "code", code, seen, f"code {code}"):
            wanted[code] = data

    existing = {
        p.code: p for p in Procedure.objects.select_related("field", "resolving_unit").filter(code__in=list(wanted))
    }
    steps_of: dict[int, list[ProcedureStep]] = {}
    for step in ProcedureStep.objects.filter(procedure__in=existing.values()).order_by("order"):
        steps_of.setdefault(step.procedure_id, []).append(step)
    for code, data in wanted.items():
        procedure = existing.get(code)
        if procedure is None or procedure.pk not in steps_of or data["processing_time"] is None or not data["time_unit"]:
            continue
        probe = Procedure(processing_time=data["processing_time"], time_unit=data["time_unit"])
        steps = [{"order": s.order, "name": s.name, "allotted_time": s.allotted_time} for s in steps_of[procedure.pk]]
        message = _budget_message(probe, steps)
        if message:
            errors.add(data["line"], "processing_time", f"{message} Sửa quy trình các bước trước.")
    errors.raise_if_any()

    fields = {f.name: f for f in Field.objects.filter(name__in={d["field"] for d in wanted.values()})}
    result = ImportResult()
    columns = ("name", "processing_time", "time_unit", "resolving_unit", "resolving_level", "on_the_spot",
               "online_level", "fee", "documents")
    for code, data in wanted.items():
        field = fields.get(data["field"])
        if field is None:
            field = fields[data["field"]] = Field.objects.create(name=data["field"])
            result.fields_created += 1
        changes = {c: data[c] for c in columns if c in data}
        changes["field"] = field
        procedure = existing.get(code)
        if procedure is None:
            procedure = Procedure(code=code, **changes)
            result.created += 1
        else:
            differs = [c for c, v in changes.items() if getattr(procedure, c) != v]
            if not differs:
                result.unchanged += 1
                continue
            result.updated += 1
            for c in differs:
                setattr(procedure, c, changes[c])
        if _clean_or_report(table, data["line"], procedure, PROCEDURE_COLUMNS):
            procedure.save()
    errors.raise_if_any()
    if dry_run:
        transaction.set_rollback(True)
    return result


# ---------------------------------------------------------------------------------------------
# Step templates and their time budget
# ---------------------------------------------------------------------------------------------


def _budget_message(procedure: Procedure, steps: list[Mapping[str, Any]]) -> str | None:
    """The refusal message when the steps' times add up to more than the procedure's, else None."""
    if procedure.processing_time is None or not procedure.time_unit:
        return None  # the procedure itself is incomplete; its own form reports that
    ordered = sorted(steps, key=lambda s: s.get("order") or 0)
    total = sum(s["allotted_time"] for s in ordered)
    if total <= procedure.processing_time:
        return None
    with translation.override("vi"):
        unit = str(Procedure.TimeUnit(procedure.time_unit).label)
    return MSG_STEP_BUDGET.format(
        steps=", ".join(f"{s['name']}: {s['allotted_time']}" for s in ordered),
        total=total, unit=unit, limit=procedure.processing_time,
    )


def level_step_error(procedure: Procedure, unit: Unit | None) -> str | None:
    """A level procedure's step may not name one People's Committee of that level: its steps at
    "the competent unit" leave the unit empty and resolve to the unit chosen at intake (D19)."""
    if (procedure.by_level and unit is not None and unit.level == procedure.resolving_level
            and unit.kind == Unit.Kind.PEOPLE_COMMITTEE):
        return (f"{unit.code} is one {procedure.resolving_level} of the procedure's level: leave unit_code empty "
                f"(the competent unit chosen at intake)")
    return None


def procedure_steps_validate(*, procedure: Procedure, steps: list[Mapping[str, Any]]) -> None:
    """Refuse a step template that is incomplete or needs more time than the law gives.

    Each step is a mapping with ``name``, ``allotted_time`` (in the procedure's time unit),
    optionally ``order`` (default: its position) and ``unit``. Raises ``ValidationError``.
    """
    problems: list[str] = []
    orders: set[int] = set()
    normalised = []
    for index, step in enumerate(steps, start=1):
        name = (step.get("name") or "").strip()
        order = step.get("order", index)
        allotted = step.get("allotted_time")
        if not name:
            problems.append(MSG_STEP_NAME.format(index=index))
        if not isinstance(order, int) or isinstance(order, bool) or order < 1:
            problems.append(MSG_STEP_ORDER.format(name=name or index))
        elif order in orders:
            problems.append(MSG_STEP_ORDER_DUP.format(order=order))
        else:
            orders.add(order)
        if not isinstance(allotted, int) or isinstance(allotted, bool) or allotted < 0:
            problems.append(MSG_STEP_TIME.format(name=name or index))
        if level_step_error(procedure, step.get("unit")):
            problems.append(f"Bước “{name or index}”: để trống đơn vị thực hiện (cơ quan có thẩm quyền chọn khi tiếp nhận).")
        normalised.append({"order": order if isinstance(order, int) else index, "name": name, "allotted_time": allotted})
    if problems:
        raise ValidationError(problems, code="invalid_step")
    message = _budget_message(procedure, normalised)
    if message:
        raise ValidationError(message, code="step_budget_exceeded")


def _steps_replace(procedure: Procedure, steps: list[Mapping[str, Any]]) -> ImportResult:
    """Make the procedure's steps exactly ``steps`` (matched by order; ids kept where possible)."""
    result = ImportResult()
    current = {s.order: s for s in procedure.steps.all()}
    stale = [s.pk for order, s in current.items() if order not in {st["order"] for st in steps}]
    if stale:
        result.deleted = ProcedureStep.objects.filter(pk__in=stale).delete()[0]
    for step in steps:
        unit = step.get("unit")
        values = {"name": step["name"], "unit": unit, "allotted_time": step["allotted_time"]}
        obj = current.get(step["order"])
        if obj is None:
            obj = ProcedureStep(procedure=procedure, order=step["order"], **values)
            result.created += 1
        elif obj.name == values["name"] and obj.unit_id == (unit.pk if unit else None) and obj.allotted_time == values["allotted_time"]:
            result.unchanged += 1
            continue
        else:
            for key, value in values.items():
                setattr(obj, key, value)
            result.updated += 1
        obj.full_clean()
        obj.save()
    return result


@transaction.atomic
def procedure_steps_set(*, procedure: Procedure, steps: list[Mapping[str, Any]]) -> list[ProcedureStep]:
    """Replace a procedure's step template after :func:`procedure_steps_validate`."""
    steps = [{**step, "order": step.get("order", index)} for index, step in enumerate(steps, start=1)]
    procedure_steps_validate(procedure=procedure, steps=steps)
    _steps_replace(procedure, steps)
    return list(procedure.steps.select_related("unit").order_by("order"))


STEP_REQUIRED = ("procedure_code", "order", "name", "allotted_time")
STEP_OPTIONAL = ("unit_code",)


@transaction.atomic
def procedure_steps_import(*, rows_or_file: RowsOrFile, dry_run: bool = False) -> ImportResult:
    """Replace the step templates of every procedure listed in a CSV file, all or nothing.

    Columns ``procedure_code, order, name, unit_code, allotted_time``; an empty ``unit_code``
    means the procedure's resolving unit. Procedures not in the file keep their steps. Counts
    are per step: new orders are created, changed ones updated, orders no longer listed deleted.
    """
    table = _read_table(rows_or_file, required=STEP_REQUIRED, optional=STEP_OPTIONAL)
    errors = table.errors
    procedures = {p.code: p for p in Procedure.objects.filter(code__in={r.get("procedure_code") for r in table.rows})}
    units = {u.code: u for u in Unit.objects.filter(code__in={r.get("unit_code") for r in table.rows if r.get("unit_code")})}
    grouped: dict[str, list[dict[str, Any]]] = {}
    seen: dict[tuple[str, int], int] = {}
    for row in table.rows:
        code = _code(table, row, "procedure_code")
        procedure = procedures.get(code) if code else None
        if code and procedure is None:
            errors.add(row.line, "procedure_code", f"unknown procedure {code}")
        order = _whole(table, row, "order", minimum=1, maximum=32767)
        name = _required(table, row, "name", max_length=255)
        unit = None
        unit_code = row.get("unit_code") if "unit_code" not in row.bad else ""
        if unit_code:
            unit = units.get(unit_code)
            if unit is None:
                errors.add(row.line, "unit_code", f"unknown unit {unit_code}")
            elif procedure is not None and level_step_error(procedure, unit):
                errors.add(row.line, "unit_code", level_step_error(procedure, unit))
        allotted = _whole(table, row, "allotted_time")
        if code and order is not None and _check_duplicate(table, row, "order", (code, order), seen, f"order {order} for procedure {code}"):
            continue
        if procedure is not None and None not in (order, name, allotted):
            grouped.setdefault(code, []).append(
                {"line": row.line, "order": order, "name": name, "unit": unit, "allotted_time": allotted}
            )
    for code, steps in grouped.items():
        steps.sort(key=lambda s: s["order"])
        procedure = procedures[code]
        message = _budget_message(procedure, steps)
        if message:
            running = 0
            for step in steps:  # blame the row where the budget is first overrun
                running += step["allotted_time"]
                if running > procedure.processing_time:
                    errors.add(step["line"], "allotted_time", message)
                    break
    errors.raise_if_any()

    result = ImportResult()
    for code, steps in grouped.items():
        done = _steps_replace(procedures[code], steps)
        result.created += done.created
        result.updated += done.updated
        result.unchanged += done.unchanged
        result.deleted += done.deleted
    if dry_run:
        transaction.set_rollback(True)
    return result
