"""Opening the cache file: the connection's settings, and the schema with its version.

The file is the cache's own: it is marked with an ``application_id`` and its schema version is
``PRAGMA user_version``, so a later release can migrate it step by step, and a file written by
another application (or by a newer lluminary-sqlite) is refused instead of being altered.
"""

from __future__ import annotations

import os
import sqlite3
import time

from .errors import SQLiteCacheError

#: ``PRAGMA application_id`` of a lluminary cache file: "llca" in ASCII.
APPLICATION_ID = 0x6C6C6361
#: The schema this release writes. Bump it with a step in :data:`MIGRATIONS`.
SCHEMA_VERSION = 1
#: After a checkpoint the write-ahead log is cut back to this size (it grows with large values).
JOURNAL_SIZE_LIMIT = 64 << 20

SCHEMA_V1 = """
CREATE TABLE cache_entries (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    size INTEGER NOT NULL,       -- bytes of key and value: what max_bytes caps
    created REAL NOT NULL,       -- Unix time the value was written
    expires REAL,                -- Unix time it stops being returned; NULL: never
    last_access REAL NOT NULL    -- Unix time it was last written or read, to about a second
);
CREATE INDEX cache_entries_lru ON cache_entries (last_access);
CREATE INDEX cache_entries_expiry ON cache_entries (expires) WHERE expires IS NOT NULL;

-- The running total of sizes, kept by triggers in the writing transaction itself, so every
-- process sees the same total without summing the table.
CREATE TABLE cache_totals (id INTEGER PRIMARY KEY CHECK (id = 0), bytes INTEGER NOT NULL);
INSERT INTO cache_totals (id, bytes) VALUES (0, 0);
CREATE TRIGGER cache_entries_added AFTER INSERT ON cache_entries BEGIN
    UPDATE cache_totals SET bytes = bytes + new.size WHERE id = 0;
END;
CREATE TRIGGER cache_entries_removed AFTER DELETE ON cache_entries BEGIN
    UPDATE cache_totals SET bytes = bytes - old.size WHERE id = 0;
END;
CREATE TRIGGER cache_entries_resized AFTER UPDATE OF size ON cache_entries BEGIN
    UPDATE cache_totals SET bytes = bytes - old.size + new.size WHERE id = 0;
END;
"""

#: version found -> the script that brings the file to the next version (0: a new file).
MIGRATIONS: dict[int, str] = {0: SCHEMA_V1}


def connect(path: str, timeout: float) -> sqlite3.Connection:
    """A connection to the cache at ``path``, created or migrated as needed, ready for use.

    ``journal_mode=WAL``: readers never wait for the writer and the writer never waits for
    readers, across threads and processes, and a commit is one append to the log, atomic even if
    the process is killed halfway (an uncommitted tail is ignored on the next open).
    ``synchronous=NORMAL``: in WAL mode this fsyncs at checkpoints, not at every commit. A process
    crash still loses nothing committed; a power cut or OS crash may lose the last commits, never
    the file's integrity. For a cache, losing the last few answers is harmless, and an fsync per
    write (FULL) would make every write cost a disk flush.
    ``timeout``: how long a write waits for another connection's write lock (SQLite's busy timeout).
    ``isolation_level=None``: transactions are explicit (``BEGIN IMMEDIATE`` for every write).
    """
    directory = os.path.dirname(path)
    try:
        # A directory made here is private (answers can be sensitive); an existing one is kept as is.
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise SQLiteCacheError(f"cannot create the cache directory {directory}: {exc}", path=path) from exc
    connection = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=True)
    try:
        connection.execute("PRAGMA auto_vacuum = INCREMENTAL")  # only takes effect on a new file
        mode = _into_wal(connection, timeout)
        if str(mode).lower() != "wal":
            raise SQLiteCacheError(
                f"the cache file {path} cannot use write-ahead logging (journal mode {mode!r}): "
                "it must be on a local file system",
                path=path,
            )
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
        migrate(connection, path)
    except BaseException:
        connection.close()
        raise
    return connection


def _into_wal(connection: sqlite3.Connection, timeout: float) -> str:
    """``PRAGMA journal_mode = WAL``, retried while other connections hold the new file: leaving
    rollback mode needs the file to itself, and SQLite answers "database is locked" at once,
    without its busy handler, when connections opening a new file at the same moment deadlock on
    it (seen with eight threads opening one new file). Retried for up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            return str(connection.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def migrate(connection: sqlite3.Connection, path: str) -> None:
    """Bring the file to :data:`SCHEMA_VERSION`, under the write lock, so that processes opening
    a new file at the same moment create the schema once."""
    if _version(connection, path) == SCHEMA_VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = _version(connection, path)
        if version == 0:
            _refuse_foreign(connection, path)
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        while version < SCHEMA_VERSION:
            for statement in _statements(MIGRATIONS[version]):
                connection.execute(statement)
            version += 1
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def _version(connection: sqlite3.Connection, path: str) -> int:
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if application_id not in (0, APPLICATION_ID):
        raise SQLiteCacheError(f"{path} is not a lluminary cache file (it belongs to another application)", path=path)
    if version > SCHEMA_VERSION:
        raise SQLiteCacheError(
            f"the cache file {path} has schema version {version}, written by a newer lluminary-sqlite "
            f"(this one reads version {SCHEMA_VERSION}): upgrade lluminary-sqlite or use another file",
            path=path,
        )
    return version


def _refuse_foreign(connection: sqlite3.Connection, path: str) -> None:
    tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    if tables:
        raise SQLiteCacheError(
            f"{path} is a database of its own (tables: {', '.join(sorted(tables)[:5])}): "
            "give the cache a file of its own",
            path=path,
        )


def _statements(script: str) -> list[str]:
    """The statements of ``script``, for ``execute`` one by one inside the open transaction
    (``executescript`` would commit it first). Triggers hold semicolons: split on complete
    statements, as SQLite itself decides them."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
