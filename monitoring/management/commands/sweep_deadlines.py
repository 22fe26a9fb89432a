"""`python manage.py sweep_deadlines`: run the deadline sweep now (the same as beat's job).

Safe at any time, twice, or beside the scheduled job: flags are written once. ``--deliver``
also drains the outbox in this process (no broker needed), e.g. while the broker is down.
"""
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dossiers.calendar import LOCAL_TZ
from monitoring.services.outbox import outbox_relay
from monitoring.services.sweep import deadline_sweep


class Command(BaseCommand):
    help = "Quét hạn xử lý ngay: gắn cờ hồ sơ quá hạn, sắp đến hạn, nhắc xin lỗi (Mẫu 04); chạy lại không gửi trùng."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="Thời điểm tính (ISO 8601, mặc định bây giờ; không có múi giờ = giờ Việt Nam).")
        parser.add_argument("--deliver", action="store_true", help="Chuyển ngay các thông báo đang chờ (không cần Celery).")

    def handle(self, *args, **options):
        now = None
        if options["at"]:
            try:
                now = datetime.fromisoformat(options["at"])
            except ValueError as exc:
                raise CommandError("--at phải có dạng ISO 8601, ví dụ 2022-03-15T07:30.") from exc
            if timezone.is_naive(now):
                now = now.replace(tzinfo=LOCAL_TZ)
        result = deadline_sweep(now=now, trigger="command")
        detail = ", ".join(f"{k}: {n}" for k, n in result.counts.items() if n) or "không có"
        self.stdout.write(f"Quét hạn tính đến ngày {result.as_of}: {result.flagged} cờ mới ({detail}); "
                          f"{result.messages} thông điệp chờ chuyển.")
        if options["deliver"]:
            delivered = outbox_relay()
            self.stdout.write(f"Đã chuyển {delivered} thông điệp.")
