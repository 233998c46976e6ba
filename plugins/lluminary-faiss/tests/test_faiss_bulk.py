"""The columnar bulk path, ``FaissStore.upsert_vectors(ids, matrix, metadatas, texts)``: the same
records as ``upsert`` with ``Record`` objects, from a numpy matrix that is copied once and never
turned into Python floats — and the same typed errors, before anything is written, whether the
batch is small or large enough for its vectors to be prepared on a helper thread."""

from __future__ import annotations

import enum
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lluminary.sdk import Record, RequestValidationError
from lluminary_faiss import FaissStore
from lluminary_faiss.batch import ALONGSIDE_FLOATS

DIMENSIONS = 16
#: Enough rows of DIMENSIONS floats for the vectors to be prepared on the helper thread.
LARGE = ALONGSIDE_FLOATS // DIMENSIONS + 10
DURABILITIES = ["call", "save"]


def assert_vector(got: Any, want: np.ndarray) -> None:
    """A fetched vector is the one given, within one float32 rounding (exact but for pending
    cosine records, kept as unit vectors and their scales until a save)."""
    np.testing.assert_array_max_ulp(np.array(got, dtype=np.float32), want, maxulp=1)


def matrix(count: int, *, seed: int = 1, dimensions: int = DIMENSIONS) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (count, dimensions)).astype(np.float32)


def columns(count: int, *, seed: int = 1) -> tuple[list[str], np.ndarray, list[dict[str, Any]], list[str | None]]:
    ids = [f"v{index}" for index in range(count)]
    metadatas: list[dict[str, Any]] = [
        {"n": index, "half": index < count // 2, "name": f"n{index}", "weight": index / 7, "none": None}
        for index in range(count)
    ]
    texts: list[str | None] = [f"text {index}" if index % 3 else None for index in range(count)]
    return ids, matrix(count, seed=seed), metadatas, texts


async def snapshot(store: FaissStore, ids: list[str], probes: np.ndarray) -> list[Any]:
    """Everything a user can see of these records: fetched records, and answers with and without a filter."""
    fetched = [(r.id, r.vector, dict(r.metadata), r.text) for r in await store.fetch(ids)]
    answers = []
    for probe in probes:
        for condition in (None, {"half": True}):
            hits = await store.query(probe.tolist(), top_k=7, filter=condition)
            answers.append([(m.id, round(m.score, 5), dict(m.metadata), m.text) for m in hits])
    return [fetched, answers, await store.count()]


@pytest.mark.parametrize("durability", DURABILITIES)
@pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
@pytest.mark.parametrize("index", ["flat", "hnsw"])
async def test_columns_store_what_records_store(tmp_path: Path, index: str, metric: str, durability: str) -> None:
    ids, vectors, metadatas, texts = columns(200)
    options = f"index={index}&metric={metric}&durability={durability}" + ("&ef_search=300" if index == "hnsw" else "")
    by_columns = FaissStore.from_url(f"faiss://{tmp_path}/columns?{options}")
    by_records = FaissStore.from_url(f"faiss://{tmp_path}/records?{options}")
    try:
        await by_columns.upsert_vectors(ids, vectors, metadatas, texts)
        await by_records.upsert(
            [Record(*fields) for fields in zip(ids, vectors.tolist(), metadatas, texts, strict=True)]
        )
        probes = matrix(4, seed=9)
        assert await snapshot(by_columns, ids, probes) == await snapshot(by_records, ids, probes)
        fetched = np.array([r.vector for r in await by_columns.fetch(ids)], dtype=np.float32)
        if metric == "cosine" and durability == "save":
            # kept as unit vectors and scales until the save: back within one float32 rounding
            np.testing.assert_array_max_ulp(fetched, vectors, maxulp=1)
        else:
            assert np.array_equal(fetched, vectors)  # float32 as given, bit for bit
    finally:
        await by_columns.close()
        await by_records.close()


@pytest.mark.parametrize("durability", DURABILITIES)
async def test_a_large_batch_on_the_helper_thread(open_store, durability: str) -> None:
    store = await open_store(durability=durability)
    ids, vectors, metadatas, texts = columns(LARGE)
    await store.upsert_vectors(ids, vectors, metadatas, texts)
    assert await store.count() == LARGE
    for row in (0, LARGE // 2, LARGE - 1):
        (best,) = await store.query(vectors[row], top_k=1)
        assert (best.id, best.score, best.metadata, best.text) == (
            ids[row],
            pytest.approx(1.0, abs=1e-5),
            metadatas[row],
            texts[row],
        )


@pytest.mark.parametrize("durability", DURABILITIES)
async def test_the_callers_arrays_and_mappings_may_change_afterwards(open_store, durability: str) -> None:
    store = await open_store(durability=durability)
    ids, vectors, _, texts = columns(50)
    original = vectors.copy()
    nested = [{"tags": ["a", "b"], "n": index} for index in range(50)]
    await store.upsert_vectors(ids, vectors, nested, texts)
    vectors[:] = 0.5  # the caller reuses its buffers
    for item in nested:
        item["tags"].append("changed")
        item["n"] = -1
    (record,) = await store.fetch([ids[3]])
    assert_vector(record.vector, original[3])
    assert record.metadata == {"tags": ["a", "b"], "n": 3}
    (best,) = await store.query(original[3], top_k=1)
    assert (best.id, best.metadata) == (ids[3], {"tags": ["a", "b"], "n": 3})


@pytest.mark.parametrize("durability", DURABILITIES)
async def test_the_last_of_a_repeated_id_wins(open_store, durability: str) -> None:
    store = await open_store(durability=durability)
    vectors = matrix(4)
    await store.upsert_vectors(["a", "b", "a", "c"], vectors, [{"v": 0}, {"v": 1}, {"v": 2}, {"v": 3}])
    assert await store.count() == 3
    fetched = await store.fetch(["a", "b", "c"])
    assert [(r.id, r.metadata["v"]) for r in fetched] == [("a", 2), ("b", 1), ("c", 3)]
    for record, row in zip(fetched, (2, 1, 3), strict=True):
        assert_vector(record.vector, vectors[row])
    assert await store.query(vectors[0], top_k=4, filter={"v": 0}) == []  # the first "a" is gone
    assert [m.id for m in await store.query(vectors[2], top_k=1)] == ["a"]


@pytest.mark.parametrize(
    "vectors",
    [
        pytest.param(lambda m: m.tolist(), id="lists"),
        pytest.param(lambda m: m.astype(np.float64), id="float64"),
        pytest.param(lambda m: np.asfortranarray(m), id="fortran-order"),
        pytest.param(lambda m: np.repeat(m, 2, axis=0)[::2], id="strided-rows"),
    ],
)
async def test_any_numeric_matrix_is_taken(open_store, vectors) -> None:
    store = await open_store(metric="dot")
    ids, given, _, _ = columns(30)
    await store.upsert_vectors(ids, vectors(given))
    fetched = await store.fetch(ids)
    assert [r.vector for r in fetched] == [tuple(row) for row in given.tolist()]
    assert all(r.metadata == {} and r.text is None for r in fetched)


async def test_integer_vectors_and_an_empty_batch(open_store) -> None:
    store = await open_store(metric="l2")
    await store.upsert_vectors([], np.zeros((0, 3), dtype=np.float32))
    await store.upsert_vectors([], [])
    await store.upsert_vectors(["a", "b"], np.array([[1, 2, 3], [0, 0, 0]], dtype=np.int64))
    assert [(m.id, m.score) for m in await store.query([1.0, 2.0, 3.0], top_k=2)] == [("a", 0.0), ("b", -14.0)]
    await store.upsert_vectors(["huge"], [[1e20, 0.0, 0.0]])  # its squared norm overflows float32: fine for l2
    assert (await store.fetch(["huge"]))[0].vector == (pytest.approx(1e20), 0.0, 0.0)


GOOD = np.array([[0.5, 0.25, 0.125, 1.0], [1.0, 0.0, 0.0, 0.0]], dtype=np.float32)


class Colour(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"vectors": GOOD[:, :2]}, "4-dimensional"),
        ({"vectors": GOOD[0]}, "one row per id"),
        ({"vectors": GOOD[:1]}, "one row per id"),
        ({"vectors": np.array([[math.nan, 0, 0, 1], [1, 0, 0, 0]], dtype=np.float32)}, "record 'x': .*finite"),
        ({"vectors": np.array([[1e39, 0, 0, 1], [1, 0, 0, 0]])}, "record 'x': .*float32"),
        ({"vectors": np.array([[1, 0, 0, 1], [0, 0, 0, 0]], dtype=np.float32)}, "record 'y': .*all zeros"),
        ({"vectors": np.array([[1e20, 0, 0, 1], [1, 0, 0, 0]], dtype=np.float32)}, "record 'x': .*norm must fit"),
        ({"vectors": [[1, 2, 3, 4], [1, 2]]}, "matrix of numbers"),
        ({"vectors": [["a", "b", "c", "d"], ["e", "f", "g", "h"]]}, "matrix of numbers"),
        ({"vectors": GOOD.astype(np.complex64)}, "dtype complex64"),
        ({"vectors": GOOD > 0}, "dtype bool"),
        ({"ids": "xy"}, "ids is a list of strings"),
        ({"ids": ["x", 2]}, "non-empty string, got 2"),
        ({"ids": ["x", ""]}, "non-empty string, got ''"),
        ({"metadatas": [{}]}, "2 ids but 1 metadatas"),
        ({"metadatas": {"a": 1}}, "metadatas is a list"),
        ({"metadatas": [{}, "text"]}, "record 'y': metadata is a mapping"),
        ({"metadatas": [{}, {1: "a"}]}, "record 'y': metadata keys are strings"),
        ({"metadatas": [{}, {"a": math.nan}]}, "record 'y': metadata 'a': numbers must be finite"),
        ({"metadatas": [{"a": None}, {"a": math.inf}]}, "record 'y': metadata 'a': numbers must be finite"),
        ({"metadatas": [{}, {"a": [1.0, math.nan]}]}, "record 'y': metadata 'a': numbers must be finite"),
        ({"metadatas": [{}, {"a": 2**63}]}, "record 'y': metadata 'a': integers must fit in 64 bits"),
        ({"metadatas": [{}, {"a": -(2**64)}]}, "record 'y': metadata 'a': integers must fit in 64 bits"),
        ({"metadatas": [{}, {"a": {1, 2}}]}, "record 'y': metadata 'a' is a set"),
        ({"metadatas": [{}, {"a": Colour.RED}]}, "record 'y': metadata 'a' is a Colour"),
        ({"metadatas": [{}, {"a": np.float32(1.0)}]}, "record 'y': metadata 'a' is a float32"),
        ({"texts": ["fine", 7]}, "record 'y': text is a string or None"),
        ({"texts": ["only one"]}, "2 ids but 1 texts"),
    ],
)
@pytest.mark.parametrize("durability", DURABILITIES)
async def test_bad_columns_store_nothing(open_store, arguments: dict[str, Any], message: str, durability: str) -> None:
    store = await open_store(metric="cosine", durability=durability)
    await store.upsert_vectors(["first"], GOOD[:1])
    call: dict[str, Any] = {"ids": ["x", "y"], "vectors": GOOD, **arguments}
    with pytest.raises(RequestValidationError, match=message):
        await store.upsert_vectors(**call)
    assert await store.count() == 1
    assert await store.fetch(["x", "y"]) == []


@pytest.mark.parametrize("problem", ["vector", "metadata"])
async def test_a_bad_record_in_a_large_batch_stores_nothing(open_store, problem: str) -> None:
    store = await open_store(durability="save")
    ids, vectors, metadatas, texts = columns(LARGE)
    if problem == "vector":
        vectors[-1, 3] = math.inf
    else:
        metadatas[-1]["weight"] = math.nan
    with pytest.raises(RequestValidationError, match=f"record '{ids[-1]}'"):
        await store.upsert_vectors(ids, vectors, metadatas, texts)
    assert await store.count() == 0
    await store.upsert_vectors(ids[:2], vectors[:2])  # and the store still works
    assert await store.count() == 2


async def test_metadata_the_fast_check_cannot_clear_is_still_taken(open_store) -> None:
    """Values the whole-batch check leaves to the walk: integers past 2**53, NaN look-alikes
    ("null" in a string beside a float), subclasses of str and int, mappings that are not dicts."""

    class Size(enum.IntEnum):
        BIG = 3

    class Word(str):
        pass

    store = await open_store(durability="save")
    metadatas: list[Any] = [
        {"big": 2**62 + 1, "small": -(2**63)},
        {"text": "null", "float": 0.5},
        {"size": Size.BIG, "word": Word("hello")},
        {"a": None, "b": 1.5},
    ]
    ids = ["big", "null", "subclasses", "none"]
    await store.upsert_vectors(ids, matrix(4))
    await store.upsert_vectors(ids, matrix(4), metadatas)
    await store.save()
    got = {record.id: dict(record.metadata) for record in await store.fetch(ids)}
    assert got == {
        "big": {"big": 2**62 + 1, "small": -(2**63)},
        "null": {"text": "null", "float": 0.5},
        "subclasses": {"size": 3, "word": "hello"},
        "none": {"a": None, "b": 1.5},
    }
    assert [m.id for m in await store.query(matrix(1)[0], top_k=4, filter={"big": {"$gt": 2**62}})] == ["big"]
