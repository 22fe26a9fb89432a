from django.contrib import admin

from dossiers.admin import ReadOnlyAdmin
from papers.models import Document, SigningKey


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ("unit", "source", "is_active")
    list_filter = ("source", "is_active")


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Read-only: documents are immutable (superseded, never edited)."""

    list_display = ("id", "dossier", "kind", "checklist_item", "name", "size", "origin", "signed", "created_at")
    list_filter = ("kind", "origin", "signed")
    search_fields = ("dossier__code", "sha256", "name")
