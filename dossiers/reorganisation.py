"""Reorganisations of units (domain.md D20), the pure part: no ORM, no settings.

A reorganisation file (interfaces.md "Additions": ``old_code, successor_code, effective_date,
legal_basis``) is checked here against a snapshot of the units and of the reorganisations
already recorded; the service (``dossiers.services.reorganisation``) reads the snapshot,
writes, and moves the dossiers.

Rules of an entry (old unit O → successor N from date M):

- O and N exist and differ; M is an ISO date, today or earlier; the legal basis is given.
- O existed before M (``valid_from`` < M: O ends on M − 1, which may not precede its start);
  O is not already ended on another date (an O ended on M − 1 already, by ``import_units``, is
  fine: the entry links it and moves its dossiers).
- N is valid on M, and not ended by another entry of the file on or before M.
- One successor per unit and date: not twice in the file, not another one already recorded.
- No cycle (O → … → O) among the file's entries and those recorded.
- An entry already recorded with the same successor is a no-op (the rerun of a file).

What moves (D20): every open dossier led by O, held by O, or with a pending step at O; in it
the lead unit, the unit holding it, its pending steps and an open supplement request of O go to
N. A resolved dossier whose result waits at O's counter goes to N's counter (the unit holding
it; its lead unit, as of every resolved dossier, stays). The dossier's code, its receiving unit
and its history never change; closed dossiers never change. One history event each, dated at the start of M (or at the dossier's receipt when it
came later), recording when it was written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dossiers.calendar import LOCAL_TZ

COLUMNS = ("old_code", "successor_code", "effective_date", "legal_basis")

#: the history event of a move (data, not UI text: always Vietnamese)
ACTION = "reorganise"
NOTE = "Chuyển theo sắp xếp đơn vị hành chính"
LEGAL_BASIS_MAX = 500

# Reasons (the import's ``line N, column C: reason``; the catalogue imports' language)
R_UNKNOWN = "unknown unit “{code}”"
R_SAME = "the successor is the old unit itself"
R_DATE = "“{value}” is not a date (YYYY-MM-DD)"
R_FUTURE = "{d} is in the future: a reorganisation is imported on or after its effective date"
R_BEFORE_START = "{d} is not after the start of “{code}” ({start}): it would end before it existed"
R_ALREADY_ENDED = "“{code}” already ended on {end} (this entry would end it on {new})"
R_SUCCESSOR_ENDED = "the successor “{code}” is not valid on {d} (valid {span})"
R_SUCCESSOR_ENDED_BY = "the successor “{code}” is itself ended on {end} by line {line}"
R_SECOND = "“{code}” already has the successor “{other}” from {d}{where}"
R_CYCLE = "cycle: {path}"
R_BASIS = "required value missing (the legal basis, e.g. Nghị quyết 1656/NQ-UBTVQH15)"
R_BASIS_LONG = "too long ({n} characters, at most {limit})"


@dataclass(frozen=True)
class UnitFacts:
    code: str
    id: int
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class Recorded:
    """A reorganisation already in the database."""

    old_code: str
    successor_code: str
    effective_date: date


@dataclass(frozen=True)
class Entry:
    line: int
    old_code: str
    successor_code: str
    effective_date: date
    legal_basis: str


@dataclass
class Checked:
    """The outcome of :func:`entries_check`: problems as (line, column, reason), the entries to
    apply, and those already recorded (a rerun)."""

    problems: list[tuple[int, str, str]] = field(default_factory=list)
    new: list[Entry] = field(default_factory=list)
    recorded: list[Entry] = field(default_factory=list)


def parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _span(u: UnitFacts) -> str:
    return f"{u.valid_from.isoformat() if u.valid_from else '…'} – {u.valid_to.isoformat() if u.valid_to else '…'}"


def entries_check(entries: list[Entry], *, units: dict[str, UnitFacts], recorded: list[Recorded],
                  today: date) -> Checked:
    """Check every entry against the units, the recorded reorganisations and each other."""
    out = Checked()
    add = lambda line, column, reason: out.problems.append((line, column, reason))  # noqa: E731
    done = {(r.old_code, r.effective_date): r.successor_code for r in recorded}
    in_file: dict[tuple[str, date], Entry] = {}
    ends_in_file: dict[str, Entry] = {}
    for e in entries:
        ends_in_file.setdefault(e.old_code, e)
    for e in entries:
        old, new = units.get(e.old_code), units.get(e.successor_code)
        ok = True
        if old is None:
            add(e.line, "old_code", R_UNKNOWN.format(code=e.old_code))
            ok = False
        if new is None:
            add(e.line, "successor_code", R_UNKNOWN.format(code=e.successor_code))
            ok = False
        elif e.successor_code == e.old_code:
            add(e.line, "successor_code", R_SAME)
            ok = False
        if not e.legal_basis:
            add(e.line, "legal_basis", R_BASIS)
        elif len(e.legal_basis) > LEGAL_BASIS_MAX:
            add(e.line, "legal_basis", R_BASIS_LONG.format(n=len(e.legal_basis), limit=LEGAL_BASIS_MAX))
        m = e.effective_date
        if m > today:
            add(e.line, "effective_date", R_FUTURE.format(d=m.isoformat()))
            ok = False
        key = (e.old_code, m)
        first = in_file.get(key)
        if first is not None:
            where = f" (line {first.line})"
            add(e.line, "successor_code", R_SECOND.format(code=e.old_code, other=first.successor_code, d=m.isoformat(),
                                                          where=where))
            continue
        in_file[key] = e
        if key in done:
            if done[key] == e.successor_code:
                out.recorded.append(e)  # the rerun of a file: nothing to do
            else:
                add(e.line, "successor_code", R_SECOND.format(code=e.old_code, other=done[key], d=m.isoformat(),
                                                              where=" (already recorded)"))
            continue
        if not ok:
            continue
        end = m - timedelta(days=1)
        if old.valid_from is not None and m <= old.valid_from:
            add(e.line, "effective_date", R_BEFORE_START.format(d=m.isoformat(), code=old.code,
                                                                start=old.valid_from.isoformat()))
            ok = False
        elif old.valid_to is not None and old.valid_to != end:
            add(e.line, "effective_date", R_ALREADY_ENDED.format(code=old.code, end=old.valid_to.isoformat(),
                                                                 new=end.isoformat()))
            ok = False
        if not _valid_on(new, m):
            add(e.line, "successor_code", R_SUCCESSOR_ENDED.format(code=new.code, d=m.isoformat(), span=_span(new)))
            ok = False
        else:
            ender = ends_in_file.get(new.code)
            if ender is not None and ender.effective_date <= m:
                add(e.line, "successor_code", R_SUCCESSOR_ENDED_BY.format(
                    code=new.code, end=(ender.effective_date - timedelta(days=1)).isoformat(), line=ender.line))
                ok = False
        if ok:
            out.new.append(e)
    # Cycles among everything recorded and in the file (any date): O → … → O.
    edges: dict[str, set[str]] = {}
    for r in recorded:
        edges.setdefault(r.old_code, set()).add(r.successor_code)
    for e in entries:
        if e.old_code != e.successor_code:  # a unit that names itself: reported above
            edges.setdefault(e.old_code, set()).add(e.successor_code)
    reported: set[str] = set()
    for e in entries:
        path = _cycle_from(e.old_code, edges)
        if path and e.old_code not in reported:
            reported.update(path)
            add(e.line, "successor_code", R_CYCLE.format(path=" → ".join(path)))
    if out.problems:
        out.new, out.recorded = [], []
    out.problems.sort(key=lambda p: (p[0], COLUMNS.index(p[1]) if p[1] in COLUMNS else 99))
    return out


def _valid_on(u: UnitFacts, day: date) -> bool:
    return (u.valid_from is None or u.valid_from <= day) and (u.valid_to is None or day <= u.valid_to)


def _cycle_from(start: str, edges: dict[str, set[str]]) -> list[str] | None:
    """A path start → … → start through `edges`, or None."""
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def move_at(effective_date: date, received_at: datetime | None) -> datetime:
    """When a move is dated: the start of the effective date (local), or the dossier's receipt
    when that came later (a dossier received at the old unit on the day itself)."""
    start = datetime.combine(effective_date, time.min, tzinfo=LOCAL_TZ)
    return max(start, received_at) if received_at is not None else start


def move_note(legal_basis: str) -> str:
    """The event's note: D20's words and the legal basis."""
    return f"{NOTE} ({legal_basis})" if legal_basis else NOTE
