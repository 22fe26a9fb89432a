from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def feedback_menu(user, roles):
    """Menu entry "Phản ánh, kiến nghị" with the open count, for those who answer feedback."""
    from django.urls import reverse
    from django.utils.translation import gettext

    from citizens.selectors import feedback_answerer, feedback_open_count

    if not feedback_answerer(user):
        return []
    return [(gettext("Phản ánh, kiến nghị"), reverse("citizens:feedback_list"), feedback_open_count(user=user))]


class CitizensConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "citizens"
    verbose_name = _("Người dân: tra cứu, đánh giá, phản ánh")

    def ready(self):
        from dossiers.context_processors import MENU_HOOKS

        if feedback_menu not in MENU_HOOKS:
            MENU_HOOKS.append(feedback_menu)
        # satisfaction and feedback sections on the leaders' report page and in its JSON
        from citizens.report_views import register_report_hooks

        register_report_hooks()
