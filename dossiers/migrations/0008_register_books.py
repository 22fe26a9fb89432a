"""Register books (Sổ theo dõi hồ sơ, Mẫu 07 of TT 03/2025): one per counter and year, and the
"Quyển số / Số thứ tự" of each dossier, given at intake (issue 14)."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("dossiers", "0007_intake_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegisterBook",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("counter_key", models.PositiveIntegerField(default=0, help_text="The counter's id, 0 for the unit's own book.")),
                ("year", models.PositiveSmallIntegerField(verbose_name="năm")),
                ("last", models.PositiveIntegerField(default=0)),
                ("counter", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="dossiers.counter", verbose_name="quầy")),
                ("unit", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="dossiers.unit", verbose_name="bộ phận một cửa")),
            ],
            options={
                "verbose_name": "sổ theo dõi hồ sơ",
                "verbose_name_plural": "sổ theo dõi hồ sơ",
                "constraints": [models.UniqueConstraint(fields=("unit", "counter_key", "year"), name="register_book_unique")],
            },
        ),
        migrations.AddField(
            model_name="dossier",
            name="register_book",
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="dossiers", to="dossiers.registerbook", verbose_name="quyển sổ theo dõi"),
        ),
        migrations.AddField(
            model_name="dossier",
            name="register_number",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="số thứ tự trong sổ"),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(fields=["register_book", "register_number"], name="dossier_register_entry"),
        ),
    ]
