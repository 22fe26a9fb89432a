"""Register books (Sổ theo dõi hồ sơ, issue 14): one per counter and year, the unit's own book for
intake without a counter; "Quyển số / Số thứ tự" given at intake, gap-free under concurrency,
taken in the intake's one statement on PostgreSQL."""
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dossiers.models import Counter, Dossier, RegisterBook
from dossiers.services import lifecycle as svc
from tests.conftest import require_postgres
from tests.dossiers.lifecycle_fixtures import org, procedures, staff  # noqa: F401 (fixtures)
from tests.dossiers.lifecycle_fixtures import at, register
from tests.dossiers.test_code_sequence import _run_threads


@pytest.fixture
def counters(org):
    return {
        2: Counter.objects.create(unit=org["centre"], number=2, name="Quầy 2"),
        5: Counter.objects.create(unit=org["centre"], number=5, name="Quầy 5"),
    }


def _entry(d: Dossier) -> tuple[str, int]:
    d = Dossier.objects.select_related("register_book__counter").get(pk=d.pk)
    return d.register_book.number, d.register_number


def test_numbers_run_per_counter_and_per_year(procedures, org, counters):
    p = procedures["days5"]
    a = register(p, org, received_at=at(2025, 12, 30, 9), counter=counters[2])
    b = register(p, org, received_at=at(2025, 12, 31, 9), counter=counters[2])
    c = register(p, org, received_at=at(2025, 12, 31, 10), counter=counters[5])
    d = register(p, org, received_at=at(2026, 1, 2, 9), counter=counters[2])
    e = register(p, org, received_at=at(2026, 1, 2, 10), channel="online")  # no counter: the unit's book
    f = register(p, org, received_at=at(2026, 1, 2, 11), receiving_unit=org["district"])
    assert [_entry(x) for x in (a, b, c, d, e, f)] == [
        ("02/2025", 1), ("02/2025", 2), ("05/2025", 1), ("02/2026", 1), ("00/2026", 1), ("00/2026", 1),
    ]
    assert (a.register_number, d.register_number) == (1, 1)  # the caller's instance carries it too
    assert RegisterBook.objects.count() == 5


def test_an_online_submission_gets_its_number_when_accepted(procedures, org, staff):
    p = procedures["days5"]
    first = register(p, org, received_at=at(2026, 3, 2, 9))
    sub = register(p, org, received_at=at(2026, 3, 2, 9, 30), channel="online", submit_only=True)
    assert Dossier.objects.get(pk=sub.pk).register_number is None
    svc.dossier_accept(dossier=sub, actor=staff["clerk"], at=at(2026, 3, 2, 10))
    assert _entry(first) == ("00/2026", 1)
    assert _entry(sub) == ("00/2026", 2)


def test_a_rolled_back_intake_gives_its_number_back(procedures, org, counters):
    p = procedures["days5"]
    register(p, org, received_at=at(2026, 3, 2, 9), counter=counters[2])
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            register(p, org, received_at=at(2026, 3, 2, 10), counter=counters[2])
            raise RuntimeError("the clerk's browser went away")
    again = register(p, org, received_at=at(2026, 3, 2, 11), counter=counters[2])
    assert _entry(again) == ("02/2026", 2)


def test_on_postgresql_the_number_comes_in_the_intakes_one_statement(procedures, org, counters):
    require_postgres()
    p = procedures["days5"]
    register(p, org, received_at=at(2026, 3, 2, 9), counter=counters[2])  # warm the reference caches
    with CaptureQueriesContext(connection) as queries:
        d = register(p, org, received_at=at(2026, 3, 2, 10), counter=counters[2])
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == 1 and "dossiers_registerbook" in inserts[0]
    assert (d.register_number, _entry(d)) == (2, ("02/2026", 2))
    assert d.code.endswith("-0002")


@pytest.mark.postgres
def test_concurrent_intake_numbers_every_dossier_once_without_gaps(transactional_db, procedures, org):
    """6 threads × 15 intakes at one counter, some rolled back: the book's numbers are 1..N."""
    require_postgres()
    counter = Counter.objects.create(unit=org["centre"], number=3, name="Quầy 3")
    p = procedures["days5"]
    threads, per = 6, 15
    barrier = threading.Barrier(threads)

    def intake(i):
        barrier.wait(timeout=30)
        for k in range(per):
            try:
                with transaction.atomic():
                    register(p, org, received_at=at(2026, 3, 2, 8 + i, k), counter=counter)
                    if k % 5 == 4:
                        raise RuntimeError("rolled back")
            except RuntimeError:
                pass

    assert _run_threads(intake, threads) == []
    numbers = sorted(Dossier.objects.values_list("register_number", flat=True))
    kept = threads * (per - per // 5)
    assert numbers == list(range(1, kept + 1))
    assert RegisterBook.objects.get(counter=counter, year=2026).last == kept
