from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reporting"
    verbose_name = _("Thống kê, báo cáo")

    def ready(self):
        # The report pages' rule in the page table the menu reads (dossiers.access): leaders and
        # administrators (reporting.selectors.report_scope_for_user says the same).
        from dossiers.access import LEADERS, page_rule
        from reporting.selectors import MSG_NO_REPORT_ACCESS

        for name in ("report_quarterly", "report_trend", "report_dossiers", "report_freeze", "report_diff",
                     "export_file", "export_start", "export_status", "export_download"):
            page_rule(f"reporting:{name}", LEADERS, MSG_NO_REPORT_ACCESS)
        # D20: a reorganisation changes under which unit the days from its effective date count
        from dossiers.services.reorganisation import MOVED_HOOKS
        from reporting.services import rollup_stale_from

        if rollup_stale_from not in MOVED_HOOKS:
            MOVED_HOOKS.append(rollup_stale_from)
