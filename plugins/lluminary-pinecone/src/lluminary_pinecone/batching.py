"""Requests cut at the service's limits (https://docs.pinecone.io/reference/api/database-limits/operation-limits):
an upsert carries at most 1,000 vectors and 2 MB; a fetch or a delete at most 1,000 ids.

An upsert's size is measured, not guessed: each vector's JSON is encoded the way the SDK encodes
the request (orjson, compact) and the batch closes before the body would pass 2,000,000 bytes, the
stricter reading of "2 MB". A fetch sends its ids in the URL, so its batches also stop at 32 KB of
ids, well under what proxies accept in a request line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

from lluminary.sdk import RequestValidationError, dumps

MAX_UPSERT_VECTORS = 1_000
MAX_UPSERT_BYTES = 2_000_000
MAX_IDS = 1_000
MAX_FETCH_QUERY_BYTES = 32_768


def upsert_batches(
    vectors: Sequence[dict[str, Any]],
    namespace: str,
    *,
    max_count: int = MAX_UPSERT_VECTORS,
    max_bytes: int = MAX_UPSERT_BYTES,
) -> Iterator[list[dict[str, Any]]]:
    """``vectors`` in order, in batches whose request bodies stay within both limits."""
    overhead = len(dumps({"vectors": [], "namespace": namespace} if namespace else {"vectors": []}))
    batch: list[dict[str, Any]] = []
    size = overhead
    for vector in vectors:
        own = len(dumps(vector))
        if overhead + own > max_bytes:
            raise RequestValidationError(
                f"record {vector.get('id')!r} alone takes {overhead + own} bytes; a Pinecone upsert carries at most {max_bytes}"
            )
        if batch and (len(batch) >= max_count or size + 1 + own > max_bytes):  # 1: the comma before it
            yield batch
            batch, size = [], overhead
        size += own + (1 if batch else 0)
        batch.append(vector)
    if batch:
        yield batch


def id_batches(ids: Sequence[str], *, max_count: int = MAX_IDS) -> Iterator[list[str]]:
    """``ids`` in batches of at most ``max_count``."""
    for start in range(0, len(ids), max_count):
        yield list(ids[start : start + max_count])


def fetch_batches(
    ids: Sequence[str], *, max_count: int = MAX_IDS, max_query_bytes: int = MAX_FETCH_QUERY_BYTES
) -> Iterator[list[str]]:
    """``ids`` in batches of at most ``max_count`` whose ``ids=...&ids=...`` query stays short."""
    batch: list[str] = []
    size = 0
    for key in ids:
        cost = len("ids=") + len(quote(key, safe="")) + 1
        if batch and (len(batch) >= max_count or size + cost > max_query_bytes):
            yield batch
            batch, size = [], 0
        batch.append(key)
        size += cost
    if batch:
        yield batch
