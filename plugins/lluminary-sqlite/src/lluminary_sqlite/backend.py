"""The ``sqlite://`` cache backend: the kernel's async contract over a :class:`Store` that runs on a
:class:`Worker` thread, so no SQLite call and no (de)serialisation ever runs on the event loop."""

from __future__ import annotations

import os
import threading
import weakref

from lluminary.sdk import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse

from .errors import SQLiteCacheError
from .options import SQLiteOptions
from .store import Store
from .worker import Worker

#: Connections a forked child inherited: never used, never closed (closing one in the child could
#: release the parent's file locks), kept here so that garbage collection does not close them.
_inherited: list[object] = []


class SQLiteCache:
    """A disk cache shared by every thread and process that opens the same file.

    Nothing is opened until the first ``get``, ``set`` or ``clear``; then a thread of its own opens
    the file (creating it and its directory) and does all of this backend's work. ``close()``
    closes the file and ends the thread; so does garbage collection of an unclosed backend. A
    process forked from one that used the backend starts over with a connection of its own.
    """

    def __init__(self, options: SQLiteOptions) -> None:
        self.options = options
        self._worker: Worker | None = None
        self._pid = 0
        self._closed = False
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> SQLiteCache:
        return cls(SQLiteOptions.from_url(url))

    @property
    def path(self) -> str:
        return self.options.path

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._worker is not None else "not opened yet"
        return f"<SQLiteCache {self.options.url()} {state}>"

    async def get(
        self, key: str, *, request: ChatRequest | EmbedRequest | None = None
    ) -> ChatResponse | EmbedResponse | None:
        worker = self._worker_for_use()
        return await worker.submit(worker.store.get, key)

    async def set(
        self,
        key: str,
        value: ChatResponse | EmbedResponse,
        *,
        request: ChatRequest | EmbedRequest | None = None,
        ttl: float | None = None,
    ) -> None:
        worker = self._worker_for_use()
        await worker.submit(worker.store.set, key, value, ttl)

    async def clear(self) -> None:
        worker = self._worker_for_use()
        await worker.submit(worker.store.clear)

    async def stats(self) -> dict[str, object]:
        """What ``lluminary cache stats`` shows: entries, bytes, the cap, the file."""
        worker = self._worker_for_use()
        return await worker.submit(worker.store.stats)

    async def close(self) -> None:
        """Close the file once the work already asked for is done; end the thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            worker, self._worker = self._worker, None
        if worker is None or self._pid != os.getpid():
            return
        try:
            await worker.submit(worker.store.close)
        finally:
            worker.stop()

    # ------------------------------------------------------------------ the worker

    def _worker_for_use(self) -> Worker:
        worker = self._worker
        if worker is not None and self._pid == os.getpid():
            return worker
        with self._lock:
            if self._closed:
                raise SQLiteCacheError(f"the cache {self.options.path} is closed", path=self.options.path)
            if self._worker is not None and self._pid != os.getpid():
                _inherited.append(self._worker.store)  # forked: the parent's connection is not ours
                self._worker = None
            if self._worker is None:
                self._worker = Worker(Store(self.options), name=f"lluminary-sqlite {os.path.basename(self.path)}")
                self._pid = os.getpid()
                # Collected unclosed: end the thread. Not at interpreter exit: the process
                # ending closes the file as safely, and nothing runs during shutdown.
                weakref.finalize(self, self._worker.stop).atexit = False
            return self._worker
