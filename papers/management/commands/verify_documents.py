"""Re-hash every stored document and report any missing or changed one (exit 1 if any)."""
from django.core.management.base import BaseCommand, CommandError

from papers.services import documents_verify


class Command(BaseCommand):
    help = "Đọc lại mọi tệp giấy tờ trong kho, so SHA-256 và dung lượng với cơ sở dữ liệu."

    def handle(self, *args, **options):
        report = documents_verify()
        for doc in report.missing:
            self.stdout.write(f"MISSING  document {doc.pk} dossier {doc.dossier_id} key {doc.key}")
        for doc in report.changed:
            self.stdout.write(f"CHANGED  document {doc.pk} dossier {doc.dossier_id} key {doc.key}")
        self.stdout.write(f"checked {report.checked} documents: {len(report.missing)} missing, {len(report.changed)} changed")
        if report.missing or report.changed:
            raise CommandError("some stored documents are missing or changed")
