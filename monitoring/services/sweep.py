"""The deadline sweep: flag overdue and soon-due dossiers and steps, once, in a few SQL statements.

Legal basis: NĐ 61/2018 (as amended by NĐ 107/2021): "chậm nhất một ngày trước ngày hết hạn"
the agency must send the apology (Mẫu 04) — OneCua decision D8; overdue in progress per D12.
The buckets are defined once in ``monitoring.selectors`` (module docstring).

**Set-based.** Each kind of flag is ONE ``INSERT INTO deadline_flag … SELECT … ON CONFLICT DO
NOTHING`` whose SELECT is compiled by the ORM from the selectors' querysets (so the rule is
written once and runs on SQLite and PostgreSQL alike); then ONE ``INSERT INTO outbox … SELECT``
turns this run's new flags into outbox messages. No Python loop over dossiers.

**Idempotent.** A flag is unique per (dossier, kind, date) or (step, kind, date). A second run,
or a concurrent one on another worker, inserts nothing that exists (PostgreSQL makes the second
inserter wait for the first to commit, then skip). Only the flags a run inserted itself carry
its ``sweep_id``, and only those become outbox messages: nothing is sent twice. Rows are
inserted in id order, so two concurrent runs take the unique-index locks in the same order and
cannot deadlock.

Everything happens in one transaction: flags and their messages commit together or not at all.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import CharField, DateTimeField, F, IntegerField, JSONField, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from dossiers import calendar as wcal
from monitoring import selectors as sel
from monitoring.models import DeadlineFlag, DeadlineSweep, OutboxMessage

logger = logging.getLogger(__name__)
K = DeadlineFlag.Kind

#: empty sweep runs (nothing flagged) are kept this long for the admin's eyes, then deleted
EMPTY_SWEEP_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class SweepResult:
    sweep_id: int
    as_of: str
    counts: dict[str, int]
    messages: int

    @property
    def flagged(self) -> int:
        return sum(self.counts.values())


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _insert_select(table: str, columns: list[str], qs: QuerySet) -> int:
    """INSERT INTO table (columns) <the queryset's SELECT> ON CONFLICT DO NOTHING; rowcount."""
    sql, params = qs.query.sql_with_params()
    cols = ", ".join(_quote(c) for c in columns)
    statement = f"INSERT INTO {_quote(table)} ({cols}) {sql} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


_FLAG_COLUMNS = ["dossier_id", "step_id", "kind", "due_date", "sweep_id", "flagged_at"]


def _flag_select(qs: QuerySet, *, kind: str, sweep_id: int, at: datetime, step: bool = False,
                 date_field: str = "due_date") -> QuerySet:
    """The SELECT whose columns are exactly ``_FLAG_COLUMNS`` (annotations only, so that their
    order is the order given), in id order."""
    return (
        qs.order_by()
        .annotate(
            f_dossier=F("dossier_id") if step else F("id"),
            f_step=F("id") if step else Value(None, output_field=IntegerField()),
            f_kind=Value(kind, output_field=CharField()),
            f_due=F(date_field),
            f_sweep=Value(sweep_id, output_field=IntegerField()),
            f_at=Value(at, output_field=DateTimeField()),
        )
        .values_list("f_dossier", "f_step", "f_kind", "f_due", "f_sweep", "f_at")
        .order_by("id")
    )


def _flag_sources(clock: sel.Clock) -> list[tuple[str, QuerySet, bool, str]]:
    """(kind, candidate queryset, is a step, date column) for every kind of flag."""
    return [
        (K.OVERDUE, sel.sweep_overdue(clock), False, "due_date"),
        (K.DUE_SOON, sel.sweep_due_soon(clock), False, "due_date"),
        (K.APOLOGY_REMINDER, sel.sweep_apology_reminder(clock), False, "due_date"),
        (K.APPOINTMENT_SOON, sel.sweep_appointment_soon(clock), False, "appointment_date"),
        (K.STEP_OVERDUE, sel.sweep_step_overdue(clock), True, "due_date"),
        (K.STEP_DUE_SOON, sel.sweep_step_due_soon(clock), True, "due_date"),
    ]


def _outbox_select(sweep_id: int, at: datetime) -> QuerySet:
    return (
        DeadlineFlag.objects.filter(sweep_id=sweep_id)
        .annotate(
            o_topic=Value(OutboxMessage.Topic.FLAG, output_field=CharField()),
            o_key=Concat(Value("flag:"), Cast("id", CharField()), output_field=CharField()),
            o_dossier=F("dossier_id"),
            o_flag=F("id"),
            o_payload=Value({}, output_field=JSONField()),
            o_created=Value(at, output_field=DateTimeField()),
            o_available=Value(at, output_field=DateTimeField()),
            o_attempts=Value(0, output_field=IntegerField()),
            o_error=Value("", output_field=CharField()),
        )
        .values_list("o_topic", "o_key", "o_dossier", "o_flag", "o_payload", "o_created", "o_available",
                     "o_attempts", "o_error")
        .order_by("id")
    )


_OUTBOX_COLUMNS = ["topic", "dedupe_key", "dossier_id", "flag_id", "payload", "created_at", "available_at",
                   "attempts", "last_error"]


def deadline_sweep(*, now: datetime | None = None, cal: wcal.WorkCalendar | None = None,
                   trigger: str = "command") -> SweepResult:
    """Flag every open dossier and current step that became overdue, due within one working
    day, due for the apology reminder (D8), or near its new appointment; queue one outbox
    message per new flag. Safe to run at any time, any number of times, concurrently."""
    clock = sel.Clock.at(now, cal)
    started = timezone.now()
    with transaction.atomic():
        sel.no_jit()
        sweep = DeadlineSweep.objects.create(started_at=started, as_of=clock.today, trigger=trigger[:16])
        counts: dict[str, int] = {}
        for kind, qs, is_step, date_field in _flag_sources(clock):
            select = _flag_select(qs, kind=kind, sweep_id=sweep.pk, at=clock.now, step=is_step, date_field=date_field)
            counts[str(kind)] = _insert_select(DeadlineFlag._meta.db_table, _FLAG_COLUMNS, select)
        messages = 0
        if any(counts.values()):
            messages = _insert_select(OutboxMessage._meta.db_table, _OUTBOX_COLUMNS, _outbox_select(sweep.pk, started))
        sweep.counts = {k: n for k, n in counts.items() if n}
        sweep.finished_at = timezone.now()
        sweep.save(update_fields=["counts", "finished_at"])
        # Keep the audit trail short: runs that flagged nothing are forgotten after a week.
        DeadlineSweep.objects.filter(
            started_at__lt=started - EMPTY_SWEEP_RETENTION, counts={}, flags__isnull=True
        ).delete()
        if messages:
            from monitoring.services.outbox import outbox_kick_on_commit

            outbox_kick_on_commit()
    result = SweepResult(sweep_id=sweep.pk, as_of=clock.today.isoformat(), counts=counts, messages=messages)
    logger.info("deadline sweep %s as of %s: %s new flags %s", sweep.pk, clock.today, result.flagged, sweep.counts)
    return result
