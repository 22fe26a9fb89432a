"""Login throttling (django-axes) wired to OneCua: the backend and the client address.

Settings: ``LOGIN_FAILURE_LIMIT``, ``LOGIN_LOCKOUT_MINUTES``, ``TRUSTED_PROXY_COUNT`` (see
``onecua/settings.py`` and ``var/readme/sec.md``).
"""
from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lockout check, skipped when ``authenticate()`` is called without a request.

    Every login over HTTP carries its request (the login page, the admin, the token endpoint);
    only code running inside the process calls ``authenticate()`` without one (Django's test
    client ``login()``, management commands), and there is no one to throttle there. Axes'
    own backend refuses such a call outright.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request) -> str | None:
    """The caller's address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` proxies the
    address the outermost trusted proxy saw (counted from the right of X-Forwarded-For, so
    that a client cannot choose its own address by sending the header)."""
    meta = getattr(request, "META", {})
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= count:
            return hops[-count]
    return meta.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """The lockout page (HTTP 429), in the user's language: when the lock ends, what to do."""
    from django.shortcuts import render

    from axes.helpers import get_client_username

    context = {
        "failure_limit": settings.LOGIN_FAILURE_LIMIT,
        "minutes": settings.LOGIN_LOCKOUT_MINUTES,
        "username": get_client_username(request, credentials) or "",
    }
    return render(request, "registration/lockout.html", context, status=429)
