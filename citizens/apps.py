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
        # the pages' rules in the page table the menu reads (dossiers.access)
        from citizens.selectors import feedback_answerer
        from dossiers.access import LEADERS, page_rule
        from reporting.selectors import MSG_NO_REPORT_ACCESS

        for name in ("satisfaction_units", "satisfaction_officers", "scorecard"):
            page_rule(f"citizens:{name}", LEADERS, MSG_NO_REPORT_ACCESS)
        page_rule("citizens:feedback_list", lambda user, roles: feedback_answerer(user),
                  "Chỉ lãnh đạo và quản trị được xem và trả lời phản ánh, kiến nghị.")
