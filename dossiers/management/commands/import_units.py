"""``import_units FILE.csv``: create or update units (interfaces.md, "Catalogue import")."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dossiers.services.catalogue import units_import
from dossiers.services.import_errors import ImportFileError


class CatalogueImportCommand(BaseCommand):
    """Shared by the catalogue imports: parse arguments, call the service, report.

    On a bad file every ``line N, column C: reason`` goes to stderr and the command exits
    non-zero (``CommandError``); the service has written nothing.
    """

    label = ""
    service = None

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, comma-separated, header row)")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, write nothing")

    def handle(self, *args, file: str, dry_run: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            result = type(self).service(rows_or_file=path, dry_run=dry_run)
        except ImportFileError as exc:
            for line in exc.lines:
                self.stderr.write(line)
            raise CommandError(f"{file}: {len(exc.lines)} error(s); nothing was imported.") from exc
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror or exc}") from exc
        suffix = " (dry run: nothing written)" if dry_run else ""
        self.stdout.write(f"{self.label}: {result}{suffix}")


class Command(CatalogueImportCommand):
    help = "Import units (đơn vị) from a CSV file: code, name, level, kind[, parent_code, valid_from, valid_to, place]."
    label = "Units"
    service = staticmethod(units_import)
