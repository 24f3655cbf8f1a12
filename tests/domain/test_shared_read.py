"""SharedRead: a burst of sessions that miss the cache at once runs the read once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from stammtisch.shared_read import SharedRead

SESSIONS = 100


def _burst(work, threads: int = SESSIONS) -> list:
    """``work(n)`` in ``threads`` threads released together."""
    barrier = threading.Barrier(threads)

    def one(n: int):
        barrier.wait()
        return work(n)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, range(threads)))


class SlowRead:
    """An expensive read that counts how often it really runs (and how many at once)."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def __call__(self, value):
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return value


def test_shared_read_stampede_on_a_new_version_computes_once():
    cache = SharedRead()
    read = SlowRead()
    results = _burst(lambda n: cache.get(("upcoming",), 7, lambda: read(["v7"]), stale_ok=False))
    assert read.calls == 1
    assert all(r == ["v7"] for r in results)
    assert cache.stats.computed == 1


def test_shared_read_others_get_the_previous_value_while_one_computes():
    cache = SharedRead()
    cache.get("texts", 1, lambda: "v1")
    release = threading.Event()
    started = threading.Event()

    def slow_v2():
        started.set()
        release.wait(10)
        return "v2"

    first = threading.Thread(target=lambda: cache.get("texts", 2, slow_v2))
    first.start()
    started.wait(10)
    read = SlowRead(0)
    results = _burst(lambda n: cache.get("texts", 2, lambda: read("again")))
    release.set()
    first.join(10)
    assert read.calls == 0  # nobody ran the read a second time
    assert set(results) == {"v1"}  # the previous value, at once
    assert cache.get("texts", 2, lambda: read("again")) == "v2"


def test_shared_read_a_writer_waits_for_its_own_change():
    cache = SharedRead()
    cache.get("upcoming", 1, lambda: "v1")
    read = SlowRead()
    results = _burst(lambda n: cache.get("upcoming", 2, lambda: read("v2"), stale_ok=False), 30)
    assert results == ["v2"] * 30
    assert read.calls == 1


def test_shared_read_versions_moving_during_a_burst_run_one_read_at_a_time():
    # Forty registrations move the version forty times while a hundred sessions load.
    cache = SharedRead()
    read = SlowRead(0.01)
    results = _burst(lambda n: cache.get("upcoming", n % 40, lambda n=n: read(n % 40)))
    assert read.most_at_once == 1
    assert read.calls < 40
    assert all(isinstance(r, int) for r in results)


def test_shared_read_an_error_reaches_the_caller_and_does_not_block_the_next():
    cache = SharedRead()

    def broken():
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        cache.get("k", 1, broken)
    assert cache.get("k", 1, lambda: "ok") == "ok"


def test_shared_read_newer_value_is_never_replaced_by_an_older_one():
    cache = SharedRead()
    cache.get("k", 5, lambda: "v5")
    assert cache.get("k", 3, lambda: "v3") == "v5"


def test_shared_read_keeps_at_most_max_entries():
    cache = SharedRead(max_entries=3)
    for n in range(10):
        cache.get(("past", n), 1, lambda n=n: n)
    assert len(cache._entries) == 3
