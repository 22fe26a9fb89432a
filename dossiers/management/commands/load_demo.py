"""``load_demo``: the demo province (Hòa Bình, 2022), its counters and demo accounts; idempotent."""
from django.core.management.base import BaseCommand, CommandError

from dossiers.services.catalogue import ImportFileError, demo_load


class Command(BaseCommand):
    help = "Load the demo units, procedures, step templates, counters and accounts (safe to run again)."

    def handle(self, *args, **options):
        try:
            demo_load(stdout=self.stdout)
        except ImportFileError as exc:
            for line in exc.lines:
                self.stderr.write(line)
            raise CommandError("The demo files are invalid; nothing was loaded.") from exc
