"""``durability=save``: upserts change the index at once and reach SQLite together at the next
flush — ``save()``, ``close()``, a delete, a filtered query — and until then every answer
(queries, fetches, counts, replacements of stored and of pending records) is the one the kernel's
exact ``memory://`` store gives for the same operations. What a crash leaves is tested with real
child processes in ``test_faiss_crash.py``."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from lluminary.sdk import ConfigurationError, MemoryStore, Record
from lluminary_faiss import FaissStore

INDEXES = [{"index": "flat"}, {"index": "hnsw", "m": 16, "ef_search": 300}]
PROBES = [[random.Random(seed).uniform(-1, 1) for _ in range(16)] for seed in range(5)]


def stored_records(directory: Path) -> int:
    """Records in the SQLite file, read by another connection (what a crash would leave)."""
    connection = sqlite3.connect(f"file:{directory / 'store.sqlite'}?mode=ro", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM records").fetchone()[0])
    except sqlite3.OperationalError:  # no schema yet
        return 0
    finally:
        connection.close()


async def assert_same_everything(
    store: FaissStore, reference: MemoryStore, ids: list[str], *, filtered: bool = True
) -> None:
    """The same answers as the exact store; ``filtered=False`` asks nothing that writes pending upserts."""
    for probe in PROBES:
        for condition in (None, {"group": "a"}) if filtered else (None,):
            got = await store.query(probe, top_k=12, filter=condition)
            want = await reference.query(probe, top_k=12, filter=condition)
            assert [(m.id, dict(m.metadata), m.text) for m in got] == [(m.id, dict(m.metadata), m.text) for m in want]
            assert [m.score for m in got] == pytest.approx([m.score for m in want], abs=1e-4)
    assert await store.count() == await reference.count()
    mine = [(r.id, r.vector, dict(r.metadata), r.text) for r in await store.fetch(ids)]
    theirs = [(r.id, r.vector, dict(r.metadata), r.text) for r in await reference.fetch(ids)]
    assert [row[0] for row in mine] == [row[0] for row in theirs]
    for got, want in zip(mine, theirs, strict=True):
        assert got[1] == pytest.approx(want[1], abs=1e-6)
        assert got[2:] == want[2:]


async def test_upserts_are_answered_at_once_and_written_by_save(open_store, make_records, directory: Path) -> None:
    store = await open_store(durability="save")
    data = make_records(40)
    await store.upsert(data)
    assert await store.count() == 40
    (best,) = await store.query(list(data[7].vector or ()), top_k=1)
    assert (best.id, best.metadata, best.text) == (data[7].id, data[7].metadata, data[7].text)
    assert [r.id for r in await store.fetch([data[3].id, "missing"])] == [data[3].id]
    assert stored_records(directory) == 0  # nothing written yet
    await store.save()
    assert stored_records(directory) == 40
    assert (directory / "ns-1.faiss").is_file()


@pytest.mark.parametrize("options", INDEXES, ids=lambda o: o["index"])
async def test_replacing_stored_and_pending_records(open_store, make_records, directory: Path, options: dict) -> None:
    """Every step is checked against the exact store: before the save, after it, and reopened."""
    store = await open_store(durability="save", **options)
    reference = MemoryStore("cosine")
    first = make_records(120)
    second = make_records(10, seed=11) + make_records(40, seed=12, prefix="s")  # replaces r0..r9
    third = make_records(5, seed=13) + make_records(5, seed=14, prefix="s")  # replaces r0..r4 and s0..s4 again
    ids = [r.id for r in first + second]
    await store.upsert(first)
    await reference.upsert(first)
    await store.save()
    for batch in (second, third):  # stored records replaced, then pending ones
        await store.upsert(batch)
        await reference.upsert(batch)
        await assert_same_everything(store, reference, ids, filtered=False)
    assert stored_records(directory) == 120  # nothing above wrote the pending upserts
    await assert_same_everything(store, reference, ids)  # filtered queries: written now
    assert stored_records(directory) == 160
    await store.upsert(third)  # pending again
    await reference.upsert(third)
    await store.close()
    assert stored_records(directory) == 160
    again = await open_store()
    await assert_same_everything(again, reference, ids)


async def test_a_filtered_query_writes_the_pending_upserts_first(open_store, make_records, directory: Path) -> None:
    store = await open_store(durability="save")
    await store.upsert(make_records(30))
    hits = await store.query([0.1] * 16, top_k=50, filter={"even": True})
    assert sorted(int(m.id[1:]) for m in hits) == list(range(0, 30, 2))
    assert stored_records(directory) == 30


async def test_a_delete_writes_the_pending_upserts_first(open_store, make_records, directory: Path) -> None:
    store = await open_store(durability="save")
    data = make_records(10)
    await store.upsert(data)
    await store.delete([data[0].id])
    assert stored_records(directory) == 9
    await store.upsert(make_records(5, prefix="later"))
    await store.delete(filter={"group": "none of them"})  # deletes nothing, still writes
    assert stored_records(directory) == 14
    assert await store.count() == 14


async def test_include_vectors_and_fetch_answer_pending_records(open_store, make_records) -> None:
    store = await open_store(durability="save", metric="dot")
    stored, pending = make_records(5), make_records(5, prefix="p", seed=4)
    await store.upsert(stored)
    await store.save()
    await store.upsert(pending)
    for record in (stored[2], pending[3]):
        (best,) = await store.query(list(record.vector or ()), top_k=1, include_vectors=True)
        assert best.id == record.id
        assert best.vector == pytest.approx(record.vector, abs=1e-6)
    fetched = await store.fetch([pending[1].id, stored[1].id, pending[1].id])
    assert [r.id for r in fetched] == [pending[1].id, stored[1].id, pending[1].id]
    assert fetched[0].metadata == pending[1].metadata


async def test_answers_do_not_share_metadata_with_the_store(open_store) -> None:
    """A caller changing a match's or a record's metadata changes nothing the store answers next,
    for rows kept in memory (flat and nested metadata) and for pending records."""
    store = await open_store(durability="save", metric="dot")
    flat: dict[str, Any] = {"n": 1}
    nested: dict[str, Any] = {"tags": ["a"], "inner": {"k": 1}}
    await store.upsert([Record("flat", [1.0, 0.0], flat), Record("nested", [0.0, 1.0], nested)])
    for _ in range(2):  # pending, then written and kept in memory by the query before
        for _ in range(3):
            for hit in await store.query([1.0, 1.0], top_k=2):
                hit.metadata["n"] = 99  # type: ignore[index]
                if "tags" in hit.metadata:
                    hit.metadata["tags"].append("x")
                    hit.metadata["inner"]["k"] = 2
            for record in await store.fetch(["flat", "nested"]):
                record.metadata.clear()  # type: ignore[attr-defined]
        answers = {m.id: m.metadata for m in await store.query([1.0, 1.0], top_k=2)}
        assert answers == {"flat": {"n": 1}, "nested": {"tags": ["a"], "inner": {"k": 1}}}
        await store.save()


async def test_the_handles_of_a_directory_agree_on_durability(open_store, make_records, directory: Path) -> None:
    deferred = await open_store(durability="save")
    await deferred.upsert(make_records(3))
    per_call = FaissStore.from_url(f"faiss://{directory}")
    try:
        with pytest.raises(ConfigurationError, match=r"durability=call .* durability=save"):
            await per_call.count()
    finally:
        await per_call.close()
    same = FaissStore.from_url(f"faiss://{directory}?durability=save")
    try:
        assert await same.count() == 3  # shares the open store, pending records included
    finally:
        await same.close()


def test_the_durability_option() -> None:
    assert FaissStore.from_url("faiss:///tmp/x").options.durability == "call"
    assert FaissStore.from_url("faiss:///tmp/x?durability=save").options.url() == "faiss:///tmp/x?durability=save"
    with pytest.raises(ConfigurationError, match="durability='later' is not one of call, save"):
        FaissStore.from_url("faiss:///tmp/x?durability=later")
