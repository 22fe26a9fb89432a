"""`python manage.py load_demo_dossiers`: demo dossier histories (after load_demo): the spring of
2025 through the reorganisation of 1/7/2025, and the last 90 days.

Idempotent: does nothing when the database already holds dossiers. The work is done by
``demo.history.demo_dossiers_load``.
"""
from datetime import date

from django.core.management.base import CommandError

from demo.guard import DemoCommand
from demo.history import demo_dossiers_load


class Command(DemoCommand):
    help = ("Tạo hồ sơ mẫu qua đúng các bước nghiệp vụ: mùa xuân 2025 (qua đợt sắp xếp đơn vị hành chính 1/7/2025) "
            "và 90 ngày gần nhất; chạy lại không tạo thêm.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--today", help="Ngày cuối của dữ liệu mẫu (YYYY-MM-DD, mặc định hôm nay; không được ở tương lai).")

    def handle_demo(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today phải có dạng YYYY-MM-DD.") from exc
        demo_dossiers_load(today=today, stdout=self.stdout)
