"""The SQLite file beside the index (``store.sqlite``): records, their vectors, metadata fields,
namespaces and the store's settings — the source of truth the index is rebuilt from.

Tables:

* ``records``: one row per record — its int64 ``faiss_id`` (the row id, from a counter that only
  grows, so an id is never reused), namespace, string id, metadata (UTF-8 JSON) and text.
* ``vectors``: each record's vector as given (a float32 BLOB), by ``faiss_id``. A table of its
  own, so that the rows a query reads (its top k) stay small and in SQLite's cache: with the
  vectors inline, reading the 10 matches of a 100,000 x 384 store touched 10 cold pages (about a
  quarter of a millisecond).
* ``fields``: one row per scalar metadata value — (faiss_id, key, namespace, kind, value) — with
  an index on (namespace, key, kind, value), which filters search (:mod:`lluminary_faiss.filters`).
  Measured on 100,000 records (``benchmarks/store_faiss.py``): a filter selecting 1% reads its
  ids in well under a millisecond from this index, where ``json_extract`` over the JSON column
  scans the table (about 70 ms). The price is one more indexed row per scalar value on insert.
* ``namespaces``: name → id, the record count, and the ``token`` of the last change (see
  :mod:`lluminary_faiss.persist`).
* ``settings``: the build options and dimension fixed by the first write, and the id counter.

Connections: WAL (readers never wait for the writer), ``synchronous=NORMAL`` (a commit survives
the process being killed; an OS crash or power cut may lose the last commits, never the file's
integrity — and an index file never looks current for a lost commit, see persist), foreign
writes refused by the store's lock file. Every write is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import orjson

from lluminary.sdk import write_transaction

from .batch import Batch
from .errors import FaissStoreError
from .native import F32, I64
from .rows import Entry, entry

#: ``PRAGMA application_id`` of a lluminary-faiss store: "llfs" in ASCII.
APPLICATION_ID = 0x6C6C6673
SCHEMA_VERSION = 1
FILE_NAME = "store.sqlite"
#: Ids per statement when a list is bound as JSON (SQLite binds one JSON text, any length).
CHUNK = 50_000

SCHEMA = """
CREATE TABLE settings (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE namespaces (
    ns_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    count INTEGER NOT NULL DEFAULT 0,
    token TEXT NOT NULL
);
CREATE TABLE records (
    faiss_id INTEGER PRIMARY KEY,
    namespace INTEGER NOT NULL,
    id TEXT NOT NULL,
    metadata BLOB NOT NULL,
    text TEXT,
    UNIQUE (namespace, id)
);
CREATE TABLE vectors (faiss_id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE fields (
    faiss_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    namespace INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    value,
    PRIMARY KEY (faiss_id, key)
) WITHOUT ROWID;
CREATE INDEX fields_lookup ON fields (namespace, key, kind, value);
"""

#: Row of a record as read back: (faiss_id, id, metadata JSON, text, vector BLOB or None).
Row = tuple[int, str, bytes, str | None, bytes | None]


def connect(directory: str) -> sqlite3.Connection:
    """A connection to the store's SQLite file, created with its schema if new."""
    path = os.path.join(directory, FILE_NAME)
    try:
        connection = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise FaissStoreError(f"cannot open {path}: {exc}", path=path) from exc
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA cache_size=-32768")  # 32 MiB: a bulk upsert's index pages
        connection.execute("PRAGMA mmap_size=1073741824")
        with write_transaction(connection):
            application, version = _marks(connection)
            if version == 0 and application == 0:
                connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                for statement in _statements(SCHEMA):
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif application != APPLICATION_ID:
                raise FaissStoreError(f"{path} is not a lluminary-faiss store", path=path)
            elif version > SCHEMA_VERSION:
                raise FaissStoreError(
                    f"{path} was written by a newer lluminary-faiss (schema {version}): upgrade the plugin", path=path
                )
    except sqlite3.Error as exc:
        connection.close()
        raise FaissStoreError(f"cannot open {path}: {exc}", path=path) from exc
    except BaseException:
        connection.close()
        raise
    return connection


def _marks(connection: sqlite3.Connection) -> tuple[int, int]:
    application = connection.execute("PRAGMA application_id").fetchone()[0]
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if application == 0 and version == 0 and connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        return -1, 0  # someone else's database
    return int(application), int(version)


def _statements(script: str) -> Iterator[str]:
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            yield current.strip()
            current = ""


# ---------------------------------------------------------------------- settings and namespaces


def settings(connection: sqlite3.Connection) -> dict[str, Any]:
    return dict(connection.execute("SELECT key, value FROM settings").fetchall())


def write_settings(connection: sqlite3.Connection, values: dict[str, Any]) -> None:
    connection.executemany(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        values.items(),
    )


def namespace(connection: sqlite3.Connection, name: str) -> tuple[int, int, str] | None:
    """(ns_id, count, token) of a namespace, or None if nothing was ever stored in it."""
    row = connection.execute("SELECT ns_id, count, token FROM namespaces WHERE name = ?", (name,)).fetchone()
    return None if row is None else (int(row[0]), int(row[1]), str(row[2]))


def ensure_namespace(connection: sqlite3.Connection, name: str, token: str) -> int:
    connection.execute(
        "INSERT INTO namespaces (name, token) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", (name, token)
    )
    return int(connection.execute("SELECT ns_id FROM namespaces WHERE name = ?", (name,)).fetchone()[0])


def changed(connection: sqlite3.Connection, ns_id: int, delta: int, token: str) -> None:
    """Record a change of the namespace: its count moves by ``delta``; its token is new."""
    connection.execute("UPDATE namespaces SET count = count + ?, token = ? WHERE ns_id = ?", (delta, token, ns_id))


def count(connection: sqlite3.Connection, name: str) -> int:
    row = connection.execute("SELECT count FROM namespaces WHERE name = ?", (name,)).fetchone()
    return 0 if row is None else int(row[0])


# ---------------------------------------------------------------------- records


def allocate(connection: sqlite3.Connection, how_many: int) -> int:
    """Reserve ``how_many`` new ids; returns the first (the rest follow it)."""
    first = next_id(connection)
    write_settings(connection, {"next_faiss_id": first + how_many})
    return first


def next_id(connection: sqlite3.Connection) -> int:
    """The next id the counter gives."""
    row = connection.execute("SELECT value FROM settings WHERE key = 'next_faiss_id'").fetchone()
    return 1 if row is None else int(row[0])


def existing(connection: sqlite3.Connection, ns_id: int, ids: Sequence[str]) -> dict[str, int]:
    """id → faiss_id of those of ``ids`` stored in the namespace."""
    found: dict[str, int] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = orjson.dumps(list(ids[start : start + CHUNK]))
        found.update(
            connection.execute(
                "SELECT id, faiss_id FROM records WHERE namespace = ? AND id IN (SELECT value FROM json_each(?))",
                (ns_id, chunk),
            ).fetchall()
        )
    return found


def insert(
    connection: sqlite3.Connection,
    ns_id: int,
    first: int,
    batch: Batch,
    vectors: F32,
    rows: Sequence[int] | None = None,
) -> None:
    """Insert the records of ``batch`` at ``rows`` (all if None), with ids ``first + row`` and the
    ``vectors`` given (one per row inserted, in order)."""
    metadata, fields = batch.encoded()
    kept: Sequence[int] = range(len(batch)) if rows is None else rows
    connection.executemany(
        "INSERT INTO records (faiss_id, namespace, id, metadata, text) VALUES (?, ?, ?, ?, ?)",
        ((first + row, ns_id, batch.ids[row], metadata[row], batch.texts[row]) for row in kept),
    )
    connection.executemany(
        "INSERT INTO vectors (faiss_id, vector) VALUES (?, ?)",
        ((first + row, vector.tobytes()) for row, vector in zip(kept, vectors, strict=True)),
    )
    connection.executemany(
        "INSERT INTO fields (faiss_id, key, namespace, kind, value) VALUES (?, ?, ?, ?, ?)",
        ((first + row, key, ns_id, kind, value) for row in kept for key, kind, value in fields[row]),
    )


def delete(connection: sqlite3.Connection, faiss_ids: Sequence[int]) -> None:
    for start in range(0, len(faiss_ids), CHUNK):
        chunk = orjson.dumps(list(faiss_ids[start : start + CHUNK]))
        for table in ("records", "vectors", "fields"):
            connection.execute(f"DELETE FROM {table} WHERE faiss_id IN (SELECT value FROM json_each(?))", (chunk,))


def delete_namespace_records(connection: sqlite3.Connection, ns_id: int) -> int:
    """Delete every record of the namespace; returns how many there were."""
    connection.execute(
        "DELETE FROM vectors WHERE faiss_id IN (SELECT faiss_id FROM records WHERE namespace = ?)", (ns_id,)
    )
    removed = connection.execute("DELETE FROM records WHERE namespace = ?", (ns_id,)).rowcount
    connection.execute("DELETE FROM fields WHERE namespace = ?", (ns_id,))
    return int(removed)


def faiss_ids(connection: sqlite3.Connection, ns_id: int, ids: Sequence[str]) -> list[int]:
    return list(existing(connection, ns_id, ids).values())


_WITH_VECTORS = (
    "SELECT r.faiss_id, r.id, r.metadata, r.text, v.vector FROM records AS r JOIN vectors AS v USING (faiss_id)"
)
_WITHOUT_VECTORS = "SELECT r.faiss_id, r.id, r.metadata, r.text, NULL FROM records AS r"


def rows(connection: sqlite3.Connection, faiss_ids: Sequence[int], *, vectors: bool) -> dict[int, Row]:
    """The records with these faiss ids, by id (vectors only if asked)."""
    select = _WITH_VECTORS if vectors else _WITHOUT_VECTORS
    found: dict[int, Row] = {}
    if len(faiss_ids) <= 500:  # a query's top k: one statement with its ids as parameters
        marks = ",".join("?" * len(faiss_ids))
        for row in connection.execute(f"{select} WHERE r.faiss_id IN ({marks})", tuple(faiss_ids)):
            found[row[0]] = row
        return found
    sql = f"{select} WHERE r.faiss_id IN (SELECT value FROM json_each(?))"
    for start in range(0, len(faiss_ids), CHUNK):
        for row in connection.execute(sql, (orjson.dumps(list(faiss_ids[start : start + CHUNK])),)):
            found[row[0]] = row
    return found


def rows_by_id(connection: sqlite3.Connection, ns_id: int, ids: Sequence[str]) -> dict[str, Row]:
    """The records of the namespace with these ids, by id, vectors included."""
    found: dict[str, Row] = {}
    sql = f"{_WITH_VECTORS} WHERE r.namespace = ? AND r.id IN (SELECT value FROM json_each(?))"
    for start in range(0, len(ids), CHUNK):
        for row in connection.execute(sql, (ns_id, orjson.dumps(list(ids[start : start + CHUNK])))):
            found[row[1]] = row
    return found


def entries(connection: sqlite3.Connection, faiss_ids: list[int]) -> dict[int, Entry]:
    """The rows of these faiss ids as a query keeps them (:mod:`lluminary_faiss.rows`)."""
    return {key: entry(row[1], row[2], row[3]) for key, row in rows(connection, faiss_ids, vectors=False).items()}


def live_ids(connection: sqlite3.Connection, ns_id: int) -> I64:
    """The sorted faiss ids of the namespace's records."""
    (ids,) = connection.execute(
        "SELECT json_group_array(faiss_id) FROM records WHERE namespace = ?", (ns_id,)
    ).fetchone()
    return np.sort(np.array(orjson.loads(ids), dtype=np.int64))


def vectors(connection: sqlite3.Connection, ns_id: int, dim: int) -> tuple[I64, F32]:
    """Every record of the namespace as (sorted faiss ids, float32 vectors): to rebuild its index."""
    ids: list[int] = []
    blobs: list[bytes] = []
    for faiss_id, blob in connection.execute(
        "SELECT r.faiss_id, v.vector FROM records AS r JOIN vectors AS v USING (faiss_id) "
        "WHERE r.namespace = ? ORDER BY r.faiss_id",
        (ns_id,),
    ):
        ids.append(faiss_id)
        blobs.append(blob)
    matrix: F32 = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), dim)
    return np.array(ids, dtype=np.int64), matrix


def decode_vector(blob: bytes) -> tuple[float, ...]:
    return tuple(np.frombuffer(blob, dtype=np.float32).tolist())


def decode_metadata(blob: bytes) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(blob)
    return value
