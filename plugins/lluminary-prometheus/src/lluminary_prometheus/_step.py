"""The middleware step that counts each logical call once: it sits outside the kernel's cache,
fallback and retry steps, so it sees the call begin once and end once (a stream: when it ends,
fails, is closed early, or is dropped unread)."""

from __future__ import annotations

import weakref
from typing import Any

from lluminary.sdk import CallObserver

from ._recorder import Recorder

_BACKEND_NAMES: dict[type, str] = {}


def backend_name(backend: object) -> str:
    """A short, bounded name for a cache backend: its class name without ``Cache``, lower case
    (``MemoryCache`` -> ``memory``, ``RedisCache`` -> ``redis``), or its ``scheme`` if it has one."""
    kind = type(backend)
    name = _BACKEND_NAMES.get(kind)
    if name is None:
        scheme = getattr(backend, "scheme", None)
        if isinstance(scheme, str) and scheme:
            name = scheme
        else:
            name = kind.__name__.removesuffix("Cache").removesuffix("Backend").lower() or "cache"
        _BACKEND_NAMES[kind] = name
    return name


class CallMetrics(CallObserver[str]):
    """Counts the call in flight from its start, and records it when it ends."""

    label = "prometheus exporter"
    __slots__ = ("recorder",)

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    async def begin(self, call: Any) -> str:
        backend = None
        if call.use_cache is True:  # False: no cache; "refresh": written, never read
            backend = _CLIENT_BACKENDS.get(call.client)
            if backend is None:
                backend = await _cache_backend(call.client)
        self.recorder.open_call(call.id, call.operation, call.request, backend or None)
        return str(call.id)

    def end(
        self, call_id: str, *, error: BaseException | None = None, response: Any = None, closed: bool = False
    ) -> None:
        self.recorder.close_call(call_id, error, closed=closed)


#: client -> its cache backend's name ("" for none): a client's cache never changes, so it is
#: looked up once per client, not once per call.
_CLIENT_BACKENDS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


async def _cache_backend(client: Any) -> str:
    """The name of ``client``'s cache backend, "" for none (remembered per client)."""
    try:
        backend = await client.cache_backend()
    except Exception:  # noqa: BLE001 - the cache step reports its own failures
        return ""
    name = _CLIENT_BACKENDS[client] = "" if backend is None else backend_name(backend)
    return name
