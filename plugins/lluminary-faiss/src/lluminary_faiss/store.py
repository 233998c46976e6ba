"""The ``faiss://`` vector store: the kernel's async contract over an
:class:`~lluminary_faiss.engine.Engine` whose blocking work runs on its worker threads.

A handle binds nothing to an event loop: each call submits its work to the engine's threads and
awaits the answer on whichever loop called it, so the same handle serves an async application and
lluminary's sync API (which runs on a background loop). Nothing is opened — and neither FAISS nor
numpy is imported — until the first call.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from lluminary.sdk import Match, Metric, Record, RequestValidationError, check_filter

from .errors import FaissStoreError
from .options import FaissOptions

if TYPE_CHECKING:
    import numpy.typing as npt

    from .engine import Engine

T = TypeVar("T")


class FaissStore:
    """A FAISS index per namespace, with records, metadata and vectors in SQLite beside it.

    ``faiss:///path/to/dir?index=flat|hnsw&metric=cosine|dot|l2&m=32&ef_construction=40&ef_search=64&dim=384``
    (and ``threads``, ``inline_us``, ``durability``: see :class:`~lluminary_faiss.options.FaissOptions`).
    Scores: higher is closer (cosine similarity, inner product, negated squared L2 distance).
    ``close()`` saves the indexes; without it the next open rebuilds them from SQLite (and, with
    ``durability=save``, has the records as the last ``save()`` left them).
    """

    def __init__(self, options: FaissOptions) -> None:
        self.options = options
        self._engine: Engine | None = None
        self._opened = False
        self._closed = False
        self._lock = threading.Lock()
        self._metric: Metric | None = options.metric
        self._inline_within = options.inline_us / 1e6  # seconds; 0: every query on a worker
        self._pending = 0  # calls on the engine's threads not finished yet
        self._drained: Callable[[], object] | None = None  # tells close() they have

    @classmethod
    def from_url(cls, url: str) -> FaissStore:
        return cls(FaissOptions.from_url(url))

    @property
    def directory(self) -> str:
        return self.options.directory

    @property
    def metric(self) -> Metric:
        """How scores are computed: the URL's ``metric``, else the one the store was built with,
        else ``cosine`` (what a new store is built with)."""
        if self._metric is None:
            engine = self._engine
            known = engine.metric() if engine is not None and self._opened else _stored_metric(self.directory)
            if known is None:
                return "cosine"
            self._metric = known  # type: ignore[assignment]
        return self._metric  # type: ignore[return-value]

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._opened else "not opened yet"
        return f"<FaissStore {self.options.url()} {state}>"

    # ------------------------------------------------------------------ the contract

    async def upsert(self, records: Sequence[Record], *, namespace: str = "") -> None:
        _check_namespace(namespace)
        engine = await self._ready()
        await self._run(engine, engine.upsert, list(records), namespace)

    async def upsert_vectors(
        self,
        ids: Sequence[str],
        vectors: npt.ArrayLike,
        metadatas: Sequence[Mapping[str, Any]] | None = None,
        texts: Sequence[str | None] | None = None,
        *,
        namespace: str = "",
    ) -> None:
        """Insert or replace ``len(ids)`` records given as columns, as FAISS's ``add_with_ids``
        takes them: ``vectors`` is an n x dim matrix — a float32 numpy array is copied once and
        never turned into Python floats — with, optionally, one metadata mapping and one text per
        id. The same checks and the same result as :meth:`upsert` with ``Record`` objects, at a
        fraction of the cost for large batches (see docs/stores.md#faiss-performance)."""
        _check_namespace(namespace)
        engine = await self._ready()
        await self._run(engine, engine.upsert_columns, ids, vectors, metadatas, texts, namespace)

    async def query(
        self,
        vector: Sequence[float],
        *,
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        namespace: str = "",
        include_vectors: bool = False,
    ) -> list[Match]:
        if type(top_k) is not int or top_k < 1:  # the common case in one test: the hot path
            _check_top_k(top_k)
        if filter is not None:
            check_filter(filter)
        if type(namespace) is not str:
            _check_namespace(namespace)
        engine = self._engine if self._opened else None
        if engine is None:
            engine = await self._ready()
        within = self._inline_within
        if within:
            if self._closed:  # one read of a flag: no lock needed
                raise FaissStoreError(f"the store {self.directory} is closed", path=self.directory)
            found = engine.query_now(
                vector, top_k, filter, namespace, bool(include_vectors), self.options.ef_search, within
            )
            if found is not None:
                return found
        return await self._run(
            engine, engine.query, vector, top_k, filter, namespace, bool(include_vectors), self.options.ef_search
        )

    async def fetch(self, ids: Sequence[str], *, namespace: str = "") -> list[Record]:
        keys = _ids(ids, "fetch")
        _check_namespace(namespace)
        engine = await self._ready()
        return await self._run(engine, engine.fetch, keys, namespace)

    async def delete(
        self, ids: Sequence[str] | None = None, *, filter: Mapping[str, Any] | None = None, namespace: str = ""
    ) -> None:
        if (ids is None) == (filter is None):
            raise RequestValidationError("delete takes ids or a filter (one of the two)")
        keys = _ids(ids, "delete") if ids is not None else None
        if filter is not None:
            check_filter(filter)
        _check_namespace(namespace)
        engine = await self._ready()
        await self._run(engine, engine.delete, keys, filter, namespace)

    async def count(self, *, namespace: str = "") -> int:
        _check_namespace(namespace)
        engine = await self._ready()
        return await self._run(engine, engine.count, namespace)

    async def save(self) -> None:
        """Write the pending upserts (``durability=save``) and the changed indexes to disk now
        (``close()`` does it too)."""
        engine = await self._ready()
        await self._run(engine, engine.save)

    async def close(self) -> None:
        """Release this handle; the last one open on the directory saves the indexes and
        releases the directory. Idempotent."""
        waiter: asyncio.Future[None] | None = None
        with self._lock:
            if self._closed:
                return
            self._closed = True
            engine, self._engine = self._engine, None
            if self._pending:  # let the work already asked for finish first
                loop = asyncio.get_running_loop()
                waiter = loop.create_future()
                self._drained = functools.partial(loop.call_soon_threadsafe, _settle, waiter)
        if waiter is not None:
            await waiter
        if engine is None:
            return
        from . import engine as engines

        if not engines.release(engine):
            return
        try:
            await engine.workers.submit(engine.close)
        finally:
            engine.workers.stop()
            engines.forget(engine)

    # ------------------------------------------------------------------ plumbing

    async def _run(self, engine: Engine, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on the engine's threads, counted so that ``close()`` waits for it."""
        with self._lock:
            if self._closed:
                raise FaissStoreError(f"the store {self.directory} is closed", path=self.directory)
            self._pending += 1
        try:
            future: asyncio.Future[T] = engine.workers.submit(self._tracked, function, args)
        except RuntimeError:  # the workers are stopped: the directory was closed meanwhile
            self._finished()
            raise FaissStoreError(f"the store {self.directory} is closed", path=self.directory) from None
        return await future

    def _tracked(self, function: Callable[..., T], args: tuple[Any, ...]) -> T:
        try:
            return function(*args)
        finally:
            self._finished()

    def _finished(self) -> None:
        with self._lock:
            self._pending -= 1
            drained = self._drained if self._pending == 0 else None
        if drained is not None:
            drained()

    async def _ready(self) -> Engine:
        from . import engine as engines  # FAISS, numpy and SQLite: on first use

        with self._lock:
            if self._closed:
                raise FaissStoreError(f"the store {self.directory} is closed", path=self.directory)
            if self._engine is None:
                self._engine = engines.acquire(self.directory)
            engine = self._engine
        if not self._opened:
            config = await self._run(engine, engine.open, self.options)
            self._metric = config.metric
            self._opened = True
        return engine


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _check_top_k(top_k: object) -> None:
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise RequestValidationError(f"top_k must be a positive int, got {top_k!r}")


def _check_namespace(namespace: object) -> None:
    if not isinstance(namespace, str):
        raise RequestValidationError(f"a namespace is a string, got {type(namespace).__name__}")


def _ids(ids: Sequence[str], operation: str) -> list[str]:
    if isinstance(ids, (str, bytes)):
        raise RequestValidationError(f"{operation} takes a list of ids, got one string")
    keys = list(ids)
    for key in keys:
        if not isinstance(key, str):
            raise RequestValidationError(f"{operation}: ids are strings, got {key!r}")
    return keys


def _stored_metric(directory: str) -> Metric | None:
    """The metric a store on disk was built with, read without opening it (None: no store yet)."""
    import os
    import sqlite3
    from urllib.parse import quote

    from .catalog import FILE_NAME

    path = os.path.join(directory, FILE_NAME)
    if not os.path.exists(path):
        return None
    try:
        connection = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=5.0)
        try:
            row = connection.execute("SELECT value FROM settings WHERE key = 'metric'").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return row[0] if row is not None and row[0] in ("cosine", "dot", "l2") else None
