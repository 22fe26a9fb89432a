# Issue 17: outbox messages of the connected app (webhooks, notices to citizens). Choices only:
# no change in the database.
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0003_open_paused_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboxmessage",
            name="topic",
            field=models.CharField(
                choices=[
                    ("event", "Thao tác trên hồ sơ"), ("flag", "Cảnh báo hạn xử lý"), ("digest", "Tổng hợp hằng ngày"),
                    ("connect", "Hệ thống kết nối, thông báo công dân"),
                ],
                max_length=8, verbose_name="loại",
            ),
        ),
    ]
