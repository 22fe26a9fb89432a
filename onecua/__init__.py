"""OneCua: an electronic one-stop shop for Vietnamese public administration."""
from .celery import app as celery_app

__all__ = ("celery_app",)
