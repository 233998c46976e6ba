"""Closed and opened again, a store answers as before: from its index files when they match SQLite,
rebuilt from SQLite's vectors when they do not (stale, corrupt, missing); its build options are
remembered, and a URL that contradicts them is refused naming the option."""

from __future__ import annotations

import os
import sqlite3

import pytest

from lluminary.sdk import ConfigurationError, Record, RequestValidationError
from lluminary_faiss import FaissStore, FaissStoreError

INDEXES = [{"index": "flat"}, {"index": "hnsw", "m": 16, "ef_search": 200}]
PROBES = [[0.3, -0.1, 0.7, 0.2, -0.9, 0.4, 0.0, 0.1, 0.5, -0.3, 0.2, 0.8, -0.6, 0.1, 0.3, -0.2], [0.1] * 16]


async def answers(store: FaissStore) -> list[list[tuple[str, float]]]:
    out = []
    for probe in PROBES:
        out.append([(m.id, round(m.score, 5)) for m in await store.query(probe, top_k=8)])
        out.append([(m.id, round(m.score, 5)) for m in await store.query(probe, top_k=8, filter={"group": "a"})])
    return out


@pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
@pytest.mark.parametrize("options", INDEXES, ids=lambda o: o["index"])
async def test_reopening_gives_the_same_answers(
    open_store, make_records, directory, options: dict, metric: str
) -> None:
    store = await open_store(metric=metric, **options)
    data = make_records(150)
    await store.upsert(data)
    await store.upsert(make_records(20, prefix="other", seed=9), namespace="other")
    await store.delete([r.id for r in data[:10]])  # HNSW: tombstones below the compaction threshold
    before = await answers(store)
    await store.close()
    assert (directory / "ns-1.faiss").is_file()
    again = await open_store()  # no options: the stored ones
    assert again.metric == metric
    assert await answers(again) == before
    assert await again.count() == 140
    assert await again.count(namespace="other") == 20
    (record,) = await again.fetch([data[50].id])
    assert (record.vector, dict(record.metadata), record.text) == (
        pytest.approx(data[50].vector, abs=1e-6),
        dict(data[50].metadata),
        data[50].text,
    )


async def test_an_unchanged_store_is_not_rewritten(open_store, make_records, directory) -> None:
    store = await open_store(index="hnsw")
    await store.upsert(make_records(50))
    await store.close()
    path = directory / "ns-1.faiss"
    stamp = path.stat().st_mtime_ns
    reader = await open_store()
    assert len(await reader.query(PROBES[0], top_k=3)) == 3
    await reader.close()
    assert path.stat().st_mtime_ns == stamp  # loaded from its file, nothing to save


@pytest.mark.parametrize("damage", ["truncated", "garbage", "missing", "stale"])
@pytest.mark.parametrize("options", INDEXES, ids=lambda o: o["index"])
async def test_a_damaged_or_stale_index_file_is_rebuilt(
    open_store, make_records, directory, options: dict, damage: str
) -> None:
    store = await open_store(**options)
    await store.upsert(make_records(80))
    await store.close()
    path = directory / "ns-1.faiss"
    expected = None
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        path.write_bytes(b"LLFAISS1" + os.urandom(300))
    elif damage == "missing":
        path.unlink()
    else:  # an old file: SQLite moved on after it was written (a crash before the next save)
        old = path.read_bytes()
        writer = await open_store()
        await writer.delete(["r1", "r2"])
        await writer.upsert(make_records(3, prefix="new", seed=7))
        expected = await answers(writer)
        await writer.close()
        path.write_bytes(old)
    again = await open_store()
    got = await answers(again)
    if expected is not None:
        assert got == expected
        assert await again.count() == 81
    else:
        assert await again.count() == 80
        assert all(len(hits) == 8 for hits in got[::2])
    await again.close()
    reopened = await open_store()
    assert await answers(reopened) == got  # the rebuilt index was saved whole


async def test_tombstones_are_compacted_on_save(open_store, make_records, directory) -> None:
    store = await open_store(index="hnsw", m=16, ef_search=200)
    data = make_records(100)
    await store.upsert(data)
    await store.delete(filter={"n": {"$lt": 60}})
    before = await answers(store)
    await store.close()
    again = await open_store()
    assert await answers(again) == before
    engine = again._engine  # the graph holds the 40 live vectors only
    assert engine is not None
    space = engine._spaces[""]
    assert space.index is not None
    assert (space.index.ntotal, space.tombstones) == (40, 0)


async def test_build_options_are_remembered_and_checked(open_store, make_records) -> None:
    store = await open_store(index="hnsw", metric="l2", m=12, ef_construction=30)
    await store.upsert(make_records(5))
    await store.close()
    for option, value in [("metric", "dot"), ("index", "flat"), ("m", 16), ("ef_construction", 50), ("dim", 8)]:
        other = await open_store(**{option: value})
        with pytest.raises(ConfigurationError, match=option):
            await other.count()
    same = await open_store(index="hnsw", metric="l2", m=12, ef_search=5, dim=16)
    assert await same.count() == 5
    assert same.metric == "l2"


async def test_dim_in_the_url_fixes_the_dimension(open_store) -> None:
    store = await open_store(dim=4)
    with pytest.raises(RequestValidationError, match="4-dimensional"):
        await store.upsert([Record("a", [1.0, 2.0, 3.0])])
    await store.upsert([Record("a", [1.0, 2.0, 3.0, 4.0])])
    assert await store.count() == 1


async def test_leftover_temporary_files_are_removed(open_store, make_records, directory) -> None:
    store = await open_store()
    await store.upsert(make_records(5))
    await store.close()
    leftover = directory / "ns-1.faiss.4242.tmp"
    leftover.write_bytes(b"half a save")
    again = await open_store()
    assert await again.count() == 5
    assert not leftover.exists()


async def test_a_foreign_sqlite_file_is_refused(open_store, directory) -> None:
    directory.mkdir()
    connection = sqlite3.connect(directory / "store.sqlite")
    connection.execute("CREATE TABLE mine (x)")
    connection.commit()
    connection.close()
    store = await open_store()
    with pytest.raises(FaissStoreError, match="not a lluminary-faiss store"):
        await store.count()


async def test_a_directory_that_cannot_be_made(open_store, tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = FaissStore.from_url(f"faiss://{blocker}/store")
    with pytest.raises(FaissStoreError, match="cannot create"):
        await store.count()
    await store.close()
