"""REST API v1 of the dossiers app (interfaces.md "REST API (v1)")."""
