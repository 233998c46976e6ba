"""The cache's operations on one SQLite connection, synchronous, for the one thread that owns it.

Reads are single statements (WAL: they never wait for a writer). Every write is one
``BEGIN IMMEDIATE`` transaction: it takes the write lock first, waiting up to the busy timeout,
so two writers never both read and then fail to upgrade; the value, the running byte total, the
purge of expired entries and any eviction commit together or not at all.

LRU precision: a read does not write. It notes the key's access time in memory when the stored
one is at least :data:`ACCESS_RESOLUTION` old, and the noted times are written in one batch with
the next write, or on their own every :data:`FLUSH_INTERVAL` seconds when reads come and no write
does (without waiting: if another connection is writing, they wait for the next chance). So the
eviction order is least-recently-used to about a second; times noted by a process that is killed
before it writes them are lost, which only makes those entries look older.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from lluminary.sdk import ChatResponse, EmbedResponse, dump_cache_value, load_cache_value, write_transaction

from .errors import SQLiteCacheError
from .options import SQLiteOptions
from .schema import connect

T = TypeVar("T")
CacheValue = ChatResponse | EmbedResponse

#: Seconds an entry's stored access time may lag behind its last read.
ACCESS_RESOLUTION = 1.0
#: Seconds between batches of access times written by reads alone.
FLUSH_INTERVAL = 1.0
#: Seconds between purges of expired entries (done by writes), and the most rows one purge deletes.
PURGE_INTERVAL = 5.0
PURGE_BATCH = 1_000
#: An eviction frees down to this fraction of ``max_bytes``, so the next writes need not evict.
EVICT_TO = 0.9
#: The noted access times kept at most (a read-only process that never gets the write lock).
MAX_PENDING = 100_000

_GET = "SELECT value, expires, last_access, created FROM cache_entries WHERE key = ?"
_UPSERT = """
INSERT INTO cache_entries (key, value, size, created, expires, last_access) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
    value = excluded.value, size = excluded.size, created = excluded.created,
    expires = excluded.expires, last_access = excluded.last_access
"""
_TOUCH = "UPDATE cache_entries SET last_access = max(last_access, ?) WHERE key = ?"
_PURGE = (
    "DELETE FROM cache_entries WHERE key IN "
    "(SELECT key FROM cache_entries WHERE expires <= ? ORDER BY expires LIMIT ?)"
)
_OLDEST = "SELECT key, size FROM cache_entries WHERE key != ? ORDER BY last_access LIMIT ?"
_TOTAL = "SELECT bytes FROM cache_totals WHERE id = 0"


class Store:
    """The cache on one connection, opened on first use by the thread that calls it."""

    def __init__(self, options: SQLiteOptions) -> None:
        self.options = options
        self._connection: sqlite3.Connection | None = None
        self._touched: dict[str, float] = {}
        self._last_flush = time.time()
        self._last_purge = 0.0
        self.closed = False

    # ------------------------------------------------------------------ the operations

    def get(self, key: str) -> CacheValue | None:
        """The live value of ``key``, or None. An unreadable entry is deleted and raised."""
        connection = self._open()
        row = self._sqlite(lambda: connection.execute(_GET, (key,)).fetchone())
        if row is None:
            return None
        data, expires, last_access, created = row
        now = time.time()
        if expires is not None and expires <= now:
            return None
        if now - last_access >= ACCESS_RESOLUTION and len(self._touched) < MAX_PENDING:
            self._touched[key] = now
        if self._touched and now - self._last_flush >= FLUSH_INTERVAL:
            self._flush_without_waiting(connection, now)
        try:
            return load_cache_value(data)
        except Exception as exc:
            self._drop(key, created)
            raise SQLiteCacheError(
                f"the cache entry {key!r} in {self.options.path} was unreadable "
                f"({type(exc).__name__}: {exc}) and has been deleted",
                path=self.options.path,
            ) from exc

    def set(self, key: str, value: CacheValue, ttl: float | None) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (None: the URL's ttl), evicting the
        least recently used entries if the total passes ``max_bytes``."""
        data = dump_cache_value(value)
        size = len(data) + len(key.encode("utf-8"))
        if size > self.options.max_bytes:
            raise SQLiteCacheError(
                f"an entry of {size:,} bytes is larger than the cache's max_bytes={self.options.max_bytes:,} "
                f"({self.options.path}); it was not stored: raise max_bytes in the URL",
                path=self.options.path,
            )
        ttl = self.options.ttl if ttl is None else ttl
        now = time.time()
        expires = now + ttl if ttl is not None else None

        def write(connection: sqlite3.Connection) -> None:
            connection.execute(_UPSERT, (key, data, size, now, expires, now))
            self._touched.pop(key, None)
            self._flush(connection)
            if now - self._last_purge >= PURGE_INTERVAL:
                connection.execute(_PURGE, (now, PURGE_BATCH))
                self._last_purge = now
            total = connection.execute(_TOTAL).fetchone()[0]
            if total > self.options.max_bytes:
                self._evict(connection, total - int(self.options.max_bytes * EVICT_TO), keep=key)

        self._write(write)

    def stats(self) -> dict[str, object]:
        """Entries (live and expired not yet purged), their bytes, the cap and the file."""
        connection = self._open()
        now = time.time()
        entries, expired = self._sqlite(
            lambda: connection.execute(
                "SELECT COUNT(*), COALESCE(SUM(expires IS NOT NULL AND expires <= ?), 0) FROM cache_entries", (now,)
            ).fetchone()
        )
        total = self._sqlite(lambda: connection.execute(_TOTAL).fetchone()[0])
        return {
            "path": self.options.path,
            "entries": entries,
            "expired": expired,
            "bytes": total,
            "max_bytes": self.options.max_bytes,
            "ttl": self.options.ttl,
        }

    def clear(self) -> None:
        """Delete every entry, and give the freed pages back to the file system."""
        self._write(lambda connection: connection.execute("DELETE FROM cache_entries"))
        self._touched.clear()
        try:
            # executescript steps the pragma to the end (``execute`` frees one page per call).
            self._open().executescript("PRAGMA incremental_vacuum;")
        except sqlite3.Error:
            pass  # the entries are gone; the pages are reused by the next writes anyway

    def close(self) -> None:
        """Write the noted access times if the lock is free, and close the connection. Idempotent."""
        self.closed = True
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if self._touched:
                self._flush_without_waiting(connection, time.time())
        finally:
            connection.close()

    # ------------------------------------------------------------------ inside a write

    def _drop(self, key: str, created: float) -> None:
        """Delete an unreadable entry, unless it was rewritten since it was read."""
        try:
            self._write(lambda c: c.execute("DELETE FROM cache_entries WHERE key = ? AND created = ?", (key, created)))
        except SQLiteCacheError:
            pass  # the lock is busy: the next set of this key overwrites it

    def _flush(self, connection: sqlite3.Connection) -> None:
        if self._touched:
            connection.executemany(_TOUCH, ((at, key) for key, at in self._touched.items()))
            self._touched.clear()
        self._last_flush = time.time()

    def _evict(self, connection: sqlite3.Connection, excess: int, *, keep: str) -> None:
        """Delete least-recently-used entries (never ``keep``, the one being written) until
        ``excess`` bytes are freed."""
        freed = 0
        while freed < excess:
            victims = []
            for key, size in connection.execute(_OLDEST, (keep, 64)).fetchall():
                victims.append((key,))
                freed += size
                if freed >= excess:
                    break
            if not victims:
                return
            connection.executemany("DELETE FROM cache_entries WHERE key = ?", victims)
            for (key,) in victims:
                self._touched.pop(key, None)

    # ------------------------------------------------------------------ plumbing

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            if self.closed:
                raise SQLiteCacheError(f"the cache {self.options.path} is closed", path=self.options.path)
            self._connection = self._sqlite(lambda: connect(self.options.path, self.options.timeout))
        return self._connection

    def _write(self, work: Callable[[sqlite3.Connection], object]) -> None:
        connection = self._open()
        with self._sqlite_errors(), write_transaction(connection):
            work(connection)

    def _flush_without_waiting(self, connection: sqlite3.Connection, now: float) -> None:
        """Write the noted access times now if no other connection holds the write lock."""
        try:
            connection.execute("PRAGMA busy_timeout = 0")
            try:
                with write_transaction(connection):
                    self._flush(connection)
            finally:
                connection.execute(f"PRAGMA busy_timeout = {int(self.options.timeout * 1000)}")
        except sqlite3.Error:
            self._last_flush = now  # busy (or failing: the next write says why): try again later

    def _sqlite(self, work: Callable[[], T]) -> T:
        with self._sqlite_errors():
            return work()

    @contextmanager
    def _sqlite_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _error(self, exc: sqlite3.Error) -> SQLiteCacheError:
        path = self.options.path
        text = str(exc)
        if "locked" in text or "busy" in text:
            hint = (
                f"another connection held the write lock longer than timeout={self.options.timeout:g} s "
                "(raise timeout= in the URL if writers are slow)"
            )
        elif "not a database" in text or "malformed" in text:
            hint = "the file is not a readable SQLite database: delete it, or use another file"
        else:
            hint = type(exc).__name__
        return SQLiteCacheError(f"the SQLite cache {path} failed: {text} ({hint})", path=path)
