"""Roll-ups: the report summed from per-day statistics equals the direct computation and the
independent oracle on random histories made through the lifecycle services (hypothesis),
with instants at period edges and a calendar change in the middle; rebuilding is idempotent.

Each hypothesis example runs in its own transaction (hypothesis.extra.django.TestCase).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db.models import Count
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from dossiers import selectors as dossier_selectors
from dossiers.errors import DossierError
from dossiers.models import Dossier, Unit
from dossiers.services import lifecycle as lc
from dossiers.services.calendar_overrides import calendar_override_save
from dossiers.services.reorganisation import reorganisation_import
from dossiers.workflow import DossierState as S
from reporting import selectors as rs
from reporting.models import DailyReceipt, DailyStatistic, DailyStock, RollupDay, SegmentStatistic
from reporting.periods import LOCAL_TZ, Period, segment_start
from reporting.services import rollup_day, rollup_pending, rollup_pending_range, rollup_range

from .conftest import APPLICANT, at, comparable, make_clerk, make_org, make_procedures, oracle_cells, receiving_unit_for

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "25"))

WINDOW_START = datetime(2021, 12, 10, tzinfo=LOCAL_TZ)
WINDOW_MINUTES = 46 * 24 * 60  # receipts until 25/01/2022
ROLLUP_FROM, ROLLUP_TO = date(2021, 12, 14), date(2022, 2, 14)
#: period edges of the checked periods: receipts and actions are drawn near them too
EDGES = [datetime(2021, 12, 15, tzinfo=LOCAL_TZ), datetime(2022, 1, 1, tzinfo=LOCAL_TZ),
         datetime(2022, 1, 15, tzinfo=LOCAL_TZ), datetime(2022, 2, 1, tzinfo=LOCAL_TZ)]
PERIODS = [
    Period.month(2022, 1),  # regulatory: 15/12/2021 – 14/01/2022
    Period.month(2022, 2),  # regulatory: 15/01 – 14/02/2022
    Period.month(2022, 1, "calendar"),  # 01/01 – 31/01/2022
]
PROCEDURES = ["justice5", "build20", "district3", "district_cal15", "commune2", "commune_same_day", "commune_hours",
              "lien_thong"]
ACTIONS = ["assign", "transfer", "request", "resume", "approve", "refuse", "withdraw", "apologize", "return",
           "accept", "reject"]

instants = st.one_of(
    st.integers(0, WINDOW_MINUTES).map(lambda m: WINDOW_START + timedelta(minutes=m)),
    st.tuples(st.sampled_from(EDGES), st.integers(-90, 90)).map(lambda e: e[0] + timedelta(seconds=e[1])),
)
gaps = st.one_of(st.integers(0, 600), st.integers(600, 12 * 24 * 60)).map(lambda m: timedelta(minutes=m))


@dataclass
class Plan:
    procedure: str
    channel: str
    received_at: datetime
    submit_only: bool
    on_the_spot: bool
    steps: list[tuple[int, timedelta]]


plans = st.builds(
    Plan,
    procedure=st.sampled_from(PROCEDURES),
    channel=st.sampled_from(["direct", "online", "postal"]),
    received_at=instants,
    submit_only=st.booleans(),
    on_the_spot=st.booleans(),
    steps=st.lists(st.tuples(st.integers(0, 50), gaps), max_size=7),
)


def play(plan: Plan, procs, org, actor) -> None:
    """Carry out a plan through the lifecycle services; an action is picked among those the
    state allows (the drawn number modulo their count)."""
    proc = procs[plan.procedure]
    spot = plan.on_the_spot and proc.on_the_spot and plan.channel == "direct"
    online_wait = plan.channel == "online" and plan.submit_only and not spot
    d = lc.dossier_register(procedure=proc, receiving_unit=receiving_unit_for(proc, org), channel=plan.channel,
                            applicant=APPLICANT, actor=actor, received_at=plan.received_at, on_the_spot=spot,
                            submit_only=online_wait)
    when = plan.received_at
    if spot:
        lc.dossier_on_the_spot_complete(dossier=d, actor=None, at=when)
        return
    # every action as the system (the unit D17 names): the roll-ups, not who acts, are tested
    for choice, gap in plan.steps:
        when = when + gap
        d.refresh_from_db()
        allowed = {
            S.SUBMITTED: ["accept", "reject"],
            S.RECEIVED: ["transfer", "transfer", "approve", "refuse", "withdraw", "apologize"],
            S.IN_PROCESSING: ["transfer", "request", "approve", "refuse", "withdraw", "apologize"],
            S.AWAITING_SUPPLEMENT: ["resume", "resume", "refuse", "withdraw", "apologize"],
            S.APPROVED: ["return"],
            S.STOPPED: ["return"],
            S.REFUSED: ["return"],
        }.get(d.state, [])
        if not allowed:
            return
        action = allowed[choice % len(allowed)]
        try:
            if action == "accept":
                lc.dossier_accept(dossier=d, actor=None, at=when)
            elif action == "reject":
                lc.dossier_reject(dossier=d, actor=None, reason="Sai thủ tục", at=when)
            elif action == "transfer":
                lc.dossier_transfer(dossier=d, actor=None, at=when)
            elif action == "request":
                lc.dossier_request_supplement(dossier=d, actor=None, reason="Thiếu giấy tờ", at=when)
            elif action == "resume":
                lc.dossier_resume(dossier=d, actor=None, at=when)
            elif action == "approve":
                lc.dossier_approve(dossier=d, actor=None, at=when)
            elif action == "stop":
                lc.dossier_stop(dossier=d, actor=None, reason="Không bổ sung", at=when)
            elif action == "refuse":
                lc.dossier_refuse(dossier=d, actor=None, reason="Không đủ điều kiện", at=when)
            elif action == "withdraw":
                lc.dossier_withdraw(dossier=d, actor=None, reason="Xin rút", at=when)
            elif action == "apologize":
                lc.dossier_apologize(dossier=d, actor=None, new_date=d.due_date + timedelta(days=7), reason="Chậm",
                                     at=when)
            elif action == "return":
                lc.dossier_return_result(dossier=d, actor=None, at=when)
        except DossierError:
            # e.g. a second apology, an approval before the lead unit's final step, a transfer
            # from the last step: the services refuse
            # and nothing is written; the history goes on.
            pass


def _reset_calendar() -> None:
    cache.clear()
    dossier_selectors._calendar_cache.update(version=None, calendar=None)


#: D20: the district merged into a new ward on one of these days (inside and at the edges of the
#: checked periods), at a drawn point of the history
REORGANISATION_DAYS = [date(2021, 12, 15), date(2021, 12, 28), date(2022, 1, 1), date(2022, 1, 15), date(2022, 1, 20)]


class RollupEqualsDirectTests(HypothesisTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.org = make_org()
        cls.procs = make_procedures(cls.org)
        cls.actor = make_clerk(cls.org)
        cls.ward = Unit.objects.create(code="000.40.21.H23", name="UBND phường Hòa Bình", level="commune",
                                       kind="people_committee", parent=cls.org["province"], valid_from=date(2021, 12, 1))

    @settings(max_examples=EXAMPLES, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(
        histories=st.lists(plans, min_size=1, max_size=14),
        calendar_change=st.one_of(st.none(), st.tuples(st.integers(0, 13), st.integers(0, 45), st.booleans())),
        reorganisation=st.one_of(st.none(), st.tuples(st.integers(0, 14), st.sampled_from(REORGANISATION_DAYS),
                                                     instants, st.sampled_from(["district3", "district_cal15"]))),
    )
    def test_report_from_rollups_equals_direct_and_oracle(self, histories, calendar_change, reorganisation):
        """For every checked period: roll-ups = direct computation = oracle, identities hold,
        whatever the history and wherever a calendar change or a reorganisation (D20: the
        district's open dossiers move to a ward, dated at a drawn day) falls in it."""
        _reset_calendar()
        try:
            for i, plan in enumerate([*histories, None]):
                if reorganisation is not None and min(reorganisation[0], len(histories)) == i:
                    # at least one dossier open at the district when the merger is recorded
                    lc.dossier_register(procedure=self.procs[reorganisation[3]], receiving_unit=self.org["district_counter"],
                                        channel="direct", applicant=APPLICANT, actor=self.actor,
                                        received_at=reorganisation[2])
                    moved = reorganisation_import([{
                        "old_code": self.org["district"].code, "successor_code": self.ward.code,
                        "effective_date": reorganisation[1].isoformat(), "legal_basis": "Nghị quyết thử nghiệm"}]).moved
                    event(f"reorganisation moved {'some' if moved else 'no'} dossiers")
                if plan is None:
                    break
                if calendar_change is not None and calendar_change[0] == i:
                    # An administrator declares a day off (or a make-up working day) between two
                    # dossiers: open dossiers are re-evaluated, later ones use the new calendar.
                    day = date(2021, 12, 20) + timedelta(days=calendar_change[1])
                    with self.captureOnCommitCallbacks(execute=True):
                        calendar_override_save(day=day, is_working_day=calendar_change[2], reason="Thử nghiệm",
                                               legal_source="Thông báo thử nghiệm", actor=self.actor)
                play(plan, self.procs, self.org, self.actor)
            rollup_range(start=ROLLUP_FROM, end=ROLLUP_TO)
            for period in PERIODS:
                oracle = comparable(oracle_cells(period.start, period.end))
                assert comparable(rs.cells_direct(period)) == oracle, period
                assert comparable(rs.cells_from_rollups(period)) == oracle, period
                rolled = rs.report_figures(period=period, source=rs.SOURCE_ROLLUP)
                direct = rs.report_figures(period=period, source=rs.SOURCE_DIRECT)
                assert rolled["totals"] == direct["totals"]
                assert rolled["levels"] == direct["levels"]
                assert rolled["receiving"] == direct["receiving"]
                for scope in ({self.ward.pk}, {self.org["district"].pk}):  # a unit, and the one merged into it
                    assert rs.receipts_from_rollups(period, scope_ids=scope) == rs.receipts_by_counter(
                        period, scope_ids=scope), period
                    scoped = comparable(oracle_cells(period.start, period.end, unit_ids=scope))
                    assert comparable(rs.cells_direct(period, scope_ids=scope)) == scoped, period
                    assert comparable(rs.cells_from_rollups(period, scope_ids=scope)) == scoped, period
                for key in ("carried_over", "resolved_late", "in_progress_within", "in_progress_overdue",
                            "multi_supplement", "withdrawn", "on_the_spot"):
                    if direct["totals"][key]:
                        event(f"{period.basis} {key} > 0")
            q1 = Period.quarter(2022, 1)
            assert comparable(rs.cells_direct(q1)) == comparable(oracle_cells(q1.start, q1.end))
        finally:
            _reset_calendar()


# --- idempotence, backfill, the nightly range -------------------------------------------------------


@pytest.fixture
def small_history(rorg, rprocs, rstaff):
    from . import scenario

    return scenario.build(rorg, rprocs, rstaff)


def _rows(day):
    flows = sorted(DailyStatistic.objects.filter(day=day).values_list(
        "resolving_unit_id", "procedure_id", "channel", "received", "resolved", "resolved_early", "resolved_on_time",
        "resolved_late", "withdrawn"))
    stock = sorted(DailyStock.objects.filter(day=day).values_list(
        "resolving_unit_id", "field_id", "open_total", "open_within", "open_overdue", "open_multi_supplement"))
    segment = sorted(SegmentStatistic.objects.filter(segment=segment_start(day)).values_list(
        "resolving_unit_id", "field_id", "received_online", "received_direct_postal", "resolved", "resolved_late"))
    receipts = sorted(DailyReceipt.objects.filter(day=day).values_list(
        "receiving_unit_id", "resolving_unit_id", "received"))
    return flows, stock, segment, receipts


def test_rollup_of_a_day_is_a_recomputation(small_history):
    """Rolling a day up twice gives the same rows (retry-safe); rows that should not be there
    (a damaged table) disappear on the next rebuild."""
    day = date(2022, 3, 14)
    first = rollup_day(day=day)
    rows = _rows(day)
    assert first.rows == len(rows[0]) > 0 and first.stock_rows == len(rows[1]) > 0
    rollup_day(day=day)
    assert _rows(day) == rows
    DailyStock.objects.filter(day=day).update(open_within=999)
    SegmentStatistic.objects.filter(segment=segment_start(day)).update(resolved=999)
    DailyStatistic.objects.filter(day=day).update(received=999)
    DailyReceipt.objects.filter(day=day).update(received=999)
    rollup_day(day=day)
    assert _rows(day) == rows
    # the day's receipts by counter: the counted dossiers received that day, by hand
    assert rows[3] == sorted(
        Dossier.objects.filter(received_at__date=day).values_list("receiving_unit_id", "resolving_unit_id")
        .annotate(n=Count("id")).order_by()) != []
    assert RollupDay.objects.filter(day=day).count() == 1


def test_the_migration_gives_every_rolled_up_day_its_receipts(small_history):
    """Migration reporting 0004 fills ``DailyReceipt`` for the days rolled up before it existed:
    the same rows as the roll-up makes, and none for a day not rolled up."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("reporting.migrations.0004_daily_receipts")
    rollup_range(start=date(2022, 3, 1), end=date(2022, 3, 20))
    made = sorted(DailyReceipt.objects.values_list("day", "receiving_unit_id", "resolving_unit_id", "received"))
    assert made and {d for d, *_r in made} <= set(RollupDay.objects.values_list("day", flat=True))
    DailyReceipt.objects.all().delete()
    RollupDay.objects.filter(day=made[0][0]).delete()
    migration.backfill(apps, SimpleNamespace(connection=connection))  # all it reads of its schema editor
    assert sorted(DailyReceipt.objects.values_list("day", "receiving_unit_id", "resolving_unit_id", "received")) == [
        r for r in made if r[0] != made[0][0]]


def test_stock_is_snapshotted_on_period_boundary_days(small_history):
    """The stock at the end of 14/03/2022 is Q1's in-progress figure (within 5, overdue 2);
    an ordinary day has flows only unless a snapshot is asked for."""
    result = rollup_day(day=date(2022, 3, 14))
    stock = DailyStock.objects.filter(day=date(2022, 3, 14))
    assert sum(r.open_within for r in stock) == 5
    assert sum(r.open_overdue for r in stock) == 2
    assert sum(r.open_multi_supplement for r in stock) == 1
    assert result.stock_rows == stock.count()
    ordinary = rollup_day(day=date(2022, 3, 10))
    assert ordinary.stock_rows is None and not DailyStock.objects.filter(day=date(2022, 3, 10)).exists()
    assert not RollupDay.objects.get(day=date(2022, 3, 10)).has_stock
    forced = rollup_day(day=date(2022, 3, 10), stock=True)
    assert forced.stock_rows and RollupDay.objects.get(day=date(2022, 3, 10)).has_stock


def test_segment_sums_its_days(small_history):
    """The half-month segment 01/03 – 14/03 is the sum of its days' flows, whichever order the
    days were rolled up in."""
    for day in (date(2022, 3, 14), date(2022, 3, 2), date(2022, 3, 8)):
        rollup_day(day=day)
    seg = SegmentStatistic.objects.filter(segment=date(2022, 3, 1))
    daily = DailyStatistic.objects.filter(day__range=(date(2022, 3, 1), date(2022, 3, 14)))
    assert sum(r.resolved for r in seg) == sum(r.resolved for r in daily) > 0
    assert sum(r.received_online + r.received_direct_postal for r in seg) == sum(r.received for r in daily) > 0


def test_rollup_command_backfills_a_range(small_history):
    """`manage.py rollup --from --to` rebuilds every day of the range and prints a summary."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("rollup", "--from", "2022-03-01", "--to", "2022-03-14", stdout=out)
    assert RollupDay.objects.filter(day__range=(date(2022, 3, 1), date(2022, 3, 14))).count() == 14
    assert "14 ngày" in out.getvalue()


def test_rollup_command_rejects_a_reversed_range(db):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="phải trước"):
        call_command("rollup", "--from", "2022-03-14", "--to", "2022-03-01")
    assert not RollupDay.objects.exists()


def test_nightly_range_covers_history_gaps_and_late_imports(small_history, rprocs, rorg, rstaff):
    """First run: the whole history up to yesterday. Then only yesterday, plus any gap, plus
    every day since the receipt of a dossier created after the last run began."""
    first_receipt = Dossier.objects.exclude(received_at=None).order_by("received_at").first().received_at
    assert rollup_pending_range(today=date(2022, 3, 20)) == (
        first_receipt.astimezone(LOCAL_TZ).date(), date(2022, 3, 19))
    results = rollup_pending(today=date(2022, 3, 20))
    assert results[-1].day == date(2022, 3, 19)
    assert rollup_pending_range(today=date(2022, 3, 21)) == (date(2022, 3, 20), date(2022, 3, 20))
    RollupDay.objects.filter(day=date(2022, 2, 1)).delete()
    assert rollup_pending_range(today=date(2022, 3, 21)) == (date(2022, 2, 1), date(2022, 3, 20))
    rollup_range(start=date(2022, 2, 1), end=date(2022, 2, 1))
    RollupDay.objects.filter(day__lt=date(2022, 1, 1)).delete()  # history before the first rolled-up day
    assert rollup_pending_range(today=date(2022, 3, 21)) == (
        first_receipt.astimezone(LOCAL_TZ).date(), date(2022, 3, 20))
    rollup_range(start=first_receipt.astimezone(LOCAL_TZ).date(), end=date(2021, 12, 31))
    assert rollup_pending_range(today=date(2022, 3, 21)) == (date(2022, 3, 20), date(2022, 3, 20))
    # An old dossier imported after the last run began (created now, received in January).
    lc.dossier_register(procedure=rprocs["justice5"], receiving_unit=rorg["centre"], channel="direct",
                        applicant=APPLICANT, actor=rstaff, received_at=at(2022, 1, 6))
    assert rollup_pending_range(today=date(2022, 3, 21)) == (date(2022, 1, 6), date(2022, 3, 20))


def test_rollup_task_runs_the_nightly_job(small_history, settings):
    """The Celery task (eager in tests) rebuilds the pending range; the beat schedule has it."""
    from onecua.settings import CELERY_BEAT_SCHEDULE
    from reporting.tasks import rollup_days_task, rollup_nightly_task

    assert CELERY_BEAT_SCHEDULE["reporting-rollup-nightly"]["task"] == "reporting.tasks.rollup_nightly_task"
    n = rollup_days_task.delay("2022-03-10", "2022-03-14").get()
    assert n == 5
    assert RollupDay.objects.filter(day__range=(date(2022, 3, 10), date(2022, 3, 14))).count() == 5
    days = rollup_nightly_task.delay(today="2022-03-16").get()
    assert days >= 1
    assert RollupDay.objects.filter(day=date(2022, 3, 15)).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_rollups_of_one_segment_agree_with_a_sequential_one(rorg, rprocs, rstaff):
    """Days of the same half-month rolled up at the same time by four workers (and one day
    twice): the segment still sums every day's committed rows (its marker row is locked)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.conftest import require_postgres

    from . import scenario

    require_postgres()
    scenario.build(rorg, rprocs, rstaff)
    days = [date(2022, 3, d) for d in range(1, 15)] + [date(2022, 3, 14)]

    def work(day):
        try:
            rollup_day(day=day)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, days))
    concurrent = _rows(date(2022, 3, 14))
    for day in days:
        rollup_day(day=day)
    assert _rows(date(2022, 3, 14)) == concurrent
    assert concurrent[2]  # the segment has rows


def test_a_segment_older_than_one_of_its_days_is_not_used(small_history):
    """A day rebuilt without its segment (a backfill stopped half-way) makes the segment stale:
    the report names its days as missing and auto computes directly; rollup_range, which
    rebuilds each segment once the range leaves it, makes it usable again."""
    from reporting.services import segment_rebuild

    rollup_range(start=date(2021, 12, 14), end=date(2022, 3, 14))
    q1 = Period.quarter(2022, 1)
    assert rs.rollup_covers(q1)
    rollup_day(day=date(2022, 2, 3), segment=False)
    assert rs.rollup_missing_days(q1) == [date(2022, 2, 1) + timedelta(days=i) for i in range(14)]
    assert rs.report_figures(period=q1)["source"] == "direct"
    segment_rebuild(segment=date(2022, 2, 1))
    assert rs.report_figures(period=q1)["source"] == "rollup"
