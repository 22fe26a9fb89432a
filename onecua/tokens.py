"""API tokens that expire and die with the session's end or a new password (DRF's own tokens).

DRF's ``Token`` lives until deleted; a token given to a script or a stolen one worked forever,
after a logout and after a password reset alike. Here:

- a token is refused (401) once ``API_TOKEN_TTL_HOURS`` have passed since it was issued, and
  deleted; ``POST /api/v1/auth/token/`` then issues a new one (the answer carries
  ``expires_at``);
- logging out (``user_logged_out``: the page, the admin) deletes the user's tokens;
- a password change, by whatever path (the "đổi mật khẩu" page, the admin, ``set_password`` in a
  command or an import), deletes them as well. Django already ends the user's other sessions
  on a new password (the session keeps a hash of it); the page that changed it keeps its own.

Why DRF's tokens rather than a new package: the rest of the code and tests create them with
``Token.objects.create(user=…)``, one per user; expiry and revocation are a few lines here.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

MSG_EXPIRED = "Token đã hết hạn; lấy token mới tại /api/v1/auth/token/."


def token_ttl() -> timedelta:
    return timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def token_expires_at(token: Token) -> datetime:
    return token.created + token_ttl()


def token_expired(token: Token, *, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= token_expires_at(token)


def token_issue(*, user) -> Token:
    """The user's live token, or a new one when there is none or it has expired."""
    token = Token.objects.filter(user=user).first()
    if token is not None and token_expired(token):
        token.delete()
        token = None
    return token or Token.objects.create(user=user)


def tokens_revoke(*, user) -> int:
    return Token.objects.filter(user=user).delete()[0]


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token …``, refused once the token is older than ``API_TOKEN_TTL_HOURS``."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed(MSG_EXPIRED)
        return user, token


# --- signal receivers (connected in dossiers.apps) -------------------------------------------


def on_logout(sender, request=None, user=None, **kwargs) -> None:
    if user is not None:
        tokens_revoke(user=user)


def on_user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """A stored password hash that differs from the one read: every token of the user dies."""
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is not None and old != instance.password:
        tokens_revoke(user=instance)


def connect() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.signals import user_logged_out
    from django.db.models.signals import pre_save

    user_logged_out.connect(on_logout, dispatch_uid="onecua.tokens.logout")
    pre_save.connect(on_user_saved, sender=get_user_model(), dispatch_uid="onecua.tokens.password")
