from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and acceptance data: generators and the ``load_demo*`` commands. Product apps never
    import it; it is only in INSTALLED_APPS so that its commands and its one table exist."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = "Dữ liệu mẫu"
