"""The ``pinecone://`` vector store: the kernel's store contract on a Pinecone index, through the
official SDK's asyncio client.

Scores follow the kernel (higher is closer): Pinecone's ``cosine`` and ``dotproduct`` scores are
passed on, and its ``euclidean`` score — the squared distance, lower is closer — is negated.

The index's dimension and metric are read once, with ``describe_index_stats``, on first use: a
vector of another dimension is refused before anything is sent, and a ``?metric=`` that is not the
index's is a :class:`~lluminary.sdk.ConfigurationError`. Without ``?metric=``, the store reports
``cosine`` (Pinecone's default) until then and the index's metric after.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from lluminary import RetryPolicy
from lluminary.sdk import ConfigurationError, Match, Metric, NotFoundError, Record, RequestValidationError

from .batching import fetch_batches, id_batches, upsert_batches
from .config import PINECONE_METRICS, PineconeConfig, parse_url
from .connection import Connections
from .filters import to_pinecone
from .records import check_namespace, check_vector, decode_id, encode_id, from_wire, to_wire
from .retry import with_retries

MAX_TOP_K = 10_000
DEFAULT_NAMESPACE_KEYS = ("__default__", "")


@dataclass(frozen=True)
class IndexInfo:
    """What ``describe_index_stats`` says of the index itself."""

    dimension: int | None
    metric: Metric | None


class PineconeStore:
    """A :class:`~lluminary.sdk.VectorStore` on one Pinecone index. Open it with
    ``client.open_store("pinecone://my-index?host=...", embed=...)``, or build it with
    :meth:`from_url` (which takes ``api_key=`` and ``retry_policy=`` in code)."""

    def __init__(self, config: PineconeConfig, *, retry_policy: RetryPolicy | None = None) -> None:
        self.config = config
        try:
            check_namespace(config.namespace)
        except RequestValidationError as exc:
            raise ConfigurationError(f"namespace=: {exc.message}") from None
        if not config.text_key or config.text_key.startswith("$"):
            raise ConfigurationError(
                f"text_key= names a metadata field (not starting with '$'), got {config.text_key!r}"
            )
        self.metric: Metric = config.metric or "cosine"
        self.retry_policy = retry_policy or RetryPolicy(max_attempts=config.retries, initial_delay=config.retry_delay)
        self._connections = Connections(config)
        self._info: IndexInfo | None = None
        #: one lock per event loop (made on first use there), so concurrent first calls read the info once
        self._info_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._closed = False

    @classmethod
    def from_url(
        cls, url: str, *, api_key: str | None = None, retry_policy: RetryPolicy | None = None
    ) -> PineconeStore:
        return cls(parse_url(url, api_key=api_key), retry_policy=retry_policy)

    def __repr__(self) -> str:
        host = self._connections.host or "(looked up on first use)"
        return f"<PineconeStore index={self.config.index!r} host={host!r} metric={self.metric!r}>"

    # ------------------------------------------------------------------ the contract

    async def upsert(self, records: Sequence[Record], *, namespace: str = "") -> None:
        space = self._namespace(namespace)
        if not records:
            return
        info = await self._index_info()
        dimension = info.dimension
        wired: dict[str, dict[str, Any]] = {}
        for record in records:  # every record is checked before any is sent; the last of an id wins
            if not isinstance(record, Record):
                raise RequestValidationError(f"upsert takes Record objects, got {type(record).__name__}")
            vector = to_wire(record, self.config.text_key, dimension)
            dimension = dimension or len(vector["values"])
            wired.pop(vector["id"], None)
            wired[vector["id"]] = vector
        index = await self._connections.index()
        written = 0
        for batch in upsert_batches(list(wired.values()), space):
            try:
                await with_retries(self.retry_policy, "upsert", partial(index.upsert, vectors=batch, namespace=space))
            except Exception as error:
                if written:
                    error.add_note(f"{written} of the {len(wired)} records were written before this batch failed")
                raise
            written += len(batch)

    async def query(
        self,
        vector: Sequence[float],
        *,
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        namespace: str = "",
        include_vectors: bool = False,
    ) -> list[Match]:
        space = self._namespace(namespace)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
            raise RequestValidationError(
                f"top_k must be an int from 1 to {MAX_TOP_K} (Pinecone's limit), got {top_k!r}"
            )
        native = to_pinecone(filter, text_key=self.config.text_key) if filter else None
        info = await self._index_info()
        values = check_vector(vector, info.dimension, "the query vector")
        index = await self._connections.index()
        answer = await with_retries(
            self.retry_policy,
            "query",
            lambda: index.query(
                top_k=top_k,
                vector=values,
                namespace=space,
                filter=native,
                include_values=include_vectors,
                include_metadata=True,
            ),
        )
        negate = self.metric == "l2"
        matches = []
        for hit in answer.matches:
            metadata, text = from_wire(hit.metadata, self.config.text_key)
            score = -hit.score if negate else hit.score
            matches.append(Match(decode_id(hit.id), score, metadata, text, hit.values if include_vectors else None))
        return matches

    async def fetch(self, ids: Sequence[str], *, namespace: str = "") -> list[Record]:
        space = self._namespace(namespace)
        if isinstance(ids, str):
            raise RequestValidationError("fetch takes a list of ids, got one string")
        wire_ids = [encode_id(key) for key in ids]
        if not wire_ids:
            return []
        index = await self._connections.index()
        found: dict[str, Any] = {}
        for batch in fetch_batches(list(dict.fromkeys(wire_ids))):
            answer = await with_retries(self.retry_policy, "fetch", partial(index.fetch, ids=batch, namespace=space))
            found.update(answer.vectors)
        records = []
        for wire_id in wire_ids:
            vector = found.get(wire_id)
            if vector is not None:
                metadata, text = from_wire(vector.metadata, self.config.text_key)
                records.append(Record(decode_id(wire_id), vector.values, metadata, text))
        return records

    async def delete(
        self, ids: Sequence[str] | None = None, *, filter: Mapping[str, Any] | None = None, namespace: str = ""
    ) -> None:
        space = self._namespace(namespace)
        if (ids is None) == (filter is None):
            raise RequestValidationError("delete takes ids or a filter (one of the two)")
        if isinstance(ids, str):
            raise RequestValidationError("delete takes a list of ids, got one string")
        index = await self._connections.index()
        try:
            if ids is not None:
                wire_ids = list(dict.fromkeys(encode_id(key) for key in ids))
                for batch in id_batches(wire_ids):
                    await with_retries(self.retry_policy, "delete", partial(index.delete, ids=batch, namespace=space))
            elif not filter:
                await with_retries(self.retry_policy, "delete", lambda: index.delete(delete_all=True, namespace=space))
            else:
                native = to_pinecone(filter, text_key=self.config.text_key)
                await with_retries(self.retry_policy, "delete", lambda: index.delete(filter=native, namespace=space))
        except NotFoundError:
            return  # Pinecone answers 404 for a namespace that does not exist: there was nothing to delete

    async def count(self, *, namespace: str = "") -> int:
        space = self._namespace(namespace)
        stats = await self._stats()
        names = (space,) if space else DEFAULT_NAMESPACE_KEYS
        for name in names:
            summary = stats.namespaces.get(name)
            if summary is not None:
                return int(summary.vector_count)
        return 0

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._connections.close()

    # ------------------------------------------------------------------ helpers

    def _namespace(self, namespace: str) -> str:
        if self._closed:
            raise RequestValidationError(f"this Pinecone store ({self.config.index!r}) is closed")
        return check_namespace(namespace) or self.config.namespace

    async def _stats(self) -> Any:
        index = await self._connections.index()
        return await with_retries(self.retry_policy, "describe_index_stats", index.describe_index_stats)

    async def _index_info(self) -> IndexInfo:
        """The index's dimension and metric, read once; the metric checked against ``?metric=``."""
        if self._info is not None:
            return self._info
        lock = self._info_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            return self._info or await self._read_index_info()

    async def _read_index_info(self) -> IndexInfo:
        stats = await self._stats()
        metric = PINECONE_METRICS.get(stats.metric or "")
        if metric is not None:
            if self.config.metric is not None and metric != self.config.metric:
                raise ConfigurationError(
                    f"the Pinecone index {self.config.index!r} scores with {stats.metric}, not "
                    f"{self.config.metric}: open it with ?metric={metric} (or without metric=)"
                )
            self.metric = metric
        info = IndexInfo(stats.dimension or None, metric)
        if info.dimension is not None:  # an index gets its dimension when created; a fake may wait for data
            self._info = info
        return info
