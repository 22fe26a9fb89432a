"""`python manage.py load_demo_dossiers`: a quarter of demo dossier histories (after load_demo).

Idempotent: does nothing when the database already holds dossiers. The work is done by
``demo.history.demo_dossiers_load``.
"""
from datetime import date

from django.core.management.base import CommandError

from demo.guard import DemoCommand
from demo.history import demo_dossiers_load


class Command(DemoCommand):
    help = "Tạo khoảng một quý hồ sơ mẫu (90 ngày gần nhất) qua đúng các bước nghiệp vụ; chạy lại không tạo thêm."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--today", help="Ngày cuối của quý mẫu (YYYY-MM-DD, mặc định hôm nay; không được ở tương lai).")

    def handle_demo(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today phải có dạng YYYY-MM-DD.") from exc
        demo_dossiers_load(today=today, stdout=self.stdout)
