from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectedConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "connected"
    verbose_name = _("Hệ thống kết nối, thông báo công dân")

    def ready(self):
        # Plug in without dossiers or monitoring importing us (style.md §3): our outbox message is
        # built inside every intake/action transaction, monitoring's relay hands it back to us in
        # its own transaction, `manage.py outbox_relay` drains our senders, the dossier page shows
        # our notice log, the administrators' menu our page.
        from connected import views
        from connected.services.drain import connected_drain
        from connected.services.outbox import connected_enqueue_event, connected_relay
        from dossiers import context_processors, panels
        from dossiers.services import lifecycle
        from monitoring.models import OutboxMessage
        from monitoring.services import outbox

        if connected_enqueue_event not in lifecycle.TRANSITION_HOOKS:
            lifecycle.TRANSITION_HOOKS.append(connected_enqueue_event)
        outbox.TOPIC_HANDLERS[OutboxMessage.Topic.CONNECTED] = connected_relay
        if connected_drain not in outbox.DRAIN_HOOKS:
            outbox.DRAIN_HOOKS.append(connected_drain)
        if views.dossier_panel not in panels.DOSSIER_PANELS:
            panels.DOSSIER_PANELS.append(views.dossier_panel)
        if views.admin_menu not in context_processors.ADMIN_MENU_HOOKS:
            context_processors.ADMIN_MENU_HOOKS.append(views.admin_menu)
