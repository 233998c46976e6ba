"""The kernel's own defaults, registered through the same hooks as every other plugin."""

from __future__ import annotations

from collections.abc import Iterator

from ._hookspecs import hookimpl


class MemoryCachePlugin:
    """Serves ``memory://`` caches; each URL gets one shared backend, so hits survive across calls."""

    def __init__(self) -> None:
        self._backends: dict[str, object] = {}

    @hookimpl
    def lluminary_cache(self, url: str) -> object | None:
        if not url.startswith("memory:"):
            return None
        backend = self._backends.get(url)
        if backend is None:
            from ._cache import MemoryCache

            backend = self._backends[url] = MemoryCache.from_url(url)
        return backend


class MemoryCountersPlugin:
    """Serves ``memory://`` counter stores: in-process counters, one shared store per URL."""

    def __init__(self) -> None:
        self._stores: dict[str, object] = {}

    @hookimpl
    def lluminary_counters(self, url: str) -> object | None:
        if not url.startswith("memory:"):
            return None
        store = self._stores.get(url)
        if store is None:
            from ._counters import MemoryCounters

            store = self._stores[url] = MemoryCounters()
        return store


class MemoryStorePlugin:
    """Serves ``memory://`` vector stores: in-process, one shared store per URL."""

    def __init__(self) -> None:
        self._stores: dict[str, object] = {}

    @hookimpl
    def lluminary_store(self, url: str) -> object | None:
        if not url.startswith("memory:"):
            return None
        store = self._stores.get(url)
        if store is None:
            from ._memory_store import MemoryStore

            store = self._stores[url] = MemoryStore.from_url(url)
        return store


class NoopTracePlugin:
    """Receives trace events and drops them. The kernel does not even build events while this is
    the only implementation, so tracing costs nothing until an exporter is enabled."""

    @hookimpl
    def lluminary_trace(self, event: object) -> None:
        return None


def plugins() -> Iterator[tuple[str, object]]:
    yield "lluminary.memory_cache", MemoryCachePlugin()
    yield "lluminary.memory_counters", MemoryCountersPlugin()
    yield "lluminary.memory_store", MemoryStorePlugin()
    yield "lluminary.noop_trace", NoopTracePlugin()
