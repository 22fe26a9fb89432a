"""`python manage.py load_demo_citizens`: demo evaluations and feedback (after load_demo_dossiers).

Idempotent: does nothing when evaluations or feedback already exist. The work is done by
``demo.citizens.demo_citizens_load``.
"""
from demo.citizens import demo_citizens_load
from demo.guard import DemoCommand


class Command(DemoCommand):
    help = "Tạo phiếu đánh giá và phản ánh, kiến nghị mẫu cho các hồ sơ mẫu; chạy lại không tạo thêm."

    def handle_demo(self, *args, **options):
        demo_citizens_load(stdout=self.stdout)
