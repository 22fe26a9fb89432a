from django.conf import settings
from django.db import models


class DemoAccount(models.Model):
    """An account ``load_demo`` created. Only these are ever updated by a later ``load_demo``: an
    existing account whose username matches a demo one is somebody's real account."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "tài khoản mẫu"
        verbose_name_plural = "tài khoản mẫu"

    def __str__(self) -> str:
        return f"demo:{self.user_id}"
