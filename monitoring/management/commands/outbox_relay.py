"""`python manage.py outbox_relay`: deliver waiting notifications now, in this process.

For operators when the broker or the workers are down: it does what the relay task does
(exactly once, safe beside running workers), then runs the other apps' ``DRAIN_HOOKS``
(webhooks and notices to citizens that are due: sent once from this process).
"""
from django.core.management.base import BaseCommand

from monitoring.services.outbox import DRAIN_HOOKS, outbox_relay


class Command(BaseCommand):
    help = "Chuyển ngay các thông báo đang chờ trong outbox (không cần Celery); an toàn khi chạy song song."

    def handle(self, *args, **options):
        delivered = outbox_relay()
        self.stdout.write(f"Đã chuyển {delivered} thông điệp.")
        for hook in DRAIN_HOOKS:  # webhooks, notices to citizens (connected app): what is due, once
            self.stdout.write(hook())
