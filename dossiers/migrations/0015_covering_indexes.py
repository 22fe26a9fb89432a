"""Covering indexes carry more columns, and one is new (bench/bench_scale.py, issue 19):

- ``reporting_dossier_received_at`` carries the receiving and lead units: the report's receipts
  by counter (D13's receiving dimension, ``reporting.selectors.receipts_by_counter``) read every
  dossier received in the period from the table, twice per report page (the period and the one
  before): 230 ms at a million dossiers for a province, now an index-only scan (20 ms).
- ``monitoring_open_due`` carries the state and the receipt instant: the API list filtered by a
  receipt window and a state walks the open dossiers in due-date order until a page is found
  (``selectors.dossiers_urgent_page``); with those two columns in the index the rows it drops
  are judged from the index alone (a province's last 60 days "in processing" at a million: 80,800
  entries dropped, 46,600 table pages read, 60 ms → 1,006 index pages, 11 ms).
- ``dossier_vis_receiving`` carries the id: a unit scope's list tab looks for the rows of each
  part of the visibility rule (``selectors.dossiers_scoped_top``); "received here, neither led
  nor held here" is usually empty, and was judged from 38,000 table rows of a commune's
  returned dossiers at ten million (140 ms) instead of from the index alone.
- ``dossier_result_order`` (new, partial): the results waiting to be given back, in the
  "chờ trả kết quả" tab's order (``resolved_at``, ``id``); the province's page sorted all of
  them (130,000 at ten million, 1 s) to show 30.
- ``dossier_mine_open`` (new, partial): an officer's open dossiers, the menu's "Hồ sơ của tôi"
  count on every page and the inbox (a BitmapAnd of the officer's dossiers with every open
  one: 180 ms at ten million).

On PostgreSQL each new index is built CONCURRENTLY under a temporary name, then swapped in
(``_indexes.swap_indexes``), hence not atomic. SQLite has no INCLUDE: its indexes stay as they
are (Django writes the same key columns there).
"""
from django.db import migrations, models

from dossiers.migrations._indexes import swap_operation

OPEN = ["received", "in_processing", "awaiting_supplement"]
DUE_COLUMNS = ("id", "paused_on", "time_unit", "due_at", "apologized_at", "appointment_date")

#: (before, after), each the declared index under the same name; before None: a new index
REPLACED = [
    (models.Index(fields=["received_at"], name="reporting_dossier_received_at"),
     models.Index(fields=["received_at"], include=("receiving_unit", "resolving_unit"),
                  name="reporting_dossier_received_at")),
    (models.Index(condition=models.Q(("state__in", OPEN)), fields=["due_date"], include=DUE_COLUMNS,
                  name="monitoring_open_due"),
     models.Index(condition=models.Q(("state__in", OPEN)), fields=["due_date"],
                  include=(*DUE_COLUMNS, "state", "received_at"), name="monitoring_open_due")),
    (models.Index(fields=["receiving_unit", "state"], include=("current_unit", "resolving_unit"),
                  name="dossier_vis_receiving"),
     models.Index(fields=["receiving_unit", "state"], include=("current_unit", "resolving_unit", "id"),
                  name="dossier_vis_receiving")),
    (None,
     models.Index(fields=["resolved_at", "id"], condition=models.Q(("state__in", ["approved", "refused"])),
                  name="dossier_result_order")),
    (None,
     models.Index(fields=["assigned_to", "due_date"], condition=models.Q(("state__in", OPEN)), name="dossier_mine_open")),
]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dossiers", "0014_indexes_declared_here"),
    ]

    operations = [swap_operation(REPLACED)]
