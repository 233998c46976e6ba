"""The middleware step that counts each logical call once: it sits outside the kernel's cache,
fallback and retry steps, so it sees the call begin once and end once (a stream: when it ends,
fails, is closed early, or is dropped unread)."""

from __future__ import annotations

from typing import Any

from lluminary.sdk import CallObserver

from ._recorder import CallRecord, Recorder

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


class CallMetrics(CallObserver[CallRecord]):
    """Counts the call in flight from its start, and records it when it ends. Each client gets
    a step of its own (``lluminary_middleware`` is asked per client), which remembers the name
    of that client's cache backend: a client's cache never changes."""

    label = "prometheus exporter"
    __slots__ = ("recorder", "backend")

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.backend: str | None = None  # "" once known to have no cache

    async def begin(self, call: Any) -> CallRecord:
        backend = None
        if call.use_cache is True:  # False: no cache; "refresh": written, never read
            backend = self.backend
            if backend is None:
                backend = self.backend = await _cache_backend(call.client)
        return self.recorder.open_call(call, backend or None)

    def stream_started(self, record: CallRecord, stream: Any) -> None:
        if not stream.cached:
            self.recorder.first_chunk(record)

    def end(
        self, record: CallRecord, *, error: BaseException | None = None, response: Any = None, closed: bool = False
    ) -> None:
        self.recorder.close_call(record, error, response, closed=closed)


async def _cache_backend(client: Any) -> str | None:
    """The name of ``client``'s cache backend, "" for none, None if it could not be opened now
    (asked again on the next call)."""
    try:
        backend = await client.cache_backend()
    except Exception:  # noqa: BLE001 - the cache step reports its own failures
        return None
    return "" if backend is None else backend_name(backend)
