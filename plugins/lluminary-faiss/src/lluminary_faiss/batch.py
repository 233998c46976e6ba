"""Checking and encoding what an upsert or a query brings, before anything is written.

Vectors become one float32 matrix (what FAISS and the SQLite BLOBs hold); metadata becomes UTF-8
JSON plus one *field row* per scalar value — (key, kind, value) — which is what filters search
(:mod:`lluminary_faiss.filters`). Every problem is a :class:`~lluminary.sdk.RequestValidationError`
naming the record, raised before the first byte is written, so a bad record stores nothing of
its batch.
"""

from __future__ import annotations

import array as pyarray
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from lluminary.sdk import Metric, Record, RequestValidationError

from .native import F32

#: Field kinds in the ``fields`` table. A filter value matches only a stored value of its kind:
#: booleans only booleans, numbers (ints and floats alike) only numbers, strings only strings.
NULL, BOOLEAN, NUMBER, STRING = 0, 1, 2, 3

_INT64 = (-(2**63), 2**63 - 1)

FieldRow = tuple[str, int, Any]  # (key, kind, value)


@dataclass(frozen=True)
class Batch:
    """An upsert, checked: one entry per id (the last of a repeated id wins), in order."""

    ids: list[str]
    vectors: F32  # as given (float32), what fetch returns
    searched: F32  # what the index holds: unit vectors for cosine, else ``vectors``
    metadata: list[bytes]  # UTF-8 JSON
    fields: list[list[FieldRow]]
    texts: list[str | None]

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


def prepare_batch(records: Sequence[Record], metric: Metric, dim: int | None) -> Batch:
    """Check and encode ``records`` for a store of ``metric`` holding ``dim``-dimensional vectors
    (None: not known yet — the batch's own, which must agree within the batch)."""
    if not isinstance(records, Sequence):
        raise RequestValidationError(f"upsert takes a list of Records, got {type(records).__name__}")
    last: dict[str, int] = {}
    for index, record in enumerate(records):
        if not isinstance(record, Record):
            raise RequestValidationError(f"upsert takes Record objects, got {type(record).__name__}")
        if not isinstance(record.id, str) or not record.id:
            raise RequestValidationError(f"a record id is a non-empty string, got {record.id!r}")
        if record.vector is None:
            raise RequestValidationError(f"record {record.id!r} has no vector (embed its text first)")
        if record.text is not None and not isinstance(record.text, str):
            raise RequestValidationError(f"record {record.id!r}: text is a string or None")
        expected = dim if dim is not None else len(records[0].vector or ())
        if len(record.vector) != expected:
            where = "this store holds" if dim is not None else "the batch's first record has"
            raise RequestValidationError(
                f"record {record.id!r} has a {len(record.vector)}-dimensional vector; {where} {expected}-dimensional ones"
            )
        last[record.id] = index
    chosen = [records[index] for index in sorted(last.values())]
    if not chosen:
        return Batch(
            [], np.zeros((0, dim or 0), dtype=np.float32), np.zeros((0, dim or 0), dtype=np.float32), [], [], []
        )
    if len(chosen[0].vector or ()) == 0:
        raise RequestValidationError("a vector needs at least one dimension")
    with np.errstate(over="ignore"):  # a value beyond float32 becomes inf, refused just below
        vectors = np.array([record.vector for record in chosen], dtype=np.float32)
    searched = _searched(vectors, metric, [record.id for record in chosen])
    encoded = [encode_metadata(record.id, record.metadata) for record in chosen]
    return Batch(
        [record.id for record in chosen],
        vectors,
        searched,
        [blob for blob, _ in encoded],
        [rows for _, rows in encoded],
        [record.text for record in chosen],
    )


def prepare_query(vector: Sequence[float], metric: Metric, dim: int) -> F32:
    """A query vector as FAISS searches it: 1 x dim float32, a unit vector for cosine.

    On the hot path of every query: a list or tuple is packed by ``array`` (half the time of
    ``numpy.asarray``), and finiteness is read off the squared norm, checked value by value only
    when that is not finite."""
    if isinstance(vector, (str, bytes)):
        raise RequestValidationError("a query vector is a sequence of numbers, got a string")
    try:
        if isinstance(vector, (list, tuple)):
            values: F32 = np.frombuffer(pyarray.array("f", vector), dtype=np.float32)
        else:
            with np.errstate(over="ignore"):
                values = np.asarray(vector, dtype=np.float32)
    except (TypeError, ValueError, OverflowError) as exc:
        raise RequestValidationError(f"a query vector is a sequence of numbers: {exc}") from None
    if values.ndim != 1:
        raise RequestValidationError(f"a query vector is one sequence of numbers, got shape {values.shape}")
    if len(values) != dim:
        raise RequestValidationError(f"this store holds {dim}-dimensional vectors, got {len(values)}")
    squared = float(np.dot(values, values))
    if not math.isfinite(squared) and not np.isfinite(values).all():
        raise RequestValidationError("the query: a vector must be finite (and fit in float32)")
    if metric == "cosine":
        norm = math.sqrt(squared) if math.isfinite(squared) else float(np.linalg.norm(values.astype(np.float64)))
        if norm == 0.0:
            raise RequestValidationError("the query: a cosine vector cannot be all zeros")
        values = (values / np.float32(norm)).astype(np.float32, copy=False)
    return values.reshape(1, dim)


def _searched(vectors: F32, metric: Metric, names: list[str]) -> F32:
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        name = names[int(np.argmin(finite))]
        raise RequestValidationError(f"{_label(name)}: a vector must be finite (and fit in float32)")
    if metric != "cosine":
        return np.ascontiguousarray(vectors)
    norms = np.linalg.norm(vectors, axis=1)
    if not norms.all():
        name = names[int(np.argmin(norms))]
        raise RequestValidationError(f"{_label(name)}: a cosine vector cannot be all zeros")
    unit: F32 = vectors / norms[:, None]  # float32 throughout, a C-contiguous new array
    return unit


def _label(name: str) -> str:
    return name if name == "the query" else f"record {name!r}"


def encode_metadata(record_id: str, metadata: Mapping[str, Any]) -> tuple[bytes, list[FieldRow]]:
    """``metadata`` as UTF-8 JSON and its field rows. Values are JSON values (strings, numbers,
    booleans, None, and lists and mappings of them); a scalar at the top level is filterable."""
    if not isinstance(metadata, Mapping):
        raise RequestValidationError(f"record {record_id!r}: metadata is a mapping, got {type(metadata).__name__}")
    rows: list[FieldRow] = []
    for key, value in metadata.items():  # on every record of a bulk upsert: the common kinds first
        if not isinstance(key, str):
            raise RequestValidationError(f"record {record_id!r}: metadata keys are strings, got {key!r}")
        if isinstance(value, str):
            rows.append((key, STRING, value))
        elif isinstance(value, bool):
            rows.append((key, BOOLEAN, int(value)))
        elif isinstance(value, (int, float)):
            _check_value(record_id, key, value)
            rows.append((key, NUMBER, value))
        elif value is None:
            rows.append((key, NULL, None))
        else:
            _check_value(record_id, key, value)
    try:
        blob = orjson.dumps(metadata if isinstance(metadata, dict) else dict(metadata))
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise RequestValidationError(f"record {record_id!r}: metadata is not JSON: {exc}") from None
    return blob, rows


def _check_value(record_id: str, key: str, value: Any) -> None:
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise RequestValidationError(f"record {record_id!r}: metadata {key!r}: integers must fit in 64 bits")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise RequestValidationError(f"record {record_id!r}: metadata {key!r}: numbers must be finite")
    elif isinstance(value, Mapping):
        for inner_key, inner in value.items():
            if not isinstance(inner_key, str):
                raise RequestValidationError(f"record {record_id!r}: metadata {key!r}: keys are strings")
            _check_value(record_id, key, inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            _check_value(record_id, key, inner)
    else:
        raise RequestValidationError(
            f"record {record_id!r}: metadata {key!r} is a {type(value).__name__}; values are strings, "
            "numbers, booleans, None, and lists and mappings of them"
        )
