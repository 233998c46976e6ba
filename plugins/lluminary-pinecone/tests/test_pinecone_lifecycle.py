"""How users reach the store and how it lives: the entry point and the hook, ``client.open_store``
with an embedder, the sync API on lluminary's background loop next to async use, the host looked up
on the control plane, closing, and the SDK's own retries turned off."""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
from typing import Any

import pytest

import lluminary
from lluminary.sdk import ConfigurationError, NotFoundError, Record, RequestValidationError, ScriptedProvider
from lluminary_pinecone import PineconeStore, plugin
from lluminary_pinecone.config import parse_url
from lluminary_pinecone.connection import _without_sdk_retries, open_index
from lluminary_testing.pinecone_server import API_KEY, FakePineconeServer
from lluminary_testing.server import FakeServer, Reply

from .conftest import url_for


def test_the_entry_point_is_named_after_the_scheme() -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="lluminary") if e.name == "pinecone"]
    assert entry.value == "lluminary_pinecone:plugin"
    assert entry.load() is plugin


def test_the_hook_answers_pinecone_urls_only(fake_pinecone: FakePineconeServer) -> None:
    assert plugin.lluminary_store(url="faiss:///tmp/index") is None
    assert plugin.lluminary_store(url="memory://x") is None
    assert isinstance(plugin.lluminary_store(url=url_for(fake_pinecone)), PineconeStore)


def test_importing_the_plugin_imports_no_sdk() -> None:
    import subprocess
    import sys

    code = "import sys, lluminary_pinecone; print('pinecone' in sys.modules, 'httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


async def test_a_collection_through_the_client(fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.create_index(dimension=8)
    lluminary.register(ScriptedProvider("pc-embed", dimensions=8), name="pc-embed")
    try:
        async with lluminary.Client(cache=False, exporters=[]) as client:
            collection = client.open_store(url_for(fake_pinecone), embed="pc-embed:m")
            assert isinstance(collection.backend, PineconeStore)
            ids = await collection.aadd_texts(["the sea is salty", "the sky is blue"], [{"n": 1}, {"n": 2}])
            hits = await collection.aretrieve("the sky is blue", k=1)
            assert (hits[0].id, hits[0].text, dict(hits[0].metadata)) == (ids[1], "the sky is blue", {"n": 2.0})
            assert collection.metric == "cosine"
        assert collection.backend._closed  # the client closed it
    finally:
        lluminary.unregister(name="pc-embed")


def test_the_sync_api_and_async_use_on_other_loops(fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.create_index(dimension=2)
    client = lluminary.Client(cache=False, exporters=[])
    collection = client.open_store(url_for(fake_pinecone))
    collection.upsert([Record("a", [1, 0], {}, "sync")])  # on lluminary's background loop
    assert collection.count() == 1

    async def elsewhere() -> list[Any]:
        return await collection.backend.query([1, 0])

    assert [h.text for h in asyncio.run(elsewhere())] == ["sync"]  # a loop of its own, a client of its own
    assert [r.text for r in collection.fetch(["a"])] == ["sync"]
    client.close()


async def test_close_is_idempotent_and_final(fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.create_index(dimension=2)
    store = PineconeStore.from_url(url_for(fake_pinecone))
    await store.count()
    await store.close()
    await store.close()
    with pytest.raises(RequestValidationError, match="closed"):
        await store.count()


def control_plane_answer(name: str, host: str | None) -> dict[str, Any]:
    """``GET /indexes/{name}`` as the 2026-07 control plane answers it (the SDK's IndexModel)."""
    return {
        "name": name,
        "host": host,
        "schema": {"fields": {"_values": {"type": "dense_vector", "dimension": 2, "metric": "cosine"}}},
        "deployment": {"deployment_type": "managed", "cloud": "aws", "region": "us-east-1"},
        "status": {"ready": host is not None, "state": "Ready" if host else "Initializing"},
        "deletion_protection": "disabled",
    }


async def test_the_host_is_looked_up_once_on_the_control_plane(fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.create_index(dimension=2)
    with FakeServer() as control:
        control.script(Reply.json(control_plane_answer("docs", fake_pinecone.base_url)))
        store = PineconeStore.from_url(f"pinecone://docs?controller_host={control.base_url}")
        assert "looked up on first use" in repr(store)
        await store.upsert([Record("a", [1, 0])])
        assert await store.count() == 1
        assert [(r.method, r.path) for r in control.requests] == [("GET", "/indexes/docs")]
        assert control.requests[0].headers["api-key"] == API_KEY
        assert fake_pinecone.base_url in repr(store)
        await store.close()


async def test_an_index_without_a_host_or_unknown_is_a_typed_error() -> None:
    with FakeServer() as control:
        control.script(
            Reply.json(control_plane_answer("new", None)),
            Reply.json({"error": {"code": "NOT_FOUND", "message": "Index 'gone' not found"}, "status": 404}, 404),
        )
        store = PineconeStore.from_url(f"pinecone://new?controller_host={control.base_url}")
        with pytest.raises(ConfigurationError, match="no host yet"):
            await store.count()
        gone = PineconeStore.from_url(f"pinecone://gone?controller_host={control.base_url}")
        with pytest.raises(NotFoundError, match="Index 'gone' not found"):
            await gone.count()


async def test_the_sdks_own_retries_are_off(fake_pinecone: FakePineconeServer) -> None:
    index = open_index(fake_pinecone.base_url, parse_url("pinecone://i", api_key=API_KEY))
    assert index._http._config.retry_config.max_retries == 0
    fake_pinecone.fail_next(1, 503)
    with pytest.raises(Exception, match="Service unavailable"):
        await index.describe_index_stats()
    assert len(fake_pinecone.requests) == 1
    await index.close()


def test_an_sdk_that_moved_its_settings_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="lluminary_pinecone")
    _without_sdk_retries(object())
    assert "its own retries stay on" in caplog.text
