"""The dossier code (D15): `<receiving unit code>-<YYMMDD of R>-<NNNN>`, a per-unit, per-day
sequence from 0001, unique and without gaps under concurrent intake; imported codes are kept and
move the sequence past them. Concurrency tests need PostgreSQL (SQLite serialises writers).
"""
import re
import threading
from datetime import date

import pytest
from django.db import connection, connections, transaction

from dossiers.errors import ConflictError
from dossiers.models import Dossier, DossierEvent, DossierSequence
from dossiers.services import lifecycle as svc
from dossiers.services.history_import import dossier_history_import_text
from dossiers.workflow import Action, DossierState
from tests.conftest import require_postgres
from tests.dossiers.lifecycle_fixtures import org, procedures, staff  # noqa: F401 (fixtures)
from tests.dossiers.lifecycle_fixtures import at, register

CODE_RE = re.compile(r"^(?P<unit>\d{3}\.\d{2}\.\d{2}\.H\d{2})-(?P<day>\d{6})-(?P<n>\d{4})$")


def test_code_format_is_unit_day_and_four_digit_number(procedures, org):
    d = register(procedures["days5"], org, received_at=at(2022, 1, 28, 9))
    assert d.code == "000.00.31.H23-220128-0001"
    m = CODE_RE.match(d.code)
    assert m and m["unit"] == org["centre"].code


def test_sequence_runs_per_unit_and_per_local_day(procedures, org):
    """Numbers start at 0001 for each (receiving unit, local day of R); 23:30 and 00:30 local
    fall on different days although both are the same UTC day."""
    p = procedures["days5"]
    codes = [
        register(p, org, received_at=at(2022, 1, 28, 9)).code,
        register(p, org, received_at=at(2022, 1, 28, 23, 30), channel="online").code,
        register(p, org, received_at=at(2022, 1, 29, 0, 30), channel="online").code,
        register(p, org, received_at=at(2022, 1, 28, 10), receiving_unit=org["district"]).code,
    ]
    assert codes == [
        "000.00.31.H23-220128-0001",
        "000.00.31.H23-220128-0002",
        "000.00.31.H23-220129-0001",
        "000.00.01.H23-220128-0001",
    ]


def test_a_rolled_back_intake_gives_its_number_back(procedures, org):
    p = procedures["days5"]
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            d = register(p, org, received_at=at(2022, 1, 28, 9))
            assert d.code.endswith("-0001")
            raise RuntimeError("the counter clerk's printer failed")
    assert not Dossier.objects.exists()
    assert register(p, org, received_at=at(2022, 1, 28, 10)).code == "000.00.31.H23-220128-0001"


def test_an_imported_code_moves_the_sequence_past_it(procedures, org):
    """A dossier imported as …-0007 makes the next generated code of that unit and day …-0008;
    a code of another pattern (old software) is kept and changes nothing."""
    p = procedures["days5"]
    kept = register(p, org, received_at=at(2022, 1, 28, 9), code="000.00.31.H23-220128-0007")
    other = register(p, org, received_at=at(2022, 1, 28, 9), code="HS-2022-000123")
    assert (kept.code, other.code) == ("000.00.31.H23-220128-0007", "HS-2022-000123")
    assert register(p, org, received_at=at(2022, 1, 28, 11)).code == "000.00.31.H23-220128-0008"
    # a lower imported number does not move the sequence back
    register(p, org, received_at=at(2022, 1, 28, 9), code="000.00.31.H23-220128-0003")
    assert register(p, org, received_at=at(2022, 1, 28, 12)).code == "000.00.31.H23-220128-0009"


def test_import_notes_the_files_codes_before_generating_any(procedures, org):
    """In an import, a row without a code never takes a number that a later row of the same file
    carries; after the import live intake continues after the highest number."""
    text = (
        "code,procedure_code,receiving_unit_code,channel,received_at\n"
        ",1.000001,000.00.31.H23,direct,2022-01-28T08:00\n"
        "000.00.31.H23-220128-0001,1.000001,000.00.31.H23,direct,2022-01-28T09:00\n"
        "000.00.31.H23-220128-0005,1.000001,000.00.31.H23,direct,2022-01-28T10:00\n"
    )
    dossier_history_import_text(text)
    codes = set(Dossier.objects.values_list("code", flat=True))
    assert codes == {"000.00.31.H23-220128-0001", "000.00.31.H23-220128-0005", "000.00.31.H23-220128-0006"}
    assert DossierSequence.objects.get(unit=org["centre"], day=date(2022, 1, 28)).last == 6
    assert register(procedures["days5"], org, received_at=at(2022, 1, 28, 16)).code == "000.00.31.H23-220128-0007"


# --- concurrency (PostgreSQL) ---------------------------------------------------------------------

THREADS = 8
PER_THREAD = 25


def _run_threads(target, n: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrapped(i):
        try:
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()  # each thread has its own connection

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


@pytest.mark.postgres
def test_concurrent_intake_issues_every_number_once_without_gaps(transactional_db, procedures, org):
    """8 threads × 25 intakes for the same unit and day: 200 distinct codes 0001–0200."""
    require_postgres()
    p = procedures["days5"]
    barrier = threading.Barrier(THREADS)

    def intake(i):
        barrier.wait(timeout=30)
        for k in range(PER_THREAD):
            register(p, org, received_at=at(2022, 3, 1, 8 + i % 8, k))

    assert _run_threads(intake, THREADS) == []
    codes = list(Dossier.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == THREADS * PER_THREAD
    numbers = sorted(int(CODE_RE.match(c)["n"]) for c in codes)
    assert numbers == list(range(1, THREADS * PER_THREAD + 1))
    assert DossierSequence.objects.get(unit=org["centre"], day=date(2022, 3, 1)).last == THREADS * PER_THREAD


@pytest.mark.postgres
def test_concurrent_intake_with_rollbacks_leaves_no_gaps(transactional_db, procedures, org):
    """Every third intake is rolled back by its caller: its number is reused, none is skipped."""
    require_postgres()
    p = procedures["days5"]

    def intake(i):
        for k in range(12):
            try:
                with transaction.atomic():
                    register(p, org, received_at=at(2022, 3, 2, 9, k))
                    if k % 3 == 0:
                        raise RuntimeError("abandoned")
            except RuntimeError:
                pass

    assert _run_threads(intake, 4) == []
    numbers = sorted(int(CODE_RE.match(c)["n"]) for c in Dossier.objects.values_list("code", flat=True))
    assert numbers == list(range(1, 4 * 8 + 1))


@pytest.mark.postgres
def test_two_concurrent_transitions_one_wins_the_other_conflicts(transactional_db, procedures, org, staff):
    """While one transaction holds the dossier (approving it), a second action on it gets a
    ConflictError at once instead of waiting or overwriting; the first one completes."""
    require_postgres()
    from dossiers import hooks

    leader = staff["justice_leader"]
    d = svc.dossier_transfer(dossier=register(procedures["days5"], org, received_at=at(2022, 3, 1, 9)), actor=None)
    holding, release = threading.Event(), threading.Event()

    def hold(dossier, actor, payload):  # inside the approval's transaction, the row locked
        holding.set()
        assert release.wait(timeout=30)
        return {}

    def slow_approve(i):
        svc.dossier_approve(dossier=Dossier.objects.get(pk=d.pk), actor=leader, at=at(2022, 3, 3, 9))

    hooks.ACTION_HOOKS.setdefault("approve", []).append(hold)
    officer = leader
    worker = threading.Thread(target=lambda: _run_threads(slow_approve, 1) and None)
    worker.start()
    try:
        assert holding.wait(timeout=30)
        with pytest.raises(ConflictError) as exc:
            svc.dossier_refuse(dossier=Dossier.objects.get(pk=d.pk), actor=officer, reason="Không đủ điều kiện",
                               at=at(2022, 3, 3, 10))
        assert exc.value.message == svc.MSG_CONFLICT.format(code=d.code)
    finally:
        release.set()
        worker.join(timeout=60)
        hooks.ACTION_HOOKS["approve"].remove(hold)
    connection.close()
    d = Dossier.objects.get(pk=d.pk)
    assert (d.state, d.outcome, d.version) == (DossierState.APPROVED, "approved", 2)
    assert list(DossierEvent.objects.filter(dossier=d).order_by("id").values_list("action", flat=True)) == [
        "receive", Action.TRANSFER, Action.APPROVE]
