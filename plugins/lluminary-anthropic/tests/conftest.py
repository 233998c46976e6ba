"""Fixtures for the Anthropic plugin's focused tests: a harness that calls the provider directly
(no kernel retries or cache in the way) against the fake Anthropic server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import pytest
import pytest_asyncio

from lluminary._requests import build_chat_request
from lluminary._streaming import Accumulator
from lluminary._types import ChatRequest, ChatResponse, StreamEvent
from lluminary.sdk import aclose_default_pools
from lluminary_anthropic import AnthropicProvider
from lluminary_testing.server import Fault, Reply, sse

KEY = "sk-ant-test-0123456789abcdef"
MODEL = "anthropic:claude-sonnet-5-5"


class Harness:
    """Builds requests for the fake server, calls the provider, and reads back what was sent."""

    key = KEY
    model = MODEL

    def __init__(self, server: Any, provider: AnthropicProvider) -> None:
        self.server = server
        self.provider = provider

    def request(self, prompt: str | None = "Hello", *, model: str = MODEL, **kwargs: Any) -> ChatRequest:
        kwargs.setdefault("base_url", self.server.base_url)
        return build_chat_request(model, prompt, **kwargs)

    async def generate(self, prompt: str | None = "Hello", **kwargs: Any) -> ChatResponse:
        return await self.provider.generate(self.request(prompt, **kwargs))

    async def events(self, prompt: str | None = "Hello", **kwargs: Any) -> list[StreamEvent]:
        return [event async for event in self.provider.stream(self.request(prompt, **kwargs))]

    async def stream(self, prompt: str | None = "Hello", **kwargs: Any) -> tuple[list[StreamEvent], ChatResponse]:
        request = self.request(prompt, **kwargs)
        events = [event async for event in self.provider.stream(request)]
        accumulator = Accumulator(request.provider)
        for event in events:
            accumulator.add(event)
        return events, accumulator.response()

    def body(self, index: int = -1) -> dict[str, Any]:
        value: dict[str, Any] = self.server.requests[index].json()
        return value

    def headers(self, index: int = -1) -> Mapping[str, str]:
        headers: Mapping[str, str] = self.server.requests[index].headers
        return headers

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

    @staticmethod
    def json_reply(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        return Reply.json(body, status, headers)


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
