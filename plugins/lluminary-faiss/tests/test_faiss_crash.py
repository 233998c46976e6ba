"""Atomicity: a real writer process killed with SIGKILL in the middle of its upserts and saves
leaves a store that the next process opens, in which every batch is whole or absent, every record
is whole (its vector, metadata and text agree with its id), and the index answers exactly what
SQLite holds — however stale or half-written the index file was. With ``durability=save`` the
store reopens exactly as its last save (or other flush) left it: the batches saved, no other."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path
from types import ModuleType

import pytest

from lluminary_faiss import FaissStore

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]

BATCH = 300


async def check_whole(url: str, scenarios: ModuleType, batches: int) -> int:
    """Open ``url`` and check it; returns how many batches it holds."""
    store = FaissStore.from_url(url)
    try:
        whole = 0
        for number in range(batches + 1):
            ids = [f"b{number}-{index}" for index in range(BATCH)]
            found = await store.fetch(ids)
            assert len(found) in (0, BATCH), f"batch {number} is torn: {len(found)} of {BATCH} records"
            if not found:
                continue
            whole += 1
            for record in found:
                assert record.metadata == {"batch": number, "i": int(record.id.split("-")[1])}
                assert record.text == f"batch {number}"
                assert record.vector == pytest.approx(scenarios.vector_of(record.id), abs=1e-6)
            # The index agrees with SQLite: a record's own vector finds it first, among its batch too.
            sample = found[:: BATCH // 4]
            for record in sample:
                assert record.vector is not None
                (best,) = await store.query(record.vector, top_k=1)
                assert (best.id, best.score) == (record.id, pytest.approx(1.0, abs=1e-5))
                hits = await store.query(record.vector, top_k=BATCH + 5, filter={"batch": number})
                assert len(hits) == BATCH
                assert hits[0].id == record.id
        assert await store.count() == whole * BATCH
        everything = await store.query(scenarios.vector_of("probe"), top_k=(batches + 2) * BATCH)
        assert len(everything) == whole * BATCH  # no record the index holds and SQLite does not
        return whole
    finally:
        await store.close()


@pytest.mark.parametrize("index", ["flat", "hnsw"])
async def test_a_writer_killed_mid_write_leaves_only_whole_records(
    directory: Path, spawn, scenarios: ModuleType, index: str
) -> None:
    rng = random.Random(5)
    url = f"faiss://{directory}?index={index}" + ("&ef_search=200" if index == "hnsw" else "")
    killed_during = set()
    batches = 0
    for round_, moment in enumerate(("early", "random", "saving")):
        writer = spawn("writer", url, BATCH)
        assert writer.stdout is not None
        seen: list[str] = []
        wanted = "stored 0" if moment != "saving" else "save "
        while not seen or not seen[-1].startswith(wanted):
            line = writer.stdout.readline().strip()
            assert line or writer.poll() is None, writer.communicate()[1]
            seen.append(line)
        if moment == "random":
            await asyncio.sleep(rng.uniform(0.1, 0.5))
        os.kill(writer.pid, signal.SIGKILL)  # "saving": while it writes its index file
        out, _ = writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL
        lines = [line for line in seen + out.split("\n") if line]
        killed_during.add(lines[-1].split()[0])
        batches += sum(1 for line in lines if line.startswith("upsert "))
        whole = await check_whole(url, scenarios, batches)
        assert whole >= round_ + 1
    # A clean open and close after the crashes leaves a store that reopens from its file.
    again = FaissStore.from_url(url)
    before = await again.query(scenarios.vector_of("probe"), top_k=5)
    await again.close()
    assert (directory / "ns-1.faiss").is_file()
    reopened = FaissStore.from_url(url)
    after = await reopened.query(scenarios.vector_of("probe"), top_k=5)
    await reopened.close()
    assert [m.id for m in after] == [m.id for m in before]
    assert killed_during & {"upsert", "save"}, killed_during  # at least one kill inside a write


async def test_an_unclosed_store_is_rebuilt_from_sqlite(directory: Path, spawn, scenarios: ModuleType) -> None:
    """A process that exits without closing leaves an index file a batch behind; the next open
    sees its token is stale and rebuilds the index from SQLite's vectors."""
    url = f"faiss://{directory}?index=hnsw&ef_search=200"
    child = spawn("unclosed", url)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert out.strip() == "done"
    assert (directory / "ns-1.faiss").is_file()  # saved after the first batch only
    store = FaissStore.from_url(url)
    try:
        assert await store.count() == 35
        hits = await store.query(scenarios.vector_of("b1-3"), top_k=40)
        ids = {hit.id for hit in hits}
        assert len(hits) == 35
        assert hits[0].id == "b1-3"
        assert not ids & {f"b0-{index}" for index in range(5)}  # deleted after the save: gone
    finally:
        await store.close()


def deferred_url(directory: Path, index: str) -> str:
    return f"faiss://{directory}?index={index}&durability=save" + ("&ef_search=200" if index == "hnsw" else "")


@pytest.mark.parametrize(
    "moment", ["random", 0.002, 0.008, 0.016], ids=lambda m: f"saving+{m}s" if m != "random" else m
)
@pytest.mark.parametrize("index", ["flat", "hnsw"])
async def test_a_deferred_writer_killed_leaves_its_last_save(
    directory: Path, spawn, scenarios: ModuleType, index: str, moment: str | float
) -> None:
    """The writer saves after every third batch; killed at a random moment or some milliseconds
    into a save (which takes about 16 ms here: killed before, inside and after its SQLite
    transaction), it leaves exactly the batches of its last completed save (or of the save it was
    killed in, had that committed), each whole — never a batch it did not save, nor part of one."""
    url = deferred_url(directory, index)
    writer = spawn("writer", url, BATCH)
    assert writer.stdout is not None
    seen: list[str] = []
    wanted = "stored 4" if moment == "random" else "save 5"  # the save of batches 3-5
    while not seen or seen[-1] != wanted:
        line = writer.stdout.readline().strip()
        assert line or writer.poll() is None, writer.communicate()[1]
        seen.append(line)
    await asyncio.sleep(random.Random(index).uniform(0.05, 0.4) if isinstance(moment, str) else moment)
    os.kill(writer.pid, signal.SIGKILL)
    out, _ = writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    lines = [line for line in seen + out.split("\n") if line]
    saves = sum(1 for line in lines if line.startswith("saved "))
    upserted = sum(1 for line in lines if line.startswith("upsert "))
    whole = await check_whole(url, scenarios, upserted)
    possible = {3 * saves} | ({3 * (saves + 1)} if lines[-1].startswith("save ") else set())
    assert whole in possible, (whole, lines[-3:])
    store = FaissStore.from_url(url)
    try:  # the saved batches are the first ones
        assert [len(await store.fetch([f"b{number}-0"])) for number in range(whole + 1)] == [1] * whole + [0]
    finally:
        await store.close()


@pytest.mark.parametrize("index", ["flat", "hnsw"])
async def test_upserts_since_the_last_save_are_lost_whole(
    directory: Path, spawn, scenarios: ModuleType, index: str
) -> None:
    """A process that exits without saving leaves the store as its last save did: batch 0 with its
    saved records (not their later versions), no trace of batch 1 in SQLite or the index."""
    url = deferred_url(directory, index)
    child = spawn("unsaved", url, BATCH)
    out, err = child.communicate(timeout=60)
    assert (child.returncode, out.strip()) == (0, "done"), err
    assert await check_whole(url, scenarios, 1) == 1


async def test_a_delete_writes_the_upserts_before_it(directory: Path, spawn, scenarios: ModuleType) -> None:
    url = deferred_url(directory, "flat")
    child = spawn("unsaved_after_delete", url, BATCH)
    out, err = child.communicate(timeout=60)
    assert (child.returncode, out.strip()) == (0, "done"), err
    assert await check_whole(url, scenarios, 1) == 1
    store = FaissStore.from_url(url)
    try:
        assert await store.fetch(["doomed"]) == []
    finally:
        await store.close()
