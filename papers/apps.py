from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PapersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "papers"
    verbose_name = _("Giấy tờ số hóa, kết quả điện tử")

    def ready(self):
        # Plug into dossiers (which never imports papers) and the citizens' pages.
        from citizens import scorecard
        from citizens.selectors import PUBLIC_ACTION_LABELS
        from dossiers import hooks
        from dossiers.templatetags import onecua
        from dossiers.workflow import Action
        from papers import indicators, pages, services

        hooks.register(hooks.ACTION_HOOKS.setdefault(str(Action.APPROVE), []), services.approve_hook)
        hooks.register(hooks.DETAIL_HOOKS, services.detail_fields)
        hooks.register(hooks.PAGE_PANELS, pages.dossier_panel)
        hooks.register(hooks.INTAKE_PANELS, pages.intake_panel)
        hooks.register(hooks.INTAKE_SAVED, pages.intake_saved)
        hooks.register(hooks.PUBLIC_PANELS, pages.public_panel)
        hooks.register(hooks.KIOSK_PANELS, pages.kiosk_panel)
        onecua._EVENT_LABELS.setdefault(services.EVENT_ACTION, "Lưu giấy tờ số hóa")
        PUBLIC_ACTION_LABELS.setdefault(services.EVENT_ACTION, _("Lưu giấy tờ, kết quả điện tử"))
        scorecard.GROUP_HOOKS[4] = indicators.group4
