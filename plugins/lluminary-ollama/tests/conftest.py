"""The client the Ollama tests call through: only the provider under test, no cache, no retries."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from lluminary import Client, RetryPolicy
from lluminary._plugins import PluginManager  # a manager of its own: only the provider under test
from lluminary_ollama import OllamaProvider, catalogue


@pytest_asyncio.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Client]:
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    catalogue.clear()
    plugins = PluginManager()
    plugins.register(OllamaProvider(), name="ollama-under-test")
    async with Client(plugins=plugins, cache=False, retries=RetryPolicy(max_attempts=1), exporters=[]) as client:
        yield client
