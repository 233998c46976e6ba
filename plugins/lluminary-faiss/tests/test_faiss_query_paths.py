"""The fast paths of a query, and that they never answer wrong.

Short queries run on the event loop: once a namespace's queries are measured under
``inline_us``, the next ones skip the hand-off to a worker thread — and never while a write holds
or awaits the index, never before a query there was measured, and never with ``inline_us=0``.
Where a query ran shows in the engine's SQLite connections, one per thread that used it.

Rows a query returned are kept in memory, and an upserted or deleted record is never answered
from an old row."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
import pytest

from lluminary.sdk import ConfigurationError, Record, RequestValidationError
from lluminary_faiss import FaissStore, catalog
from lluminary_faiss.rows import RowCache


def _ran_on_this_thread(store: FaissStore) -> bool:
    engine: Any = store._engine
    return threading.get_ident() in engine._connections


@pytest.mark.parametrize("index", ["flat", "hnsw"])
async def test_measured_short_queries_run_on_the_loop_with_the_same_answers(
    open_store, make_records, make_vectors, index: str
) -> None:
    inline = await open_store(index=index)
    threaded = FaissStore.from_url(f"faiss://{inline.directory}?inline_us=0")
    try:
        await inline.upsert(make_records(300))
        probes = make_vectors(12, seed=5)
        first = await inline.query(probes[0], top_k=5)
        assert not _ran_on_this_thread(inline)  # not measured yet: a worker ran it
        for probe in probes:
            for condition in (None, {"even": True}):
                here = await inline.query(probe, top_k=5, filter=condition)
                there = await threaded.query(probe, top_k=5, filter=condition)
                assert [(m.id, m.score, m.metadata, m.text) for m in here] == [
                    (m.id, m.score, m.metadata, m.text) for m in there
                ]
        assert _ran_on_this_thread(inline)
        assert [m.id for m in first] == [m.id for m in await inline.query(probes[0], top_k=5)]
    finally:
        await threaded.close()


async def test_a_query_waits_for_a_write_on_a_worker_not_on_the_loop(open_store, make_records, make_vectors) -> None:
    store = await open_store(index="hnsw")
    await store.upsert(make_records(100))
    probe = make_vectors(1, seed=9)[0]
    for _ in range(3):
        await store.query(probe, top_k=3)
    engine: Any = store._engine
    held, release = threading.Event(), threading.Event()

    def writer() -> None:  # a long write: holds the index until told to stop
        with engine._lock.write():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert await asyncio.to_thread(held.wait, 10)
        ticks = 0
        query = asyncio.ensure_future(store.query(probe, top_k=3))
        while ticks < 20:  # the loop keeps running while the query waits
            await asyncio.sleep(0.001)
            ticks += 1
        assert not query.done()
        release.set()
        assert len(await query) == 3
    finally:
        release.set()
        thread.join()


async def test_a_write_sends_the_next_query_to_a_worker(open_store, make_records, make_vectors) -> None:
    store = await open_store(index="flat")
    await store.upsert(make_records(50))
    probe = make_vectors(1, seed=4)[0]
    await store.query(probe, top_k=3)
    space = store._engine._spaces[""]  # type: ignore[union-attr]
    assert space.query_seconds[0] is not None
    await store.upsert(make_records(50, prefix="more", seed=8))
    # A grown index may search slower than it was measured: the estimate starts again.
    assert space.query_seconds == [None, None]


async def test_inline_us_zero_always_uses_a_worker(open_store, make_records, make_vectors) -> None:
    store = await open_store(inline_us=0)
    await store.upsert(make_records(50))
    for probe in make_vectors(10, seed=2):
        await store.query(probe, top_k=3, filter={"even": False})
    assert not _ran_on_this_thread(store)


async def test_a_query_measured_slower_than_the_limit_stays_on_a_worker(open_store, make_records, make_vectors) -> None:
    store = await open_store(inline_us=1)  # no query takes under a microsecond
    await store.upsert(make_records(50))
    for probe in make_vectors(10, seed=2):
        await store.query(probe, top_k=3)
    assert not _ran_on_this_thread(store)


@pytest.mark.parametrize("text", ["-1", "1.5", "fast"])
def test_inline_us_must_be_a_whole_number(text: str) -> None:
    with pytest.raises(ConfigurationError, match="inline_us"):
        FaissStore.from_url(f"faiss:///tmp/x?inline_us={text}")


def test_inline_us_shows_in_the_url_when_not_the_default() -> None:
    assert "inline_us=250" in FaissStore.from_url("faiss:///tmp/x?inline_us=250").options.url()
    assert "inline_us" not in FaissStore.from_url("faiss:///tmp/x").options.url()


async def test_a_replaced_record_is_never_answered_from_a_kept_row(open_store, make_records) -> None:
    store = await open_store(index="flat")
    records = make_records(20)
    await store.upsert(records)
    target = records[0]
    vector = list(target.vector or ())
    for _ in range(3):  # kept in memory now
        (best,) = await store.query(vector, top_k=1)
        assert best.metadata == target.metadata
    await store.upsert([Record(target.id, vector, {"version": 2}, "rewritten")])
    (best,) = await store.query(vector, top_k=1)
    assert (best.id, best.metadata, best.text) == (target.id, {"version": 2}, "rewritten")
    await store.delete([target.id])
    assert target.id not in {m.id for m in await store.query(vector, top_k=20)}


def test_the_row_cache_keeps_at_most_its_limit(tmp_path) -> None:
    connection = catalog.connect(str(tmp_path))
    try:
        connection.executemany(
            "INSERT INTO records (faiss_id, namespace, id, metadata, text) VALUES (?, 1, ?, ?, NULL)",
            [(number, f"r{number}", b"{}") for number in range(1, 11)],
        )
        cache = RowCache(limit=3)

        def load(namespace: str, missing: list[int]) -> dict[int, Any]:
            return catalog.entries(connection, missing)

        assert [row[0] for row in cache.rows([1, 2, 3, 4, 5], load, "") if row] == ["r1", "r2", "r3", "r4", "r5"]
        assert len(cache) == 3
        connection.execute("DELETE FROM records")  # what is kept is still answered; the rest is gone
        assert [row and row[0] for row in cache.rows([3, 4, 5, 6], load, "")] == ["r3", "r4", "r5", None]
        assert len(RowCache(limit=0)) == 0
    finally:
        connection.close()


class Tagged(np.ndarray):
    """A subclass of ndarray, as array libraries make them."""


@pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
async def test_a_numpy_query_vector_is_taken_as_it_is(open_store, make_records, make_vectors, metric: str) -> None:
    """A float32 vector is searched without a copy through Python floats, and left unchanged."""
    store = await open_store(metric=metric)
    await store.upsert(make_records(60))
    for probe in make_vectors(5, seed=12):
        as_list = await store.query(probe, top_k=6)
        given = np.array(probe, dtype=np.float32)
        kept = given.copy()
        strided = np.repeat(given, 2)[::2]  # every other float of a longer array: not contiguous
        matrix_row = np.array([probe], dtype=np.float32)  # a row of a 1 x dim matrix is not taken
        subclass = np.repeat(given, 2).view(Tagged)[::2]  # an ndarray subclass, strided
        for form in (given, tuple(probe), np.array(probe, dtype=np.float64), strided, subclass):
            answers = await store.query(form, top_k=6)
            assert [(m.id, m.score) for m in answers] == [(m.id, m.score) for m in as_list]
        assert np.array_equal(given, kept)
        with pytest.raises(RequestValidationError, match="one sequence of numbers"):
            await store.query(matrix_row, top_k=6)
