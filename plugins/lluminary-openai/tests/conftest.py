"""Fixtures for the OpenAI plugin's focused tests: a harness that calls the provider directly
(no kernel retries, cache or fallbacks in the way) against the fake OpenAI server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import pytest
import pytest_asyncio

from lluminary.sdk import aclose_default_pools
from lluminary_openai import OpenAIProvider
from lluminary_testing.harness import ProviderHarness
from lluminary_testing.openai_server import FakeOpenAIServer
from lluminary_testing.server import Fault, Reply

KEY = "sk-test-0123456789abcdef"
MODEL = "openai:gpt-4o-mini"
REASONING_MODEL = "openai:o4-mini"


class Harness(ProviderHarness):
    """The OpenAI provider against the fake OpenAI server."""

    key = KEY
    model = MODEL
    embed_model = "openai:text-embedding-3-small"

    @staticmethod
    def chunk(delta: Mapping[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
        """A ``chat.completion.chunk`` with one choice (or ``choices=[]`` via ``extra``)."""
        body: dict[str, Any] = {
            "id": "chatcmpl-raw",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-raw",
        }
        body["choices"] = [{"index": 0, "delta": dict(delta or {}), "logprobs": None, "finish_reason": finish}]
        body.update(extra)
        return body

    @staticmethod
    def sse_reply(
        objects: Iterable[Any], *, done: bool = True, fault: Fault | None = None, crlf: bool = False
    ) -> Reply:
        """A raw 200 SSE answer: each object (dict → JSON, str as it is) in its own ``data:`` frame;
        a string starting with ":" is sent as an SSE comment line."""
        frames = []
        for obj in objects:
            if isinstance(obj, str) and obj.startswith(":"):
                frames.append(f"{obj}\n\n")
                continue
            data = obj if isinstance(obj, str) else json.dumps(obj)
            frames.append(f"data: {data}\n\n")
        if done:
            frames.append("data: [DONE]\n\n")
        raw = [f.replace("\n", "\r\n").encode() if crlf else f.encode() for f in frames]
        headers = {"content-type": "text/event-stream", "x-request-id": "req_raw_1"}
        return Reply(200, headers, raw, stream=True, fault=fault)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    for name in ("OPENAI_BASE_URL", "OPENAI_ORGANIZATION", "OPENAI_PROJECT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def provider() -> OpenAIProvider:
    return OpenAIProvider()


@pytest_asyncio.fixture
async def harness(fake_openai: FakeOpenAIServer, provider: OpenAIProvider) -> AsyncIterator[Harness]:
    try:
        yield Harness(fake_openai, provider)
    finally:
        await aclose_default_pools()
