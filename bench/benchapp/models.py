from django.db import models


class Note(models.Model):
    """One row per request: what a bare create endpoint costs (no business rules)."""

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
