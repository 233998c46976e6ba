"""The kernel's in-process vector store (``memory://``): exact search over dicts, the reference
the store conformance suite holds every backend to.

For tests, small caches and prototypes: every query scans the records of its namespace that pass
the filter, so it suits thousands of vectors, not millions (use ``lluminary-faiss`` for those).
For ``cosine`` vectors are normalised once, on upsert, so a query costs one dot product per
candidate. ``memory://name?metric=cosine|dot|l2``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._errors import RequestValidationError
from ._filters import matches
from ._store import METRICS, Match, Metric, Record

__all__ = ["MemoryStore"]

_Row = tuple[tuple[float, ...], Record]  # (the vector searched, the record as given)


class MemoryStore:
    """Exact nearest neighbours; scores per :mod:`lluminary._store` (higher is closer). Not persisted."""

    #: No I/O: nothing here waits.
    in_process = True

    def __init__(self, metric: Metric = "cosine") -> None:
        if metric not in METRICS:
            raise RequestValidationError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        self.metric: Metric = metric
        self._spaces: dict[str, dict[str, _Row]] = {}
        self._dimensions: int | None = None

    @classmethod
    def from_url(cls, url: str) -> MemoryStore:
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(url).query)
        unknown = set(query) - {"metric"}
        if unknown:
            raise RequestValidationError(f"{url!r}: unknown option(s) {', '.join(sorted(unknown))} (known: metric)")
        return cls(query.get("metric", ["cosine"])[0])  # type: ignore[arg-type]

    async def upsert(self, records: Sequence[Record], *, namespace: str = "") -> None:
        rows = [(record.id, self._searched(record)) for record in records]  # all checked first
        space = self._spaces.setdefault(namespace, {})
        for key, row in rows:
            space[key] = row

    async def query(
        self,
        vector: Sequence[float],
        *,
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        namespace: str = "",
        include_vectors: bool = False,
    ) -> list[Match]:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise RequestValidationError(f"top_k must be a positive int, got {top_k!r}")
        space = self._spaces.get(namespace)
        if not space:
            return []
        query = self._prepare(vector)
        score = _SCORES[self.metric]
        scored = [
            (score(query, searched), record)
            for searched, record in space.values()
            if not filter or matches(filter, record.metadata)
        ]
        scored.sort(key=operator.itemgetter(0), reverse=True)
        return [
            Match(record.id, value, record.metadata, record.text, record.vector if include_vectors else None)
            for value, record in scored[:top_k]
        ]

    async def fetch(self, ids: Sequence[str], *, namespace: str = "") -> list[Record]:
        space = self._spaces.get(namespace, {})
        return [space[key][1] for key in ids if key in space]

    async def delete(
        self, ids: Sequence[str] | None = None, *, filter: Mapping[str, Any] | None = None, namespace: str = ""
    ) -> None:
        space = self._spaces.get(namespace)
        if not space:
            return
        if ids is not None:
            for key in ids:
                space.pop(key, None)
        elif filter is not None:
            for key in [key for key, (_, record) in space.items() if matches(filter, record.metadata)]:
                del space[key]

    async def count(self, *, namespace: str = "") -> int:
        return len(self._spaces.get(namespace, ()))

    async def clear(self) -> None:
        """Drop every record of every namespace."""
        self._spaces.clear()
        self._dimensions = None

    async def close(self) -> None:
        return None

    def _searched(self, record: Record) -> _Row:
        if record.vector is None:
            raise RequestValidationError(f"record {record.id!r} has no vector (embed its text first)")
        return self._prepare(record.vector), record

    def _prepare(self, vector: Sequence[float]) -> tuple[float, ...]:
        values = tuple(float(x) for x in vector)
        if self._dimensions is None:
            self._dimensions = len(values)
        elif len(values) != self._dimensions:
            raise RequestValidationError(f"this store holds {self._dimensions}-dimensional vectors, got {len(values)}")
        norm = math.sqrt(_dot(values, values))
        if not math.isfinite(norm):
            raise RequestValidationError("a vector must be finite")
        if self.metric != "cosine":
            return values
        if norm == 0.0:
            raise RequestValidationError("a cosine vector cannot be all zeros")
        return tuple(x / norm for x in values)


def _dot_311(left: Sequence[float], right: Sequence[float]) -> float:
    total: float = sum(map(operator.mul, left, right))
    return total


_dot: Callable[[Sequence[float], Sequence[float]], float] = getattr(math, "sumprod", _dot_311)  # 3.12+


def _negated_squared_l2(left: Sequence[float], right: Sequence[float]) -> float:
    return -sum((a - b) * (a - b) for a, b in zip(left, right, strict=True))


_SCORES: dict[str, Callable[[Sequence[float], Sequence[float]], float]] = {
    "cosine": _dot,  # both sides are unit vectors
    "dot": _dot,
    "l2": _negated_squared_l2,
}
