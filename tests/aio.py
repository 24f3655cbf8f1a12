"""Running asyncio code from a test.

A pytest worker that has run browser tests keeps the session's Playwright (sync API)
alive, and with it an event loop running in the main thread; ``asyncio.run`` there fails
("cannot be called from a running event loop"). These helpers run in a thread of their
own, whatever ran before in the worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` in a fresh thread; its result, or its exception."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` in a fresh thread."""
    return in_thread(asyncio.run, coroutine)
