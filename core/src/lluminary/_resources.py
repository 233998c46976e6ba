"""What a client owns and closes: its cache backends (one per event loop), the stores, caches and
counter stores it opened by URL, its connection pools, and its exporters' buffers."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, cast

from . import _loop
from ._cache import CacheBackend
from ._errors import LluminaryError
from ._store import VectorStore

if TYPE_CHECKING:
    from ._collection import Collection
    from ._counters import CounterStore
    from ._plugins import PluginManager
    from ._transport import Pools


class Resources:
    """Mixed into :class:`~lluminary.Client`."""

    plugins: PluginManager
    pools: Pools
    exporters: tuple[str, ...]
    closed: bool
    _cache_spec: str | CacheBackend | bool
    _caches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CacheBackend]
    _opened: list[CacheBackend | VectorStore]
    #: Counter stores opened by URL (a tuple, replaced on each open: no per-client set-up needed).
    _counter_stores: tuple[CounterStore, ...] = ()

    async def cache_backend(self) -> CacheBackend | None:
        """This client's cache backend on the running loop (opened on first use), or None."""
        spec = self._cache_spec
        if spec is False:
            return None
        if not isinstance(spec, str):
            return cast(CacheBackend, spec)
        loop = asyncio.get_running_loop()
        backend = self._caches.get(loop)
        if backend is None:
            # Backends of loops that have closed (asyncio.run() called again and again) can never
            # be used or awaited again; a backend holding connections keeps its loop alive, so
            # drop them here rather than let them pile up until aclose().
            for old in [old for old in self._caches if old.is_closed()]:
                del self._caches[old]
            backend = self._caches[loop] = self.open_cache(spec, track=False)
        return backend

    def open_cache(self, url: str, *, track: bool = True) -> CacheBackend:
        """The cache backend for ``url`` from the plugin serving its scheme; closed with the client."""
        scheme = url.partition(":")[0]
        self.plugins.load(scheme)
        backend: CacheBackend | None = self.plugins.hook.lluminary_cache(url=url)
        if backend is None:
            raise self.plugins.missing(scheme, f"no cache backend serves {url!r}")
        if track:
            self._opened.append(backend)
        return backend

    def open_counters(self, url: str) -> CounterStore:
        """The counter store for ``url`` (``memory://name``, ``redis://...``) from the plugin serving
        its scheme, for budgets and rate limits shared by many processes; closed with the client."""
        scheme = url.partition(":")[0]
        self.plugins.load(scheme)
        store: CounterStore | None = self.plugins.hook.lluminary_counters(url=url)
        if store is None:
            # The scheme only: the URL may carry a password.
            raise self.plugins.missing(scheme, f"no counter store serves {scheme}: URLs")
        self._counter_stores = (*self._counter_stores, store)
        return store

    def open_store(
        self,
        url: str,
        *,
        embed: str | None = None,
        namespace: str = "",
        embed_options: Mapping[str, Any] | None = None,
    ) -> Collection:
        """The vector store for ``url`` (``faiss:///path``, ``memory://name``) from the plugin
        serving its scheme, as a :class:`~lluminary.Collection` that embeds texts with ``embed``
        (``"local:e5-small"``) through this client; closed with the client."""
        from ._collection import Collection

        backend = self.open_store_backend(url)
        return Collection(self, backend, embed=embed, namespace=namespace, embed_options=embed_options)  # type: ignore[arg-type]

    def open_store_backend(self, url: str) -> VectorStore:
        """The plugin's own store object for ``url`` (no embedding); closed with the client."""
        scheme = url.partition(":")[0]
        self.plugins.load(scheme)
        store: VectorStore | None = self.plugins.hook.lluminary_store(url=url)
        if store is None:
            raise self.plugins.missing(scheme, f"no vector store serves {scheme}: URLs")
        self._opened.append(store)
        return store

    # ------------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        """Close this client's connection pools, caches and stores, and flush the exporters (those
        this client enabled by name are shut down too). Idempotent."""
        if self.closed:
            return
        self.closed = True
        errors: list[BaseException] = []
        running = asyncio.get_running_loop()
        closables: list[Any] = [*self._opened, *self._counter_stores]
        self._counter_stores = ()
        for loop, backend in list(self._caches.items()):
            if loop is running:
                closables.append(backend)
            elif loop.is_running() and not loop.is_closed():
                # A backend belongs to its loop; that loop may be blocked in a sync close().
                asyncio.run_coroutine_threadsafe(backend.close(), loop)
            # A closed loop took its backend's connections with it.
        if not isinstance(self._cache_spec, (str, bool)):
            closables.append(self._cache_spec)
        self._caches = weakref.WeakKeyDictionary()
        self._opened = []
        for closable in closables:
            try:
                await closable.close()
            except Exception as exc:  # noqa: BLE001 - close everything, then report
                errors.append(exc)
        try:
            await self.pools.aclose()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        self._flush_exporters(errors)
        if errors:
            raise LluminaryError(f"closing the client failed: {'; '.join(f'{type(e).__name__}: {e}' for e in errors)}")

    def _flush_exporters(self, errors: list[BaseException]) -> None:
        # Each plugin's flush on its own: through the hook, the first one to raise would keep
        # every plugin after it from flushing, and their buffered data would be lost.
        for implementation in self.plugins.hook.lluminary_flush.get_hookimpls():
            try:
                implementation.function()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
        for name in self.exporters:
            shutdown = getattr(self.plugins.get(name), "lluminary_shutdown", None)
            if shutdown is not None:
                try:
                    shutdown()
                except Exception as exc:  # noqa: BLE001
                    errors.append(exc)

    def close(self) -> None:
        """The sync twin of :meth:`aclose`."""
        _loop.run(self.aclose())

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
