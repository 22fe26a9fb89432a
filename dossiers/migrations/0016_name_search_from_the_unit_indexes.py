"""``dossier_vis_resolving`` also carries the receiving unit, the receipt instant and the folded
applicant name, ``dossier_current_state`` the lead unit and the id (bench/bench_scale.py, issue 19).

A unit scope's search for a name that few dossiers start with looks for names containing the
text among the scope's dossiers (``selectors.search_ranked``). It read every one of them from the
table: a commune's 44,000 dossiers of five years at ten million, 240 ms for "nguyen van duc".
Most of a unit's dossiers are led by it (a commune's own, an agency's from the centre's
counter): that part is now judged from this index alone (14 ms), the visibility rule included
(its receiving, lead and current units are all in it). ``dossier_current_state`` carries the
lead unit and the id: "held here, led elsewhere" (like "received here, led and held elsewhere"
from ``dossier_vis_receiving``) is found from the index first, usually a handful, and only
those rows' names are read (it read the commune's 44,000 rows to drop them: 240 ms).

Built CONCURRENTLY under a temporary name and swapped in (``_indexes.swap_indexes``); SQLite
keeps its index (no INCLUDE there).
"""
from django.db import migrations, models

from dossiers.migrations._indexes import swap_operation

BEFORE = ("current_unit", "id", "assigned_to", "procedure", "due_date", "paused_on")
REPLACED = [
    (models.Index(fields=["resolving_unit", "state"], include=BEFORE, name="dossier_vis_resolving"),
     models.Index(fields=["resolving_unit", "state"],
                  include=(*BEFORE, "receiving_unit", "received_at", "applicant_name_folded"),
                  name="dossier_vis_resolving")),
    (models.Index(fields=["current_unit", "state"], name="dossier_current_state"),
     models.Index(fields=["current_unit", "state"], include=("resolving_unit", "id"), name="dossier_current_state")),
]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dossiers", "0015_covering_indexes"),
    ]

    operations = [swap_operation(REPLACED)]
