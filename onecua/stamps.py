"""Version stamps that keep per-process caches of rarely changed data in step across processes.

A process builds the data once (the working-day calendar, the reference snapshot of procedures,
units and roles) and tags it with the stamp it saw in the shared cache (Redis in production);
a change writes a new stamp, and every process rebuilds on its next read. Reading the stamp is
a cache round trip, so a process re-reads it at most once per ``interval`` seconds: another
process sees a change that late, the changing process (``bump``/``forget``) at once.
"""
from __future__ import annotations

import time
import uuid

from django.core.cache import cache


class SharedStamp:
    def __init__(self, key: str, *, interval: float = 1.0):
        self.key, self.interval = key, interval
        self._seen: str | None = None
        self._checked = 0.0

    def read(self) -> str:
        """The stamp in the shared cache now ("0" until the first change)."""
        version = cache.get(self.key)
        if version is None:
            version = "0"
            cache.add(self.key, version, timeout=None)
        return str(version)

    def current(self) -> str:
        """The stamp, read from the shared cache at most once per interval."""
        now = time.monotonic()
        if self._seen is None or now - self._checked >= self.interval:
            self._seen, self._checked = self.read(), now
        return self._seen

    def bump(self) -> None:
        """Tell every process the data changed."""
        cache.set(self.key, uuid.uuid4().hex, timeout=None)
        self.forget()

    def forget(self) -> None:
        """Read the shared stamp again on the next ``current()`` (tests; this process's change)."""
        self._seen = None
