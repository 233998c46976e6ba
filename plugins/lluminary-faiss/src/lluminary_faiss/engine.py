"""One open store directory: its SQLite connections, its namespaces' indexes, its threads and locks.

Every handle a process opens on the same directory (``client.open_store`` twice, the semantic
cache and a collection, sync and async clients) shares one :class:`Engine`, counted by
:func:`acquire` / :func:`release`: the last handle closed saves the indexes and releases the
directory. Another *process* cannot open it meanwhile: the engine holds an exclusive lock on
``<dir>/lock`` (``flock``), and a second process gets a :class:`FaissStoreError` saying so. (One
writer per directory, with indexes in its memory: two processes could not both keep theirs right.)

All methods here are blocking and run on the engine's worker threads (the async handle,
:mod:`lluminary_faiss.store`, submits them). Queries run in parallel with each other under the
read side of a :class:`~lluminary_faiss.rwlock.ReadWriteLock` — FAISS searches are thread-safe
and release the GIL, and each thread has its own SQLite connection (WAL readers never wait) —
while upserts, deletes and saves take the write side, one at a time. A write commits to SQLite
first and then updates the index in memory; if that update fails, the namespace's index is
dropped and rebuilt from SQLite on next use, so it never disagrees with the records. With
``durability=save`` an upsert updates the index and stays pending in memory
(:mod:`lluminary_faiss.pending`) until a flush writes every pending upsert to SQLite in one
transaction: ``save()``, ``close()``, a delete, a filtered query.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import orjson

from lluminary import sdk
from lluminary.sdk import Match, Record, RequestValidationError

from . import catalog, persist
from .alongside import Alongside
from .batch import Batch, prepare_columns, prepare_query, prepare_records, unit_scale
from .config import Config
from .errors import FaissStoreError
from .filters import FilterQuery
from .native import F32, I64, NativeIndex, default_threads, set_threads
from .options import FaissOptions
from .pending import Pending
from .rows import Entry, RowCache, entry
from .rwlock import ReadWriteLock
from .space import Space

T = TypeVar("T")

#: Worker threads per open directory: queries run this many at once.
WORKERS = max(2, min(8, os.cpu_count() or 2))
LOCK_FILE = "lock"
#: Upserts of at least this many records update the index alongside the SQLite write.
ALONGSIDE_BATCH = 1_000
#: Seconds an engine waits for the previous one on its directory (being closed) to finish saving.
HANDOVER_TIMEOUT = 600.0


class Engine:
    """The store in one directory, shared by the handles of one process."""

    def __init__(self, directory: str, previous: Engine | None = None) -> None:
        self.directory = directory
        self.workers = sdk.Workers(f"lluminary-faiss {os.path.basename(directory)}", WORKERS)
        self.refs = 0
        self.closing = False
        self.closed = threading.Event()
        self._previous = previous
        self._lock = ReadWriteLock()
        self._open_lock = threading.Lock()
        self._config: Config | None = None
        self._local = threading.local()  # per worker thread: whether its OpenMP threads are set
        self._connections: dict[int, sqlite3.Connection] = {}  # thread id -> its connection
        self._lock_descriptor: int | None = None
        self._spaces: dict[str, Space] = {}
        self._rows = RowCache()
        self._pending: dict[str, Pending] = {}  # durability=save: upserts not in SQLite yet
        self._next_id: int | None = None  # durability=save: the id counter, in memory

    def __repr__(self) -> str:
        return f"<lluminary_faiss Engine {self.directory} refs={self.refs}>"

    # ------------------------------------------------------------------ opening and closing

    def open(self, options: FaissOptions) -> Config:
        """Open the directory (once; later calls check ``options`` against it)."""
        with self._open_lock:
            if self.closed.is_set():
                raise self._closed_error()
            if self._config is not None:
                self._config.check(options)
                return self._config
            if self._previous is not None:
                self._previous.closed.wait(HANDOVER_TIMEOUT)
                self._previous = None
            try:
                os.makedirs(self.directory, exist_ok=True)
            except OSError as exc:
                raise FaissStoreError(
                    f"cannot create the store directory {self.directory}: {exc}", path=self.directory
                ) from exc
            self._take_directory_lock()
            try:
                for leftover in persist.temporary_files(self.directory):
                    persist.remove(leftover)
                stored = catalog.settings(self._connection())
                self._config = Config.resolve(options, stored)
            except BaseException:
                self._release_resources()
                raise
            return self._config

    def metric(self) -> str | None:
        return None if self._config is None else self._config.metric

    def close(self) -> None:
        """Save what changed, close the files and release the directory. Idempotent."""
        with self._open_lock, self._lock.write():
            if self.closed.is_set():
                return
            try:
                if self._config is not None:
                    self._save_all()
                    with contextlib.suppress(sqlite3.Error):
                        self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                self._release_resources()
                self.closed.set()  # under the write lock: no operation runs after this point

    def _take_directory_lock(self) -> None:
        path = os.path.join(self.directory, LOCK_FILE)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks; one process is trusted
            return
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(descriptor, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(descriptor)
            raise FaissStoreError(
                f"the store {self.directory} is open in another process (pid {holder}); "
                "one process at a time may open a faiss:// directory",
                path=self.directory,
            ) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, str(os.getpid()).encode())
        self._lock_descriptor = descriptor

    def _release_resources(self) -> None:
        for connection in list(self._connections.values()):
            with contextlib.suppress(sqlite3.Error):
                connection.close()
        self._connections.clear()
        self._spaces.clear()
        self._pending.clear()  # unsaved upserts of a store that failed to save are lost, as documented
        if self._lock_descriptor is not None:
            os.close(self._lock_descriptor)  # releases the flock
            self._lock_descriptor = None

    # ------------------------------------------------------------------ the operations

    def upsert(self, records: Sequence[Record], namespace: str) -> None:
        config = self._ready()
        self._write(prepare_records(records, config.metric, config.dim), namespace)

    def upsert_columns(
        self,
        ids: Iterable[str],
        vectors: Any,
        metadatas: Iterable[Mapping[str, Any]] | None,
        texts: Iterable[str | None] | None,
        namespace: str,
    ) -> None:
        config = self._ready()
        self._write(prepare_columns(ids, vectors, metadatas, texts, config.metric, config.dim), namespace)

    def _write(self, batch: Batch, namespace: str) -> None:
        """Store a checked batch: committed to SQLite now (``durability=call``), or kept pending
        (``durability=save``); the namespace's index changes either way."""
        if not batch.ids:
            return
        config = self._ready()
        deferred = config.durability == "save"
        if not deferred:
            batch.encoded()  # JSON and field rows made before taking the lock, not under it
        with self._lock.write():
            self._check_open()
            if config.dim is not None and batch.dim != config.dim:  # a first upsert raced this one
                raise RequestValidationError(
                    f"this store holds {config.dim}-dimensional vectors, got {batch.dim}-dimensional ones"
                )
            if deferred:
                self._defer(batch, namespace, config)
            else:
                self._commit(batch, namespace, config)

    def _commit(self, batch: Batch, namespace: str, config: Config) -> None:
        """An upsert committed to SQLite before the index changes (write lock held)."""
        space = self._space(namespace)
        connection = self._connection()
        token = _token()
        indexing: Alongside[None] | None = None
        try:
            with sdk.write_transaction(connection):
                if not config.stored:
                    catalog.write_settings(connection, {**config.settings(), "dim": batch.dim})
                ns_id = (
                    space.ns_id if space.ns_id is not None else catalog.ensure_namespace(connection, namespace, token)
                )
                replaced = catalog.existing(connection, ns_id, batch.ids) if space.live else {}
                if replaced:
                    catalog.delete(connection, list(replaced.values()))
                first = catalog.allocate(connection, len(batch))

                def change() -> None:
                    self._openmp(building=True)
                    space.remove(_sorted_ids(replaced.values()))
                    space.add(
                        np.arange(first, first + len(batch), dtype=np.int64), batch.vectors, self._factory, batch.scale
                    )

                if len(batch) >= ALONGSIDE_BATCH:
                    # A large batch: FAISS adds on a helper thread while SQLite writes the rows
                    # (both release the GIL); the transaction commits only if both succeed.
                    indexing = Alongside(change, "lluminary-faiss index")
                catalog.insert(connection, ns_id, first, batch, batch.vectors)
                catalog.changed(connection, ns_id, len(batch) - len(replaced), token)
                if indexing is not None:
                    indexing.join()
        except BaseException:
            if indexing is not None:  # the index holds what SQLite does not: rebuilt on next use
                indexing.join_quietly()
                self._spaces.pop(namespace, None)
            raise
        config.stored, config.dim = True, batch.dim
        space.ns_id, space.token = ns_id, token
        if indexing is None:
            self._apply(space, change)

    def _defer(self, batch: Batch, namespace: str, config: Config) -> None:
        """An upsert kept pending until the next flush: the index changes now (write lock held)."""
        space = self._space(namespace)
        pending = self._pending.get(namespace)
        superseded: list[int] = []
        fresh = batch.ids
        if pending is not None:
            where = pending.where()
            superseded = [where[name] for name in batch.ids if name in where]
            if superseded:
                fresh = [name for name in batch.ids if name not in where]
        replaced: list[int] = []
        stored = space.live - (pending.live if pending is not None else 0)  # records in SQLite
        if stored and space.ns_id is not None and fresh:
            replaced = list(catalog.existing(self._connection(), space.ns_id, fresh).values())
        first = self._allocate(len(batch))

        def change() -> None:
            self._openmp(building=True)
            space.remove(_sorted_ids([*superseded, *replaced]))
            space.add(np.arange(first, first + len(batch), dtype=np.int64), batch.vectors, self._factory, batch.scale)

        try:
            self._apply(space, change)
        except BaseException as exc:
            self._forget_pending(exc)
            raise
        if pending is None:
            pending = self._pending[namespace] = Pending()
        config.dim = batch.dim
        batch.release()  # the index holds the vectors now; the caller's array is not kept
        pending.add(first, batch, superseded, replaced)
        space.token = _token()

    def _forget_pending(self, exc: BaseException) -> None:
        """An index change failed (out of memory) with upserts pending, whose vectors only the
        indexes held: go back to the last flushed state, as a crash would, and say so."""
        if not self._pending:
            return
        for name in self._pending:
            self._spaces.pop(name, None)  # rebuilt from SQLite on next use
        exc.add_note(
            f"the upserts made since the last save of {self.directory} (durability=save) are lost: "
            "the store is as that save left it"
        )
        self._pending.clear()

    def _allocate(self, how_many: int) -> int:
        """Ids for pending records, from the counter in memory (written to SQLite by the flush)."""
        if self._next_id is None:
            self._next_id = catalog.next_id(self._connection())
        first = self._next_id
        self._next_id += how_many
        return first

    def _flush(self) -> None:
        """Write every pending upsert to SQLite in one transaction (write lock held): all of
        them or, if it fails, none (they stay pending)."""
        if not self._pending:
            return
        config = self._ready()
        connection = self._connection()
        namespaces: dict[str, int] = {}
        with sdk.write_transaction(connection):
            if not config.stored:
                catalog.write_settings(connection, config.settings())
            for name, pending in self._pending.items():
                space = self._spaces.get(name)
                token = space.token if space is not None else _token()
                ns_id = (
                    space.ns_id
                    if space is not None and space.ns_id is not None
                    else catalog.ensure_namespace(connection, name, token)
                )
                if pending.replaced:
                    catalog.delete(connection, pending.replaced)
                assert space is not None  # a namespace with pending upserts keeps its index
                for first, batch, alive in pending.batches_alive():
                    rows = np.arange(len(batch)) if alive is None else np.flatnonzero(alive)
                    vectors = self._held_vectors(space, first, batch, rows)
                    catalog.insert(connection, ns_id, first, batch, vectors, rows.tolist())
                catalog.changed(connection, ns_id, pending.live - len(pending.replaced), token)
                namespaces[name] = ns_id
            catalog.write_settings(connection, {"next_faiss_id": self._next_id})
        for name, ns_id in namespaces.items():
            space = self._spaces.get(name)
            if space is not None:
                space.ns_id = ns_id
        config.stored = True
        self._pending.clear()

    def _held_vectors(self, space: Space, first: int, batch: Batch, rows: I64) -> F32:
        """The vectors of rows of a pending batch, as given, read back from the index: a unit
        vector divided by the scale that made it (within a float32 rounding of the vector given)."""
        assert space.index is not None
        positions = space.positions(first + rows)
        stored = space.index.vectors()[positions]
        if batch.scale is not None:
            stored /= batch.scale[rows][:, None]
        return stored

    def _flush_now(self) -> None:
        with self._lock.write():
            self._check_open()
            self._flush()

    def query(
        self,
        vector: Sequence[float],
        top_k: int,
        filter: Mapping[str, Any] | None,
        namespace: str,
        include_vectors: bool,
        ef_search: int,
    ) -> list[Match]:
        config = self._ready()
        while True:
            self._load(namespace)
            if filter and namespace in self._pending:
                self._flush_now()  # filters read SQLite: the pending upserts go there first
            with self._lock.read():
                self._check_open()
                space = self._spaces.get(namespace)
                if space is None:
                    continue  # dropped by a failed write since it was loaded: load it again
                if filter and namespace in self._pending:
                    continue  # an upsert came in meanwhile: written first too
                self._openmp(building=False)
                return self._search(config, space, vector, top_k, filter, include_vectors, ef_search)

    def query_now(
        self,
        vector: Sequence[float],
        top_k: int,
        filter: Mapping[str, Any] | None,
        namespace: str,
        include_vectors: bool,
        ef_search: int,
        within: float,
    ) -> list[Match] | None:
        """The query run on the calling thread (the event loop's), or None when it should go to a
        worker instead: the namespace is not loaded, a write holds or awaits the index, queries
        here have not been measured under ``within`` seconds since the index last changed, or a
        filtered query needs pending upserts written first.

        Handing a query to a thread and its answer back costs about 100 µs on a small machine,
        as much as an HNSW search itself; a search that short costs the loop less run in place.
        (One query is one FAISS search with a single query vector, which FAISS runs on the
        calling thread alone: no OpenMP team is involved.)"""
        config = self._config
        space = self._spaces.get(namespace)
        if config is None or space is None:
            return None
        expected = space.query_seconds[bool(filter)]
        if expected is None or expected > within or (filter and namespace in self._pending):
            return None
        if not self._lock.try_read():
            return None
        try:
            if self.closed.is_set() or self._spaces.get(namespace) is not space:
                return None
            if filter and namespace in self._pending:
                return None
            if filter or include_vectors:
                return self._search(config, space, vector, top_k, filter, include_vectors, ef_search)
            return self._nearest(config, space, vector, top_k, ef_search)
        finally:
            self._lock.release_read()

    def _search(
        self,
        config: Config,
        space: Space,
        vector: Sequence[float],
        top_k: int,
        filter: Mapping[str, Any] | None,
        include_vectors: bool,
        ef_search: int,
    ) -> list[Match]:
        """A query, under the read lock: the search, timed for :meth:`query_now`, then its rows.
        The hot path of every query: each step here costs twice its bare time, coming after a
        search that has just filled the CPU's caches with vectors."""
        if not filter and not include_vectors:
            return self._nearest(config, space, vector, top_k, ef_search)
        index = space.index
        if index is None or not space.live:
            return []
        started = time.perf_counter()
        query, scale = prepare_query(vector, config.metric, index.dim)
        if filter:
            assert space.ns_id is not None
            allowed = FilterQuery(self._connection(), space.ns_id, space.live_ids()).ids(filter)
            ids, values = space.search_among(query, top_k, allowed, ef_search)
        else:
            ids, values = space.search(query, top_k, ef_search)
        keys = ids.tolist()
        scores = values.tolist() if scale == 1.0 else [value * scale for value in values.tolist()]
        if include_vectors:
            matches = self._matches_with_vectors(space, keys, scores)
        else:
            rows = self._rows.rows(keys, self._entries, space.name)
            matches = [
                Match(row[0], score, row[3](row[1]), row[2])
                for row, score in zip(rows, scores, strict=True)
                if row is not None
            ]
        space.timed(bool(filter), time.perf_counter() - started)
        return matches

    def _nearest(
        self, config: Config, space: Space, vector: Sequence[float], top_k: int, ef_search: int
    ) -> list[Match]:
        """An unfiltered query, under the read lock: the hot path of every RAG request, flat on
        purpose. Right after an HNSW search has filled the CPU's caches with vectors, each Python
        call here costs twice its bare time: one call into the index, the kept rows read in
        place, the score scaled as each match is made (measured: 2% of a 0.9 ms search)."""
        index = space.index
        if index is None or not space.live:
            return []
        started = time.perf_counter()
        query, scale = prepare_query(vector, config.metric, index.dim)
        keys, values = space.nearest(query, top_k, ef_search)
        get = self._rows.get
        rows = [get(key) for key in keys]
        if None in rows:  # rows not kept yet: read (pending ones from memory, the rest from SQLite)
            rows = self._rows.rows(keys, self._entries, space.name)
        matches = [
            Match(row[0], value * scale, row[3](row[1]), row[2])
            for row, value in zip(rows, values, strict=True)
            if row is not None
        ]
        space.timed(False, time.perf_counter() - started)
        return matches

    def _entries(self, namespace: str, keys: list[int]) -> dict[int, Entry]:
        """Rows a query has not kept yet: pending ones from memory, the others from SQLite."""
        pending = self._pending.get(namespace)
        found: dict[int, Entry] = {}
        if pending is not None:
            for key in keys:
                located = pending.locate(key)
                if located is not None:
                    batch, row = located
                    found[key] = entry(batch.ids[row], batch.metadata()[row], batch.texts[row])
            keys = [key for key in keys if key not in found]
        if keys:
            found.update(catalog.entries(self._connection(), keys))
        return found

    def _matches_with_vectors(self, space: Space, keys: list[int], scores: list[float]) -> list[Match]:
        pending = self._pending.get(space.name)
        rows = catalog.rows(self._connection(), keys, vectors=True)
        matches = []
        for key, score in zip(keys, scores, strict=True):
            located = pending.locate(key) if pending is not None and key not in rows else None
            if located is not None:
                batch, row = located
                fresh = _fresh(batch.metadata()[row])
                vector = self._held_vectors(space, key - row, batch, np.array([row]))[0]
                matches.append(Match(batch.ids[row], score, fresh, batch.texts[row], vector))
            elif (stored := rows.get(key)) is not None:
                vector = catalog.decode_vector(stored[4] or b"")
                matches.append(Match(stored[1], score, catalog.decode_metadata(stored[2]), stored[3], vector))
        return matches

    def fetch(self, ids: Sequence[str], namespace: str) -> list[Record]:
        self._ready()
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Record] = {}
        with self._lock.read():
            self._check_open()
            pending = self._pending.get(namespace)
            space = self._spaces.get(namespace)
            if pending is not None and space is not None:
                where = pending.where()
                for key in wanted:
                    if (faiss_id := where.get(key)) is not None and (located := pending.locate(faiss_id)) is not None:
                        batch, row = located
                        vector = self._held_vectors(space, faiss_id - row, batch, np.array([row]))[0]
                        found[key] = Record(key, vector, _fresh(batch.metadata()[row]), batch.texts[row])
                wanted = [key for key in wanted if key not in found]
            connection = self._connection()
            stored = catalog.namespace(connection, namespace) if wanted else None
            rows = catalog.rows_by_id(connection, stored[0], wanted) if stored is not None else {}
        for key, stored_row in rows.items():
            vector = catalog.decode_vector(stored_row[4] or b"")
            found[key] = Record(key, vector, catalog.decode_metadata(stored_row[2]), stored_row[3])
        return [found[key] for key in ids if key in found]

    def delete(self, ids: Sequence[str] | None, filter: Mapping[str, Any] | None, namespace: str) -> None:
        self._ready()
        with self._lock.write():
            self._check_open()
            self._flush()  # deletes are written at once: the pending upserts before them
            space = self._space(namespace)
            if space.ns_id is None or space.live == 0:
                return
            ns_id = space.ns_id
            connection = self._connection()
            token = _token()
            if filter is not None and not filter and ids is None:
                with sdk.write_transaction(connection):
                    removed = catalog.delete_namespace_records(connection, ns_id)
                    catalog.changed(connection, ns_id, -removed, token)
                space.token = token
                self._apply(space, lambda: space.clear(self._factory))
                return
            if ids is not None:
                doomed = catalog.faiss_ids(connection, ns_id, list(dict.fromkeys(ids)))
            else:
                assert filter is not None
                doomed = FilterQuery(connection, ns_id, space.live_ids()).ids(filter).tolist()
            if not doomed:
                return
            with sdk.write_transaction(connection):
                catalog.delete(connection, doomed)
                catalog.changed(connection, ns_id, -len(doomed), token)
            space.token = token
            self._apply(space, lambda: space.remove(_sorted_ids(doomed)))

    def count(self, namespace: str) -> int:
        self._ready()
        with self._lock.read():
            self._check_open()
            stored = catalog.count(self._connection(), namespace)
            pending = self._pending.get(namespace)
            return stored if pending is None else stored + pending.live - len(pending.replaced)

    def save(self) -> None:
        """Write the pending upserts to SQLite and every changed namespace's index file, now
        (also done by close)."""
        self._ready()
        with self._lock.write():
            self._check_open()
            self._save_all()

    # ------------------------------------------------------------------ namespaces in memory

    def _load(self, namespace: str) -> None:
        if namespace not in self._spaces:
            with self._lock.write():
                self._check_open()
                self._space(namespace)

    def _space(self, namespace: str) -> Space:
        """The namespace's index, loaded from its file or rebuilt from SQLite (write lock held)."""
        space = self._spaces.get(namespace)
        if space is not None:
            return space
        config = self._ready()
        connection = self._connection()
        found = catalog.namespace(connection, namespace)
        if found is None:
            space = Space(namespace, None)
        else:
            ns_id, count, token = found
            space = self._from_file(namespace, ns_id, token) or self._rebuilt(namespace, ns_id, token, count, config)
        self._spaces[namespace] = space
        return space

    def _from_file(self, namespace: str, ns_id: int, token: str) -> Space | None:
        config = self._ready()
        saved = persist.load(self._index_path(ns_id), token=token, kind=config.index, space=config.space)
        if saved is None or saved.index.dim != config.dim:
            return None
        live = catalog.live_ids(self._connection(), ns_id)
        alive = np.isin(saved.ids, live, assume_unique=True)
        if int(alive.sum()) != len(live):
            return None  # a record the file lacks: not the state its token names
        return Space(namespace, ns_id, token=token, index=saved.index, ids=saved.ids, alive=alive)

    def _rebuilt(self, namespace: str, ns_id: int, token: str, count: int, config: Config) -> Space:
        space = Space(namespace, ns_id, token=token)
        if count and config.dim is not None:
            ids, vectors = catalog.vectors(self._connection(), ns_id, config.dim)
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
            scale = unit_scale(vectors) if config.metric == "cosine" else None
            space.add(ids, vectors, self._factory, scale)
        space.dirty = True  # the file (if any) is stale: replaced on save
        return space

    def _apply(self, space: Space, change: Callable[[], object]) -> None:
        """Bring the index in line with a committed write; if that fails, drop it (rebuilt from
        SQLite on next use) and re-raise."""
        try:
            change()
        except BaseException:
            self._spaces.pop(space.name, None)
            raise

    def _save_all(self) -> None:
        self._flush()
        for space in list(self._spaces.values()):
            if not space.dirty or space.ns_id is None:
                continue
            path = self._index_path(space.ns_id)
            if space.index is None or space.live == 0:
                persist.remove(path)
            else:
                if space.needs_compaction():
                    space.compact(self._factory)
                try:
                    persist.save(path, space.token, space.ids, space.index)
                except OSError as exc:
                    raise FaissStoreError(f"cannot write the index file {path}: {exc}", path=path) from exc
            space.dirty = False

    def _factory(self, dim: int) -> NativeIndex:
        """A new empty index; the calling thread is about to fill it."""
        config = self._ready()
        self._openmp(building=True)
        return NativeIndex.new(config.index, config.space, dim, m=config.m, ef_construction=config.ef_construction)

    def _index_path(self, ns_id: int) -> str:
        return os.path.join(self.directory, persist.file_name(ns_id))

    # ------------------------------------------------------------------ plumbing

    def _ready(self) -> Config:
        config = self._config
        if config is None:
            raise self._closed_error() if self.closed.is_set() else FaissStoreError("not opened", path=self.directory)
        return config

    def _openmp(self, *, building: bool) -> None:
        """Set the calling thread's OpenMP threads for what it is about to do: ``threads=`` if the
        URL gives it; else one per search (the store runs several searches at once, and an OpenMP
        team for one query costs more than it saves on small and shared machines: 4x slower
        measured on two busy cores) and all of them for building an index."""
        config = self._ready()
        wanted = config.threads or (default_threads() if building else 1)
        if getattr(self._local, "threads", None) != wanted:
            set_threads(wanted)
            self._local.threads = wanted

    def _check_open(self) -> None:
        if self.closed.is_set():
            raise self._closed_error()

    def _closed_error(self) -> FaissStoreError:
        return FaissStoreError(f"the store {self.directory} is closed", path=self.directory)

    def _connection(self) -> sqlite3.Connection:
        """The calling thread's own connection (made on its first use)."""
        thread = threading.get_ident()
        connection = self._connections.get(thread)
        if connection is None:
            connection = self._connections[thread] = catalog.connect(self.directory)
        return connection


def _token() -> str:
    return secrets.token_hex(8)


def _sorted_ids(ids: Any) -> Any:
    return np.sort(np.fromiter(ids, dtype=np.int64))


def _fresh(metadata: dict[str, Any]) -> dict[str, Any]:
    """A copy of pending metadata for a caller, who may change it."""
    copied: dict[str, Any] = orjson.loads(orjson.dumps(metadata))
    return copied


# ---------------------------------------------------------------------- the process's open engines

_registry_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_closing: dict[str, Engine] = {}


def acquire(directory: str) -> Engine:
    """The engine of ``directory`` (made if none is open), with one more reference. No I/O."""
    key = os.path.realpath(directory)
    with _registry_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = Engine(key, previous=_closing.get(key))
        engine.refs += 1
        return engine


def release(engine: Engine) -> bool:
    """Drop a reference; True when it was the last (the caller then closes the engine)."""
    with _registry_lock:
        engine.refs -= 1
        if engine.refs > 0:
            return False
        engine.closing = True
        if _engines.get(engine.directory) is engine:
            del _engines[engine.directory]
        _closing[engine.directory] = engine
        return True


def forget(engine: Engine) -> None:
    """The engine has closed: a new one on its directory need not wait for it."""
    with _registry_lock:
        if _closing.get(engine.directory) is engine:
            del _closing[engine.directory]
