"""Fixtures for the Google plugin's focused tests: a harness that calls a provider directly (no
kernel retries or cache in the way) against the fake Gemini server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
import pytest_asyncio

from lluminary._transport import default_pools
from lluminary_google import GeminiProvider
from lluminary_testing.harness import ProviderHarness
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


class Harness(ProviderHarness):
    """A Google provider (Gemini or Vertex) against the fake Gemini server."""

    key = KEY
    model = MODEL
    embed_model = "google:gemini-embedding-001"

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
