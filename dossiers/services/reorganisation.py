"""Reorganisations (domain.md D20; interfaces.md ``import_reorganisation``): record, preview, move.

The rules are the pure ``dossiers.reorganisation``; this module reads the snapshot it checks,
writes the entries (each old unit ends the day before the effective date and names its
successor), and moves the open dossiers in batches:

- **Recording** (:func:`reorganisation_import`) is all-or-nothing: one transaction for the
  units and the ``Reorganisation`` rows; any problem raises ``ImportFileError`` with every
  ``line N, column C: reason`` and writes nothing. An entry already recorded (the same file
  again) is a no-op.
- **Moving** (:func:`reorganisation_move`) takes the open dossiers at the old unit in batches,
  each batch one transaction: lock the rows, move the lead unit, the unit holding the dossier,
  its pending steps and an open supplement request of the old unit to the successor (and a
  result waiting at the old unit's counter to the successor's counter, its lead unchanged), bump the
  version, write one ``DossierEvent`` (action ``reorganise``, dated at the start of the
  effective date, ``data.recorded_at`` = when it was written) and one ``DossierMove`` per
  dossier, and the transition hooks' rows (the ``dossier.moved`` webhook). A dossier is a
  candidate only while something of it is at the old unit and it has no move of this
  reorganisation, so a rerun after a crash (a batch rolls back whole) continues where the last
  committed batch ended and a finished move finds nothing to do.
- After a move, the reports' roll-ups of the days from the effective date on are stale (a
  dossier counts under its successor in every period ending on or after it, D20):
  :data:`MOVED_HOOKS` tell the reporting app, which drops them for the nightly job to rebuild.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from dossiers import reorganisation as rules
from dossiers.models import (
    Dossier,
    DossierEvent,
    DossierMove,
    DossierPause,
    DossierStep,
    Procedure,
    Reorganisation,
    StaffProfile,
    Unit,
)
from dossiers.services.catalogue import _read_table
from dossiers.services.import_errors import LocatedErrors
from dossiers.workflow import OPEN_STATES, DossierState
from onecua.locks import singleton_lock
from onecua.rows import rows_insert

logger = logging.getLogger(__name__)

#: open dossiers (D20): received and not resolved, and online submissions not yet accepted
MOVABLE_STATES = tuple(sorted(OPEN_STATES | {DossierState.SUBMITTED}))
#: resolved, the result not yet given back: held by a counter, which passes to the successor's
#: counter (only where the dossier is held; its lead unit stays, as for every resolved dossier)
WAITING_RESULT_STATES = (DossierState.APPROVED, DossierState.REFUSED, DossierState.STOPPED)
PENDING_STEPS = (DossierStep.State.WAITING, DossierStep.State.CURRENT)
BATCH = 2000

#: ``hook(effective_date)`` after dossiers were moved (reporting drops the stale roll-ups)
MOVED_HOOKS: list[Callable[[date], None]] = []


# --- reading and checking a file ------------------------------------------------------------------


def entries_read(rows_or_file, *, errors: LocatedErrors | None = None) -> list[rules.Entry]:
    """Parse the file (the catalogue imports' CSV rules); ImportFileError on any problem, or,
    given `errors`, the problems of the rows added to it (the rows that parse are returned)."""
    table = _read_table(rows_or_file, required=rules.COLUMNS, optional=())
    if errors is not None:
        table.errors = errors
        for i, column in enumerate(rules.COLUMNS):
            errors.positions[column] = i
    entries = []
    for row in table.rows:
        bad = False
        for column in ("old_code", "successor_code", "effective_date"):
            if column not in row.bad and not row.get(column):
                table.errors.add(row.line, column, "required value missing")
                bad = True
        day = rules.parse_date(row.get("effective_date")) if row.get("effective_date") else None
        if row.get("effective_date") and day is None:
            table.errors.add(row.line, "effective_date", rules.R_DATE.format(value=row.get("effective_date")))
            bad = True
        if bad or row.bad:
            continue
        entries.append(rules.Entry(line=row.line, old_code=row.get("old_code"), successor_code=row.get("successor_code"),
                                   effective_date=day, legal_basis=row.get("legal_basis")))
    if errors is None:
        table.errors.raise_if_any()
    return entries


def entries_check(entries: list[rules.Entry], *, today: date | None = None, errors: LocatedErrors | None = None) -> rules.Checked:
    """The pure check against the units and the reorganisations recorded; ImportFileError with
    these problems and those already in `errors` (the file's)."""
    codes = {e.old_code for e in entries} | {e.successor_code for e in entries}
    units = {code: rules.UnitFacts(code=code, id=pk, valid_from=vf, valid_to=vt) for pk, code, vf, vt in
             Unit.objects.filter(code__in=codes).values_list("pk", "code", "valid_from", "valid_to")}
    recorded = [rules.Recorded(old_code=o, successor_code=s, effective_date=d) for o, s, d in
                Reorganisation.objects.values_list("old_unit__code", "successor__code", "effective_date")]
    checked = rules.entries_check(entries, units=units, recorded=recorded, today=today or timezone.localdate())
    if errors is None:
        errors = LocatedErrors()
        for i, column in enumerate(rules.COLUMNS):
            errors.positions[column] = i
    for line, column, reason in checked.problems:
        errors.add(line, column, reason)
    errors.raise_if_any()
    return checked


def entries_read_checked(rows_or_file, *, today: date | None = None) -> rules.Checked:
    """Read and check a file: every problem of it at once (ImportFileError)."""
    errors = LocatedErrors()
    entries = entries_read(rows_or_file, errors=errors)
    return entries_check(entries, today=today, errors=errors)


# --- what would move -----------------------------------------------------------------------------


def _candidates(old_id: int):
    """Open dossiers led by, held by, or with a pending step at the old unit, and results
    waiting at its counter."""
    steps = DossierStep.objects.filter(unit_id=old_id, state__in=PENDING_STEPS).values("dossier_id")
    return Dossier.objects.filter(
        Q(state__in=MOVABLE_STATES) & (Q(resolving_unit_id=old_id) | Q(current_unit_id=old_id) | Q(pk__in=steps))
        | Q(state__in=WAITING_RESULT_STATES, current_unit_id=old_id))


def _candidate_ids(old_id: int, reorg: Reorganisation) -> list[int]:
    """:func:`_candidates` not yet moved by `reorg`, in id order: three index lookups (the lead
    unit, the holding unit, the pending steps) instead of one OR over the whole table."""
    open_ = Dossier.objects.filter(state__in=MOVABLE_STATES)
    ids = set(open_.filter(resolving_unit_id=old_id).values_list("pk", flat=True))
    ids |= set(open_.filter(current_unit_id=old_id).values_list("pk", flat=True))
    ids |= set(Dossier.objects.filter(state__in=WAITING_RESULT_STATES, current_unit_id=old_id).values_list("pk", flat=True))
    stepped = set(DossierStep.objects.filter(unit_id=old_id, state__in=PENDING_STEPS).values_list("dossier_id", flat=True))
    ids |= set(open_.filter(pk__in=list(stepped - ids)).values_list("pk", flat=True)) if stepped - ids else set()
    ids -= set(DossierMove.objects.filter(reorganisation=reorg).values_list("dossier_id", flat=True))
    return sorted(ids)


@dataclass(frozen=True)
class PreviewRow:
    old_code: str
    old_name: str
    successor_code: str
    successor_name: str
    effective_date: date
    legal_basis: str
    total: int  # open dossiers that move
    lead: int  # … of which led by the old unit
    held: int  # … held by it now
    recorded: bool  # already recorded (a rerun): moves only what is left
    #: what a reorganisation does not re-point (the catalogue and the staff are the province's
    #: decisions: a district's procedures become commune procedures, its people go where they
    #: are posted): active procedures named at the old unit, active staff accounts posted there
    procedures: int = 0
    staff: int = 0

    @property
    def end_date(self) -> date:
        return self.effective_date - timedelta(days=1)


def preview(entries: Iterable[rules.Entry], *, recorded: Iterable[rules.Entry] = ()) -> list[PreviewRow]:
    """Per old unit, how many open dossiers would move to its successor (writes nothing)."""
    rows = []
    done = {id(e) for e in recorded}
    for e in sorted([*entries, *recorded], key=lambda e: (e.effective_date, e.line)):
        old = Unit.objects.get(code=e.old_code)
        new = Unit.objects.get(code=e.successor_code)
        counts = _candidates(old.pk).aggregate(
            total=Count("pk"), lead=Count("pk", filter=Q(resolving_unit_id=old.pk, state__in=MOVABLE_STATES)),
            held=Count("pk", filter=Q(current_unit_id=old.pk)))
        rows.append(PreviewRow(old_code=old.code, old_name=old.name, successor_code=new.code, successor_name=new.name,
                               effective_date=e.effective_date, legal_basis=e.legal_basis, total=counts["total"],
                               lead=counts["lead"], held=counts["held"], recorded=id(e) in done,
                               procedures=Procedure.objects.filter(resolving_unit=old, is_active=True).count(),
                               staff=StaffProfile.objects.filter(unit=old, user__is_active=True).count()))
    return rows


# --- recording ------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    rows: list[PreviewRow]
    reorganisations: list[Reorganisation]
    moved: int = 0

    def __str__(self) -> str:
        new = sum(not r.recorded for r in self.rows)
        return f"{new} new, {len(self.rows) - new} already recorded, {self.moved} open dossiers moved"


def reorganisation_import(rows_or_file, *, dry_run: bool = False, actor=None, move: bool = True,
                          today: date | None = None, progress=None) -> ImportResult:
    """Check the file, record its new entries (all or nothing), then move the open dossiers of
    every entry of the file that has not finished moving (``move=False``: leave that to the
    caller, e.g. a Celery task). ``dry_run``: the preview only."""
    checked = entries_read_checked(rows_or_file, today=today)
    rows = preview(checked.new, recorded=checked.recorded)
    if dry_run:
        return ImportResult(rows=rows, reorganisations=[])
    created = reorganisations_record(checked.new, actor=actor, planned={r.old_code: r.total for r in rows})
    keys = [(e.old_code, e.effective_date) for e in checked.new + checked.recorded]
    todo = [r for r in Reorganisation.objects.select_related("old_unit", "successor").order_by("effective_date", "pk")
            if (r.old_unit.code, r.effective_date) in keys]
    result = ImportResult(rows=rows, reorganisations=todo)
    if move:
        for reorg in todo:
            result.moved += reorganisation_move(reorg, progress=progress)
    logger.info("Reorganisation import: %d new entries recorded", len(created))
    return result


@transaction.atomic
def reorganisations_record(entries: list[rules.Entry], *, actor=None, planned: dict | None = None) -> list[Reorganisation]:
    """End each old unit on the day before its effective date, link its successor, and write
    the ``Reorganisation`` rows (one transaction)."""
    now = timezone.now()
    out = []
    for e in entries:
        old = Unit.objects.select_for_update().get(code=e.old_code)
        new = Unit.objects.get(code=e.successor_code)
        old.valid_to = e.effective_date - timedelta(days=1)
        old.successor = new
        old.save(update_fields=["valid_to", "successor"])  # the reference snapshot follows (signal)
        out.append(Reorganisation.objects.create(
            old_unit=old, successor=new, effective_date=e.effective_date, legal_basis=e.legal_basis,
            planned=(planned or {}).get(e.old_code, 0), created_at=now, created_by=actor))
    return out


# --- moving -----------------------------------------------------------------------------------------


def reorganisation_move(reorg: Reorganisation, *, batch: int = BATCH, progress=None) -> int:
    """Move every open dossier still at the old unit (idempotent; safe to rerun after a crash).
    Returns how many dossiers this call moved. `progress(moved_so_far)` after each batch.

    One mover per reorganisation at a time (``onecua.locks``: dies with a killed holder); a
    second caller (the command while the page's task runs) waits, then finds what is left."""
    while True:
        with singleton_lock(f"reorganisation-move:{reorg.pk}", timeout=3600) as held:
            if held:
                return _move_all(reorg, batch=batch, progress=progress)
        time.sleep(1)


def reorganisations_move(reorganisation_ids: Iterable[int]) -> int:
    """Move the open dossiers of these reorganisations, oldest effective date first (the
    Celery task of the administrators' page)."""
    moved = 0
    for reorg in Reorganisation.objects.filter(pk__in=list(reorganisation_ids)).select_related(
            "old_unit", "successor").order_by("effective_date", "pk"):
        moved += reorganisation_move(reorg)
    return moved


def reorganisation_start(rows_or_file, *, actor=None, today: date | None = None) -> list[int]:
    """The administrators' page: record the file's entries and hand the move to a Celery task
    after the commit (in-process if the broker is down). Returns the reorganisations' ids."""
    result = reorganisation_import(rows_or_file, actor=actor, move=False, today=today)
    ids = [r.pk for r in result.reorganisations]

    def after_commit():
        from dossiers.tasks import reorganisation_move_task

        try:
            reorganisation_move_task.delay(ids)
        except Exception:  # broker down: do the work now rather than lose it
            logger.exception("Broker unavailable; moving the dossiers of reorganisations %s in-process", ids)
            reorganisations_move(ids)

    transaction.on_commit(after_commit)
    return ids


def _move_all(reorg: Reorganisation, *, batch: int, progress) -> int:
    old_id = reorg.old_unit_id
    Reorganisation.objects.filter(pk=reorg.pk, status=Reorganisation.Status.PENDING).update(
        status=Reorganisation.Status.MOVING)
    moved = 0
    for _pass in range(3):  # a second pass takes what reached the old unit during the first
        ids = _candidate_ids(old_id, reorg)
        if not ids:
            break
        for i in range(0, len(ids), batch):
            moved += _move_batch(reorg, ids[i:i + batch])
            if progress is not None:
                progress(moved)
    if moved or reorg.status != Reorganisation.Status.DONE:  # a rerun with nothing left writes nothing
        reorg.status = Reorganisation.Status.DONE
        reorg.finished_at = timezone.now()
        Reorganisation.objects.filter(pk=reorg.pk).update(status=reorg.status, finished_at=reorg.finished_at)
    if moved:
        for hook in MOVED_HOOKS:
            hook(reorg.effective_date)
    return moved


def _event_data(reorg: Reorganisation, recorded_at, moved_parts: list[str], lead: bool) -> dict:
    return {"reorganisation": reorg.pk, "legal_basis": reorg.legal_basis,
            "effective_date": reorg.effective_date.isoformat(), "recorded_at": recorded_at.isoformat(),
            "moved": moved_parts, "from_unit": reorg.old_unit.code, "to_unit": reorg.successor.code,
            "lead_from": reorg.old_unit_id if lead else None}


def _hook_rows_insert(locked: list[Dossier], events: list[DossierEvent]) -> None:
    """The transition hooks' rows (the ``dossier.moved`` webhook's outbox message), as for any
    event (``dossiers.services.lifecycle.TRANSITION_HOOKS``)."""
    from dossiers.services.lifecycle import TRANSITION_HOOKS

    hook_rows = []
    for d, ev in zip(locked, events):
        for hook in TRANSITION_HOOKS:
            hook_rows += hook(d, ev) or ()
    for i in range(0, len(hook_rows), 500):
        rows_insert(hook_rows[i:i + 500])


def _move_batch(reorg: Reorganisation, ids: list[int]) -> int:
    """One batch, one transaction (module docstring); set-based SQL on PostgreSQL."""
    if connection.vendor == "postgresql":
        return _move_batch_pg(reorg, ids)
    return _move_batch_orm(reorg, ids)


#: what the lock query reads of each dossier: what the move and the transition hooks use (the
#: other columns stay deferred: building 200,000 full rows was a third of the time)
_HOOK_COLUMNS = ", ".join(f"d.{c}" for c in (
    "id", "code", "state", "version", "procedure_id", "receiving_unit_id", "resolving_unit_id", "current_unit_id",
    "channel", "on_the_spot", "received_at", "due_date", "appointment_date", "outcome", "resolved_at", "returned_at",
    "assigned_to_id", "notify_email", "notify_sms", "applicant_email", "applicant_phone", "updated_at"))


def _int_array(values) -> str:
    """An integer list as a PostgreSQL array literal (dumped as one string, not per element)."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def _move_batch_pg(reorg: Reorganisation, ids: list[int]) -> int:
    """:func:`_move_batch_orm` in a handful of statements with array parameters (the merger day's
    200,000 dossiers: the ORM's per-row work was most of the time)."""
    q = connection.ops.quote_name
    dossier, step, pause, event, move = (q(m._meta.db_table) for m in (Dossier, DossierStep, DossierPause,
                                                                        DossierEvent, DossierMove))
    old_id, new_id = reorg.old_unit_id, reorg.successor_id
    start = rules.move_at(reorg.effective_date, None)
    recorded_at = timezone.now()
    pending = [str(s) for s in PENDING_STEPS]
    movable = [str(s) for s in MOVABLE_STATES]
    moment = "GREATEST(%s::timestamptz, COALESCE(d.received_at, %s::timestamptz))"
    with transaction.atomic(), connection.cursor() as cur:
        locked = list(Dossier.objects.raw(
            f"SELECT {_HOOK_COLUMNS}, {moment} AS move_at, (SELECT e.due_date FROM {event} e WHERE e.dossier_id = d.id "
            f"AND e.at <= {moment} ORDER BY e.at DESC, e.id DESC LIMIT 1) AS due_then FROM {dossier} d "
            f"WHERE d.id = ANY(%s::bigint[]) AND (d.state = ANY(%s) AND (d.resolving_unit_id = %s OR d.current_unit_id = %s "
            f"OR EXISTS (SELECT 1 FROM {step} s WHERE s.dossier_id = d.id AND s.unit_id = %s AND s.state = ANY(%s))) "
            f"OR d.state = ANY(%s) AND d.current_unit_id = %s) "
            f"AND NOT EXISTS (SELECT 1 FROM {move} m WHERE m.dossier_id = d.id AND m.reorganisation_id = %s) "
            f"ORDER BY d.id FOR UPDATE OF d",
            [start, start, start, start, _int_array(ids), movable, old_id, old_id, old_id,
             pending, [str(s) for s in WAITING_RESULT_STATES], old_id, reorg.pk]))
        if not locked:
            return 0
        got = _int_array(d.pk for d in locked)
        cur.execute(f"UPDATE {step} SET unit_id = %s WHERE dossier_id = ANY(%s::bigint[]) AND unit_id = %s AND state = ANY(%s) "
                    f"RETURNING dossier_id", [new_id, got, old_id, pending])
        with_steps = {row[0] for row in cur.fetchall()}
        cur.execute(f"UPDATE {pause} SET unit_id = %s WHERE dossier_id = ANY(%s::bigint[]) AND unit_id = %s "
                    f"AND completed_at IS NULL", [new_id, got, old_id])
        now = timezone.now()
        cur.execute(f"UPDATE {dossier} SET resolving_unit_id = CASE WHEN resolving_unit_id = %s AND state = ANY(%s) THEN %s "
                    f"ELSE resolving_unit_id END, current_unit_id = CASE WHEN current_unit_id = %s THEN %s "
                    f"ELSE current_unit_id END, version = version + 1, updated_at = %s WHERE id = ANY(%s::bigint[])",
                    [old_id, movable, new_id, old_id, new_id, now, got])
        note = rules.move_note(reorg.legal_basis)
        events, rows = [], []
        for d in locked:
            lead, held = d.resolving_unit_id == old_id and d.state in MOVABLE_STATES, d.current_unit_id == old_id
            moved_parts = [p for p, yes in (("lead", lead), ("current", held), ("steps", d.pk in with_steps)) if yes]
            if lead:
                d.resolving_unit_id = new_id
            if held:
                d.current_unit_id = new_id
            d.version += 1
            d.updated_at = now
            data = _event_data(reorg, recorded_at, moved_parts, lead)
            due = d.due_then if d.due_then is not None else d.due_date
            events.append(DossierEvent(dossier=d, at=d.move_at, action=rules.ACTION, from_state=d.state,
                                       to_state=d.state, actor=None, actor_name="", unit_id=old_id, to_unit_id=new_id,
                                       note=note, due_date=due, data=data))
            rows.append({"d": d.pk, "at": d.move_at.isoformat(), "st": d.state,
                         "due": due.isoformat() if due else None, "data": data, "lead": lead})
        # the rows as one JSON parameter (one C-speed dump instead of an array per column)
        rows_json = json.dumps(rows, ensure_ascii=False)
        cur.execute(
            f"INSERT INTO {event} (dossier_id, at, action, from_state, to_state, actor_id, actor_name, unit_id, "
            f"to_unit_id, note, due_date, data) SELECT u.d, u.at, %s, u.st, u.st, NULL, '', %s, %s, %s, u.due, "
            f"u.data FROM jsonb_to_recordset(%s::jsonb) AS u(d bigint, at timestamptz, st text, due date, data jsonb) "
            f"RETURNING id, dossier_id",
            [rules.ACTION, old_id, new_id, note, rows_json])
        event_ids = dict((dossier_id, pk) for pk, dossier_id in cur.fetchall())
        for ev in events:
            ev.pk = event_ids[ev.dossier_id]
            ev._state.adding = False
        cur.execute(
            f"INSERT INTO {move} (dossier_id, reorganisation_id, at, from_unit_id, to_unit_id, lead) "
            f"SELECT u.d, %s, u.at, %s, %s, u.lead FROM jsonb_to_recordset(%s::jsonb) "
            f"AS u(d bigint, at timestamptz, lead boolean)", [reorg.pk, old_id, new_id, rows_json])
        _hook_rows_insert(locked, events)
        Reorganisation.objects.filter(pk=reorg.pk).update(moved=F("moved") + len(locked))
    return len(locked)


def _move_batch_orm(reorg: Reorganisation, ids: list[int]) -> int:
    """One batch through the ORM (SQLite; the reference for the PostgreSQL statements)."""
    old_id, new_id = reorg.old_unit_id, reorg.successor_id
    start = rules.move_at(reorg.effective_date, None)
    recorded_at = timezone.now()
    with transaction.atomic():
        moment = Greatest(Value(start), Coalesce(F("received_at"), Value(start)))
        # the due date as at the move (the last event up to it): reports read the due date of a
        # dossier at a period's end from its history
        due_then = DossierEvent.objects.filter(dossier=OuterRef("pk"), at__lte=OuterRef("move_at")).order_by(
            "-at", "-id").values("due_date")[:1]
        locked = list(
            _candidates(old_id).filter(pk__in=ids).exclude(moves__reorganisation=reorg)
            .select_for_update(of=("self",)).annotate(move_at=moment).annotate(due_then=Subquery(due_then))
            .order_by("pk")
        )
        if not locked:
            return 0
        got = [d.pk for d in locked]
        steps = DossierStep.objects.filter(dossier_id__in=got, unit_id=old_id, state__in=PENDING_STEPS)
        with_steps = set(steps.values_list("dossier_id", flat=True))
        steps.update(unit_id=new_id)
        DossierPause.objects.filter(dossier_id__in=got, unit_id=old_id, completed_at__isnull=True).update(unit_id=new_id)
        now = timezone.now()
        Dossier.objects.filter(pk__in=got).update(
            resolving_unit_id=Case(When(resolving_unit_id=old_id, state__in=MOVABLE_STATES, then=Value(new_id)),
                                   default=F("resolving_unit_id"), output_field=BigIntegerField()),
            current_unit_id=Case(When(current_unit_id=old_id, then=Value(new_id)), default=F("current_unit_id"),
                                 output_field=BigIntegerField()),
            version=F("version") + 1, updated_at=now,
        )
        events, moves = [], []
        note = rules.move_note(reorg.legal_basis)
        for d in locked:
            lead, held = d.resolving_unit_id == old_id and d.state in MOVABLE_STATES, d.current_unit_id == old_id
            moved_parts = [p for p, yes in (("lead", lead), ("current", held), ("steps", d.pk in with_steps)) if yes]
            if lead:
                d.resolving_unit_id = new_id
            if held:
                d.current_unit_id = new_id
            d.version += 1
            d.updated_at = now
            at = d.move_at
            events.append(DossierEvent(
                dossier=d, at=at, action=rules.ACTION, from_state=d.state, to_state=d.state, actor=None,
                actor_name="", unit_id=old_id, to_unit_id=new_id, note=note,
                due_date=d.due_then if d.due_then is not None else d.due_date,
                data=_event_data(reorg, recorded_at, moved_parts, lead),
            ))
            moves.append(DossierMove(dossier=d, reorganisation=reorg, at=at, from_unit_id=old_id, to_unit_id=new_id,
                                     lead=lead))
        DossierEvent.objects.bulk_create(events, batch_size=500)
        DossierMove.objects.bulk_create(moves, batch_size=1000)
        _hook_rows_insert(locked, events)
        Reorganisation.objects.filter(pk=reorg.pk).update(moved=F("moved") + len(locked))
    return len(locked)


def reorganisation_progress(reorg_ids: Iterable[int]) -> dict:
    """What the administrators' page shows while the task runs."""
    rows = list(Reorganisation.objects.filter(pk__in=list(reorg_ids)).select_related("old_unit", "successor")
                .order_by("effective_date", "pk"))
    planned = sum(r.planned for r in rows)
    moved = sum(r.moved for r in rows)
    return {
        "done": all(r.status == Reorganisation.Status.DONE for r in rows) and bool(rows),
        "planned": planned,
        "moved": moved,
        "rows": [{"old": r.old_unit.code, "successor": r.successor.code, "planned": r.planned, "moved": r.moved,
                  "status": r.status, "status_display": r.get_status_display()} for r in rows],
    }

