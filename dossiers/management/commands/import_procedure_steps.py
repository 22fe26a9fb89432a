"""``import_procedure_steps FILE.csv``: replace the step templates of the procedures listed."""
from dossiers.management.commands.import_units import CatalogueImportCommand
from dossiers.services.catalogue import procedure_steps_import


class Command(CatalogueImportCommand):
    help = (
        "Replace procedures' step templates from a CSV file: procedure_code, order, name, allotted_time[, unit_code]. "
        "The steps' times may not add up to more than the procedure's processing time."
    )
    label = "Steps"
    service = staticmethod(procedure_steps_import)
