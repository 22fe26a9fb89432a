"""Roll-ups (per-day statistics) and published reports: the writes of the reporting app.

**Roll-up design** (four derived tables, all rebuilt, never incremented):

- ``DailyStatistic``, per (local day, lead resolving unit, procedure, submission channel): the
  day's *flows*: new dossiers (local date of R = day; "4 tại chỗ" among them), dossiers
  resolved that day (resolved_on = day) by class, withdrawn, and those with more than one
  supplement request.
- ``DailyStock``, per (day, lead resolving unit, field): a *snapshot* of the dossiers in
  progress at the end of the day, within deadline or overdue as D12 judges them at that moment
  (due date of the last event before midnight; a paused dossier judged at its pause date).
  Stocks are snapshots, not derived from flows, because the within/overdue split changes with
  time alone (a dossier becomes overdue the day after its due date without any event).
  Snapshots are taken on the **period boundary days** (the 14th and the last day of every
  month, :func:`reporting.periods.is_boundary_day`), the only days a report of either basis
  reads a stock on (its end, and the day before its start); ``rollup_day(stock=True)`` takes
  one on any other day.
- ``SegmentStatistic``, per (half-month segment, unit, field): the flows summed over days 1–14
  or 15–end of a month. Every period of both bases is made of whole segments, so a quarter
  sums six segment rows per unit and field instead of ninety days of per-procedure rows (at
  national scale, 10 million dossiers, this is what keeps a report under a second).

- ``DailyReceipt``, per (day, receiving unit, lead unit as at the end of the day): the day's
  new dossiers by counter, which a report shows beside its rows (D13's other dimension); a
  quarter sums some ninety days of a few hundred rows instead of counting its receipts.

A report from roll-ups sums the segments of [S, T], reads the stock at the end of T and the
carried-over stock at the end of S − 1; the identity received = resolved + in progress then
ties the flows to the stocks, so a missed or stale day shows up as a loud identity error.

Every roll-up of a day is a **recomputation** from the dossiers' history (received_at,
resolved_on, classification, events and pauses), in one transaction: lock the day's marker,
delete the day's rows and insert them again (the flows with one ``INSERT … SELECT``), lock the
segment's marker, rebuild the segment from its days' rows, stamp both markers. A backfill
(:func:`rollup_range`) rebuilds each segment once, when the range leaves it; a segment older
than one of its days is treated as missing by the report (``rollup_missing_days``), so an
interrupted backfill can never be read half-done. Running a roll-up twice, concurrently, or as
a backfill gives the same rows. The reads are aggregate queries and one streamed query over
the dossiers in progress at midnight, so the worker's memory does not grow with the data
(~100 MB at national scale; style.md principles 10–12).

**What makes a day stale.** Live work happens "now", so it only changes today's figures. An
import of old histories (``import_dossiers``) creates dossiers received long ago: every day
from their receipt on is affected. :func:`rollup_pending` (the nightly job) therefore rebuilds
yesterday, every missing day since the first rolled-up day, and every day from the earliest
receipt date of the dossiers created since the previous nightly run began (``RollupRun``).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Min, Sum
from django.utils import timezone

from reporting.errors import ReportConflictError, ReportError
from dossiers.models import Dossier, DossierMove, Procedure, Unit
from reporting.models import (
    DailyReceipt,
    DailyStatistic,
    DailyStock,
    FrozenReport,
    FrozenReportEntry,
    RollupDay,
    RollupRun,
    RollupSegment,
    SegmentStatistic,
)
from reporting.periods import LOCAL_TZ, Period, is_boundary_day, segment_end, segment_start
from reporting.selectors import (
    COUNT_KEYS,
    LEAD,
    SOURCE_DIRECT,
    ReportIdentityError,
    Window,
    counts_from_flags,
    dossier_flags,
    flags_to_figures,
    moves_after,
    report_assemble,
    report_figures,
    scope_unit_ids,
    stock_at_end_of,
)

logger = logging.getLogger(__name__)

MSG_ALREADY_FROZEN = "Báo cáo {period} ({scope}) đã được chốt lúc {at:%H:%M %d/%m/%Y} bởi {by}; số liệu đã chốt không thể thay đổi."
MSG_NOT_ENDED = "Kỳ báo cáo chưa kết thúc (đến hết ngày {end:%d/%m/%Y}); chỉ chốt được báo cáo của kỳ đã qua."
MSG_RANGE = "Ngày bắt đầu ({start:%d/%m/%Y}) phải trước hoặc bằng ngày kết thúc ({end:%d/%m/%Y})."
MSG_THREE_WAYS = "Số liệu tính theo từng hồ sơ khác số liệu tính gộp: {where}"

#: the nightly job rebuilds at most this many days at once (a larger backfill is a command)
NIGHTLY_MAX_DAYS = 3 * 366


# --- roll-up ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollupResult:
    day: date
    rows: int
    stock_rows: int | None
    dossiers: int
    seconds: float


_STOCK_KEYS = ("open_total", "open_within", "open_overdue", "open_multi_supplement")


def _flows_insert(day: date) -> tuple[int, int]:
    """Insert the flows of `day` per (unit, procedure, channel) with one INSERT … SELECT (valid
    SQL for SQLite and PostgreSQL): (rows, dossiers counted). Inside the caller's transaction."""
    w = Window.of(day, day)
    ops = connection.ops
    daily, dossier, procedure = (DailyStatistic._meta.db_table, Dossier._meta.db_table,
                                 Procedure._meta.db_table)
    def one(condition: str) -> str:
        return f"CASE WHEN {condition} THEN 1 ELSE 0 END"

    spot, early, on_time, late = one("on_the_spot"), one("classification = 'early'"), one(
        "classification = 'on_time'"), one("classification = 'late'")
    withdrawn, multi = one("outcome = 'withdrawn'"), one("supplement_count > 1")
    # a resolved one counts under its unit at resolution, which is its resolving_unit (moves
    # precede resolution)
    lead, lead_params = _lead_at_end_of(w)
    sql = (
        f"INSERT INTO {daily} (day, resolving_unit_id, procedure_id, field_id, channel, received, "
        f"received_on_the_spot, resolved, resolved_early, resolved_on_time, resolved_late, withdrawn, "
        f"resolved_multi_supplement) "
        f"SELECT %s, f.resolving_unit_id, f.procedure_id, p.field_id, f.channel, SUM(f.received), SUM(f.spot), "
        f"SUM(f.resolved), SUM(f.early), SUM(f.on_time), SUM(f.late), SUM(f.withdrawn), SUM(f.multi) FROM ("
        f"SELECT {lead} AS resolving_unit_id, procedure_id, channel, 1 AS received, {spot} AS spot, "
        f"0 AS resolved, 0 AS early, 0 AS on_time, 0 AS late, 0 AS withdrawn, 0 AS multi "
        f"FROM {dossier} WHERE received_at >= %s AND received_at < %s "
        f"UNION ALL "
        f"SELECT resolving_unit_id, procedure_id, channel, 0, 0, 1, {early}, {on_time}, {late}, {withdrawn}, {multi} "
        f"FROM {dossier} WHERE resolved_on = %s AND received_at IS NOT NULL"
        f") f JOIN {procedure} p ON p.id = f.procedure_id "
        f"GROUP BY f.resolving_unit_id, f.procedure_id, p.field_id, f.channel"
    )
    params = [ops.adapt_datefield_value(day), *lead_params, ops.adapt_datetimefield_value(w.start_at),
              ops.adapt_datetimefield_value(w.end_at), ops.adapt_datefield_value(day)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = max(cursor.rowcount, 0)
    counted = DailyStatistic.objects.filter(day=day).aggregate(n=Sum("received") + Sum("resolved"))["n"] or 0
    return rows, counted


def _lead_at_end_of(w: Window) -> tuple[str, list]:
    """(SQL, params) of a dossier's lead unit as at the end of the day `w` (D20): a new dossier
    counts under it. The plain column unless a reorganisation moved the dossier later."""
    if not moves_after(w.end_at):
        return "resolving_unit_id", []
    move = connection.ops.quote_name(DossierMove._meta.db_table)
    dossier = connection.ops.quote_name(Dossier._meta.db_table)
    return (f"COALESCE((SELECT m.from_unit_id FROM {move} m WHERE m.dossier_id = {dossier}.id AND m.lead "
            f"AND m.at >= %s ORDER BY m.at, m.id LIMIT 1), resolving_unit_id)",
            [connection.ops.adapt_datetimefield_value(w.end_at)])


def _receipts_insert(day: date) -> int:
    """Insert the dossiers new on `day` per (receiving unit, lead unit as at the end of the day)
    with one INSERT … SELECT (SQLite and PostgreSQL): the rows inserted. Inside the caller's
    transaction."""
    w = Window.of(day, day)
    ops = connection.ops
    lead, lead_params = _lead_at_end_of(w)
    table, dossier = ops.quote_name(DailyReceipt._meta.db_table), ops.quote_name(Dossier._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, receiving_unit_id, resolving_unit_id, received) "
            f"SELECT %s, r.receiving_unit_id, r.lead, COUNT(*) FROM ("
            f"SELECT receiving_unit_id, {lead} AS lead FROM {dossier} WHERE received_at >= %s AND received_at < %s"
            f") r GROUP BY r.receiving_unit_id, r.lead",
            [ops.adapt_datefield_value(day), *lead_params, ops.adapt_datetimefield_value(w.start_at),
             ops.adapt_datetimefield_value(w.end_at)])
        return max(cursor.rowcount, 0)


def _day_stock(day: date) -> dict[tuple[int, int], list[int]]:
    """The stock at the end of `day` per (unit, field) as [total, within, overdue, multi],
    streamed from the dossiers in progress at midnight."""
    rows: dict[tuple[int, int], list[int]] = {}
    for unit_id, field_id, within, multi in stock_at_end_of(day, group=(LEAD, "procedure__field_id")):
        c = rows.get((unit_id, field_id))
        if c is None:
            c = rows[(unit_id, field_id)] = [0, 0, 0, 0]
        c[0] += 1
        c[1 if within else 2] += 1
        c[3] += multi
    return rows


def _insert_rows(model, columns: tuple[str, ...], rows, batch: int = 1000) -> int:
    """Insert plain tuples with multi-row INSERT statements (no model instances: a national
    stock snapshot is ~50,000 rows a day)."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    n, chunk = 0, []

    def flush():
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * len(chunk))}",
                           [v for row in chunk for v in row])

    for row in rows:
        chunk.append(row)
        if len(chunk) == batch:
            flush()
            n += len(chunk)
            chunk = []
    if chunk:
        flush()
        n += len(chunk)
    return n


def _segment_rebuild(segment: date) -> int:
    """Rebuild a half-month segment's rows from its days' flows (inside the caller's
    transaction, the segment's marker locked). One INSERT … SELECT, valid SQL for SQLite and
    PostgreSQL."""
    RollupSegment.objects.bulk_create([RollupSegment(segment=segment, rebuilt_at=timezone.now())], ignore_conflicts=True)
    marker = RollupSegment.objects.select_for_update().get(segment=segment)
    SegmentStatistic.objects.filter(segment=segment).delete()
    seg, daily = SegmentStatistic._meta.db_table, DailyStatistic._meta.db_table
    sums = ", ".join(f"SUM({k})" for k in ("received_on_the_spot", "resolved", "resolved_early", "resolved_on_time",
                                            "resolved_late", "withdrawn", "resolved_multi_supplement"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {seg} (segment, resolving_unit_id, field_id, received_online, received_direct_postal, "
            f"received_on_the_spot, resolved, resolved_early, resolved_on_time, resolved_late, withdrawn, "
            f"resolved_multi_supplement) "
            f"SELECT %s, resolving_unit_id, field_id, "
            f"SUM(CASE WHEN channel = 'online' THEN received ELSE 0 END), "
            f"SUM(CASE WHEN channel = 'online' THEN 0 ELSE received END), {sums} "
            f"FROM {daily} WHERE day >= %s AND day <= %s GROUP BY resolving_unit_id, field_id",
            [segment, segment, segment_end(segment)],
        )
        n = cursor.rowcount
    marker.rebuilt_at = timezone.now()
    marker.rows = max(n, 0)
    marker.save()
    return n


def rollup_day(*, day: date, stock: bool | None = None, segment: bool = True) -> RollupResult:
    """Rebuild the statistics of one local day from the dossiers' history; `stock` (default:
    on period boundary days) also snapshots the day's stock; `segment` rebuilds the day's
    half-month segment in the same transaction (``rollup_range`` does it once per segment).
    Idempotent."""
    started = time.monotonic()
    stock = is_boundary_day(day) if stock is None else stock
    stocks = _day_stock(day) if stock else {}  # read first: the transaction stays short
    day_value = connection.ops.adapt_datefield_value(day)
    stock_rows = ((day_value, unit_id, field_id, *c) for (unit_id, field_id), c in stocks.items())
    with transaction.atomic():
        RollupDay.objects.bulk_create([RollupDay(day=day, rebuilt_at=timezone.now())], ignore_conflicts=True)
        marker = RollupDay.objects.select_for_update().get(day=day)  # one rebuild of a day at a time
        DailyStatistic.objects.filter(day=day).delete()
        n_flows, read = _flows_insert(day)
        DailyReceipt.objects.filter(day=day).delete()
        n_receipts = _receipts_insert(day)
        DailyStock.objects.filter(day=day).delete()
        n_stock = _insert_rows(DailyStock, ("day", "resolving_unit_id", "field_id") + _STOCK_KEYS, stock_rows)
        if segment:
            _segment_rebuild(segment_start(day))
        marker.rebuilt_at = timezone.now()
        marker.has_stock = stock
        marker.rows = n_flows + n_receipts + n_stock
        marker.dossiers = read + sum(c[0] for c in stocks.values())
        marker.seconds = round(time.monotonic() - started, 3)
        marker.save()
    return RollupResult(day=day, rows=n_flows, stock_rows=n_stock if stock else None, dossiers=marker.dossiers,
                        seconds=time.monotonic() - started)


def rollup_stale_from(day: date) -> int:
    """Forget the roll-ups of `day` and every later day (a reorganisation effective on `day`
    changed under which unit their dossiers count, D20): reports fall back to the direct
    computation for periods touching them, and the nightly job rebuilds them (a missing day is
    rebuilt). Returns the number of days forgotten."""
    deleted, _ = RollupDay.objects.filter(day__gte=day).delete()
    if deleted:
        logger.info("Roll-ups from %s forgotten after a reorganisation (%d days)", day, deleted)
    return deleted


def segment_rebuild(*, segment: date) -> int:
    """Rebuild one half-month segment from its days' rows (its own transaction)."""
    with transaction.atomic():
        return _segment_rebuild(segment)


def rollup_range(*, start: date, end: date, progress=None) -> list[RollupResult]:
    """Rebuild every day of [start, end] (a backfill); each day is its own transaction."""
    if start > end:
        raise ReportError(MSG_RANGE.format(start=start, end=end), errors={"from": [MSG_RANGE.format(start=start, end=end)]})
    results = []
    day = start
    while day <= end:
        result = rollup_day(day=day, segment=False)
        results.append(result)
        if progress is not None:
            progress(result)
        nxt = day + timedelta(days=1)
        if nxt > end or segment_start(nxt) != segment_start(day):
            # The range leaves this segment: rebuild it once from its days.
            segment_rebuild(segment=segment_start(day))
        day = nxt
    return results


def rollup_pending_range(*, today: date | None = None) -> tuple[date, date] | None:
    """The days the nightly job must rebuild (module docstring), or None if nothing to do.

    Yesterday; every day missing since the first rolled-up day; and every day since the
    receipt of a dossier created after the start of the last nightly run (an import of old
    histories). Before the first nightly run: the whole history.
    """
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    first_receipt = Dossier.objects.filter(received_at__isnull=False).aggregate(m=Min("received_at"))["m"]
    if first_receipt is None:
        return None
    first_day = first_receipt.astimezone(LOCAL_TZ).date()
    if first_day > yesterday:
        return None
    last_run = RollupRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    first_done = RollupDay.objects.aggregate(m=Min("day"))["m"]
    if last_run is None or first_done is None:
        start = first_day
    else:
        start = yesterday
        if first_day < first_done:
            start = first_day  # history before the first rolled-up day
        else:
            done = set(RollupDay.objects.filter(day__gte=first_done, day__lte=yesterday).values_list("day", flat=True))
            day = first_done
            while day < start:
                if day not in done:
                    start = day  # the first gap
                    break
                day += timedelta(days=1)
        earliest = Dossier.objects.filter(created_at__gte=last_run.started_at, received_at__isnull=False).aggregate(
            m=Min("received_at"))["m"]
        if earliest is not None:
            start = min(start, earliest.astimezone(LOCAL_TZ).date())
    start = max(start, yesterday - timedelta(days=NIGHTLY_MAX_DAYS - 1), first_day)
    return start, yesterday


def rollup_pending(*, today: date | None = None) -> list[RollupResult]:
    """The nightly job: rebuild yesterday and every stale or missing day (idempotent)."""
    run = RollupRun.objects.create(started_at=timezone.now())
    span = rollup_pending_range(today=today)
    results = []
    if span is not None:
        logger.info("Roll-up of %s – %s", span[0], span[1])
        results = rollup_range(start=span[0], end=span[1])
        run.first_day, run.last_day = span
    run.days = len(results)
    run.finished_at = timezone.now()
    run.save()
    return results


# --- published reports ------------------------------------------------------------------------------


def _scope_code(unit: Unit | None) -> str:
    return FrozenReport.ALL_UNITS if unit is None else unit.code


def _actor_name(actor) -> str:
    return (actor.get_full_name() or actor.get_username()) if actor is not None else ""


def _compare_rows(a: dict, b: dict) -> list[str]:
    """Row-by-row differences of two report JSONs (totals, levels, units, fields)."""
    out = []
    for where, x, y in _paired_rows(a, b):
        for key in COUNT_KEYS:
            if (x or {}).get(key, 0) != (y or {}).get(key, 0):
                out.append(f"{where} {key}: {(x or {}).get(key, 0)} ≠ {(y or {}).get(key, 0)}")
    return out


def _rows_of(report: dict) -> dict[str, dict]:
    rows = {"Tổng số": report["totals"]}
    for level in report["levels"]:
        rows[f"Cấp {level['level']}"] = level["totals"]
        for unit in level["units"]:
            rows[f"Đơn vị {unit['code']}"] = unit["totals"]
    for f in report.get("fields", []):
        rows[f"Lĩnh vực {f['field']}"] = f["totals"]
    return rows


def _row_names(report: dict) -> dict[str, str]:
    names = {"Tổng số": "Tổng số"}
    for level in report["levels"]:
        names[f"Cấp {level['level']}"] = level.get("name", level["level"])
        for unit in level["units"]:
            names[f"Đơn vị {unit['code']}"] = f"{unit['code']} – {unit['name']}"
    for f in report.get("fields", []):
        names[f"Lĩnh vực {f['field']}"] = f"Lĩnh vực {f['field']}"
    return names


def _paired_rows(a: dict, b: dict):
    ra, rb = _rows_of(a), _rows_of(b)
    for key in list(ra) + [k for k in rb if k not in ra]:
        yield key, ra.get(key), rb.get(key)


@transaction.atomic
def report_freeze(*, period: Period, unit: Unit | None, actor, note: str = "", now: datetime | None = None) -> FrozenReport:
    """Publish (freeze) the report of `period` for `unit`'s subtree (None: every unit).

    The figures are computed straight from the dossiers and, independently, dossier by
    dossier; both must agree row by row (else ReportIdentityError: nothing is frozen). The
    figures and every dossier's membership are stored; they never change afterwards. Only an
    ended period can be frozen, once (ReportConflictError otherwise).
    """
    now = now or timezone.now()
    if period.end >= now.astimezone(LOCAL_TZ).date():
        raise ReportError(MSG_NOT_ENDED.format(end=period.end), errors={"period": [MSG_NOT_ENDED.format(end=period.end)]})
    scope = _scope_code(unit)
    existing = FrozenReport.objects.select_for_update().filter(
        basis=period.basis, kind=period.kind, year=period.year, number=period.number, scope=scope).first()
    if existing is not None:
        msg = MSG_ALREADY_FROZEN.format(period=period.name_vi(), scope=scope, at=timezone.localtime(existing.frozen_at),
                                        by=existing.frozen_by_name or "—")
        raise ReportConflictError(msg, errors={"period": [msg]})
    figures = report_figures(period=period, unit=unit, source=SOURCE_DIRECT)
    frozen = FrozenReport.objects.create(
        basis=period.basis, kind=period.kind, year=period.year, number=period.number, start=period.start,
        end=period.end, unit=unit, scope=scope, figures=figures, frozen_by=actor, frozen_by_name=_actor_name(actor),
        frozen_at=now, note=note,
    )
    # Every dossier's membership, streamed to the table in batches while it is counted: its
    # counts must give the same report.
    scope_ids = scope_unit_ids(unit)
    batch: list[FrozenReportEntry] = []

    def entries():
        for e in dossier_flags(period, scope_ids=scope_ids):
            batch.append(FrozenReportEntry(report=frozen, dossier_id=e.id, code=e.code,
                                           resolving_unit_id=e.resolving_unit_id, field_id=e.field_id, flags=e.flags))
            if len(batch) == 5000:
                FrozenReportEntry.objects.bulk_create(batch)
                batch.clear()
            yield e

    cells = counts_from_flags(entries())
    FrozenReportEntry.objects.bulk_create(batch)
    by_dossier = report_assemble(period=period, cells=cells, scope_unit=unit, scope_ids=scope_ids, source="dossiers")
    differences = _compare_rows(figures, by_dossier)
    if differences:  # the transaction rolls back: nothing is frozen
        raise ReportIdentityError([MSG_THREE_WAYS.format(where=d) for d in differences])
    return frozen


def frozen_report_get(*, period: Period, unit: Unit | None) -> FrozenReport | None:
    return FrozenReport.objects.filter(basis=period.basis, kind=period.kind, year=period.year, number=period.number,
                                       scope=_scope_code(unit)).first()


@dataclass(frozen=True)
class FigureChange:
    row: str
    name: str
    figure: str
    frozen: int
    current: int

    @property
    def delta(self) -> int:
        return self.current - self.frozen


@dataclass(frozen=True)
class DossierChange:
    code: str
    dossier_id: int | None
    before: tuple[str, ...]
    after: tuple[str, ...]
    unit_before: int | None
    unit_after: int | None

    @property
    def explanation(self) -> str:
        if not self.before:
            return "Hồ sơ không có trong báo cáo đã chốt (nhập hoặc ghi nhận sau khi chốt)."
        if not self.after:
            return "Hồ sơ không còn được tính trong kỳ."
        if self.unit_before != self.unit_after:
            return "Hồ sơ đổi cơ quan chủ trì hoặc lĩnh vực."
        return "Hồ sơ được tính vào chỉ tiêu khác."


@dataclass
class ReportDiff:
    frozen: FrozenReport
    current: dict
    figures: list[FigureChange] = field(default_factory=list)
    dossiers: list[DossierChange] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.figures and not self.dossiers


def report_diff(*, frozen: FrozenReport) -> ReportDiff:
    """Recompute a frozen report and list the figures that differ and the dossiers that cause
    the differences (a dossier counted differently, missing, or new)."""
    period = Period(frozen.basis, frozen.kind, frozen.year, frozen.number)
    unit = frozen.unit
    current = report_figures(period=period, unit=unit, source=SOURCE_DIRECT)
    diff = ReportDiff(frozen=frozen, current=current)
    names = {**_row_names(frozen.figures), **_row_names(current)}
    for row, x, y in _paired_rows(frozen.figures, current):
        for key in COUNT_KEYS:
            a, b = (x or {}).get(key, 0), (y or {}).get(key, 0)
            if a != b:
                diff.figures.append(FigureChange(row=row, name=names.get(row, row), figure=key, frozen=a, current=b))
    before = {e.code: e for e in frozen.entries.all().iterator(chunk_size=5000)}
    seen = set()
    for e in dossier_flags(period, scope_ids=scope_unit_ids(unit)):
        seen.add(e.code)
        old = before.get(e.code)
        if old is None or old.flags != e.flags or old.resolving_unit_id != e.resolving_unit_id or old.field_id != e.field_id:
            diff.dossiers.append(DossierChange(
                code=e.code, dossier_id=e.id, before=tuple(flags_to_figures(old.flags)) if old else (),
                after=tuple(e.figures()), unit_before=old.resolving_unit_id if old else None,
                unit_after=e.resolving_unit_id))
    for code, old in before.items():
        if code not in seen:
            diff.dossiers.append(DossierChange(code=code, dossier_id=old.dossier_id, before=tuple(flags_to_figures(old.flags)),
                                               after=(), unit_before=old.resolving_unit_id, unit_after=None))
    diff.dossiers.sort(key=lambda c: c.code)
    return diff
