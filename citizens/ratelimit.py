"""The public lookup's rate limit: how many code + digits checks one address may make.

``settings.PUBLIC_LOOKUP_RATE_LIMIT`` checks per ``PUBLIC_LOOKUP_RATE_WINDOW_SECONDS``, per
client address, shared by the lookup page and the counter kiosk (the pages answer 429 beyond
it). A fixed window in the shared cache (Redis in production): ``add`` creates the counter,
``incr`` is atomic on Redis. The address is hashed, so the cache holds no IP address.
"""
from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def _now_seconds() -> float:
    return time.time()


def lookup_rate_exceeded(address: str) -> bool:
    """Count one lookup for the address; True once it is over the limit."""
    limit = settings.PUBLIC_LOOKUP_RATE_LIMIT
    window = max(1, settings.PUBLIC_LOOKUP_RATE_WINDOW_SECONDS)
    bucket = int(_now_seconds() // window)
    who = hashlib.sha256(address.encode()).hexdigest()[:32]
    key = f"onecua:citizens:lookup:{who}:{bucket}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return count > limit
