"""`python manage.py load_demo_citizens`: demo evaluations and feedback (after load_demo_dossiers).

Idempotent: does nothing when evaluations or feedback already exist. The work is done by
``citizens.demo.demo_citizens_load``.
"""
from django.core.management.base import BaseCommand

from citizens.demo import demo_citizens_load


class Command(BaseCommand):
    help = "Tạo phiếu đánh giá và phản ánh, kiến nghị mẫu cho các hồ sơ mẫu; chạy lại không tạo thêm."

    def handle(self, *args, **options):
        demo_citizens_load(stdout=self.stdout)
