"""Fixtures for the Anthropic plugin's focused tests: a harness that calls the provider directly
(no kernel retries or cache in the way) against the fake Anthropic server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import pytest
import pytest_asyncio

from lluminary.sdk import aclose_default_pools
from lluminary_anthropic import AnthropicProvider
from lluminary_testing.harness import ProviderHarness
from lluminary_testing.server import Fault, Reply, sse

KEY = "sk-ant-test-0123456789abcdef"
MODEL = "anthropic:claude-sonnet-5-5"


class Harness(ProviderHarness):
    """The Anthropic provider against the fake Anthropic server."""

    key = KEY
    model = MODEL

    @staticmethod
    def sse_reply(
        events: Iterable[tuple[str | None, Any]],
        *,
        headers: Mapping[str, str] | None = None,
        fault: Fault | None = None,
    ) -> Reply:
        """A raw 200 SSE answer from ``(event name, data)`` pairs (data dicts are JSON-encoded)."""
        frames = sse((name, data if isinstance(data, str) else json.dumps(data)) for name, data in events)
        head = {"content-type": "text/event-stream", "request-id": "req_raw_1", **(headers or {})}
        return Reply(200, head, frames, stream=True, fault=fault)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)


@pytest.fixture
def provider() -> AnthropicProvider:
    return AnthropicProvider()


@pytest_asyncio.fixture
async def harness(fake_anthropic: Any, provider: AnthropicProvider) -> AsyncIterator[Harness]:
    try:
        yield Harness(fake_anthropic, provider)
    finally:
        await aclose_default_pools()
