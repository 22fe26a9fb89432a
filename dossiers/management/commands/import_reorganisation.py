"""``import_reorganisation FILE.csv [--dry-run]`` (interfaces.md "Additions", domain.md D20)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dossiers.services.catalogue import ImportFileError
from dossiers.services.reorganisation import reorganisation_import


class Command(BaseCommand):
    help = ("Import a reorganisation (old_code, successor_code, effective_date, legal_basis): end each old unit the "
            "day before the effective date, link its successor and move its open dossiers before exiting.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, comma-separated, header row)")
        parser.add_argument("--dry-run", action="store_true",
                            help="print per old unit how many open dossiers would move where; write nothing")

    def handle(self, *args, file: str, dry_run: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            result = reorganisation_import(path, dry_run=dry_run)
        except ImportFileError as exc:
            for line in exc.lines:
                self.stderr.write(line)
            raise CommandError(f"{file}: {len(exc.lines)} error(s); nothing was imported.") from exc
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror or exc}") from exc
        for row in result.rows:
            state = " (already recorded)" if row.recorded else ""
            self.stdout.write(
                f"{row.old_code} → {row.successor_code} from {row.effective_date.isoformat()}{state}: "
                f"{row.total} open dossiers {'would move' if dry_run else 'to move'} "
                f"({row.lead} led, {row.held} held there)")
            if row.procedures or row.staff:
                self.stdout.write(
                    f"  {row.old_code} is still named by {row.procedures} active procedure(s) and {row.staff} active "
                    f"staff account(s): re-point them (import_procedures, import_staff); a reorganisation does not")
        suffix = " (dry run: nothing written)" if dry_run else ""
        self.stdout.write(f"Reorganisation: {result}{suffix}")
