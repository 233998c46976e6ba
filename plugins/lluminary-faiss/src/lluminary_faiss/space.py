"""One namespace's index in memory: the FAISS index, the map from its positions to record ids,
and the tombstones of an HNSW graph.

**Ids.** Every record gets an int64 id (its ``faiss_id``, the SQLite row id) from a counter that
only grows, and vectors are appended in id order, so ``ids`` — position → id — is always sorted:
an id's position is a binary search, and a whole filter's ids become positions in one vectorised
call. Removing from a flat index keeps the order (FAISS compacts in place), and so does
rebuilding (records are re-added in id order).

**Deleting.** A flat index removes vectors at once (``remove_ids``: one pass over the index per
batch). An HNSW graph cannot remove a node: a deleted or replaced record becomes a *tombstone*
(``alive[position] = False``), still a waypoint for the graph search but never returned — every
search then passes the live positions as a bitmap selector. :meth:`compact` rebuilds the graph
from the live vectors; the store does it when it saves and tombstones pass
:data:`COMPACT_FRACTION` of the graph.

**Filtered search.** The store turns a filter into the sorted ids that pass it (SQL over the
metadata, :mod:`lluminary_faiss.filters`); :meth:`search_among` then searches only those. When they
are few (:func:`exact_is_cheaper`) it scores them exactly, reading their vectors straight from the
index's storage — for HNSW this is both faster and exact where a graph search restricted to 1% of
its nodes would wander; otherwise FAISS searches with the ids as a bitmap selector. Either way the
filter is applied *before* ranking, never by over-fetching and dropping.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from .native import F32, I64, U8, NativeIndex, knn

Bools = npt.NDArray[np.bool_]
IndexFactory = Callable[[int], NativeIndex]  # dim -> a new empty index

#: An HNSW graph is rebuilt on save when tombstones are more than this fraction of its nodes.
COMPACT_FRACTION = 0.25
#: Filtered searches score the selected vectors exactly (brute force) up to this many of them;
#: above, FAISS searches the index with the selection as a bitmap selector.
EXACT_FLAT_LIMIT = 2_048
EXACT_HNSW_LIMIT = 4_096
#: A filtered HNSW search widens its breadth by 1/selectivity, up to this factor.
MAX_EF_WIDENING = 16


class Space:
    """A namespace's index. ``ns_id`` is its SQLite id (None: not stored yet); ``token`` the
    version of its records the index reflects (see :mod:`lluminary_faiss.persist`)."""

    def __init__(
        self,
        name: str,
        ns_id: int | None,
        *,
        token: str = "",
        index: NativeIndex | None = None,
        ids: I64 | None = None,
        alive: Bools | None = None,
    ) -> None:
        self.name = name
        self.ns_id = ns_id
        self.token = token
        self.index = index
        self.ids: I64 = np.zeros(0, dtype=np.int64) if ids is None else ids
        #: None while every position is live (always for flat indexes).
        self.alive: Bools | None = alive if alive is not None and not alive.all() else None
        #: The index differs from its file: saved on close.
        self.dirty = False
        self._live = len(self.ids) if self.alive is None else int(self.alive.sum())
        self._live_ids: I64 | None = None
        self._alive_bitmap: U8 | None = None
        #: Seconds a query takes here, unfiltered and filtered (a moving average; None: not
        #: measured since the last change): whether the next one may run on the event loop.
        self.query_seconds: list[float | None] = [None, None]

    # ------------------------------------------------------------------ state

    @property
    def live(self) -> int:
        """Records in the namespace (tombstones excluded)."""
        return self._live

    @property
    def tombstones(self) -> int:
        return len(self.ids) - self.live

    def live_ids(self) -> I64:
        """The sorted ids of the live records."""
        if self.alive is None:
            return self.ids
        if self._live_ids is None:
            self._live_ids = self.ids[self.alive]
        return self._live_ids

    def needs_compaction(self) -> bool:
        return self.tombstones > 0 and self.tombstones > COMPACT_FRACTION * len(self.ids)

    # ------------------------------------------------------------------ writes (under the store's write lock)

    def add(self, ids: I64, vectors: F32, factory: IndexFactory, scale: F32 | None = None) -> None:
        """Append records (``ids`` above every id held, ascending; ``vectors`` as searched, or
        made so by multiplying each by its ``scale``)."""
        if len(ids) == 0:
            return
        if self.index is None:
            self.index = factory(vectors.shape[1])
        self.index.add(vectors, scale)
        self.ids = np.concatenate((self.ids, ids))
        if self.alive is not None:
            self.alive = np.concatenate((self.alive, np.ones(len(ids), dtype=np.bool_)))
        self._changed()

    def remove(self, ids: I64) -> None:
        """Remove these ids (those not held are ignored): at once from a flat index, as
        tombstones from an HNSW graph."""
        positions = self.positions(ids)
        if len(positions) == 0 or self.index is None:
            return
        if self.index.kind == "flat":
            self.index.remove(positions)
            self.ids = np.delete(self.ids, positions)
        else:
            if self.alive is None:
                self.alive = np.ones(len(self.ids), dtype=np.bool_)
            self.alive[positions] = False
        self._changed()

    def clear(self, factory: IndexFactory) -> None:
        """Drop every record (a new empty index of the same dimension)."""
        if self.index is not None:
            self.index = factory(self.index.dim)
        self.ids = np.zeros(0, dtype=np.int64)
        self.alive = None
        self._changed()

    def compact(self, factory: IndexFactory) -> None:
        """Rebuild an HNSW graph from its live vectors alone (tombstones dropped)."""
        if self.index is None or self.alive is None:
            return
        keep = np.flatnonzero(self.alive)
        vectors = np.ascontiguousarray(self.index.vectors()[keep])
        index = factory(self.index.dim)
        index.add(vectors)
        self.index, self.ids, self.alive = index, self.ids[keep], None
        self._changed()

    def _changed(self) -> None:
        self.dirty = True
        self._live = len(self.ids) if self.alive is None else int(self.alive.sum())
        self._live_ids = None
        self._alive_bitmap = None
        self.query_seconds = [None, None]  # a grown index may search slower: measure again

    def timed(self, filtered: bool, seconds: float) -> None:
        """Fold one query's duration into the moving average (a quarter weight: one slow query
        moves it, a single outlier does not decide it)."""
        previous = self.query_seconds[filtered]
        self.query_seconds[filtered] = seconds if previous is None else previous + (seconds - previous) / 4

    # ------------------------------------------------------------------ reads (under the read lock)

    def positions(self, ids: I64) -> I64:
        """The positions of those of ``ids`` (sorted) that are live here."""
        if len(ids) == 0 or len(self.ids) == 0:
            return np.zeros(0, dtype=np.int64)
        found = np.searchsorted(self.ids, ids)
        found[found == len(self.ids)] = 0
        hit = self.ids[found] == ids
        positions = found[hit]
        if self.alive is not None:
            positions = positions[self.alive[positions]]
        result: I64 = positions.astype(np.int64, copy=False)
        return result

    def search(self, query: F32, top_k: int, ef_search: int) -> tuple[I64, F32]:
        """The ``top_k`` live records nearest ``query``: their ids and scores (higher is closer)."""
        live = self.live
        if self.index is None or live == 0:
            return _nothing()
        k = min(top_k, live)
        allowed = None
        if self.alive is not None:
            if self._alive_bitmap is None:
                self._alive_bitmap = np.packbits(self.alive, bitorder="little")
            allowed = self._alive_bitmap
            ef_search = _widened(ef_search, live / len(self.ids))
        return self._faiss_search(query, k, allowed, ef_search)

    def nearest(self, query: F32, top_k: int, ef_search: int) -> tuple[list[int], list[float]]:
        """:meth:`search` as plain lists, with FAISS's values as they are (inner products, or
        squared L2 distances negated): the unfiltered hot path, in one call to the index when
        no tombstone needs excluding."""
        index = self.index
        if self.alive is not None or index is None:
            ids, values = self.search(query, top_k, ef_search)
            return ids.tolist(), values.tolist()
        live = self._live
        if not live:
            return [], []
        distances, positions = index.search(query, top_k if top_k < live else live, ef_search=ef_search)
        if positions[-1] < 0:  # fewer than k found: FAISS puts the missing ones (-1) last
            found = positions >= 0
            distances, positions = distances[found], positions[found]
        return self.ids[positions].tolist(), (distances if index.space == "ip" else -distances).tolist()

    def search_among(
        self, query: F32, top_k: int, ids: I64, ef_search: int, *, exact: bool | None = None
    ) -> tuple[I64, F32]:
        """Like :meth:`search`, among the records with these ids (sorted) only. ``exact``: score
        them directly (True) or leave them to FAISS as a selector (False); None: the cheaper."""
        positions = self.positions(ids)
        if self.index is None or len(positions) == 0:
            return _nothing()
        k = min(top_k, len(positions))
        if exact is None:
            exact = exact_is_cheaper(self.index.kind, len(positions), self.index.ntotal)
        if exact:
            return self._exact(query, k, positions)
        bits = np.zeros(self.index.ntotal, dtype=np.bool_)
        bits[positions] = True
        allowed = np.packbits(bits, bitorder="little")
        return self._faiss_search(query, k, allowed, _widened(ef_search, len(positions) / self.index.ntotal))

    def _faiss_search(self, query: F32, k: int, allowed: U8 | None, ef_search: int) -> tuple[I64, F32]:
        assert self.index is not None
        values, positions = self.index.search(query, k, allowed=allowed, ef_search=ef_search)
        if positions[-1] < 0:  # fewer than k found: FAISS puts the missing ones (-1) last
            found = positions >= 0
            values, positions = values[found], positions[found]
        return self.ids[positions], values if self.index.space == "ip" else -values

    def _exact(self, query: F32, k: int, positions: I64) -> tuple[I64, F32]:
        assert self.index is not None
        vectors = np.ascontiguousarray(self.index.vectors()[positions])
        values, rows = knn(query, vectors, k, self.index.space)
        found = rows >= 0
        scores = values[found] if self.index.space == "ip" else -values[found]
        return self.ids[positions[rows[found]]], scores


def exact_is_cheaper(kind: str, selected: int, total: int) -> bool:
    """Whether scoring ``selected`` of ``total`` vectors directly beats a FAISS search with a
    selector (measured in ``benchmarks/store_faiss.py``): copying the selected vectors out costs
    about what their products do, while a flat selector search passes over every position and an
    HNSW one wanders through a graph mostly made of nodes it may not return."""
    if kind == "flat":
        return selected <= EXACT_FLAT_LIMIT
    return selected <= EXACT_HNSW_LIMIT


def _widened(ef_search: int, selectivity: float) -> int:
    """An HNSW breadth that still finds ``ef_search`` candidates when only ``selectivity`` of the
    nodes may be returned."""
    if selectivity >= 1.0:
        return ef_search
    return int(ef_search * min(MAX_EF_WIDENING, 1.0 / max(selectivity, 1e-9)))


def _nothing() -> tuple[I64, F32]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
