from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, **kwargs):
    from dossiers.roles import roles_sync

    roles_sync()


class DossiersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dossiers"
    verbose_name = _("Hồ sơ và danh mục")

    def ready(self):
        # Roles need every app's permissions, which exist only after migrate: sync then.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="dossiers_roles_sync")
