"""The vector-store contract that ``lluminary_store`` plugins implement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs


@attrs.frozen
class StoredVector:
    """A vector with its id and metadata."""

    id: str
    vector: Sequence[float]
    metadata: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Match:
    """A query hit: the id, its similarity score (higher is closer) and its metadata."""

    id: str
    score: float
    metadata: Mapping[str, Any] = attrs.field(factory=dict)


@runtime_checkable
class VectorStore(Protocol):
    """An async vector store. Implementations decide persistence; the kernel only calls these."""

    async def upsert(self, items: Sequence[StoredVector]) -> None:
        """Insert or replace vectors by id."""

    async def query(
        self, vector: Sequence[float], *, top_k: int = 10, filter: Mapping[str, Any] | None = None
    ) -> list[Match]:
        """Return the ``top_k`` nearest vectors, best first."""

    async def delete(self, ids: Sequence[str]) -> None:
        """Remove vectors by id; unknown ids are ignored."""

    async def close(self) -> None:
        """Release connections and flush what needs flushing."""
