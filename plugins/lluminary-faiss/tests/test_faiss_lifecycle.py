"""Closing: idempotent, saves, and a closed handle refuses work with a typed error; a handle
never used opens nothing."""

from __future__ import annotations

import pytest

from lluminary.sdk import Record
from lluminary_faiss import FaissStore, FaissStoreError


async def test_close_is_idempotent_and_final(directory, make_records) -> None:
    store = FaissStore.from_url(f"faiss://{directory}")
    await store.upsert(make_records(3))
    await store.close()
    await store.close()
    assert "closed" in repr(store)
    for call in (
        store.count(),
        store.query([0.1] * 16),
        store.fetch(["r1"]),
        store.delete(["r1"]),
        store.upsert([Record("x", [0.1] * 16)]),
        store.save(),
    ):
        with pytest.raises(FaissStoreError, match="closed"):
            await call
    again = FaissStore.from_url(f"faiss://{directory}")
    assert await again.count() == 3
    await again.close()


async def test_a_handle_never_used_opens_nothing(directory) -> None:
    store = FaissStore.from_url(f"faiss://{directory}")
    await store.close()
    assert not directory.exists()


async def test_closing_while_work_is_in_flight(directory, make_records) -> None:
    import asyncio

    store = FaissStore.from_url(f"faiss://{directory}?index=hnsw")
    await store.upsert(make_records(10))
    data = make_records(200, prefix="late", seed=5)
    upsert = asyncio.ensure_future(store.upsert(data))
    await asyncio.sleep(0)
    await store.close()  # waits for the write already running; the index is saved with it
    await upsert
    again = FaissStore.from_url(f"faiss://{directory}")
    assert await again.count() == 210
    await again.close()
