"""The one error of every CSV import (catalogue, staff, dossier history): a list of problems, each
``line N, column C: reason`` (the interface's form, shared/interfaces.md), N the physical line of
the file (the header is line 1), C the column's name (or ``#k``, ``-`` where no column is to
blame). The reasons are each importer's own; nothing is written when there is one.
"""
from __future__ import annotations

from dossiers.errors import DossierError

MSG_LOCATED = "line {line}, column {column}: {reason}"
MSG_MORE_ERRORS = "… và {n} lỗi khác"


def located(line: int, column: str, reason: str) -> str:
    """One problem as the interface writes it."""
    return MSG_LOCATED.format(line=line, column=column, reason=reason)


def line_of(message: str) -> int:
    """The line of a located message (for sorting problems found in several passes)."""
    head = message.split(",", 1)[0]
    return int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 0


class ImportFileError(DossierError):
    """A file that cannot be imported; nothing was written. ``lines`` holds every problem, one
    ``line N, column C: reason`` each; the message lists them (the first ``max_shown`` and how
    many more, when the importer sets a limit)."""

    max_shown: int | None = None

    def __init__(self, lines: list[str]):
        lines = list(lines)
        shown = lines if self.max_shown is None else lines[: self.max_shown]
        if len(shown) < len(lines):
            shown = shown + [MSG_MORE_ERRORS.format(n=len(lines) - len(shown))]
        super().__init__("\n".join(shown), errors={"file": lines})
        self.lines = lines


class LocatedErrors:
    """Collects problems and sorts them by line, then by column (in the order of
    ``positions``, the header's; other columns after them, in the order found)."""

    def __init__(self):
        self.items: list[tuple[int, int, str]] = []
        self.positions: dict[str, int] = {}

    def add(self, line: int, column: str, reason: str) -> None:
        pos = self.positions.get(column, len(self.positions) + 1000)
        self.items.append((line, pos, located(line, column, reason)))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, error: type[ImportFileError] = ImportFileError) -> None:
        if self.items:
            raise error([text for _line, _pos, text in sorted(self.items, key=lambda i: (i[0], i[1]))])
