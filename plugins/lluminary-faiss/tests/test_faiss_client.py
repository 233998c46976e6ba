"""Through the kernel, as users hold it: ``client.open_store("faiss://...", embed=...)`` loads this
plugin by its entry point, embeds texts through the client, and closes the store with the client."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lluminary
from lluminary_faiss import FaissStore


async def test_a_collection_embeds_and_retrieves(directory, embedder) -> None:
    async with lluminary.Client(cache=False) as client:
        collection = client.open_store(f"faiss://{directory}?index=hnsw", embed="faisstest:embed")
        assert isinstance(collection.backend, FaissStore)
        texts = ["The Rhine flows north.", "Zürich has a lake.", "Le Rhône va au sud.", "東京は大きい。"]
        ids = await collection.aadd_texts(texts, [{"lang": "en"}, {"lang": "de"}, {"lang": "fr"}, {"lang": "ja"}])
        hits = await collection.aretrieve("Zürich has a lake.", k=2)
        assert hits[0].id == ids[1]
        assert hits[0].text == "Zürich has a lake."
        assert dict(hits[0].metadata) == {"lang": "de"}
        only_french = await collection.aquery("The Rhine flows north.", top_k=5, filter={"lang": {"$in": ["fr"]}})
        assert [h.id for h in only_french] == [ids[2]]
        assert await collection.acount() == 4
        in_other = await collection.aadd_texts(["elsewhere"], namespace="other")
        assert await collection.acount(namespace="other") == 1
        assert await collection.afetch(in_other) == []
        assert len(embedder.requests) == 4  # two add_texts, two questions: all through the client
    reopened = FaissStore.from_url(f"faiss://{directory}")
    assert await reopened.count() == 4
    await reopened.close()


async def test_the_raw_backend_through_the_kernel(directory) -> None:
    async with lluminary.Client(cache=False) as client:
        backend = client.open_store_backend(f"faiss://{directory}?metric=dot")
        assert isinstance(backend, FaissStore)
        assert backend.metric == "dot"


def test_importing_the_plugin_imports_no_faiss() -> None:
    """The entry point is loaded when a faiss:// URL is first opened; FAISS, numpy and SQLite only
    when the store is first used."""
    code = (
        "import sys, lluminary_faiss\n"
        "store = lluminary_faiss.plugin.lluminary_store('faiss:///tmp/x')\n"
        "print(sorted(m for m in ('faiss', 'numpy', 'sqlite3') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("url", ["faiss:///tmp/lluminary-faiss-never?metric=l2"])
def test_the_metric_is_known_before_opening(url: str, directory, make_records) -> None:
    import asyncio

    assert FaissStore.from_url(url).metric == "l2"
    assert FaissStore.from_url(f"faiss://{directory}").metric == "cosine"  # nothing stored: the default
    store = FaissStore.from_url(f"faiss://{directory}?metric=dot")
    asyncio.run(store.upsert(make_records(2)))
    asyncio.run(store.close())
    assert FaissStore.from_url(f"faiss://{directory}").metric == "dot"  # read from the stored settings
