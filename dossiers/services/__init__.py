"""Services (writes): one module per area, imported as ``dossiers.services.<area>``."""
