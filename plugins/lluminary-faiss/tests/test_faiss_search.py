"""Searches give the kernel's exact answers: the same ids in the same order and the same scores as
``MemoryStore`` on the same data, for flat and HNSW indexes and every metric — also after records
are replaced and deleted (which an HNSW graph can only hide, as tombstones)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from lluminary.sdk import MemoryStore, Record
from lluminary_faiss.native import NativeIndex
from lluminary_faiss.space import Space

DIMENSIONS = 16  # the tests' vectors (conftest)
PROBES = [[random.Random(seed).uniform(-1, 1) for _ in range(DIMENSIONS)] for seed in range(6)]
INDEXES = [{"index": "flat"}, {"index": "hnsw", "m": 16, "ef_search": 200}]
METRICS = ["cosine", "dot", "l2"]


async def assert_same_answers(store, reference: MemoryStore, *, top_k: int = 10, filter=None) -> None:
    for vector in PROBES:
        got = await store.query(vector, top_k=top_k, filter=filter)
        want = await reference.query(vector, top_k=top_k, filter=filter)
        assert [m.id for m in got] == [m.id for m in want]
        assert [m.score for m in got] == pytest.approx([m.score for m in want], abs=1e-4, rel=1e-4)
        for hit, expected in zip(got, want, strict=True):
            assert (dict(hit.metadata), hit.text) == (dict(expected.metadata), expected.text)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("options", INDEXES, ids=lambda o: o["index"])
async def test_queries_match_the_exact_store(open_store, make_records, options: dict, metric: str) -> None:
    store = await open_store(metric=metric, **options)
    data = make_records(250)
    reference = MemoryStore(metric)  # type: ignore[arg-type]
    await store.upsert(data)
    await reference.upsert(data)
    assert store.metric == metric
    await assert_same_answers(store, reference)
    await assert_same_answers(store, reference, filter={"group": "b"})


@pytest.mark.parametrize("options", INDEXES, ids=lambda o: o["index"])
async def test_replaced_and_deleted_records_never_come_back(
    open_store, make_records, make_vectors, options: dict
) -> None:
    """Replacing moves a record to its new vector; deleting removes it — on HNSW the old nodes
    stay in the graph as tombstones, which no search returns."""
    store = await open_store(**options)
    reference = MemoryStore("cosine")
    data = make_records(120)
    for target in (store, reference):
        await target.upsert(data)
    moved = [
        Record(r.id, vector, {"moved": True}, "moved")
        for r, vector in zip(data[:40], make_vectors(40, seed=8), strict=True)
    ]
    for target in (store, reference):
        await target.upsert(moved)
        await target.delete([r.id for r in data[40:60]])
        await target.delete(filter={"group": "c", "n": {"$gte": 100}})
    assert await store.count() == await reference.count()
    await assert_same_answers(store, reference, top_k=200)
    await assert_same_answers(store, reference, top_k=5, filter={"moved": True})
    for old in data[:40]:
        (hit,) = await store.query(old.vector or (), top_k=1, filter={"moved": {"$ne": True}})
        assert hit.id != old.id


@pytest.mark.parametrize("options", INDEXES, ids=lambda o: o["index"])
async def test_a_repeated_id_in_one_batch_keeps_the_last(open_store, make_vectors, options: dict) -> None:
    store = await open_store(**options)
    first, second = make_vectors(2, seed=4)
    await store.upsert([Record("x", first, {"v": 1}), Record("y", second), Record("x", second, {"v": 2})])
    assert await store.count() == 2
    (got,) = await store.fetch(["x"])
    assert dict(got.metadata) == {"v": 2}
    assert got.vector == pytest.approx(second, abs=1e-6)
    hits = await store.query(second, top_k=5)
    assert sorted(h.id for h in hits) == ["x", "y"]


@pytest.mark.parametrize("options", INDEXES, ids=lambda o: o["index"])
async def test_top_k_larger_than_the_store_and_an_empty_store(open_store, make_records, options: dict) -> None:
    store = await open_store(**options)
    assert await store.query([0.1] * DIMENSIONS, top_k=5) == []
    assert await store.query([0.1] * DIMENSIONS, top_k=5, filter={"group": "a"}) == []
    await store.upsert(make_records(4))
    hits = await store.query([0.1] * DIMENSIONS, top_k=1000)
    assert len(hits) == 4
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert await store.query([0.1] * DIMENSIONS, top_k=3, filter={"group": "nothing"}) == []
    assert await store.query([0.1] * DIMENSIONS, top_k=5, namespace="elsewhere") == []


async def test_include_vectors_returns_them_as_given(open_store, make_records) -> None:
    store = await open_store(metric="cosine")
    data = make_records(5)
    await store.upsert(data)
    plain = await store.query(data[2].vector or (), top_k=2)
    assert all(hit.vector is None for hit in plain)
    (hit,) = await store.query(data[2].vector or (), top_k=1, include_vectors=True)
    assert hit.id == data[2].id
    assert hit.vector == pytest.approx(data[2].vector, abs=1e-6)  # not normalised


@pytest.mark.parametrize("options", INDEXES, ids=lambda o: o["index"])
async def test_namespaces_have_an_index_each(open_store, make_records, directory, options: dict) -> None:
    store = await open_store(**options)
    await store.upsert(make_records(10, prefix="left"), namespace="left")
    await store.upsert(make_records(7, prefix="right", seed=4), namespace="right")
    await store.upsert(make_records(3, prefix="default", seed=5))
    assert [await store.count(namespace=n) for n in ("left", "right", "", "none")] == [10, 7, 3, 0]
    hits = await store.query([0.2] * DIMENSIONS, top_k=50, namespace="right")
    assert {h.id for h in hits} == {f"right{i}" for i in range(7)}
    await store.delete(filter={}, namespace="left")
    assert await store.count(namespace="left") == 0
    assert await store.query([0.2] * DIMENSIONS, top_k=50, namespace="left") == []
    await store.save()
    assert sorted(p.name for p in directory.glob("ns-*.faiss")) == ["ns-2.faiss", "ns-3.faiss"]  # left is empty


# --------------------------------------------------------------------------- the two filtered paths


@pytest.mark.parametrize("space_name", ["ip", "l2"])
@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_exact_scoring_and_the_faiss_selector_agree(kind: str, space_name: str) -> None:
    """A filtered search scores few selected vectors itself and leaves many to FAISS with a
    bitmap selector; both give the same top k (HNSW searched broadly enough to be exact here)."""
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((600, 12), dtype=np.float32)
    space = Space("", 1)
    space.add(
        np.arange(10, 610, dtype=np.int64),
        vectors,
        lambda dim: NativeIndex.new(kind, space_name, dim, m=16, ef_construction=80),  # type: ignore[arg-type]
    )
    space.remove(np.array([12, 40, 41], dtype=np.int64))  # HNSW: tombstones the selector must skip
    chosen = np.sort(rng.choice(np.arange(10, 610), size=250, replace=False)).astype(np.int64)
    for query in rng.standard_normal((5, 12), dtype=np.float32):
        exact_ids, exact_scores = space.search_among(query.reshape(1, -1), 10, chosen, 600, exact=True)
        faiss_ids, faiss_scores = space.search_among(query.reshape(1, -1), 10, chosen, 600, exact=False)
        assert faiss_ids.tolist() == exact_ids.tolist()
        assert faiss_scores == pytest.approx(exact_scores, abs=1e-4)
        assert not {12, 40, 41} & set(exact_ids.tolist())
        assert set(exact_ids.tolist()) <= set(chosen.tolist())


def test_hnsw_tombstones_are_compacted_away() -> None:
    rng = random.Random(2)
    vectors = np.array([[rng.uniform(-1, 1) for _ in range(8)] for _ in range(100)], dtype=np.float32)
    space = Space("", 1)

    def factory(dim: int) -> NativeIndex:
        return NativeIndex.new("hnsw", "ip", dim, m=8, ef_construction=40)

    space.add(np.arange(1, 101, dtype=np.int64), vectors, factory)
    space.remove(np.arange(1, 21, dtype=np.int64))
    assert (space.live, space.tombstones, space.needs_compaction()) == (80, 20, False)
    space.remove(np.arange(21, 31, dtype=np.int64))
    assert space.needs_compaction()
    before = space.search(vectors[50:51], 5, 100)
    space.compact(factory)
    assert (space.live, space.tombstones, space.index.ntotal if space.index else 0) == (70, 0, 70)
    after = space.search(vectors[50:51], 5, 100)
    assert after[0].tolist() == before[0].tolist()
    assert after[1] == pytest.approx(before[1], abs=1e-5)


@pytest.mark.parametrize(
    "options", [{"index": "flat"}, {"index": "hnsw", "m": 16, "ef_search": 300}], ids=lambda o: o["index"]
)
async def test_a_large_batch_and_a_wide_filter(open_store, make_records, options: dict) -> None:
    """3,000 records in one upsert (the index is built alongside the SQLite write) and filters
    selecting too many records to score one by one (FAISS searches with a bitmap selector)."""
    store = await open_store(**options)
    reference = MemoryStore("cosine")
    data = make_records(3_000, dimensions=8)
    await store.upsert(data)
    await reference.upsert(data)
    assert await store.count() == 3_000
    for condition in ({"even": True}, {"group": {"$ne": "a"}}, {"n": {"$gte": 100}}):
        for vector in [[random.Random(seed).uniform(-1, 1) for _ in range(8)] for seed in range(3)]:
            got = await store.query(vector, top_k=10, filter=condition)
            want = await reference.query(vector, top_k=10, filter=condition)
            assert [m.id for m in got] == [m.id for m in want], condition
            assert [m.score for m in got] == pytest.approx([m.score for m in want], abs=1e-4)
