"""Filters select exactly what the kernel's reference semantics select (``filter_matches``), for
every operator and combination, on random metadata of every kind — property-style, from a fixed
seed — and the filtered top k is the exact store's, in its order."""

from __future__ import annotations

import random
from typing import Any

import pytest

from lluminary.sdk import FilterError, MemoryStore, Record, filter_matches

INDEXES = [{"index": "flat"}, {"index": "hnsw", "m": 16, "ef_search": 200}]
DIMENSIONS = 6
STRINGS = ["red", "green", "blue", "Zürich", "zebra", "éclair", "日本", "", "Red"]
NUMBERS = [0, 1, 2, 3, 5, 7, 9, -1, 1.0, 2.5, 0.0, -0.5, 10**12]
SCALARS: list[Any] = [*STRINGS, *NUMBERS, True, False, None]
DOMAINS: dict[str, list[Any]] = {
    "colour": STRINGS,
    "size": list(range(10)),
    "weight": [-1, 0, 0.5, 2.25, 5, 7.5, 10],
    "fresh": [True, False],
    "mixed": [1, 1.0, True, "1", None, 0, False, 0.0],
}


def random_metadata(rng: random.Random) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "colour": rng.choice(STRINGS),
        "size": rng.randint(0, 9),
        "weight": round(rng.uniform(-1, 10), 2),
        "fresh": rng.random() < 0.5,
    }
    if rng.random() < 0.6:
        metadata["maybe"] = rng.choice(SCALARS)  # present with any kind, or missing
    if rng.random() < 0.5:
        metadata["mixed"] = rng.choice([1, 1.0, True, "1", None, 0, False, 0.0])
    if rng.random() < 0.3:
        metadata["tags"] = rng.sample(STRINGS, 2)  # a list: never equal to a filter's scalar
    if rng.random() < 0.2:
        metadata["nested"] = {"colour": "red"}
    return metadata


def random_condition(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    roll = rng.random()
    if depth < 3 and roll < 0.25:
        combinator = rng.choice(["$and", "$or"])
        return {combinator: [random_condition(rng, depth + 1) for _ in range(rng.randint(1, 3))]}
    if depth < 3 and roll < 0.35:  # several keys in one mapping: all must hold
        merged: dict[str, Any] = {}
        for _ in range(2):
            merged.update(random_condition(rng, depth + 1))
        return merged
    field = rng.choice(["colour", "size", "weight", "fresh", "maybe", "mixed", "tags", "nested", "absent"])
    domain = DOMAINS.get(field, SCALARS) if rng.random() < 0.75 else SCALARS  # mostly values the field holds

    def scalar() -> Any:
        return rng.choice(domain)

    def ordered() -> Any:
        return rng.choice([v for v in domain if not isinstance(v, bool) and v is not None] or NUMBERS)

    op = rng.choice(["=", "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"])
    if op == "=":
        return {field: scalar()}
    if op in ("$in", "$nin"):
        return {field: {op: [scalar() for _ in range(rng.randint(0, 4))]}}
    if op in ("$gt", "$gte", "$lt", "$lte"):
        condition = {op: ordered()}
        if rng.random() < 0.3:  # a range: two operators on one field
            condition[rng.choice(["$lt", "$lte"])] = ordered()
        return {field: condition}
    return {field: {op: scalar()}}


def dataset(count: int, seed: int) -> list[Record]:
    rng = random.Random(seed)
    return [
        Record(f"m{index}", [rng.uniform(-1, 1) for _ in range(DIMENSIONS)], random_metadata(rng), f"t{index}")
        for index in range(count)
    ]


@pytest.mark.parametrize("options", INDEXES, ids=lambda o: o["index"])
async def test_random_filters_select_what_filter_matches_selects(open_store, options: dict) -> None:
    store = await open_store(**options)
    data = dataset(160, seed=21)
    reference = MemoryStore("cosine")
    await store.upsert(data)
    await reference.upsert(data)
    rng = random.Random(22)
    probe = [0.4, -0.2, 0.1, 0.9, -0.5, 0.3]
    nonempty = 0
    for _ in range(250):
        condition = random_condition(rng)
        expected = {r.id for r in data if filter_matches(condition, r.metadata)}
        got = await store.query(probe, top_k=len(data), filter=condition)
        assert {m.id for m in got} == expected, f"filter {condition}"
        top = await store.query(probe, top_k=5, filter=condition)
        want = await reference.query(probe, top_k=5, filter=condition)
        assert [m.id for m in top] == [m.id for m in want], f"filter {condition}"
        nonempty += bool(expected) and len(expected) < len(data)
    assert nonempty > 80  # the generator selects real subsets, not only all or nothing


@pytest.mark.parametrize("options", INDEXES, ids=lambda o: o["index"])
async def test_delete_by_random_filters(open_store, options: dict) -> None:
    store = await open_store(**options)
    data = dataset(120, seed=31)
    await store.upsert(data)
    left = {r.id: r for r in data}
    rng = random.Random(32)
    for _ in range(12):
        condition = random_condition(rng)
        await store.delete(filter=condition)
        left = {key: r for key, r in left.items() if not filter_matches(condition, r.metadata)}
        assert await store.count() == len(left)
        hits = await store.query([0.1] * DIMENSIONS, top_k=200)
        assert {h.id for h in hits} == set(left), f"after deleting {condition}"


async def test_kinds_are_kept_apart(open_store) -> None:
    """Booleans match only booleans; 1 and 1.0 are the same number; None matches a stored None;
    a missing field satisfies only $ne and $nin; lists and mappings never equal a scalar."""
    store = await open_store()
    rows = {
        "int": {"x": 1},
        "float": {"x": 1.0},
        "true": {"x": True},
        "string": {"x": "1"},
        "none": {"x": None},
        "list": {"x": [1]},
        "dict": {"x": {"y": 1}},
        "missing": {},
    }
    await store.upsert([Record(key, [0.5, 0.5, 0.1, 0.2, 0.3, 0.4], meta) for key, meta in rows.items()])
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"x": 1}, {"int", "float"}),
        ({"x": 1.0}, {"int", "float"}),
        ({"x": True}, {"true"}),
        ({"x": "1"}, {"string"}),
        ({"x": None}, {"none"}),
        ({"x": {"$ne": 1}}, {"true", "string", "none", "list", "dict", "missing"}),
        ({"x": {"$in": [True, "1"]}}, {"true", "string"}),
        ({"x": {"$nin": [1, None]}}, {"true", "string", "list", "dict", "missing"}),
        ({"x": {"$gte": 1}}, {"int", "float"}),
        ({"x": {"$gt": "0"}}, {"string"}),
        ({"x": {"$lt": 10**30}}, {"int", "float"}),  # beyond int64: still compared as a number
        ({"x": 10**30}, set()),
        ({"x": {"$gt": float("nan")}}, set()),
        ({"x": {"$ne": float("nan")}}, set(rows)),
        ({"x": {"$in": []}}, set()),
        ({"x": {"$nin": []}}, set(rows)),
        ({}, set(rows)),
    ]
    for condition, expected in cases:
        assert expected == {key for key, meta in rows.items() if filter_matches(condition, meta)}, condition
        got = await store.query([0.5] * DIMENSIONS, top_k=20, filter=condition)
        assert {m.id for m in got} == expected, condition


async def test_strings_order_by_code_point(open_store) -> None:
    store = await open_store()
    words = ["Zebra", "apple", "Äpfel", "éclair", "日本", "", "a", "ab", "🍎"]
    await store.upsert(
        [Record(f"w{i}", [1.0, 0.0, 0.0, 0.0, 0.0, float(i + 1)], {"w": w}) for i, w in enumerate(words)]
    )
    for condition in (
        {"w": {"$gt": "a"}},
        {"w": {"$lte": "éclair"}},
        {"w": {"$gte": "", "$lt": "b"}},
        {"w": {"$gt": "日"}},
    ):
        got = await store.query([1.0] + [0.0] * 5, top_k=20, filter=condition)
        expected = {f"w{i}" for i, w in enumerate(words) if filter_matches(condition, {"w": w})}
        assert {m.id for m in got} == expected, condition


async def test_malformed_filters_are_typed_errors(open_store) -> None:
    store = await open_store()
    await store.upsert([Record("a", [1.0] * DIMENSIONS, {"x": 1})])
    for bad in ({"x": {"$regex": "a"}}, {"$not": {"x": 1}}, {"x": {"$gt": True}}, {"x": {"$in": "abc"}}, {"x": [1]}):
        with pytest.raises(FilterError):
            await store.query([1.0] * DIMENSIONS, filter=bad)
        with pytest.raises(FilterError):
            await store.delete(filter=bad)
    assert await store.count() == 1
