"""pytest fixtures for the fake provider servers. This plugin only adds fixtures: it changes
nothing else in a test run (no hooks, no options, no collection changes)."""

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


@pytest.fixture
def fake_openai() -> Iterator[Any]:
    """A fresh fake OpenAI server on loopback (``.base_url``, ``.script(...)``, ``.requests``)."""
    yield from start_server("fake_openai")


@pytest.fixture
def fake_anthropic() -> Iterator[Any]:
    """A fresh fake Anthropic Messages server on loopback."""
    yield from start_server("fake_anthropic")


@pytest.fixture
def fake_gemini() -> Iterator[Any]:
    """A fresh fake Gemini API server on loopback."""
    yield from start_server("fake_gemini")


@pytest.fixture
def fake_bedrock() -> Iterator[Any]:
    """A fresh fake Bedrock Runtime server on loopback (AWS event-stream framing)."""
    yield from start_server("fake_bedrock")


@pytest.fixture
def fake_cohere() -> Iterator[Any]:
    """A fresh fake Cohere v2 server on loopback."""
    yield from start_server("fake_cohere")


@pytest.fixture
def fake_mistral() -> Iterator[Any]:
    """A fresh fake Mistral server on loopback."""
    yield from start_server("fake_mistral")


@pytest.fixture
def fake_ollama() -> Iterator[Any]:
    """A fresh fake Ollama server on loopback (NDJSON streams)."""
    yield from start_server("fake_ollama")
