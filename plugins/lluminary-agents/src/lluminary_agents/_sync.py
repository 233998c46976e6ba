"""Sync runs on one long-lived event loop in a background thread, so a script's connection pools
stay warm across runs (the way lluminary's own sync API works)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def _background() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="lluminary-agents", daemon=True).start()
            _loop = loop
    return _loop


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from sync code."""
    loop = _background()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coroutine.close()
        raise RuntimeError("Agent.run() was called from the agents' own event loop: await Agent.arun() instead")
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result()
