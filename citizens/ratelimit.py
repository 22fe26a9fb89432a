"""Rate limits of the citizens' pages (no login), in the shared cache (Redis in production).

Three kinds, each a setting (``onecua/settings.py``, ``.env.example``):

- **Per address** (``PUBLIC_LOOKUP_RATE_LIMIT`` per ``PUBLIC_LOOKUP_RATE_WINDOW_SECONDS``): code +
  digits checks on the public lookup page. The counter kiosk has its own budget per kiosk
  device (``KIOSK_RATE_LIMIT`` per ``KIOSK_RATE_WINDOW_SECONDS``, keyed by the signed device
  cookie of ``citizens.views.kiosk``), so that citizens at the counter never use up, or are
  blocked by, the public lookup's budget of the office's shared address.
- **Per dossier code** (``LOOKUP_CODE_FAILURE_LIMIT`` wrong tails lock the code for
  ``LOOKUP_CODE_LOCK_MINUTES``): guesses spread over many addresses still meet one counter.
  The counter is keyed by the code as typed (upper-cased), whether or not such a dossier
  exists, so a lock says nothing about existence. A right answer clears the failures.
- **Writes per dossier and per address**: feedback (``FEEDBACK_RATE_PER_DOSSIER`` a day,
  ``CITIZEN_POST_RATE_PER_ADDRESS`` an hour) and evaluation attempts (the same address
  budget; ``EVALUATION_RATE_PER_DOSSIER`` a day). Each feedback row is a legal answer
  obligation, so a verified visitor must not be able to make hundreds.

Fixed windows: ``add`` creates a counter with its expiry, ``incr`` is atomic on Redis. Keys
hold hashes, never an address or a code.
"""
from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

DAY, HOUR = 24 * 60 * 60, 60 * 60


def _now_seconds() -> float:
    return time.time()


def _key(scope: str, who: str, suffix: str = "") -> str:
    digest = hashlib.sha256(f"{scope}:{who}".encode()).hexdigest()[:32]
    return f"onecua:citizens:{scope}:{digest}{suffix}"


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def hit(scope: str, who: str, *, limit: int, window: int) -> bool:
    """Count one event of ``scope`` for ``who`` in the current window; True once over ``limit``."""
    window = max(1, window)
    bucket = int(_now_seconds() // window)
    return _count(_key(scope, who, f":{bucket}"), window + 5) > limit


def lookup_rate_exceeded(address: str) -> bool:
    """Count one public lookup for the address; True once it is over the limit."""
    return hit("lookup", address, limit=settings.PUBLIC_LOOKUP_RATE_LIMIT,
               window=settings.PUBLIC_LOOKUP_RATE_WINDOW_SECONDS)


def kiosk_rate_exceeded(device: str) -> bool:
    """Count one kiosk lookup for the kiosk device (or, unregistered, its address)."""
    return hit("kiosk", device, limit=settings.KIOSK_RATE_LIMIT, window=settings.KIOSK_RATE_WINDOW_SECONDS)


# --- failures per dossier code ---------------------------------------------------------------


def _code(code: str) -> str:
    return (code or "").strip().upper()


def code_locked(code: str) -> bool:
    return cache.get(_key("code-lock", _code(code))) is not None


def code_failure(code: str) -> bool:
    """Count one wrong tail for the code; True when this failure locks it."""
    lock_seconds = settings.LOOKUP_CODE_LOCK_MINUTES * 60
    failures = _count(_key("code-fail", _code(code)), lock_seconds)
    if failures >= settings.LOOKUP_CODE_FAILURE_LIMIT:
        cache.set(_key("code-lock", _code(code)), 1, timeout=lock_seconds)
        cache.delete(_key("code-fail", _code(code)))
        return True
    return False


def code_success(code: str) -> None:
    cache.delete(_key("code-fail", _code(code)))


# --- writes ------------------------------------------------------------------------------------


def feedback_rate_exceeded(*, dossier_id: int, address: str) -> bool:
    by_address = hit("post", address, limit=settings.CITIZEN_POST_RATE_PER_ADDRESS, window=HOUR)
    by_dossier = hit("feedback", str(dossier_id), limit=settings.FEEDBACK_RATE_PER_DOSSIER, window=DAY)
    return by_address or by_dossier


def evaluation_rate_exceeded(*, dossier_id: int, address: str) -> bool:
    by_address = hit("post", address, limit=settings.CITIZEN_POST_RATE_PER_ADDRESS, window=HOUR)
    by_dossier = hit("evaluation", str(dossier_id), limit=settings.EVALUATION_RATE_PER_DOSSIER, window=DAY)
    return by_address or by_dossier
