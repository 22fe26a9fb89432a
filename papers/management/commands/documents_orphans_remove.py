"""Delete stored objects that no document row references and older than DOCUMENT_ORPHAN_HOURS."""
from django.core.management.base import BaseCommand

from papers.services import orphans_remove


class Command(BaseCommand):
    help = "Xóa tệp trong kho không thuộc giấy tờ nào (tải lên bị gián đoạn)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run=False, **options):
        removed = orphans_remove(dry_run=dry_run)
        for key in removed:
            self.stdout.write(("would remove " if dry_run else "removed ") + key)
        self.stdout.write(f"{len(removed)} orphan objects")
