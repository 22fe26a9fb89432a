"""The guard of every ``load_demo*`` command: demo data (published passwords, invented citizens)
belongs in a development database. With ``DEBUG=false`` a command refuses, before it reads or
writes anything, unless it is given ``--force``."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

MSG_REFUSED = ("Dữ liệu mẫu chỉ được nạp khi DEBUG=true (môi trường phát triển). "
               "Đây có vẻ là hệ thống thật: không ghi gì. Nếu chắc chắn, chạy lại với --force.")


class DemoCommand(BaseCommand):
    """Base of the demo commands: adds ``--force`` and checks it before ``handle_demo``."""

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Nạp dữ liệu mẫu cả khi DEBUG=false (không dùng trên hệ thống thật).")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options.get("force"):
            raise CommandError(MSG_REFUSED)
        return self.handle_demo(*args, **options)

    def handle_demo(self, *args, **options):  # pragma: no cover - every command defines it
        raise NotImplementedError
