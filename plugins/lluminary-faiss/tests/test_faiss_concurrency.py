"""Concurrent use: many upserts, deletes and queries in flight at once lose nothing and never fail;
handles on one directory in one process share it; a second process is refused while the first
holds it, and gets it once the first closes."""

from __future__ import annotations

import asyncio
import sys
import threading

import pytest

import lluminary
from lluminary.sdk import Record
from lluminary_faiss import FaissStore, FaissStoreError

INDEXES = [{"index": "flat"}, {"index": "hnsw", "m": 16, "ef_search": 100}]


@pytest.mark.parametrize("options", INDEXES, ids=lambda o: o["index"])
async def test_many_writes_and_reads_in_flight(open_store, make_records, make_vectors, options: dict) -> None:
    store = await open_store(**options)
    data = make_records(400)
    batches = [data[start : start + 10] for start in range(0, 400, 10)]
    probes = make_vectors(60, seed=11)
    deleted = {r.id for r in data if r.metadata["n"] % 10 == 3}

    async def write(batch: list[Record]) -> None:
        await store.upsert(batch)
        await store.delete([r.id for r in batch if r.id in deleted])

    async def read(vector: list[float]) -> None:
        hits = await store.query(vector, top_k=5, filter={"even": True} if len(vector) % 2 else None)
        assert len(hits) <= 5
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        await store.count()
        await store.fetch([h.id for h in hits])

    await asyncio.gather(*(write(b) for b in batches), *(read(v) for v in probes))
    assert await store.count() == 400 - len(deleted)
    hits = await store.query(probes[0], top_k=1000)
    assert {h.id for h in hits} == {r.id for r in data} - deleted
    for record in data[:20]:
        if record.id not in deleted:
            (best,) = await store.query(record.vector or (), top_k=1)
            assert best.id == record.id


async def test_handles_on_one_directory_share_it(directory, make_records) -> None:
    first = FaissStore.from_url(f"faiss://{directory}?index=hnsw")
    second = FaissStore.from_url(f"faiss://{directory}")
    await first.upsert(make_records(30))
    assert await second.count() == 30  # the same store, not a second copy of it
    assert second.metric == "cosine"
    await second.upsert(make_records(5, prefix="more", seed=6))
    await first.close()
    assert len(await second.query([0.1] * 16, top_k=100)) == 35  # still open for the other handle
    await second.close()
    assert (directory / "ns-1.faiss").is_file()  # the last close saved
    clash = FaissStore.from_url(f"faiss://{directory}?index=hnsw")
    other = FaissStore.from_url(f"faiss://{directory}?index=flat")
    assert await clash.count() == 35
    with pytest.raises(Exception, match="index"):
        await other.count()
    await other.close()
    await clash.close()


def test_one_store_from_several_threads_and_event_loops(directory, make_records) -> None:
    """The sync API runs on a background loop; applications have their own: a handle works from
    any of them, since it binds nothing to a loop."""
    store = FaissStore.from_url(f"faiss://{directory}")
    data = make_records(120)
    errors: list[BaseException] = []

    def worker(part: list[Record]) -> None:
        try:
            asyncio.run(store.upsert(part))
            asyncio.run(store.query(part[0].vector or (), top_k=3))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(data[i : i + 20],)) for i in range(0, 120, 20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert asyncio.run(store.count()) == 120
    asyncio.run(store.close())


@pytest.mark.integration
@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
async def test_another_process_is_refused_until_the_first_closes(directory, spawn) -> None:
    url = f"faiss://{directory}"
    holder = spawn("holder", url)
    assert holder.stdout is not None
    assert holder.stdin is not None
    assert holder.stdout.readline().strip() == "ready", holder.communicate()[1]
    store = FaissStore.from_url(url)
    with pytest.raises(FaissStoreError, match=f"open in another process \\(pid {holder.pid}\\)"):
        await store.count()
    holder.stdin.write("close\n")
    holder.stdin.flush()
    assert holder.wait(timeout=30) == 0
    assert await store.count() == 3  # the same handle opens once the directory is free
    await store.close()


def test_the_sync_collection_api(directory, embedder) -> None:
    with lluminary.Client(cache=False) as client:
        collection = client.open_store(f"faiss://{directory}", embed="faisstest:embed")
        ids = collection.add_texts([f"line {i}" for i in range(30)], [{"i": i} for i in range(30)])
        assert collection.count() == 30
        hits = collection.query("line 7", top_k=3)
        assert hits[0].id == ids[7]
        assert hits[0].score == pytest.approx(1.0, abs=1e-5)
        collection.delete(filter={"i": {"$lt": 10}})
        assert collection.count() == 20
    assert (directory / "ns-1.faiss").is_file()  # closing the client closed (and saved) the store
