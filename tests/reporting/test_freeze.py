"""Publishing: a frozen report keeps its figures forever; recomputing later lists the figures
that changed and the dossiers that cause each difference."""
from __future__ import annotations

from datetime import datetime

import pytest
from django.core.exceptions import ValidationError

from reporting.errors import ReportConflictError, ReportError
from dossiers.services import lifecycle as lc
from reporting import selectors as rs
from reporting.models import FrozenReport
from reporting.periods import LOCAL_TZ, Period
from reporting.services import frozen_report_get, report_diff, report_freeze

from . import scenario
from tests.dossiers.lifecycle_fixtures import approve_after_handover

Q1 = Period.quarter(2022, 1)


@pytest.fixture
def history(rorg, rprocs, rstaff):
    return scenario.build(rorg, rprocs, rstaff)


def test_freeze_stores_the_figures_and_every_dossier(history, rstaff):
    frozen = report_freeze(period=Q1, unit=None, actor=rstaff)
    report = rs.report_figures(period=Q1, source=rs.SOURCE_DIRECT)
    assert frozen.figures["totals"] == report["totals"]
    assert frozen.scope == "*" and frozen.frozen_by_name == "Lan Trần Thị"
    assert frozen.entries.count() == report["totals"]["received_total"] == 16
    entry = frozen.entries.get(code=history["paused_within"].code)
    assert rs.flags_to_figures(entry.flags) == ["received_direct_postal", "in_progress_within"]
    assert frozen_report_get(period=Q1, unit=None) == frozen
    assert report_diff(frozen=frozen).unchanged


def test_a_report_is_frozen_once_and_never_edited(history, rstaff, rorg):
    frozen = report_freeze(period=Q1, unit=None, actor=rstaff)
    with pytest.raises(ReportConflictError, match="đã được chốt"):
        report_freeze(period=Q1, unit=None, actor=rstaff)
    frozen.figures = {}
    with pytest.raises(ValidationError):
        frozen.save()
    # Another scope of the same period is a different report.
    district = report_freeze(period=Q1, unit=rorg["district"], actor=rstaff)
    assert district.figures["totals"]["received_total"] == 6


def test_only_an_ended_period_can_be_frozen(history, rstaff):
    now = datetime(2022, 3, 14, 16, tzinfo=LOCAL_TZ)
    with pytest.raises(ReportError, match="chưa kết thúc"):
        report_freeze(period=Q1, unit=None, actor=rstaff, now=now)
    assert not FrozenReport.objects.exists()


def test_recomputation_lists_differences_and_their_dossiers(history, rstaff, rprocs, rorg):
    """After freezing, a dossier of January is imported late and an open one is corrected: the
    frozen figures stay, the diff shows +1 received and which dossiers moved."""
    from dossiers.models import Dossier

    frozen = report_freeze(period=Q1, unit=None, actor=rstaff)
    before = dict(frozen.figures["totals"])
    late = lc.dossier_register(procedure=rprocs["commune2"], receiving_unit=rorg["commune"], channel="direct",
                               applicant=scenario.APPLICANT, actor=rstaff, received_at=scenario.at(2022, 1, 20))
    approve_after_handover(dossier=late, actor=None, at=scenario.at(2022, 1, 21))
    # A data correction: the overdue dossier was in fact resolved on 11/03 (D = 08/03: late).
    Dossier.objects.filter(pk=history["open_overdue"].pk).update(
        resolved_on=datetime(2022, 3, 11).date(), resolved_at=scenario.at(2022, 3, 11), classification="late",
        outcome="approved", state="approved")
    diff = report_diff(frozen=frozen)
    changes = {(c.row, c.figure): (c.frozen, c.current) for c in diff.figures}
    assert changes[("Tổng số", "received_total")] == (16, 17)
    assert changes[("Tổng số", "resolved_late")] == (4, 5)
    assert changes[("Tổng số", "in_progress_overdue")] == (2, 1)
    assert changes[("Tổng số", "resolved_early")] == (3, 4)
    assert changes[("Đơn vị 000.31.21.H23", "received_total")] == (2, 3)
    moved = {c.code: (c.before, c.after) for c in diff.dossiers}
    assert moved == {
        late.code: ((), ("received_direct_postal", "resolved_early")),
        history["open_overdue"].code: (("received_direct_postal", "in_progress_overdue"),
                                       ("received_direct_postal", "resolved_late")),
    }
    assert diff.dossiers[0].explanation
    assert FrozenReport.objects.get(pk=frozen.pk).figures["totals"] == before
