"""``import_staff FILE.csv``: create or update staff accounts (interfaces.md "Organisation and catalogue")."""
from dossiers.management.commands.import_units import CatalogueImportCommand
from dossiers.services.staff_import import staff_import


class Command(CatalogueImportCommand):
    help = (
        "Import staff accounts from a CSV file: username, full_name, unit_code, role (clerk, officer, leader or "
        "administrator), email[, password]. A password must pass the password validators; the pages ask for a new "
        "one at the first login. Without one a new account cannot log in until an administrator sets a password."
    )
    label = "Staff"
    service = staticmethod(staff_import)
