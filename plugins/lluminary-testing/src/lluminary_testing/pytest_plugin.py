"""pytest fixtures for the fake provider servers and a real redis-server. This plugin only adds
fixtures: it changes nothing else in a test run (no hooks, no options, no collection changes)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

#: fixture name -> "module:class" of the fake server it starts (imported only when used).
SERVERS = {
    "fake_openai": "lluminary_testing.openai_server:FakeOpenAIServer",
    "fake_anthropic": "lluminary_testing.anthropic_server:FakeAnthropicServer",
    "fake_gemini": "lluminary_testing.gemini_server:FakeGeminiServer",
    "fake_bedrock": "lluminary_testing.bedrock_server:FakeBedrockServer",
    "fake_cohere": "lluminary_testing.cohere_server:FakeCohereServer",
    "fake_mistral": "lluminary_testing.mistral_server:FakeMistralServer",
    "fake_ollama": "lluminary_testing.ollama_server:FakeOllamaServer",
    "fake_pinecone": "lluminary_testing.pinecone_server:FakePineconeServer",
}


def start_server(fixture_name: str) -> Iterator[Any]:
    """Start the fake server registered under ``fixture_name`` and stop it afterwards."""
    module_name, _, class_name = SERVERS[fixture_name].partition(":")
    server = getattr(importlib.import_module(module_name), class_name)()
    server.start()
    try:
        yield server
    finally:
        server.stop()


#: fixture name -> what the fake server it starts is
DESCRIPTIONS = {
    "fake_openai": "fake OpenAI server",
    "fake_anthropic": "fake Anthropic Messages server",
    "fake_gemini": "fake Gemini API server",
    "fake_bedrock": "fake Bedrock Runtime server (AWS event-stream framing)",
    "fake_cohere": "fake Cohere v2 server",
    "fake_mistral": "fake Mistral server",
    "fake_ollama": "fake Ollama server (NDJSON streams)",
    "fake_pinecone": "fake Pinecone data plane (one in-memory index; ``.index``, ``.fail_next(...)``)",
}


def _server_fixture(fixture_name: str) -> Any:
    def fixture() -> Iterator[Any]:
        yield from start_server(fixture_name)

    fixture.__name__ = fixture.__qualname__ = fixture_name
    fixture.__doc__ = (
        f"A fresh {DESCRIPTIONS[fixture_name]} on loopback (``.base_url``, ``.script(...)``, ``.requests``)."
    )
    return pytest.fixture(name=fixture_name)(fixture)


# One fixture per server: ``fake_openai``, ``fake_anthropic``, ...
for _fixture_name in SERVERS:
    globals()[_fixture_name] = _server_fixture(_fixture_name)


@pytest.fixture
def redis_server() -> Iterator[Any]:
    """A real ``redis-server`` of this test's own on a free loopback port, without persistence
    (``.url``, ``.port``, ``.unix_url``; ``.stop()`` / ``.start()`` for an outage on the same port,
    ``.freeze()`` / ``.thaw()`` for a server that stops answering). Skipped when redis-server is
    not installed, except under CI (``CI`` set), where that fails."""
    from lluminary_testing.redis import redis_server_for_test

    yield from redis_server_for_test()


@pytest.fixture
def prometheus_server() -> Iterator[Any]:
    """A real ``prometheus`` server of this test's own on a free loopback port, scraping every
    second, with temporary storage (``.url``, ``.scrape("127.0.0.1:PORT")`` to point it at
    targets and wait until they are up, ``.query(promql)``, ``.wait_for(promql)``). Skipped when
    prometheus is not installed, except under CI (``CI`` set), where that fails."""
    from lluminary_testing.prometheus import prometheus_server_for_test

    yield from prometheus_server_for_test()
