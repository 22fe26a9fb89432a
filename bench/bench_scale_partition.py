#!/usr/bin/env python
"""Benchmark: the history table partitioned by year, on a live database (issue 19, "Growing
past one machine").

Takes the scratch database of ``bench/bench_scale.py`` (``--database``, default its default
``onecua_bench_scale``: ten million dossiers, ~38 million events; ``make bench`` runs this script
right after that one) and turns
``dossiers_dossierevent`` into a table ``PARTITION BY RANGE (at)`` the way a running
installation would, step by step, while a second connection keeps appending events (one every
``--write-every`` seconds, as the counters do). For each step it prints how long it took and the
longest time an append waited meanwhile: the path must never hold writes for long.

1. **identity → sequence**: PostgreSQL 15 refuses to attach a table with an identity column as
   a partition, so ``id`` takes its values from a plain sequence that continues where the
   identity stopped (one short transaction).
2. **unique (id, at)**, built CONCURRENTLY: a partitioned table's primary key must hold the
   partition key.
3. **CHECK on the years, validated**: added NOT VALID (instant), then validated (a scan that
   lets writes through), so that attaching needs no scan.
4. **the partitioned table** beside the old one: same columns, defaults and foreign keys, every
   index declared on it alone (``ON ONLY``), the append-only trigger.
5. **attach**: the old table becomes the partition of the years up to ``--cut`` (its indexes,
   foreign keys and unique index are attached, nothing is scanned), and the partitions of the
   next years are created empty.
6. **swap names** in one short transaction: the partitioned table takes the old name.

Then it checks: as many rows as before, an event appended through the ORM lands in the new
year's partition, an UPDATE is still refused (append-only trigger), the table's name still
leads to its id sequence (the intake reserves its event ids from it: without this the first
intake after the swap failed), and a dossier's history is read from one partition's index.

The steps change the scratch database for good (``bench_scale.py --reuse`` keeps working on
it: every page reads the events through the same name); ``--dry-run`` prints the SQL.

    .venv/bin/python bench/bench_scale_partition.py [--database onecua_bench_scale] [--cut 2027-01-01]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from datetime import date, datetime
from datetime import timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scratch import database_exists, scratch_url  # noqa: E402

TABLE = "dossiers_dossierevent"
NEW = f"{TABLE}_p"
OLD = f"{TABLE}_until"  # the old table's name once it is a partition (+ the cut's year)
SEQ = f"{TABLE}_id_seq"


def say(msg: str) -> None:
    print(msg, flush=True)


class Writer(threading.Thread):
    """Appends an event for an existing dossier every `every` seconds on its own connection,
    through the table's name (which the swap hands to the partitioned table), and records how
    long each append took."""

    def __init__(self, url: str, every: float) -> None:
        super().__init__(daemon=True)
        self.url, self.every = url, every
        self.stop = threading.Event()
        self.samples: list[tuple[float, float]] = []  # (start instant, seconds)
        self.errors: list[str] = []

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            dossier = conn.execute("SELECT max(id) FROM dossiers_dossier").fetchone()[0]
            while not self.stop.is_set():
                t0 = time.monotonic()
                try:
                    conn.execute(
                        f"INSERT INTO {TABLE} (at, action, from_state, to_state, actor_name, note, data, dossier_id) "
                        "VALUES (now(), 'note', 'received', 'received', 'bench', 'bench_scale_partition', '{}', %s)",
                        [dossier])
                except Exception as exc:  # noqa: BLE001 - reported, and the run fails
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                self.samples.append((t0, time.monotonic() - t0))
                time.sleep(max(0.0, self.every - (time.monotonic() - t0)))

    def worst_between(self, a: float, b: float) -> float:
        waits = [s for t, s in self.samples if a <= t <= b]
        # an append begun before the step and still waiting when it ended counts too
        waits += [s for t, s in self.samples if t < a and t + s > a]
        return max(waits, default=0.0)


def steps(conn, cut: date, years_after: int) -> list[tuple[str, list[str], bool]]:
    """(title, statements, in one transaction?) of the path, read from the live catalogue."""
    cur = conn.cursor()
    cur.execute("SELECT min(at) FROM " + TABLE)
    first = cur.fetchone()[0]
    lower = date(first.year, 1, 1).isoformat() if first else cut.isoformat()
    # every index but the primary key, as PostgreSQL writes it
    cur.execute("SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary ORDER BY i.relname", [TABLE])
    indexes = cur.fetchall()
    cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'f' ORDER BY conname", [TABLE])
    fks = cur.fetchall()
    cur.execute("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND NOT tgisinternal", [TABLE])
    triggers = cur.fetchall()
    old_name = f"{OLD}_{cut.year}"
    # 1. identity → a sequence owned by the column, starting where the identity stopped
    # (the identity's own sequence has that name and goes with it)
    seq = [f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE",
           f"ALTER TABLE {TABLE} ALTER COLUMN id DROP IDENTITY",
           f"CREATE SEQUENCE {SEQ} AS bigint",
           f"SELECT setval('{SEQ}', (SELECT COALESCE(max(id), 0) + 1 FROM {TABLE}), false)",
           f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{SEQ}')",
           f"ALTER SEQUENCE {SEQ} OWNED BY {TABLE}.id"]
    # 4. the partitioned table: same columns and defaults, its own indexes (ON ONLY: attached
    # below), the same foreign keys and the append-only trigger
    parent = [f"CREATE TABLE {NEW} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING STORAGE) PARTITION BY RANGE (at)",
              f"ALTER TABLE {NEW} ADD CONSTRAINT {NEW}_pkey PRIMARY KEY (id, at)"]
    for name, definition in indexes:
        parent.append(definition.replace(f" ON public.{TABLE} ", f" ON ONLY public.{NEW} ")
                      .replace(f"INDEX {name} ", f"INDEX {name}_p "))
    for name, definition in fks:
        parent.append(f"ALTER TABLE {NEW} ADD CONSTRAINT {name}_p {definition}")
    for name, definition in triggers:
        parent.append(definition.replace(f"TRIGGER {name} ", f"TRIGGER {name}_p ")
                      .replace(f" ON public.{TABLE} ", f" ON public.{NEW} "))
    # 5. attach: the CHECK proves the range (no scan), each index and foreign key is attached
    # (the old primary key (id) gives way to the unique (id, at) of step 2, which becomes the
    # key; PostgreSQL then attaches the old table's matching indexes and foreign keys by itself:
    # none is built or checked again)
    attach = [f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey",
              f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_id_at PRIMARY KEY USING INDEX {TABLE}_id_at",
              f"ALTER TABLE {NEW} ATTACH PARTITION {TABLE} FOR VALUES FROM ('{lower}') TO ('{cut.isoformat()}')"]
    for name, _definition in triggers:  # the partition got the parent's copy: one is enough
        attach.append(f"DROP TRIGGER {name} ON {TABLE}")
    for k in range(years_after):
        y = cut.year + k
        attach.append(f"CREATE TABLE {TABLE}_{y} PARTITION OF {NEW} FOR VALUES FROM ('{y}-01-01') TO ('{y + 1}-01-01')")
    # the sequence goes to the partitioned table's column: pg_get_serial_sequence() of the name
    # must find it (``onecua.rows.ids_reserve`` takes the intake's event ids from it)
    swap = [f"ALTER TABLE {TABLE} RENAME TO {old_name}",
            f"ALTER TABLE {NEW} RENAME TO {TABLE}",
            f"ALTER SEQUENCE {SEQ} OWNED BY {TABLE}.id",
            f"ALTER TABLE {old_name} DROP CONSTRAINT {TABLE}_years"]
    return [
        ("identity → sequence", seq, True),
        ("unique (id, at), concurrently",
         [f"CREATE UNIQUE INDEX CONCURRENTLY {TABLE}_id_at ON {TABLE} (id, at)"], False),
        ("CHECK on the years: NOT VALID",
         [f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_years CHECK (at >= '{lower}' AND at < '{cut.isoformat()}') "
          "NOT VALID"], True),
        ("CHECK validated", [f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT {TABLE}_years"], True),
        ("partitioned table beside it", parent, True),
        ("attach the old table, next years' partitions", attach, True),
        ("swap the names", swap, True),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="onecua_bench_scale")
    parser.add_argument("--cut", type=date.fromisoformat, default=date(date.today().year + 1, 1, 1),
                        help="first day of the first new partition (default: next 1 January)")
    parser.add_argument("--years-after", type=int, default=2, help="empty yearly partitions created ahead")
    parser.add_argument("--write-every", type=float, default=0.05, help="seconds between appends meanwhile")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()

    import psycopg

    url = scratch_url(args.database)
    if not database_exists(url):
        say(f"No database {args.database}: run bench/bench_scale.py --generate-only first.")
        return 2
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'Asia/Ho_Chi_Minh'")
        kind = conn.execute("SELECT relkind FROM pg_class WHERE relname = %s", [TABLE]).fetchone()[0]
        if kind == "p":
            say(f"{TABLE} is already partitioned in {args.database}.")
            return 2
        before = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        size = conn.execute(f"SELECT pg_size_pretty(pg_total_relation_size('{TABLE}'))").fetchone()[0]
        plan = steps(conn, args.cut, args.years_after)
    say(f"{args.database}: {before:,} events ({size}), cut at {args.cut:%d/%m/%Y}")
    if args.dry_run:
        for title, statements, _tx in plan:
            say(f"-- {title}\n" + ";\n".join(statements) + ";")
        return 0

    writer = Writer(url, args.write_every)
    writer.start()
    time.sleep(2)
    ok = True
    rows = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '5s'")  # a step that cannot get its lock fails, it does not queue writes
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET TIME ZONE 'Asia/Ho_Chi_Minh'")  # the years' bounds are local midnights
        for title, statements, in_tx in plan:
            t0 = time.monotonic()
            if in_tx:
                with conn.transaction():
                    for sql in statements:
                        conn.execute(sql)
            else:
                for sql in statements:
                    conn.execute(sql)
            t1 = time.monotonic()
            rows.append((title, t1 - t0, writer.worst_between(t0, t1)))
            say(f"  {title:48} {t1 - t0:8.2f} s   longest append meanwhile {rows[-1][2] * 1000:7.1f} ms")
    time.sleep(1)
    writer.stop.set()
    writer.join()
    waits = [s for _t, s in writer.samples]
    say(f"Appends meanwhile: {len(waits):,}, errors {len(writer.errors)}, median "
        f"{statistics.median(waits) * 1000:.1f} ms, max {max(waits) * 1000:.1f} ms")
    for e in writer.errors[:5]:
        say(f"  append error: {e}")
    ok &= not writer.errors

    # the checks
    from scratch import setup_django

    setup_django(url)
    from django.db import connection, transaction

    from dossiers.models import Dossier, DossierEvent

    with connection.cursor() as c:
        c.execute(f"SELECT relkind FROM pg_class WHERE relname = '{TABLE}'")
        partitioned = c.fetchone()[0] == "p"
        c.execute(f"SELECT pg_get_serial_sequence('{TABLE}', 'id')")
        sequence = c.fetchone()[0]
        c.execute(f"SELECT count(*) FROM {TABLE}")
        after = c.fetchone()[0]
    dossier = Dossier.objects.order_by("-id").first()
    event = DossierEvent.objects.create(  # dated in the first new year: its own partition
        dossier=dossier, at=datetime(args.cut.year, 1, 2, 9, tzinfo=dt_timezone.utc), action="note",
        from_state=dossier.state, to_state=dossier.state, actor_name="bench", note="after the swap")
    with connection.cursor() as c:
        c.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [event.pk])
        landed = c.fetchone()[0]
    refused = False
    try:
        with transaction.atomic():
            DossierEvent.objects.filter(pk=event.pk).update(note="changed")
    except Exception:  # noqa: BLE001 - the trigger's error is what is expected
        refused = True
    with connection.cursor() as c:
        c.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT * FROM {TABLE} "
                  "WHERE dossier_id = %s ORDER BY at", [dossier.pk])
        plan_text = "\n".join(r[0] for r in c.fetchall())
    appended = len(writer.samples) - len(writer.errors)
    say(f"Partitioned: {partitioned}; rows {before:,} before, {after:,} after (+{appended:,} appended meanwhile); "
        f"an ORM append dated {args.cut.year} landed in {landed}; UPDATE refused: {refused}; id sequence: {sequence}")
    say("A dossier's history:\n" + plan_text)
    ok &= (partitioned and after == before + appended and refused and landed == f"{TABLE}_{args.cut.year}"
           and sequence == f"public.{SEQ}")
    say("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
