"""One computation per read at a time, however many sessions ask: no cache stampede.

Every write bumps the data version, and every cached read is keyed on it. Under a burst
(the newsletter went out: a hundred visitors load the start page while forty register)
the version moves many times a second, and after each move every session that starts a
run misses the cache at once. Streamlit's ``st.cache_data`` lets only one thread compute
one key, but the key contains the version: forty versions are forty keys, and each
recomputes the same read while the others queue behind the GIL.

:class:`SharedRead` keys a read by what it asks (not by the version) and remembers the
version its value belongs to:

* a caller whose version the value already has (or a newer one) gets it at once;
* if another thread is computing this read right now, a caller gets the *previous* value
  (``stale_ok``, at most one computation old) or, without ``stale_ok``, waits for that
  computation and takes its result if it is recent enough;
* otherwise the caller computes, and everybody who arrives meanwhile is served by it.

So a read runs at most once at a time per key, never a hundred times side by side. A
session that has just written itself passes ``stale_ok=False`` and sees its own change.
Data versions only grow (every write adds one; a restored backup continues above the
highest version seen), so a value of a newer version is as good as the asked one.
Values are shared between sessions, not copied: reads return plain frozen data
(dataclasses, tuples, dicts nobody mutates); callers must treat them as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class _Entry:
    version: int | None = None  # the version ``value`` belongs to; None: no value yet
    value: Any = None
    computing: int | None = None  # the version being computed right now
    done: threading.Condition = field(default_factory=lambda: threading.Condition())


@dataclass
class Stats:
    computed: int = 0
    hits: int = 0
    stale: int = 0
    waited: int = 0


class SharedRead:
    """A small process-wide cache of reads with single-flight recomputation."""

    def __init__(self, *, max_entries: int = 512) -> None:
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self.stats = Stats()

    def get(
        self,
        key: Hashable,
        version: int,
        compute: Callable[[], T],
        *,
        stale_ok: bool = True,
    ) -> T:
        """The value of ``compute()`` for data ``version`` (or newer), computed by at most
        one thread at a time; see the module's rules for ``stale_ok``."""
        while True:
            with self._lock:
                entry = self._entries.get(key)
                if entry is None:
                    entry = self._entries[key] = _Entry()
                    while len(self._entries) > self._max_entries:
                        self._entries.popitem(last=False)
                else:
                    self._entries.move_to_end(key)
                if entry.version is not None and entry.version >= version:
                    self.stats.hits += 1
                    return entry.value
                if entry.computing is None:
                    entry.computing = version
                    break  # this thread computes
                if stale_ok and entry.version is not None:
                    self.stats.stale += 1
                    return entry.value
                self.stats.waited += 1
            with entry.done:
                # Wait for the running computation, then look again (its result may be
                # recent enough, or this thread computes the newer version).
                entry.done.wait_for(lambda e=entry: e.computing is None, timeout=60)
        try:
            value = compute()
        except BaseException:
            with self._lock, entry.done:
                entry.computing = None
                entry.done.notify_all()
            raise
        with self._lock, entry.done:
            if entry.version is None or version >= entry.version:
                entry.version, entry.value = version, value
            entry.computing = None
            self.stats.computed += 1
            entry.done.notify_all()
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.stats = Stats()
