"""Django's makemessages, also reading ``N_("…")``: the project's name for ``gettext_noop`` (labels
kept untranslated in tables and translated where shown, e.g. ``reporting/views.py``). Without it
``make messages`` dropped those entries from the catalogue (``--no-obsolete``)."""
from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
