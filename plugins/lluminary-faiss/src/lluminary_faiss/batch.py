"""Checking and encoding what an upsert or a query brings, before anything is written.

An upsert is a batch of columns — ids, an n x dim matrix, metadata, texts — given so
(:meth:`~lluminary_faiss.store.FaissStore.upsert_vectors`) or gathered from ``Record`` objects.
Vectors become one float32 matrix (what FAISS and the SQLite BLOBs hold); metadata becomes UTF-8
JSON plus one *field row* per scalar value — (key, kind, value) — which is what filters search
(:mod:`lluminary_faiss.filters`). Every problem is a :class:`~lluminary.sdk.RequestValidationError`
naming the record, raised before the first byte is written, so a bad record stores nothing of
its batch.

A batch is checked as a whole, in C where it can be: one numpy pass over the matrix for its
squared norms (on a helper thread, for a large batch), ``str.join`` and a set over the ids, a type
set over the metadata values, and one orjson call that is also the batch's snapshot of its
metadata. On 100,000 x 384 with one metadata field that is about 30 ms; walking the records in
Python took 0.7 s, and turning Python floats into float32 takes 1.4 s (what a batch of ``Record``
objects still costs).
"""

from __future__ import annotations

import array as pyarray
import math
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from lluminary.sdk import Metric, Record, RequestValidationError

from .alongside import Alongside
from .native import F32, squared_norm

#: Field kinds in the ``fields`` table. A filter value matches only a stored value of its kind:
#: booleans only booleans, numbers (ints and floats alike) only numbers, strings only strings.
NULL, BOOLEAN, NUMBER, STRING = 0, 1, 2, 3

_INT64 = (-(2**63), 2**63 - 1)

FieldRow = tuple[str, int, Any]  # (key, kind, value)
_RELEASED: F32 = np.zeros((0, 0), dtype=np.float32)

#: Metadata values a batch may hold without being walked value by value.
_SCALARS = frozenset((str, int, float, bool, type(None)))
_FLOAT32 = np.dtype(np.float32)
_ONE_FLOAT = (4,)  # the strides of a contiguous float32 vector
#: Cosine queries whose squared norm lies between these are searched without normalising them.
_PLAIN_SQUARES = (1e-20, 1e20)
#: Batches of at least this many floats measure their vectors on a helper thread.
ALONGSIDE_FLOATS = 1 << 20


class Batch:
    """An upsert, checked: one entry per id (the last of a repeated id wins), in order.

    ``vectors`` are the vectors as given, C-contiguous float32 — the caller's own array when it
    was one: read during the call that brought them (into the index, and into SQLite with
    ``durability=call``), never kept after it (:meth:`release`). ``scale``, for cosine, is the
    factor that makes each a unit vector, which is what the index holds — applied by
    :meth:`NativeIndex.add <lluminary_faiss.native.NativeIndex.add>` in place, in a flat index's
    own copy: the batch is copied once, as raw FAISS users copy theirs to normalise it. A pending
    batch (``durability=save``) reads its vectors back from the index: the unit vector divided
    by its scale (the vector as given for dot and l2; within a float32 rounding for cosine).
    The metadata is kept as the batch's one JSON snapshot and decoded when first needed — by the
    SQLite write, or by a query answering with a record not written yet (``durability=save``)."""

    __slots__ = ("_encoded", "_metadata", "_metadata_json", "ids", "scale", "texts", "vectors")

    def __init__(
        self, ids: list[str], vectors: F32, scale: F32 | None, metadata_json: bytes | None, texts: list[str | None]
    ) -> None:
        self.ids = ids
        self.vectors = vectors
        self.scale = scale
        self.texts = texts
        self._metadata_json = metadata_json  # a JSON array, one object per record; None: all empty
        self._metadata: list[dict[str, Any]] | None = None
        self._encoded: tuple[list[bytes], list[list[FieldRow]]] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def release(self) -> None:
        """Forget the vectors (the caller's array, maybe): the index holds them now."""
        self.vectors = _RELEASED

    def metadata(self) -> list[dict[str, Any]]:
        """Each record's metadata (decoded once; never handed out: callers copy)."""
        decoded = self._metadata
        if decoded is None:
            blob = self._metadata_json
            decoded = [{} for _ in self.ids] if blob is None else orjson.loads(blob)
            self._metadata = decoded  # two threads decoding at once store equal lists
        return decoded

    def encoded(self) -> tuple[list[bytes], list[list[FieldRow]]]:
        """What SQLite stores of the metadata: each record's as UTF-8 JSON, and its field rows."""
        if self._encoded is None:
            metadata = self.metadata()
            self._encoded = ([orjson.dumps(item) for item in metadata], [field_rows(item) for item in metadata])
        return self._encoded


def empty_batch(dim: int | None) -> Batch:
    return Batch([], np.zeros((0, dim or 0), dtype=np.float32), None, None, [])


def prepare_records(records: Sequence[Record], metric: Metric, dim: int | None) -> Batch:
    """Check and encode ``records`` for a store of ``metric`` holding ``dim``-dimensional vectors
    (None: not known yet — the batch's own, which must agree within the batch)."""
    if not isinstance(records, Sequence):
        raise RequestValidationError(f"upsert takes a list of Records, got {type(records).__name__}")
    ids: list[str] = []
    vectors: list[Sequence[float]] = []
    metadatas: list[Any] = []
    texts: list[str | None] = []
    expected = dim
    for record in records:
        if not isinstance(record, Record):
            raise RequestValidationError(f"upsert takes Record objects, got {type(record).__name__}")
        if not isinstance(record.id, str) or not record.id:
            raise RequestValidationError(f"a record id is a non-empty string, got {record.id!r}")
        if record.vector is None:
            raise RequestValidationError(f"record {record.id!r} has no vector (embed its text first)")
        if record.text is not None and not isinstance(record.text, str):
            raise RequestValidationError(f"record {record.id!r}: text is a string or None")
        if expected is None:
            expected = len(record.vector)
        if len(record.vector) != expected:
            where = "this store holds" if dim is not None else "the batch's first record has"
            raise RequestValidationError(
                f"record {record.id!r} has a {len(record.vector)}-dimensional vector; {where} {expected}-dimensional ones"
            )
        ids.append(record.id)
        vectors.append(record.vector)
        metadatas.append(record.metadata)
        texts.append(record.text)
    if not ids:
        return empty_batch(dim)
    if expected == 0:
        raise RequestValidationError("a vector needs at least one dimension")
    with np.errstate(over="ignore"):  # a value beyond float32 becomes inf, refused with its record
        matrix = np.array(vectors, dtype=np.float32)
    return prepare_columns(ids, matrix, metadatas, texts, metric, dim)


def prepare_columns(
    ids: Iterable[str],
    vectors: Any,
    metadatas: Iterable[Mapping[str, Any]] | None,
    texts: Iterable[str | None] | None,
    metric: Metric,
    dim: int | None,
) -> Batch:
    """Check and encode an upsert given as columns: ``ids``, ``vectors`` (n x dim; a C-contiguous
    float32 array is used as it is, never turned into Python floats), and optionally one
    metadata mapping and one text per id."""
    names = _listed(ids)
    if not names:
        return empty_batch(dim)
    count = len(names)
    matrix = _matrix(vectors, count, dim)
    metadata_column = _column(metadatas, count, "metadatas")
    text_column = _column(texts, count, "texts")

    def vector_work() -> tuple[F32, F32 | None]:
        return _vectors(matrix, metric, names)

    # A large batch: its vectors are measured on a helper thread (numpy releases the GIL) while
    # the ids, metadata and texts are checked here.
    helper = Alongside(vector_work) if matrix.size >= ALONGSIDE_FLOATS else None
    try:
        check_ids(names)
        chosen = _last_of_each(names)
        kept = names if chosen is None else [names[index] for index in chosen]
        if chosen is not None:
            metadata_column = None if metadata_column is None else [metadata_column[index] for index in chosen]
            text_column = None if text_column is None else [text_column[index] for index in chosen]
        metadata_json = check_metadata(kept, metadata_column)
        checked_texts = check_texts(kept, text_column)
        given, scale = helper.join() if helper is not None else vector_work()
    except BaseException:
        if helper is not None:
            helper.join_quietly()
        raise
    if chosen is not None:
        rows = np.asarray(chosen, dtype=np.int64)
        given, scale = given[rows], None if scale is None else scale[rows]
    return Batch(kept, given, scale, metadata_json, checked_texts)


def _listed(ids: Iterable[str]) -> list[str]:
    if isinstance(ids, (str, bytes, Mapping)):
        raise RequestValidationError(f"ids is a list of strings, got {type(ids).__name__}")
    try:
        return list(ids)
    except TypeError:
        raise RequestValidationError(f"ids is a list of strings, got {type(ids).__name__}") from None


def check_ids(names: list[str]) -> None:
    """Every id is a string (``str.join`` checks that in C: a tenth of a type set's time)."""
    try:
        "".join(names)
    except TypeError:
        for name in names:
            if not isinstance(name, str):
                raise RequestValidationError(f"a record id is a non-empty string, got {name!r}") from None
        raise


def _last_of_each(names: list[str]) -> list[int] | None:
    """The positions to keep when an id repeats (its last), or None when none does."""
    unique = set(names)
    if "" in unique:
        raise RequestValidationError("a record id is a non-empty string, got ''")
    if len(unique) == len(names):
        return None
    last = {name: index for index, name in enumerate(names)}
    return sorted(last.values())


def _column(values: Iterable[Any] | None, count: int, what: str) -> list[Any] | None:
    if values is None:
        return None
    if isinstance(values, (str, bytes, Mapping)):
        raise RequestValidationError(f"{what} is a list with one entry per id, got {type(values).__name__}")
    try:
        listed = list(values)
    except TypeError:
        raise RequestValidationError(f"{what} is a list with one entry per id, got {type(values).__name__}") from None
    if len(listed) != count:
        raise RequestValidationError(f"{count} ids but {len(listed)} {what}")
    return listed


def _float32(values: Any, what: str) -> npt.NDArray[Any]:
    """``values`` as a contiguous float32 array, or a typed error saying ``what`` they must be.
    A value beyond float32 becomes inf (refused later, with its record)."""
    try:
        with np.errstate(over="ignore"):
            return np.ascontiguousarray(values, dtype=np.float32)
    except (TypeError, ValueError, OverflowError) as exc:
        raise RequestValidationError(f"{what}: {exc}") from None


def _matrix(vectors: Any, count: int, dim: int | None) -> npt.NDArray[Any]:
    """``vectors`` as a 2-D numeric array of ``count`` rows (not copied yet)."""
    if isinstance(vectors, np.ndarray):
        array: npt.NDArray[Any] = vectors
    else:
        array = _float32(vectors, "vectors is an n x dim matrix of numbers")
    if array.dtype.kind not in "fiu":
        raise RequestValidationError(f"vectors is a matrix of numbers, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[0] != count:
        raise RequestValidationError(
            f"vectors is an n x dim matrix with one row per id: {count} ids, got shape {array.shape}"
        )
    if array.shape[1] == 0:
        raise RequestValidationError("a vector needs at least one dimension")
    if dim is not None and array.shape[1] != dim:
        raise RequestValidationError(
            f"this store holds {dim}-dimensional vectors, got {array.shape[1]}-dimensional ones"
        )
    return array


def _vectors(matrix: npt.NDArray[Any], metric: Metric, names: list[str]) -> tuple[F32, F32 | None]:
    """(the vectors as C-contiguous float32 — converted only if they are not; for cosine, the
    factor that makes each a unit vector). Every row must be finite, and for cosine not all
    zeros, with a norm float32 can hold: one pass for the squared norms checks all three."""
    with np.errstate(over="ignore", invalid="ignore"):
        given: F32 = np.ascontiguousarray(matrix, dtype=np.float32)
        squares: F32 = np.einsum("ij,ij->i", given, given)
    finite = np.isfinite(squares)
    if not finite.all():
        for row in np.flatnonzero(~finite):
            if not np.isfinite(given[row]).all():
                raise RequestValidationError(f"{_label(names[int(row)])}: a vector must be finite (and fit in float32)")
            if metric == "cosine":  # finite values whose float32 squares overflow: no unit vector
                raise RequestValidationError(
                    f"{_label(names[int(row)])}: a cosine vector's norm must fit in float32 (values below about 1e19)"
                )
    if metric != "cosine":
        return given, None
    zero = squares == 0
    if zero.any():
        raise RequestValidationError(f"{_label(names[int(np.argmax(zero))])}: a cosine vector cannot be all zeros")
    return given, unit_scale(given, squares)


def unit_scale(vectors: F32, squares: F32 | None = None) -> F32:
    """Per row, the factor that makes it a unit vector (rows finite and not zero), float32: the
    one formula for every index the store builds, from a batch or rebuilt from SQLite."""
    if squares is None:
        squares = np.asarray(np.einsum("ij,ij->i", vectors, vectors), dtype=np.float32)
    with np.errstate(divide="ignore"):
        scale: F32 = (1.0 / np.sqrt(squares)).astype(np.float32, copy=False)
    return scale


def prepare_query(vector: Sequence[float] | F32, metric: Metric, dim: int) -> tuple[F32, float]:
    """A query vector as FAISS searches it (C-contiguous float32, dim values), and the factor that turns FAISS's
    values into scores.

    On the hot path of every query: a float32 numpy vector is used as it is (no copy), a list or
    tuple is packed by ``array`` (half the time of ``numpy.asarray``), and finiteness is read off
    the squared norm, checked value by value only when that is not finite. A cosine query is
    not normalised: a search ranks by inner products with unit vectors, which scaling the query
    does not reorder, so the ten values found are divided by its norm instead of its 384."""
    if type(vector) is np.ndarray and vector.dtype is _FLOAT32:
        values: F32 = vector if vector.strides == _ONE_FLOAT else np.ascontiguousarray(vector)
    elif isinstance(vector, (list, tuple)):
        try:
            values = np.frombuffer(pyarray.array("f", vector), dtype=np.float32)
        except (TypeError, ValueError, OverflowError) as exc:
            raise RequestValidationError(f"a query vector is a sequence of numbers: {exc}") from None
    elif isinstance(vector, (str, bytes)):
        raise RequestValidationError("a query vector is a sequence of numbers, got a string")
    else:
        values = _float32(vector, "a query vector is a sequence of numbers")
    if values.ndim != 1:
        raise RequestValidationError(f"a query vector is one sequence of numbers, got shape {values.shape}")
    if len(values) != dim:
        raise RequestValidationError(f"this store holds {dim}-dimensional vectors, got {len(values)}")
    squared = squared_norm(values)
    if not math.isfinite(squared) and not np.isfinite(values).all():
        raise RequestValidationError("the query: a vector must be finite (and fit in float32)")
    if metric != "cosine":
        return values, 1.0
    if squared == 0.0:
        raise RequestValidationError("the query: a cosine vector cannot be all zeros")
    if _PLAIN_SQUARES[0] < squared < _PLAIN_SQUARES[1]:
        return values, 1.0 / math.sqrt(squared)
    # A norm so large or small that products with it could leave float32's range: normalised.
    norm = float(np.linalg.norm(values.astype(np.float64)))
    return (values.astype(np.float64) / norm).astype(np.float32), 1.0


def _label(name: str) -> str:
    return name if name == "the query" else f"record {name!r}"


def check_metadata(names: list[str], metadatas: list[Any] | None) -> bytes | None:
    """The batch's metadata as one JSON array — the snapshot the store keeps, since the caller's
    mappings may change after the upsert — checked whole (None: no metadata given).

    Values are JSON values (strings, numbers, booleans, None, and lists and mappings of them);
    integers fit in 64 bits, numbers are finite. The common batch — dicts of scalars — is
    checked by type sets and one orjson call, all in C; any other (nested values, subclasses,
    large integers, a ``null`` that may be a NaN) is walked value by value."""
    if metadatas is None:
        return None
    try:  # dict.values takes dicts only: anything else is walked below
        kinds = set(map(type, chain.from_iterable(map(dict.values, metadatas))))
    except TypeError:
        kinds = {object}
    if kinds <= _SCALARS:
        try:
            blob = orjson.dumps(metadatas, option=orjson.OPT_STRICT_INTEGER)
        except orjson.JSONEncodeError:
            pass  # a key that is no string, or an integer past 2**53: walked below
        else:
            if float not in kinds or b"null" not in blob:  # orjson writes NaN and infinities as null
                return blob
    return _walked(names, metadatas)


def _walked(names: list[str], metadatas: list[Any]) -> bytes:
    plain: list[dict[str, Any]] = []
    for name, metadata in zip(names, metadatas, strict=True):
        if not isinstance(metadata, Mapping):
            raise RequestValidationError(f"record {name!r}: metadata is a mapping, got {type(metadata).__name__}")
        for key, value in metadata.items():
            if not isinstance(key, str):
                raise RequestValidationError(f"record {name!r}: metadata keys are strings, got {key!r}")
            _check_value(name, key, value)
        plain.append(metadata if isinstance(metadata, dict) else dict(metadata))
    try:
        return orjson.dumps(plain)
    except (TypeError, orjson.JSONEncodeError):
        for name, metadata in zip(names, plain, strict=True):
            try:
                orjson.dumps(metadata)
            except (TypeError, orjson.JSONEncodeError) as exc:
                raise RequestValidationError(f"record {name!r}: metadata is not JSON: {exc}") from None
        raise


def check_texts(names: list[str], texts: list[Any] | None) -> list[str | None]:
    if texts is None:
        return [None] * len(names)
    if not set(map(type, texts)) <= {str, type(None)}:
        for name, text in zip(names, texts, strict=True):
            if text is not None and not isinstance(text, str):
                raise RequestValidationError(f"record {name!r}: text is a string or None")
    return texts


def field_rows(metadata: dict[str, Any]) -> list[FieldRow]:
    """The filterable fields of one record's (decoded, checked) metadata: its top-level scalars."""
    rows: list[FieldRow] = []
    for key, value in metadata.items():
        kind = type(value)
        if kind is str:
            rows.append((key, STRING, value))
        elif kind is bool:
            rows.append((key, BOOLEAN, int(value)))
        elif kind is int or kind is float:
            rows.append((key, NUMBER, value))
        elif value is None:
            rows.append((key, NULL, None))
    return rows


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
