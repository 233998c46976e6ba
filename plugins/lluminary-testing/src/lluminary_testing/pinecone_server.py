"""A fake Pinecone data plane on loopback: one dense index, held in memory, behind real HTTP.

The official ``pinecone`` SDK (``AsyncIndex(host="http://127.0.0.1:PORT")``) talks to it as it talks
to an index host. It serves the vector operations of the REST data plane — ``POST /vectors/upsert``,
``POST /query``, ``GET /vectors/fetch``, ``POST /vectors/delete``, ``POST /describe_index_stats`` —
with the service's camelCase JSON, ``Api-Key`` authentication, its limits and error bodies, its
metadata-filter language and its scores. The control plane (``api.pinecone.io``: creating indexes,
``describe_index`` for a host) is not served: clients are given the host.

Facts it is built on, and where they come from
-----------------------------------------------
[spec] the data-plane OpenAPI document, https://github.com/pinecone-io/pinecone-api
       ``2026-07/db_data_2026-07.oas.yaml`` (the version the SDK below sends) and ``2026-04/...``
[sdk]  the official SDK, ``pip install pinecone`` 10.2.0 (https://github.com/pinecone-io/python-sdk),
       read from its source: ``async_client/async_index.py``, ``_internal/http_client.py``,
       ``_internal/validation.py``, ``_internal/vector_factory.py``
[docs] https://docs.pinecone.io/reference/api/database-limits/operation-limits (limits),
       https://docs.pinecone.io/guides/search/filter-by-metadata (filter language),
       https://docs.pinecone.io/guides/index-data/create-an-index#similarity-metrics (scores)

* Headers: every request carries ``Api-Key: <key>`` [spec securitySchemes], ``X-Pinecone-Api-Version:
  2026-07`` and ``User-Agent: python-client-<version>`` [sdk http_client._build_headers]. A missing or
  wrong key is ``401`` with the plain-text body ``Unauthorized``: the authentication layer answers
  before the index does [spec UnauthorizedMessage, rpcStatus]. The version header is recorded, not
  enforced.
* Errors of the vector operations are ``rpcStatus`` bodies, ``{"code": <gRPC code>, "message": ...,
  "details": []}`` [spec rpcStatus], e.g. ``{"code":3,"message":"metadata size is 41804 bytes, which
  exceeds the limit of 40960 bytes per vector","details":[]}`` (HTTP 400, recorded in
  https://github.com/langchain-ai/langchain/issues/3800). 429s from the rate-limiting layer are plain
  text [spec]. Responses carry ``x-pinecone-request-id``, which the SDK reads [sdk].
* Request JSON is camelCase (``topK``, ``includeValues``, ``includeMetadata``, ``deleteAll``) [spec,
  sdk]. The service parses it with the proto3 JSON mapping, which also accepts the proto field
  names (``top_k``), so this fake does too; unknown fields are ignored.
* Upsert ``{"vectors": [{"id", "values", "metadata"?}], "namespace"?}``: 1 to 1,000 vectors [spec
  UpsertRequest maxItems] and at most 2 MB per request [docs]; over the size cap the SDK documents
  ``PayloadTooLargeError`` (413) [sdk upsert docstring], with the message "Your request is larger
  than the maximum supported size - 2MB. Please try to reduce your batch size."
  (https://github.com/pinecone-io/pinecone-ts-client/issues/23). This fake caps at 2,000,000 bytes,
  the stricter reading of "2 MB", so a client that passes here passes there. Answer:
  ``{"upsertedCount": n}``.
* Ids and namespaces: ASCII without NUL, 1-512 characters [spec Vector.id pattern, sdk validation].
  Omitted namespace = the default one, also addressed as ``__default__`` [spec CreateNamespaceRequest];
  ``describe_index_stats`` lists the default namespace under ``__default__`` [sdk docstring].
* Values: 1-20,000 floats, the index's dimension, and at least one of magnitude ``1e-8`` or more, "a
  vector whose values are all smaller than that is rejected as containing only zeros" [spec Vector];
  a wrong length is "Vector dimension 3 does not match the dimension of the index 4" (400, seen in
  https://github.com/sirmews/mcp-pinecone/issues/6). Values are stored as float32 [spec format: float],
  so they come back rounded.
* Metadata: string, number, boolean or list of strings; "Nested objects and mixed-type lists are
  rejected: 'Metadata value must be a string, number, boolean or list of strings'" [spec
  MetadataValue], rendered as in [sdk vector_factory]: numbers as doubles, compact JSON. Field names
  may not begin with ``$`` [spec Vector.metadata]. Nulls are stripped on write, not refused [sdk
  vector_factory, citing the server's NullHandling::Strip] (older docs said "Null metadata values are
  not supported"). At most 40 KB (40,960 bytes) per vector [docs, and the error above]; this fake
  measures the compact UTF-8 JSON of the metadata. Numbers are doubles (protobuf ``Struct``), so
  ``2019`` comes back as ``2019.0``.
* Query ``{"topK": 1..10000, "vector" | "id", "filter"?, "includeValues"?, "includeMetadata"?,
  "namespace"?}`` [spec QueryRequest]; answer ``{"results": [], "matches": [{"id", "score", "values",
  "metadata"?}], "namespace", "usage": {"readUnits"}}``, best first [spec QueryResponse]; ``values``
  is ``[]`` when not asked for [spec Vector.values].
* Scores [docs similarity metrics]: ``cosine`` the cosine similarity, ``dotproduct`` the inner product,
  ``euclidean`` the SQUARED Euclidean distance, where "the most similar results are those with the
  lowest similarity score" (so euclidean matches come in ascending score order).
* Fetch ``GET /vectors/fetch?ids=a&ids=b&namespace=...`` (repeated ``ids``, 1-1,000) [spec]; answer
  ``{"vectors": {id: {"id", "values", "metadata"?}}, "namespace", "usage": {"readUnits"}}``; unknown
  ids are absent from the map [sdk fetch docstring].
* Delete ``{"ids": [...1,000] | "deleteAll": true | "filter": {...non-empty}, "namespace"}`` [spec
  DeleteRequest]; ids beside a filter are ignored, the filter alone applies [sdk
  require_delete_selectors]; unknown ids are ignored; answer ``{}``. A delete addressed to a namespace
  that does not exist is 404 (https://github.com/pinecone-io/pinecone-ts-client/issues/324); the
  default namespace always exists [spec]. ``deleteAll`` empties a namespace and leaves it [sdk].
* ``POST /describe_index_stats`` ``{}`` → ``{"namespaces": {name: {"vectorCount"}}, "dimension",
  "indexFullness", "totalVectorCount", "metric", "vectorType"}`` [spec IndexDescription]; a non-empty
  filter is refused on serverless indexes [spec DescribeIndexStatsRequest].
* Filters [docs filter-by-metadata]: ``$eq $ne`` (number, string, boolean), ``$gt $gte $lt $lte``
  (numbers only), ``$in $nin`` (strings and numbers, at most 10,000 values), ``$exists``, ``$and
  $or``; only ``$and``/``$or`` may stand at the top level besides field names; a bare value is
  ``$eq``; a list value is invalid. A list-of-strings field matches when any element does, and
  ``$ne``/``$nin`` then need no element to match. ``$ne`` and ``$nin`` select only records that HAVE
  the field (changed in 2024: https://github.com/deepset-ai/haystack-core-integrations/issues/590);
  ``{"f": {"$exists": false}}`` selects those without it.
* ``usage.readUnits``: an approximation of the billing rules — a query 1 (namespaces under 1 GB),
  a fetch 1 per 10 records returned (at least 1).

The wording of errors this file does not quote from a source above is its own.

Faults: :meth:`FakePineconeServer.fail_next` answers the next requests with 429 (plain text, with
``Retry-After`` if asked), 500 or 503 (rpcStatus bodies); :attr:`FakePineconeServer.latency` delays
every answer; the base class's :meth:`~lluminary_testing.server.FakeServer.script` queues raw replies.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from .server import FakeServer, Fault, RecordedRequest, Reply, seconds

__all__ = [
    "API_KEY",
    "DEFAULT_NAMESPACE",
    "FakePineconeServer",
    "PineconeIndex",
    "StoredVector",
    "filter_matches",
]

#: The key the fake accepts unless given another (shaped like a real one: ``pcsk_...``).
API_KEY = "pcsk_fake_5Tq9_lluminary0testing0key0aa11bb22cc33"
DEFAULT_NAMESPACE = "__default__"
METRICS = ("cosine", "dotproduct", "euclidean")

MAX_UPSERT_VECTORS = 1_000
MAX_IDS_PER_REQUEST = 1_000
MAX_REQUEST_BYTES = 2_000_000
MAX_METADATA_BYTES = 40_960
MAX_ID_LENGTH = 512
MAX_NAMESPACE_LENGTH = 512
MAX_DIMENSION = 20_000
MAX_TOP_K = 10_000
MAX_IN_VALUES = 10_000
ZERO_MAGNITUDE = 1e-8

# gRPC status codes, as rpcStatus bodies carry them.
INVALID_ARGUMENT = 3
NOT_FOUND = 5
RESOURCE_EXHAUSTED = 8
INTERNAL = 13
UNAVAILABLE = 14

PATHS = {
    "/vectors/upsert": "POST",
    "/query": "POST",
    "/vectors/fetch": "GET",
    "/vectors/delete": "POST",
    "/describe_index_stats": "POST",
}


class Rejected(Exception):
    """A request the service refuses: becomes an rpcStatus answer."""

    def __init__(self, message: str, *, status: int = 400, code: int = INVALID_ARGUMENT) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


def rpc_status(status: int, code: int, message: str, headers: Mapping[str, str] | None = None) -> Reply:
    """An error answer of the vector operations: ``{"code", "message", "details": []}``."""
    return Reply.json({"code": code, "message": message, "details": []}, status, headers)


def plain_text(status: int, text: str, headers: Mapping[str, str] | None = None) -> Reply:
    """An answer of the authentication / rate-limiting layer: a plain-text body."""
    return Reply(status, {"content-type": "text/plain", **(headers or {})}, (text.encode("utf-8"),))


# ---------------------------------------------------------------------- the index


@attrs.frozen
class StoredVector:
    """A record as the index holds it: float32 values, metadata with numbers as doubles."""

    id: str
    values: tuple[float, ...]
    metadata: Mapping[str, Any]


class PineconeIndex:
    """One dense index: a dimension (fixed by the first upsert when not given), a metric, and its
        namespaces (listed by ``describe_index_stats`` once written to). Thread-safe. Its search is exact,
    where the service's is approximate: on large indexes the service may miss a neighbour this finds."""

    def __init__(self, dimension: int | None = None, metric: str = "cosine") -> None:
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        if dimension is not None and not 1 <= dimension <= MAX_DIMENSION:
            raise ValueError(f"dimension must be 1..{MAX_DIMENSION}, got {dimension!r}")
        self.dimension = dimension
        self.metric = metric
        self.namespaces: dict[str, dict[str, StoredVector]] = {}
        self._lock = threading.Lock()

    def count(self, namespace: str = "") -> int:
        with self._lock:
            return len(self.namespaces.get(namespace_key(namespace), {}))

    def upsert(self, namespace: str, vectors: Iterable[StoredVector]) -> int:
        batch = list(vectors)
        with self._lock:
            if self.dimension is None and batch:
                self.dimension = len(batch[0].values)
            for vector in batch:
                self._check_dimension(vector.values)
            space = self.namespaces.setdefault(namespace_key(namespace), {})
            for vector in batch:
                space[vector.id] = vector
        return len(batch)

    def query(
        self, namespace: str, vector: list[float], top_k: int, flt: Mapping[str, Any] | None
    ) -> list[tuple[float, StoredVector]]:
        with self._lock:
            if self.dimension is not None:
                self._check_dimension(vector)
            candidates = list(self.namespaces.get(namespace_key(namespace), {}).values())
        if self.metric == "cosine" and magnitude(vector) == 0.0:
            raise Rejected("a cosine query vector cannot be all zeros")
        score = SCORES[self.metric]
        scored = [
            (float32(score(vector, v.values)), v) for v in candidates if not flt or filter_matches(flt, v.metadata)
        ]
        scored.sort(key=lambda pair: pair[0], reverse=self.metric != "euclidean")
        return scored[:top_k]

    def fetch(self, namespace: str, ids: Iterable[str]) -> dict[str, StoredVector]:
        with self._lock:
            space = self.namespaces.get(namespace_key(namespace), {})
            return {key: space[key] for key in ids if key in space}

    def delete(
        self, namespace: str, *, ids: Iterable[str] = (), flt: Mapping[str, Any] | None = None, everything: bool = False
    ) -> None:
        with self._lock:
            key = namespace_key(namespace)
            space = self.namespaces.get(key)
            if space is None:
                if key == DEFAULT_NAMESPACE:
                    return  # the default namespace always exists, even before anything is written to it
                raise Rejected("Namespace not found", status=404, code=NOT_FOUND)
            if everything:
                space.clear()
            elif flt is not None:
                for key in [key for key, v in space.items() if filter_matches(flt, v.metadata)]:
                    del space[key]
            else:
                for key in ids:
                    space.pop(key, None)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            namespaces = {name: {"vectorCount": len(space)} for name, space in self.namespaces.items()}
            total = sum(len(space) for space in self.namespaces.values())
        answer: dict[str, Any] = {
            "namespaces": namespaces,
            "indexFullness": 0.0,
            "totalVectorCount": total,
            "metric": self.metric,
            "vectorType": "dense",
        }
        if self.dimension is not None:
            answer["dimension"] = self.dimension
        return answer

    def _check_dimension(self, values: Sequence[float]) -> None:
        if self.dimension is not None and len(values) != self.dimension:
            raise Rejected(f"Vector dimension {len(values)} does not match the dimension of the index {self.dimension}")


def namespace_key(namespace: str) -> str:
    """The default namespace is both ``""`` (or omitted) and ``__default__``."""
    return namespace or DEFAULT_NAMESPACE


def float32(value: float) -> float:
    return array("f", (value,))[0]


def magnitude(values: Iterable[float]) -> float:
    return math.sqrt(math.fsum(x * x for x in values))


def _dot(left: Iterable[float], right: Iterable[float]) -> float:
    return math.fsum(a * b for a, b in zip(left, right, strict=True))


def _cosine(left: list[float], right: tuple[float, ...]) -> float:
    norms = magnitude(left) * magnitude(right)
    return _dot(left, right) / norms if norms else 0.0


def _squared_euclidean(left: list[float], right: tuple[float, ...]) -> float:
    return math.fsum((a - b) * (a - b) for a, b in zip(left, right, strict=True))


SCORES: dict[str, Callable[[list[float], tuple[float, ...]], float]] = {
    "cosine": _cosine,
    "dotproduct": _dot,
    "euclidean": _squared_euclidean,
}


# ---------------------------------------------------------------------- the filter language


COMPARISONS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists")


def check_filter(node: Any, *, top: bool = True) -> None:
    """Raise :class:`Rejected` for a filter the service would not compile."""
    if not isinstance(node, dict):
        raise Rejected(f"Invalid filter: a filter is an object, got {_render(node)}")
    for key, value in node.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise Rejected(f"Invalid filter: {key} takes a non-empty array of filters")
            for sub in value:
                check_filter(sub, top=False)
        elif key.startswith("$"):
            where = "at the top level of" if top else "as a field name in"
            raise Rejected(f"Invalid filter: {key} is not allowed {where} a filter (only $and and $or)")
        elif isinstance(value, dict):
            if not value:
                raise Rejected(f"Invalid filter: empty condition for field '{key}'")
            for op, operand in value.items():
                _check_operand(key, op, operand)
        else:
            _check_operand(key, "$eq", value)


def _check_operand(field: str, op: str, operand: Any) -> None:
    if op not in COMPARISONS:
        raise Rejected(f"Invalid filter: unknown operator {op} for field '{field}'")
    if op in ("$eq", "$ne"):
        if not _is_scalar(operand):
            raise Rejected(f"Invalid filter: {op} on field '{field}' takes a string, number or boolean")
    elif op in ("$gt", "$gte", "$lt", "$lte"):
        if not _is_number(operand):
            raise Rejected(f"Invalid filter: {op} on field '{field}' takes a number, got {_render(operand)}")
    elif op in ("$in", "$nin"):
        if not isinstance(operand, list):
            raise Rejected(f"Invalid filter: {op} on field '{field}' takes an array")
        if len(operand) > MAX_IN_VALUES:
            raise Rejected(f"Invalid filter: {op} on field '{field}' has more than {MAX_IN_VALUES} values")
        if not all(isinstance(item, str) or _is_number(item) for item in operand):
            raise Rejected(f"Invalid filter: {op} on field '{field}' takes strings and numbers")
    elif not isinstance(operand, bool):
        raise Rejected(f"Invalid filter: $exists on field '{field}' takes true or false")


def filter_matches(node: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    """Whether ``metadata`` passes ``node``, the way Pinecone evaluates it (checked filter)."""
    for key, value in node.items():
        if key == "$and":
            if not all(filter_matches(sub, metadata) for sub in value):
                return False
        elif key == "$or":
            if not any(filter_matches(sub, metadata) for sub in value):
                return False
        elif isinstance(value, dict):
            if not all(_holds(op, key in metadata, metadata.get(key), operand) for op, operand in value.items()):
                return False
        elif not _holds("$eq", key in metadata, metadata.get(key), value):
            return False
    return True


def _holds(op: str, present: bool, value: Any, operand: Any) -> bool:
    if op == "$exists":
        return present is operand
    if not present:
        return False  # every other operator needs the field, $ne and $nin included
    elements = value if isinstance(value, list) else [value]
    if op == "$eq":
        return any(_same(item, operand) for item in elements)
    if op == "$ne":
        return not any(_same(item, operand) for item in elements)
    if op == "$in":
        return any(_same(item, choice) for item in elements for choice in operand)
    if op == "$nin":
        return not any(_same(item, choice) for item in elements for choice in operand)
    if isinstance(value, list) or not _is_number(value):
        return False
    if op == "$gt":
        return bool(value > operand)
    if op == "$gte":
        return bool(value >= operand)
    if op == "$lt":
        return bool(value < operand)
    return bool(value <= operand)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if _is_number(left) and _is_number(right):
        return float(left) == float(right)
    return isinstance(left, str) and isinstance(right, str) and left == right


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, bool)) or _is_number(value)


def _render(value: Any) -> str:
    """A value the way the service quotes it in a message: compact JSON, numbers as doubles,
    at most 64 bytes."""
    text = json.dumps(_doubles(value), separators=(",", ":"), ensure_ascii=False)
    encoded = text.encode("utf-8")
    return encoded[:64].decode("utf-8", "ignore") + "..." if len(encoded) > 64 else text


def _doubles(value: Any) -> Any:
    if _is_number(value):
        return float(value)
    if isinstance(value, dict):
        return {k: _doubles(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_doubles(v) for v in value]
    return value


# ---------------------------------------------------------------------- request checks


def _field(body: Mapping[str, Any], camel: str, snake: str | None = None, default: Any = None) -> Any:
    """A request field by its JSON name or its proto name (the proto3 JSON mapping takes both)."""
    if camel in body:
        return body[camel]
    return body.get(snake, default) if snake else default


def _check_id(value: Any, what: str = "id") -> str:
    if not isinstance(value, str) or not value:
        raise Rejected(f"Invalid {what}: vector ids are non-empty strings")
    if len(value) > MAX_ID_LENGTH:
        raise Rejected(f"Invalid {what}: '{value[:64]}...' is longer than {MAX_ID_LENGTH} characters")
    if not value.isascii() or "\x00" in value:
        raise Rejected(f"Invalid {what}: '{value}' must be ASCII without NUL characters")
    return value


def _check_namespace(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Rejected("Invalid namespace: a namespace is a string")
    if len(value) > MAX_NAMESPACE_LENGTH or not value.isascii() or "\x00" in value:
        raise Rejected(f"Invalid namespace: names are ASCII without NUL, at most {MAX_NAMESPACE_LENGTH} characters")
    return value


def _check_values(raw: Any) -> list[float]:
    if not isinstance(raw, list) or not raw:
        raise Rejected("Invalid vector: values must be a non-empty array of numbers")
    if len(raw) > MAX_DIMENSION:
        raise Rejected(f"Invalid vector: at most {MAX_DIMENSION} values")
    if not all(_is_number(x) for x in raw):
        raise Rejected("Invalid vector: values must be numbers")
    try:
        values = array("f", raw).tolist()
    except OverflowError:
        raise Rejected("Invalid vector: a value is out of the float32 range") from None
    if not all(math.isfinite(x) for x in values):
        raise Rejected("Invalid vector: values must be finite")
    return values


def _check_metadata(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Rejected(f"Metadata must be an object, got {_render(raw)}")
    kept: dict[str, Any] = {}
    for field, value in raw.items():
        if field.startswith("$"):
            raise Rejected(f"Metadata field names may not begin with '$', got '{field}'")
        if value is None:
            continue  # stripped, not refused
        if isinstance(value, (str, bool)):
            kept[field] = value
        elif _is_number(value) and math.isfinite(value):
            kept[field] = float(value)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            kept[field] = list(value)
        else:
            raise Rejected(
                f"Metadata value must be a string, number, boolean or list of strings, "
                f"got '{_render(value)}' for field '{field}'"
            )
    size = len(json.dumps(kept, separators=(",", ":"), ensure_ascii=False).encode("utf-8")) if kept else 0
    if size > MAX_METADATA_BYTES:
        raise Rejected(
            f"metadata size is {size} bytes, which exceeds the limit of {MAX_METADATA_BYTES} bytes per vector"
        )
    return kept


def _check_vector(raw: Any) -> StoredVector:
    if not isinstance(raw, dict):
        raise Rejected("Invalid vector: each vector is an object with an id and values")
    vector_id = _check_id(raw.get("id"))
    if _field(raw, "sparseValues", "sparse_values") is not None:
        raise Rejected("Sparse vectors are not supported by this (dense) index")
    values = _check_values(raw.get("values"))
    if max(abs(x) for x in values) < ZERO_MAGNITUDE:
        raise Rejected(f"Invalid vector '{vector_id}': dense vectors must contain at least one non-zero value")
    return StoredVector(vector_id, tuple(values), _check_metadata(raw.get("metadata")))


def _bool(body: Mapping[str, Any], camel: str, snake: str) -> bool:
    value = _field(body, camel, snake, False)
    if not isinstance(value, bool):
        raise Rejected(f"Invalid {camel}: expected true or false")
    return value


# ---------------------------------------------------------------------- the server


@attrs.frozen
class _Failure:
    """A scripted answer for the next request to ``path`` (any path when None): ``reply``, or the
    index's own answer when None (the requests a failure lets through first)."""

    reply: Reply | None
    path: str | None = None


class FakePineconeServer(FakeServer):
    """The data plane of one index. ``dimension=None`` lets the first upsert fix it (a real index
    gets its dimension when created: use :meth:`create_index` to set one)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        dimension: int | None = None,
        metric: str = "cosine",
        api_key: str = API_KEY,
    ) -> None:
        super().__init__(host, port)
        self.index = PineconeIndex(dimension, metric)
        self.api_key = api_key
        #: seconds of silence before every answer
        self.latency = 0.0
        self._request_ids = itertools.count(1)

    def create_index(self, *, dimension: int | None = None, metric: str = "cosine") -> PineconeIndex:
        """Start over with an empty index of this dimension and metric."""
        self.index = PineconeIndex(dimension, metric)
        return self.index

    # ---- faults

    def fail_next(
        self,
        count: int = 1,
        status: int = 429,
        *,
        retry_after: float | None = None,
        message: str | None = None,
        path: str | None = None,
        after: int = 0,
    ) -> None:
        """Answer ``count`` requests (to ``path``, or any) with ``status``, once ``after`` of them have
        been served normally: 429 and 401 as the gateway sends them (plain text), others as rpcStatus
        bodies (500 ``INTERNAL``, 503 ``UNAVAILABLE``, 4xx ``INVALID_ARGUMENT``)."""
        headers = {"retry-after": seconds(retry_after)} if retry_after is not None else {}
        if status in (401, 429):
            reply = plain_text(status, message or ("Unauthorized" if status == 401 else "Too Many Requests"), headers)
        else:
            code = {503: UNAVAILABLE, 500: INTERNAL}.get(status, INTERNAL if status >= 500 else INVALID_ARGUMENT)
            reply = rpc_status(status, code, message or _DEFAULT_MESSAGES.get(status, f"HTTP {status}"), headers)
        self.script(*[_Failure(None, path) for _ in range(after)], *[_Failure(reply, path) for _ in range(count)])

    def takes(self, item: Any, request: RecordedRequest) -> bool:
        return not isinstance(item, _Failure) or item.path is None or item.path == request.path

    def render(self, item: Any, request: RecordedRequest) -> Reply:
        if isinstance(item, _Failure):
            item = item.reply if item.reply is not None else self.default_responder(request)
        if not isinstance(item, Reply):
            raise TypeError(f"{type(self).__name__} cannot render {item!r}")
        headers = {"x-pinecone-request-id": f"fake-{next(self._request_ids):08d}", **item.headers}
        reply = attrs.evolve(item, headers=headers)
        return reply.with_fault(Fault(delay_headers=self.latency)) if self.latency and item.fault is None else reply

    # ---- the data plane

    def default_responder(self, request: RecordedRequest) -> Reply:
        if request.headers.get("api-key") != self.api_key:
            return plain_text(401, "Unauthorized")
        method = PATHS.get(request.path)
        if method is None:
            return rpc_status(404, NOT_FOUND, f"Not Found: {request.path}")
        if request.method != method:
            return rpc_status(405, INVALID_ARGUMENT, f"Method {request.method} not allowed for {request.path}")
        try:
            if request.path == "/vectors/fetch":
                return Reply.json(self._fetch(request))
            if request.path == "/vectors/upsert" and len(request.body) > MAX_REQUEST_BYTES:
                raise Rejected(
                    "Your request is larger than the maximum supported size - 2MB. Please try to reduce your batch size.",
                    status=413,
                )
            try:
                body = json.loads(request.body) if request.body else {}
            except ValueError as exc:
                raise Rejected(f"Invalid JSON body: {exc}") from None
            if not isinstance(body, dict):
                raise Rejected("The request body must be a JSON object")
            handler = {
                "/vectors/upsert": self._upsert,
                "/query": self._query,
                "/vectors/delete": self._delete,
                "/describe_index_stats": self._stats,
            }[request.path]
            return Reply.json(handler(body))
        except Rejected as rejected:
            return rpc_status(rejected.status, rejected.code, rejected.message)

    def _upsert(self, body: Mapping[str, Any]) -> dict[str, Any]:
        raw = body.get("vectors")
        if not isinstance(raw, list) or not raw:
            raise Rejected("Invalid request: vectors must be a non-empty array")
        if len(raw) > MAX_UPSERT_VECTORS:
            raise Rejected(f"Invalid request: at most {MAX_UPSERT_VECTORS} vectors per upsert, got {len(raw)}")
        namespace = _check_namespace(body.get("namespace"))
        vectors = [_check_vector(item) for item in raw]
        return {"upsertedCount": self.index.upsert(namespace, vectors)}

    def _query(self, body: Mapping[str, Any]) -> dict[str, Any]:
        top_k = _field(body, "topK", "top_k")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
            raise Rejected(f"Invalid topK: must be an integer from 1 to {MAX_TOP_K}")
        namespace = _check_namespace(body.get("namespace"))
        if _field(body, "sparseVector", "sparse_vector") is not None:
            raise Rejected("Sparse vectors are not supported by this (dense) index")
        raw_vector, by_id = body.get("vector"), body.get("id")
        if (raw_vector is None) == (by_id is None):
            raise Rejected("Invalid request: a query takes exactly one of 'vector' or 'id'")
        if by_id is not None:
            found = self.index.fetch(namespace, [_check_id(by_id)]).get(by_id)
            vector = list(found.values) if found else []
        else:
            vector = _check_values(raw_vector)
        flt = body.get("filter")
        if flt is not None:
            check_filter(flt)
        with_values = _bool(body, "includeValues", "include_values")
        with_metadata = _bool(body, "includeMetadata", "include_metadata")
        hits = self.index.query(namespace, vector, top_k, flt) if vector else []
        matches = [_scored(score, v, with_values, with_metadata) for score, v in hits]
        return {"results": [], "matches": matches, "namespace": namespace, "usage": {"readUnits": 1}}

    def _fetch(self, request: RecordedRequest) -> dict[str, Any]:
        ids = request.query.get("ids", [])
        if not ids:
            raise Rejected("Invalid request: ids is required")
        if len(ids) > MAX_IDS_PER_REQUEST:
            raise Rejected(f"Invalid request: at most {MAX_IDS_PER_REQUEST} ids per fetch, got {len(ids)}")
        for key in ids:
            _check_id(key)
        namespace = _check_namespace(request.query.get("namespace", [""])[0])
        found = self.index.fetch(namespace, ids)
        vectors = {key: _described(v, with_values=True, with_metadata=True) for key, v in found.items()}
        return {"vectors": vectors, "namespace": namespace, "usage": {"readUnits": max(1, math.ceil(len(found) / 10))}}

    def _delete(self, body: Mapping[str, Any]) -> dict[str, Any]:
        namespace = _check_namespace(body.get("namespace"))
        ids, flt = body.get("ids"), body.get("filter")
        everything = _bool(body, "deleteAll", "delete_all")
        if everything and (ids is not None or flt is not None):
            raise Rejected("Invalid request: deleteAll cannot be combined with ids or a filter")
        if flt is not None:
            check_filter(flt)
            if not flt:
                raise Rejected("Delete with empty metadata filter is not allowed")
            self.index.delete(namespace, flt=flt)
        elif ids is not None:
            if not isinstance(ids, list) or not ids:
                raise Rejected("Invalid request: ids must be a non-empty array")
            if len(ids) > MAX_IDS_PER_REQUEST:
                raise Rejected(f"Invalid request: at most {MAX_IDS_PER_REQUEST} ids per delete, got {len(ids)}")
            self.index.delete(namespace, ids=[_check_id(key) for key in ids])
        elif everything:
            self.index.delete(namespace, everything=True)
        else:
            raise Rejected("Invalid request: a delete takes ids, a filter or deleteAll")
        return {}

    def _stats(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if body.get("filter"):
            raise Rejected(
                "Serverless and starter indexes do not support describing index stats with metadata filtering"
            )
        return self.index.stats()


_DEFAULT_MESSAGES = {500: "Internal error", 502: "Bad gateway", 503: "Service unavailable", 504: "Gateway timeout"}


def _described(vector: StoredVector, *, with_values: bool, with_metadata: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": vector.id, "values": list(vector.values) if with_values else []}
    if with_metadata and vector.metadata:
        out["metadata"] = dict(vector.metadata)
    return out


def _scored(score: float, vector: StoredVector, with_values: bool, with_metadata: bool) -> dict[str, Any]:
    out = _described(vector, with_values=with_values, with_metadata=with_metadata)
    return {"id": out.pop("id"), "score": score, **out}
