"""``DailyReceipt``: the new dossiers of a day per (receiving unit, lead unit as at the end of
the day), so that a report from roll-ups reads its receipts by counter from them (issue 19: the
province's quarter counted half a million dossiers on every view at ten million).

Every day already rolled up (``RollupDay``) gets its rows here, in the same way as
``reporting.services._receipts_insert`` (written out again: a migration does not follow later
changes of the code), so that a report of those days keeps its receipts without a new backfill.
"""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import django.db.models.deletion
from django.db import migrations, models

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    ops = connection.ops
    days = apps.get_model("reporting", "RollupDay").objects.order_by("day").values_list("day", flat=True)
    moves = apps.get_model("dossiers", "DossierMove").objects.filter(lead=True)
    table, dossier, move = (ops.quote_name(t) for t in ("reporting_dailyreceipt", "dossiers_dossier",
                                                        "dossiers_dossiermove"))
    with connection.cursor() as cursor:
        for day in days.iterator():
            start = datetime.combine(day, time(), tzinfo=LOCAL_TZ)
            end = datetime.combine(day + timedelta(days=1), time(), tzinfo=LOCAL_TZ)
            lead, params = "resolving_unit_id", []
            if moves.filter(at__gte=end).exists():  # D20: the lead unit as at the end of the day
                lead = (f"COALESCE((SELECT m.from_unit_id FROM {move} m WHERE m.dossier_id = {dossier}.id AND m.lead "
                        f"AND m.at >= %s ORDER BY m.at, m.id LIMIT 1), resolving_unit_id)")
                params = [ops.adapt_datetimefield_value(end)]
            cursor.execute(
                f"INSERT INTO {table} (day, receiving_unit_id, resolving_unit_id, received) "
                f"SELECT %s, r.receiving_unit_id, r.lead, COUNT(*) FROM ("
                f"SELECT receiving_unit_id, {lead} AS lead FROM {dossier} WHERE received_at >= %s AND received_at < %s"
                f") r GROUP BY r.receiving_unit_id, r.lead",
                [ops.adapt_datefield_value(day), *params, ops.adapt_datetimefield_value(start),
                 ops.adapt_datetimefield_value(end)])


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0015_covering_indexes'),
        ('reporting', '0003_postgresql_report_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='DailyReceipt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='ngày')),
                ('received', models.PositiveIntegerField(default=0, verbose_name='tiếp nhận mới')),
                ('receiving_unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dossiers.unit', verbose_name='đơn vị tiếp nhận')),
                ('resolving_unit', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dossiers.unit', verbose_name='cơ quan chủ trì')),
            ],
            options={
                'verbose_name': 'số hồ sơ tiếp nhận trong ngày theo nơi tiếp nhận',
                'verbose_name_plural': 'số hồ sơ tiếp nhận trong ngày theo nơi tiếp nhận',
                'constraints': [models.UniqueConstraint(fields=('day', 'receiving_unit', 'resolving_unit'), name='daily_receipt_unique')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
