"""Years of data (issue 19): staff search that ignores case and Vietnamese diacritics.

Two columns derived from the applicant's name and phone (``dossiers.search.fold`` and
``phone_digits``; ``Dossier.applicant_name_folded`` / ``applicant_phone_digits`` keep them in
step on every write), filled here for the dossiers already stored, in batches. On PostgreSQL
the folded name gets a trigram GIN index (``pg_trgm``, PostgreSQL's contrib: the extension is
created here, which needs a superuser or the database owner with the extension trusted), so
that the typed words anywhere in the name are an index scan, and a B-tree (varchar_pattern_ops)
for names starting with them (the common case, and cheap where the trigrams are common words);
"the code starts with" uses the
``varchar_pattern_ops`` index Django already gives the unique code on PostgreSQL. SQLite has
no trigram index and scans: fine on development data.

Not atomic: the backfill commits batch by batch and the indexes are built CONCURRENTLY on
PostgreSQL (no write lock on a live table).
"""
from django.db import migrations, models

import dossiers.models

BATCH = 5_000
TRGM_INDEX = "dossier_name_folded_trgm"


def _fold(value):
    from dossiers.search import fold

    return fold(value)


def _digits(value):
    from dossiers.search import phone_digits

    return phone_digits(value)


def backfill(apps, schema_editor):
    from django.db import transaction

    Dossier = apps.get_model("dossiers", "Dossier")
    db = schema_editor.connection.alias
    last = 0
    while True:
        with transaction.atomic(using=db):
            rows = list(
                Dossier.objects.using(db).filter(pk__gt=last).order_by("pk")
                .values_list("pk", "applicant_name", "applicant_phone")[:BATCH]
            )
            if not rows:
                return
            changed = [
                Dossier(pk=pk, applicant_name_folded=_fold(name)[:255], applicant_phone_digits=_digits(phone)[:20])
                for pk, name, phone in rows
            ]
            Dossier.objects.using(db).bulk_update(changed, ["applicant_name_folded", "applicant_phone_digits"])
            last = rows[-1][0]


def trigram_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {TRGM_INDEX} ON dossiers_dossier "
        "USING gin (applicant_name_folded gin_trgm_ops)"
    )


def trigram_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {TRGM_INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dossiers", "0008_register_books"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="applicant_name_folded",
            field=dossiers.models.DerivedCharField(max_length=255, source="applicant_name"),
        ),
        migrations.AddField(
            model_name="dossier",
            name="applicant_phone_digits",
            field=dossiers.models.DerivedCharField(max_length=20, source="applicant_phone"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(fields=["applicant_name_folded"], name="dossier_name_folded_prefix",
                               opclasses=["varchar_pattern_ops"]),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("applicant_phone_digits", ""), _negated=True),
                fields=["applicant_phone_digits"], name="dossier_phone_digits",
            ),
        ),
        migrations.RunPython(trigram_create, trigram_drop, elidable=False),
    ]
