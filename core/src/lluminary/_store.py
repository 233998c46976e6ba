"""The vector-store contract that ``lluminary_store`` plugins implement.

A backend stores records (id, vector, metadata, text) in namespaces and answers nearest-neighbour
queries by vector, with the kernel's one metadata filter language (:mod:`lluminary._filters`).
It never embeds: users reach it through a :class:`~lluminary.Collection`, which embeds texts and
questions through the client's normal ``embed`` path.

**Scores: higher is closer, whatever the metric.** ``cosine``: the cosine similarity, in [-1, 1];
``dot``: the inner product; ``l2``: the negated squared Euclidean distance (0 for the same vector,
more negative further away).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

Metric = Literal["cosine", "dot", "l2"]
METRICS: tuple[Metric, ...] = ("cosine", "dot", "l2")


def _floats(vector: Sequence[float] | None) -> tuple[float, ...] | None:
    if vector is None:
        return None
    tolist = getattr(vector, "tolist", None)  # numpy and array.array: one C call, not one per float
    if tolist is not None:
        return tuple(tolist())
    return tuple(map(float, vector))


@attrs.frozen
class Record:
    """What a store holds: an id, its vector, metadata (strings, numbers, booleans) and the text
    the vector was made from, if any. A record given without a vector is embedded from ``text``
    by the :class:`~lluminary.Collection` before it reaches a backend."""

    id: str
    vector: tuple[float, ...] | None = attrs.field(default=None, converter=_floats)
    metadata: Mapping[str, Any] = attrs.field(factory=dict)
    text: str | None = None


@attrs.frozen
class Match:
    """A query hit: the id, its score (higher is closer), metadata, text, and the vector when asked for."""

    id: str
    score: float
    metadata: Mapping[str, Any] = attrs.field(factory=dict)
    text: str | None = None
    vector: tuple[float, ...] | None = attrs.field(default=None, converter=_floats)


@runtime_checkable
class VectorStore(Protocol):
    """An async vector store: what ``lluminary_store(url)`` returns.

    ``namespace`` partitions a store ("" is the default one); an operation sees only its
    namespace. ``filter`` is the kernel's filter language, already checked by the kernel: translate
    it, and raise :class:`~lluminary.FilterError` for what the backend cannot express. Upserting an
    existing id replaces the record. Vectors of one store have one dimension; a vector of another
    is a :class:`~lluminary.RequestValidationError`.
    """

    #: How scores are computed: "cosine", "dot" or "l2" (see the module docs).
    metric: Metric

    async def upsert(self, records: Sequence[Record], *, namespace: str = "") -> None:
        """Insert or replace records (every one has a vector); all or nothing per call."""

    async def query(
        self,
        vector: Sequence[float],
        *,
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        namespace: str = "",
        include_vectors: bool = False,
    ) -> list[Match]:
        """The ``top_k`` records nearest ``vector`` that pass ``filter``, best first."""

    async def fetch(self, ids: Sequence[str], *, namespace: str = "") -> list[Record]:
        """The records with these ids, in the order asked; unknown ids are left out."""

    async def delete(
        self, ids: Sequence[str] | None = None, *, filter: Mapping[str, Any] | None = None, namespace: str = ""
    ) -> None:
        """Remove records by id (unknown ids are ignored) or by filter (``{}`` is every record of
        the namespace); exactly one of the two is given."""

    async def count(self, *, namespace: str = "") -> int:
        """How many records the namespace holds."""

    async def close(self) -> None:
        """Flush what needs flushing and release connections; idempotent."""
