"""The rows a query answers with, kept in memory — decoded — for the next queries that return them.

A record's ``faiss_id`` names one version of it forever: an upsert gives the new version a new id
from a counter that only grows, and a delete removes the id, which no search returns again. So a
row read once (id, metadata, text) never goes stale and needs no invalidation, only a bound on
how many are kept. Reading ten rows from SQLite costs a query 30 to 50 µs — a tenth of an HNSW
search — while popular passages come back query after query in retrieval workloads.

Metadata is kept decoded, so a hit costs a dict copy (every match gets its own: callers may change
it) instead of a JSON decode; metadata holding lists or mappings is kept as JSON and decoded per
hit, so that no caller can reach into a kept row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

#: Rows kept per open store by default (a few MB for short metadata and passages).
DEFAULT_LIMIT = 20_000

#: (id, metadata as kept, text, the function that makes a caller's copy of the metadata).
Entry = tuple[str, Any, str | None, Callable[[Any], dict[str, Any]]]
Loader = Callable[[str, list[int]], dict[int, Entry]]


def entry(record_id: str, metadata: dict[str, Any] | bytes, text: str | None) -> Entry:
    """A row as kept, from decoded metadata or from its JSON (as SQLite holds it): a dict of
    scalars is kept decoded and copied per match (``dict.copy``), anything else kept as JSON and
    decoded per match (``orjson.loads``) — each one C call."""
    decoded = orjson.loads(metadata) if isinstance(metadata, bytes) else metadata
    for value in decoded.values():
        if isinstance(value, (list, dict)):
            return record_id, metadata if isinstance(metadata, bytes) else orjson.dumps(metadata), text, orjson.loads
    return record_id, decoded, text, dict.copy


class RowCache:
    """Up to ``limit`` rows by faiss id; the oldest entered go first when it is full (0: none kept).

    Shared by the store's threads: each step is one dict operation, atomic under the GIL, and two
    threads reading the same row at once both store equal entries that nobody changes."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._rows: dict[int, Entry] = {}
        #: The kept row of one id, or None (a dict's own ``get``: the cheapest read there is).
        self.get = self._rows.get

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self, faiss_ids: Sequence[int], load: Loader, namespace: str) -> list[Entry | None]:
        """The rows of these ids, in their order, from memory where kept, else from ``load``
        (given the namespace and the other ids); None for an id neither knows."""
        get = self._rows.get
        found = [get(key) for key in faiss_ids]
        if None not in found:
            return found
        read = load(namespace, [key for key, row in zip(faiss_ids, found, strict=True) if row is None])
        if self.limit:
            kept = self._rows
            for key, row in read.items():
                while len(kept) >= self.limit:
                    try:
                        del kept[next(iter(kept))]
                    except (KeyError, StopIteration, RuntimeError):  # another thread evicted it first
                        break
                kept[key] = row
        return [row if row is not None else read.get(key) for key, row in zip(faiss_ids, found, strict=True)]
