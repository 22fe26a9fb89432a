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
        from django.contrib.auth.signals import user_logged_in

        from dossiers.middleware import password_change_flag_on_login

        user_logged_in.connect(password_change_flag_on_login, dispatch_uid="dossiers_password_change_flag")
        self._watch_reference_data()
        from onecua import tokens

        tokens.connect()  # API tokens die on logout and on a new password

    def _watch_reference_data(self):
        """Any change to what ``dossiers.reference`` snapshots bumps its version on commit."""
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from dossiers import models as m
        from dossiers.reference import reference_changed

        user_model = get_user_model()
        for model in (m.Unit, m.Field, m.Procedure, m.ProcedureStep, m.StaffProfile, m.Counter, user_model):
            for signal in (post_save, post_delete):
                signal.connect(reference_changed, sender=model, dispatch_uid=f"reference:{signal}:{model.__name__}")
        m2m_changed.connect(reference_changed, sender=user_model.groups.through, dispatch_uid="reference:user-groups")
