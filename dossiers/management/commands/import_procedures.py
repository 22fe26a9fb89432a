"""``import_procedures FILE.csv``: create or update procedures (interfaces.md, "Catalogue import")."""
from dossiers.management.commands.import_units import CatalogueImportCommand
from dossiers.services.catalogue import procedures_import


class Command(CatalogueImportCommand):
    help = (
        "Import procedures (thủ tục hành chính) from a CSV file: code, name, field, processing_time, time_unit, "
        "resolving_unit_code[, on_the_spot, online_level, fee, documents]."
    )
    label = "Procedures"
    service = staticmethod(procedures_import)
