"""Fixtures for the Google plugin's focused tests: a harness that calls a provider directly (no
kernel retries or cache in the way) against the fake Gemini server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import pytest
import pytest_asyncio

from lluminary._transport import default_pools
from lluminary.sdk import (
    Accumulator,
    ChatRequest,
    ChatResponse,
    EmbedResponse,
    StreamEvent,
    build_chat_request,
    build_embed_request,
)
from lluminary_google import GeminiProvider
from lluminary_google.provider import _GoogleProvider
from lluminary_testing.server import Fault, Reply

KEY = "AIzaSyTEST-0123456789abcdefghijklmnop"
MODEL = "google:gemini-2.5-flash"
ENVIRONMENT = (
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_VERTEX_BASE_URL",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
)


class Harness:
    """Builds requests for the fake server, calls the provider, and reads back what was sent."""

    key = KEY
    model = MODEL

    def __init__(self, server: Any, provider: _GoogleProvider) -> None:
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

    async def call(self, streamed: bool, prompt: str | None = "Hello", **kwargs: Any) -> ChatResponse:
        if streamed:
            return (await self.stream(prompt, **kwargs))[1]
        return await self.generate(prompt, **kwargs)

    async def count(self, prompt: str | None = "Hello", **kwargs: Any) -> int:
        return await self.provider.count_tokens(self.request(prompt, **kwargs))

    async def embed(self, inputs: Any, *, model: str = "google:gemini-embedding-001", **kwargs: Any) -> EmbedResponse:
        kwargs.setdefault("base_url", self.server.base_url)
        return await self.provider.embed(build_embed_request(model, inputs, **kwargs))

    def body(self, index: int = -1) -> dict[str, Any]:
        value: dict[str, Any] = self.server.requests[index].json()
        return value

    def path(self, index: int = -1) -> str:
        path: str = self.server.requests[index].path
        return path

    def headers(self, index: int = -1) -> Mapping[str, str]:
        headers: Mapping[str, str] = self.server.requests[index].headers
        return headers

    @staticmethod
    def sse_reply(chunks: Iterable[Any], *, fault: Fault | None = None, line_end: str = "\r\n") -> Reply:
        """A raw 200 data-only SSE answer; dict chunks are JSON-encoded, strings sent as they are."""
        frames = []
        for chunk in chunks:
            data = chunk if isinstance(chunk, str) else json.dumps(chunk)
            frames.append(f"data: {data}{line_end}{line_end}".encode())
        return Reply(200, {"content-type": "text/event-stream"}, frames, stream=True, fault=fault)

    @staticmethod
    def chunk(
        parts: list[dict[str, Any]] | None = None,
        *,
        finish: str | None = None,
        usage: dict[str, Any] | None = None,
        response_id: str = "resp-1",
        model: str = "gemini-2.5-flash-001",
    ) -> dict[str, Any]:
        """One GenerateContentResponse."""
        candidate: dict[str, Any] = {"index": 0}
        if parts is not None:
            candidate["content"] = {"role": "model", "parts": parts}
        if finish is not None:
            candidate["finishReason"] = finish
        out: dict[str, Any] = {"candidates": [candidate], "modelVersion": model, "responseId": response_id}
        if usage is not None:
            out["usageMetadata"] = usage
        return out

    @staticmethod
    def json_reply(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        return Reply.json(body, status, headers)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", KEY)


@pytest.fixture(autouse=True)
def _no_real_google_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding real Application Default Credentials may probe the GCE metadata server: never in tests."""
    try:
        import google.auth
        import google.auth.exceptions
    except ImportError:
        return

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise google.auth.exceptions.DefaultCredentialsError("tests never look for real Google credentials")

    monkeypatch.setattr(google.auth, "default", refuse)


@pytest.fixture
def provider() -> GeminiProvider:
    return GeminiProvider()


@pytest_asyncio.fixture
async def harness(fake_gemini: Any, provider: GeminiProvider) -> AsyncIterator[Harness]:
    try:
        yield Harness(fake_gemini, provider)
    finally:
        await default_pools.aclose()
