"""The cost ledger: one row per call (tags, provider, model, operation, tokens, cost, time, cache
hit or not), kept so that ``lluminary costs`` can report on it later, from any process.

A ledger is chosen by URL, like a cache: ``sqlite:///~/.lluminary/costs.db`` (the kernel's, below),
``memory://`` (this process only), or any scheme a plugin serves through the
``lluminary_cost_ledger`` hook (``redis://...`` from lluminary-redis). :meth:`CostLedger.record`
must never block or raise: a call pays for a queue append, and the writing happens elsewhere.
Nothing secret is recorded: no key, no base URL, no prompt; tags are what the caller put in
``metadata=``.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._cost_record import TOKEN_FIELDS, CostLedger, CostRecord, MemoryCostLedger, logger
from ._errors import ConfigurationError

if TYPE_CHECKING:
    from ._plugins import PluginManager

__all__ = ["LEDGER_ENV", "SQLiteCostLedger", "open_cost_ledger", "sqlite_path"]

LEDGER_ENV = "LLUMINARY_COST_LEDGER"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS costs (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    operation TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    cost_usd REAL,
    cached INTEGER NOT NULL,
    tags TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS costs_by_time ON costs (time);
"""
_COLUMNS = "time, operation, provider, model, " + ", ".join(TOKEN_FIELDS) + ", cost_usd, cached, tags"
_INSERT = f"INSERT INTO costs ({_COLUMNS}) VALUES ({', '.join('?' * 12)})"
_STOP = object()
#: Seconds a writer waits for another process's transaction before giving a batch up.
BUSY_TIMEOUT = 30.0
_BATCH = 1_000


class SQLiteCostLedger:
    """An append-only SQLite file (``sqlite:///path``; ``~`` is expanded): WAL, so readers never
    wait on writers; one writer thread per ledger, which takes whatever queued up while it
    wrote and inserts it in one transaction; every process may append to the same file (SQLite's
    lock serialises their transactions; each waits up to :data:`BUSY_TIMEOUT` seconds)."""

    def __init__(self, path: str) -> None:
        self.path = os.path.expanduser(path)
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._failed = False
        try:
            directory = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(directory, exist_ok=True)
            _setup(self._connect())
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(f"cannot open the cost ledger {self.path!r}: {exc}") from None
        _open_ledgers.add(self)

    def __repr__(self) -> str:
        return f"<SQLiteCostLedger {self.path!r}>"

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)

    # ------------------------------------------------------------------ the protocol

    def record(self, entry: CostRecord) -> None:
        if self._closed:
            logger.warning("a cost was recorded in the closed ledger %r; it is lost", self.path)
            return
        if self._thread is None:
            self._start()
        self._queue.put(entry)

    async def records(self, *, since: float | None = None, until: float | None = None) -> Sequence[CostRecord]:
        import asyncio

        await self.flush()
        return await asyncio.to_thread(self.read, since=since, until=until)

    def read(self, *, since: float | None = None, until: float | None = None) -> list[CostRecord]:
        """:meth:`records`, blocking (what the CLI and the worker threads use)."""
        query = f"SELECT {_COLUMNS} FROM costs WHERE time >= ? AND time < ? ORDER BY time, id"
        bounds = (since if since is not None else float("-inf"), until if until is not None else float("inf"))
        try:
            connection = self._connect()
            try:
                rows = connection.execute(query, bounds).fetchall()
            finally:
                connection.close()
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot read the cost ledger {self.path!r}: {exc}") from None
        return [_from_row(row) for row in rows]

    async def flush(self) -> None:
        import asyncio

        if self._thread is not None and self._queue.unfinished_tasks:
            await asyncio.to_thread(self._queue.join)

    def flush_sync(self) -> None:
        if self._thread is not None:
            self._queue.join()

    async def close(self) -> None:
        import asyncio

        await asyncio.to_thread(self.close_sync)

    def close_sync(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    # ------------------------------------------------------------------ the writer

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._write, name="lluminary-cost-ledger", daemon=True)
                self._thread.start()

    def _write(self) -> None:
        connection = self._connect()
        try:
            while True:
                batch = [self._queue.get()]
                while len(batch) < _BATCH:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                entries = [e for e in batch if e is not _STOP]
                try:
                    if entries:
                        _insert(connection, entries)  # type: ignore[arg-type]
                        self._failed = False
                except sqlite3.Error as exc:
                    if not self._failed:  # once per failing spell, not once per batch
                        logger.warning("cost ledger %r: %d records lost: %s", self.path, len(entries), exc)
                    self._failed = True
                finally:
                    for _ in batch:
                        self._queue.task_done()
                if len(entries) != len(batch):
                    return
        finally:
            connection.close()


def _setup(connection: sqlite3.Connection) -> None:
    """WAL and the table. Processes opening a new file at once can find it locked while one of
    them switches it to WAL: retried, for up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    try:
        while True:
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.executescript(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
    finally:
        connection.close()


def _insert(connection: sqlite3.Connection, entries: list[CostRecord]) -> None:
    rows = [
        (
            e.time,
            e.operation,
            e.provider,
            e.model,
            e.input_tokens,
            e.output_tokens,
            e.cache_read_tokens,
            e.cache_write_tokens,
            e.reasoning_tokens,
            e.cost_usd,
            int(e.cached),
            json.dumps(dict(e.tags), sort_keys=True),
        )
        for e in entries
    ]
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.executemany(_INSERT, rows)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _from_row(row: tuple[Any, ...]) -> CostRecord:
    tags = json.loads(row[11]) if row[11] else {}
    return CostRecord(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], bool(row[10]), tags
    )


#: Ledgers with a writer that may still hold records: written out when the interpreter exits.
_open_ledgers: weakref.WeakSet[SQLiteCostLedger] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for ledger in list(_open_ledgers):
        ledger.close_sync()


def sqlite_path(url: str) -> str:
    """The file of ``sqlite:///abs/path`` (also ``sqlite:////abs/path``), ``sqlite:///~/x.db``
    or ``sqlite://relative.db`` (relative to the working directory), as the SQLite cache reads them."""
    path = url.removeprefix("sqlite://").partition("?")[0]
    if path.startswith("/~"):
        path = path[1:]
    elif path.startswith("//"):
        path = "/" + path.lstrip("/")  # sqlite:////abs/path, as SQLAlchemy writes it
    if not path or path == "/":
        raise ConfigurationError("a sqlite:// cost ledger needs a file: sqlite:///path/to/costs.db")
    return path


def open_cost_ledger(url: str, plugins: PluginManager) -> CostLedger:
    """The ledger ``url`` names: the kernel's ``sqlite://`` and ``memory://``, else the plugin
    serving its scheme (``lluminary_cost_ledger``)."""
    scheme, sep, _ = url.partition("://")
    if not sep:
        raise ConfigurationError("a cost ledger is a URL: sqlite:///path/to/costs.db, memory:// or redis://...")
    if scheme == "sqlite":
        return SQLiteCostLedger(sqlite_path(url))
    if scheme == "memory":
        return MemoryCostLedger()
    plugins.load(scheme)
    ledger: CostLedger | None = plugins.hook.lluminary_cost_ledger(url=url)
    if ledger is None:
        # The scheme only: the URL may carry a password.
        raise plugins.missing(scheme, f"no cost ledger serves {scheme}: URLs")
    return ledger
