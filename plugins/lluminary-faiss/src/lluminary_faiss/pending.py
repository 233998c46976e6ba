"""Upserts held in memory until the next flush, for ``durability=save``.

With ``durability=save`` an upsert changes its namespace's index at once (the next query finds
it) and keeps its checked batch here instead of writing it to SQLite. The next *flush* writes
every pending batch of every namespace to SQLite in one transaction: ``save()``, ``close()``,
and any operation that needs the records in SQLite (a delete, a filtered query). A crash loses
the upserts since the last flush, never part of one: the store reopens as it was at that flush.

A pending batch keeps its ids, metadata, texts and, for cosine, each vector's scale — not its
vectors: those are in the index, as raw FAISS keeps them, and are read back from it when
needed (the flush, a fetch, ``include_vectors``). Record numbers (``faiss_id``) come from the
engine's counter in memory, so every pending record's number is above every number in SQLite,
and each batch holds a run of consecutive numbers: a search hit is found in its batch by a
binary search over the batches' first numbers.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from .batch import Batch

Bools = npt.NDArray[np.bool_]


class Pending:
    """One namespace's upserts not yet in SQLite, oldest first."""

    def __init__(self) -> None:
        self.firsts: list[int] = []  # each batch's first faiss id
        self.batches: list[Batch] = []
        self._alive: list[Bools | None] = []  # per batch; None while all of it is live
        #: faiss ids of records in SQLite that pending upserts replaced: deleted by the flush.
        self.replaced: list[int] = []
        self.records = 0
        self.superseded = 0  # pending records replaced by later pending upserts
        self._where: dict[str, int] | None = None

    @property
    def live(self) -> int:
        """Pending records not replaced since."""
        return self.records - self.superseded

    def where(self) -> dict[str, int]:
        """id -> faiss id of each live pending record (made on first need, then kept up to date;
        a later batch's id wins, as the later upsert did)."""
        where = self._where
        if where is None:
            where = {}
            for first, batch in zip(self.firsts, self.batches, strict=True):
                where.update(zip(batch.ids, range(first, first + len(batch)), strict=True))
            self._where = where  # two readers making it at once store equal dicts
        return where

    def add(self, first: int, batch: Batch, superseded: list[int], replaced: list[int]) -> None:
        """Keep an upsert: ``batch`` numbered from ``first``, replacing the pending records
        ``superseded`` and the SQLite records ``replaced``."""
        for faiss_id in superseded:
            index = bisect_right(self.firsts, faiss_id) - 1
            alive = self._alive[index]
            if alive is None:
                alive = self._alive[index] = np.ones(len(self.batches[index]), dtype=np.bool_)
            alive[faiss_id - self.firsts[index]] = False
        self.superseded += len(superseded)
        self.replaced.extend(replaced)
        self.firsts.append(first)
        self.batches.append(batch)
        self._alive.append(None)
        self.records += len(batch)
        if self._where is not None:
            self._where.update(zip(batch.ids, range(first, first + len(batch)), strict=True))

    def locate(self, faiss_id: int) -> tuple[Batch, int] | None:
        """The batch holding the live pending record ``faiss_id``, and its row there."""
        index = bisect_right(self.firsts, faiss_id) - 1
        if index < 0:
            return None
        batch = self.batches[index]
        row = faiss_id - self.firsts[index]
        alive = self._alive[index]
        if row >= len(batch) or (alive is not None and not alive[row]):
            return None
        return batch, row

    def batches_alive(self) -> Iterator[tuple[int, Batch, Bools | None]]:
        """(first faiss id, batch, which of its rows are live — None: all), oldest first."""
        yield from zip(self.firsts, self.batches, self._alive, strict=True)
