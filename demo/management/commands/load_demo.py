"""``load_demo``: the demo province, its counters and demo accounts; idempotent. Refuses with
``DEBUG=false`` unless given ``--force`` (demo.guard)."""
from django.core.management.base import CommandError

from demo.catalogue import demo_load
from demo.guard import DemoCommand
from dossiers.services.catalogue import ImportFileError


class Command(DemoCommand):
    help = "Load the demo units, procedures, step templates, counters and accounts (safe to run again)."

    def handle_demo(self, *args, **options):
        try:
            demo_load(stdout=self.stdout)
        except ImportFileError as exc:
            for line in exc.lines:
                self.stderr.write(line)
            raise CommandError("The demo files are invalid; nothing was loaded.") from exc
