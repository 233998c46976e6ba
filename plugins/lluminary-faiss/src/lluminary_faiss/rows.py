"""The rows a query answers with, kept in memory for the next queries that return them.

A record's ``faiss_id`` names one version of it forever: an upsert gives the new version a new id
from a counter that only grows, and a delete removes the id, which no search returns again. So a
row read once (id, metadata JSON, text) never goes stale and needs no invalidation, only a bound
on how many are kept. Reading ten rows from SQLite costs a query 30 to 50 µs — a tenth of an HNSW
search — while popular passages come back query after query in retrieval workloads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from . import catalog

#: Rows kept per open store by default (a few MB for short metadata and passages).
DEFAULT_LIMIT = 20_000


class RowCache:
    """Up to ``limit`` rows by faiss id; the oldest entered go first when it is full (0: none kept).

    Shared by the store's threads: each step is one dict operation, atomic under the GIL, and two
    threads reading the same row at once both store the same immutable tuple."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._rows: dict[int, catalog.Row] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self, connection: sqlite3.Connection, faiss_ids: Sequence[int]) -> dict[int, catalog.Row]:
        """The rows of these ids (vectors not included), from memory where kept, else SQLite."""
        kept = self._rows
        found = {key: row for key in faiss_ids if (row := kept.get(key)) is not None}
        if len(found) == len(faiss_ids):
            return found
        missing = [key for key in faiss_ids if key not in found]
        read = catalog.rows(connection, missing, vectors=False)
        found.update(read)
        if self.limit:
            for key, row in read.items():
                while len(kept) >= self.limit:
                    try:
                        del kept[next(iter(kept))]
                    except (KeyError, StopIteration, RuntimeError):  # another thread evicted it first
                        break
                kept[key] = row
        return found
