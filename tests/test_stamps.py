"""Shared version stamps (onecua.stamps): another process's change is seen within the interval,
this process's own change at once."""
from django.core.cache import cache

from onecua.stamps import SharedStamp


def test_a_stamp_is_reread_after_its_interval_and_at_once_after_a_bump(monkeypatch):
    clock = {"t": 1000.0}
    monkeypatch.setattr("onecua.stamps.time.monotonic", lambda: clock["t"])
    stamp = SharedStamp("test:stamp", interval=1.0)
    first = stamp.current()
    assert first == "0"
    cache.set("test:stamp", "changed-elsewhere", timeout=None)  # another process's bump
    clock["t"] += 0.5
    assert stamp.current() == first  # not re-read within the interval
    clock["t"] += 0.6
    assert stamp.current() == "changed-elsewhere"
    stamp.bump()
    assert cache.get("test:stamp") != "changed-elsewhere"
    assert stamp.current() == cache.get("test:stamp")  # our own change: at once
