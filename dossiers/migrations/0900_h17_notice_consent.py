# D22 (issue 17): the applicant's consent to notices by e-mail and SMS, given at intake.
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("dossiers", "0005_returned_order_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="notify_email",
            field=models.BooleanField(default=False, verbose_name="nhận thông báo qua email"),
        ),
        migrations.AddField(
            model_name="dossier",
            name="notify_sms",
            field=models.BooleanField(default=False, verbose_name="nhận thông báo qua SMS"),
        ),
    ]
