"""Create the S3 bucket of documents when missing (CI, docker compose); nothing on the filesystem."""
from django.core.management.base import BaseCommand

from papers.storage import ensure_bucket


class Command(BaseCommand):
    help = "Tạo bucket lưu giấy tờ (S3) nếu chưa có."

    def handle(self, *args, **options):
        ensure_bucket()
        self.stdout.write("documents store ready")
