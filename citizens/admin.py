"""Read-only admin of what citizens sent: evaluations and feedback are written by services
(``citizens.services``) only; supervisors answer feedback on their own page."""
from django.contrib import admin

from citizens.models import Evaluation, Feedback
from dossiers.admin import ReadOnlyAdmin


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("dossier", "total", "band", "source", "submitted_at", "unit", "officer")
    list_filter = ("band", "source", "submitted_on")
    search_fields = ("dossier__code",)
    date_hierarchy = "submitted_on"
    list_select_related = ("dossier", "unit", "officer")


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ("id", "dossier", "kind", "state", "submitted_on", "answer_due", "answered_on", "unit")
    list_filter = ("state", "kind", "submitted_on")
    search_fields = ("dossier__code", "content")
    date_hierarchy = "submitted_on"
    list_select_related = ("dossier", "unit")
