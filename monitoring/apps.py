from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitoring"
    verbose_name = _("Theo dõi tiến độ, thông báo")

    def ready(self):
        # Plug into dossiers without dossiers importing us (style.md §3: imports point one way):
        # the outbox row is written inside every intake/action transaction, and the header bell
        # reads our unread count.
        from dossiers import context_processors
        from dossiers.services import lifecycle
        from monitoring.selectors import nav_bell
        from monitoring.services.outbox import outbox_enqueue_event

        if outbox_enqueue_event not in lifecycle.TRANSITION_HOOKS:
            lifecycle.TRANSITION_HOOKS.append(outbox_enqueue_event)
        if nav_bell not in context_processors.NAV_HOOKS:
            context_processors.NAV_HOOKS.append(nav_bell)
        # the dashboard's rule in the page table the menu reads (dossiers.access)
        from dossiers.access import page_rule
        from monitoring.selectors import dashboard_allowed
        from monitoring.views import MSG_SUPERVISORS_ONLY

        for name in ("dashboard", "dashboard_data", "list"):
            page_rule(f"monitoring:{name}", lambda user, roles: dashboard_allowed(user), MSG_SUPERVISORS_ONLY)
