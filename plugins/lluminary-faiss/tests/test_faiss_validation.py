"""Bad input is a typed error raised before anything is written: a batch with one bad record
stores none of it."""

from __future__ import annotations

import math

import pytest

from lluminary.sdk import Record, RequestValidationError

GOOD = [0.5, 0.25, 0.125, 1.0]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Record("x", [1.0, 2.0]), "2-dimensional"),
        (Record("x", [math.nan, 0.0, 0.0, 1.0]), "finite"),
        (Record("x", [math.inf, 0.0, 0.0, 1.0]), "finite"),
        (Record("x", [1e39, 0.0, 0.0, 1.0]), "float32"),
        (Record("x", [0.0, 0.0, 0.0, 0.0]), "all zeros"),
        (Record("x", None, {}, "text only"), "no vector"),
        (Record("", GOOD), "non-empty string"),
        (Record("x", GOOD, {1: "a"}), "keys are strings"),
        (Record("x", GOOD, {"a": {1, 2}}), "set"),
        (Record("x", GOOD, {"a": math.nan}), "finite"),
        (Record("x", GOOD, {"a": 2**64}), "64 bits"),
        (Record("x", GOOD, {"a": [1, object()]}), "object"),
        (Record("x", GOOD, "not a mapping"), "mapping"),  # type: ignore[arg-type]
        (Record("x", GOOD, {}, 42), "text"),  # type: ignore[arg-type]
    ],
)
async def test_a_bad_record_stores_nothing_of_its_batch(open_store, bad: Record, message: str) -> None:
    store = await open_store(metric="cosine")
    await store.upsert([Record("first", GOOD)])
    with pytest.raises(RequestValidationError, match=message):
        await store.upsert([Record("ok", GOOD), bad])
    assert await store.count() == 1
    assert await store.fetch(["ok"]) == []


async def test_a_ragged_first_batch(open_store) -> None:
    store = await open_store()
    with pytest.raises(RequestValidationError, match="3-dimensional"):
        await store.upsert([Record("a", [1.0, 2.0]), Record("b", [1.0, 2.0, 3.0])])
    with pytest.raises(RequestValidationError, match="at least one dimension"):
        await store.upsert([Record("a", [])])
    await store.upsert([Record("a", [1.0, 2.0, 3.0])])  # the failed batches fixed nothing
    assert await store.count() == 1


async def test_zero_vectors_are_fine_for_dot_and_l2(open_store) -> None:
    store = await open_store(metric="l2")
    await store.upsert([Record("zero", [0.0] * 4), Record("one", [1.0] * 4)])
    hits = await store.query([0.0] * 4, top_k=2)
    assert [(h.id, h.score) for h in hits] == [("zero", 0.0), ("one", -4.0)]


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ([1.0, 2.0], "4-dimensional"),
        ([math.nan, 1.0, 1.0, 1.0], "finite"),
        ([0.0, 0.0, 0.0, 0.0], "all zeros"),
        ("abcd", "string"),
        ([[1.0, 2.0], [3.0, 4.0]], "sequence of numbers"),
        (["a", "b", "c", "d"], "sequence of numbers"),
    ],
)
async def test_bad_query_vectors(open_store, vector, message: str) -> None:
    store = await open_store()
    await store.upsert([Record("a", GOOD)])
    with pytest.raises(RequestValidationError, match=message):
        await store.query(vector)


@pytest.mark.parametrize("top_k", [0, -1, True, 1.5, "3"])
async def test_bad_top_k(open_store, top_k) -> None:
    store = await open_store()
    with pytest.raises(RequestValidationError, match="top_k"):
        await store.query(GOOD, top_k=top_k)


async def test_bad_arguments(open_store) -> None:
    store = await open_store()
    await store.upsert([Record("a", GOOD)])
    with pytest.raises(RequestValidationError, match="one of the two"):
        await store.delete()
    with pytest.raises(RequestValidationError, match="one of the two"):
        await store.delete(["a"], filter={"x": 1})
    with pytest.raises(RequestValidationError, match="one string"):
        await store.delete("a")
    with pytest.raises(RequestValidationError, match="one string"):
        await store.fetch("a")
    with pytest.raises(RequestValidationError, match="ids are strings"):
        await store.fetch([1])
    with pytest.raises(RequestValidationError, match="namespace"):
        await store.count(namespace=None)  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError, match="Record objects"):
        await store.upsert([{"id": "x"}])  # type: ignore[list-item]
    assert await store.count() == 1
