"""Login throttling (django-axes) wired to OneCua: the backend and the client address.

Settings: ``LOGIN_FAILURE_LIMIT``, ``LOGIN_LOCKOUT_MINUTES``, ``TRUSTED_PROXIES`` (see
``onecua/settings.py`` and the README's security section).
"""
from __future__ import annotations

import functools
import ipaddress

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


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def _ip(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The caller's address, as well-kept sites take it behind reverse proxies.

    ``X-Forwarded-For`` is believed only when the request comes from a trusted proxy
    (``REMOTE_ADDR`` inside one of ``settings.TRUSTED_PROXIES``, a list of networks); the
    client's address is then the rightmost entry that is not itself a trusted proxy (each
    proxy appends the address it saw, so everything left of that entry was written by the
    client and may be forged). A client reaching the app directly, or a header that holds
    something other than an address where the answer would be, gets ``REMOTE_ADDR``.
    """
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR")
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    if not networks or remote is None:
        return remote

    def trusted(address) -> bool:
        return any(address in network for network in networks if address.version == network.version)

    remote_ip = _ip(remote)
    if remote_ip is None or not trusted(remote_ip):
        return remote
    hops = [h for h in (p.strip() for p in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")) if h]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            return remote  # garbage where an address should be: believe nothing further left
        if not trusted(address):
            return str(address)
    # every hop is a trusted proxy (or no header): the leftmost one is the best we know
    return str(_ip(hops[0])) if hops else remote


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
