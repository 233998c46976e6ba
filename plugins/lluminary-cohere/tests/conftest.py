"""Fixtures for the Cohere plugin's focused tests: the provider called directly (no kernel
retries), requests aimed at the fake server, and the pooled clients closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from lluminary._requests import build_chat_request, build_embed_request
from lluminary._types import ChatRequest, EmbedRequest
from lluminary.sdk import aclose_default_pools
from lluminary_cohere import CohereProvider

KEY = "co-test-key-0123456789abcdef"
MODEL = "cohere:command-a-03-2025"


@pytest.fixture(autouse=True)
def _no_cohere_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CO_API_KEY", "COHERE_API_KEY", "CO_API_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest_asyncio.fixture(autouse=True)
async def _close_pools() -> AsyncIterator[None]:
    yield
    await aclose_default_pools()


@pytest.fixture
def provider() -> CohereProvider:
    return CohereProvider()


@pytest.fixture
def chat(fake_cohere: Any) -> Callable[..., ChatRequest]:
    """``chat(prompt, **kwargs)``: a validated request for the fake server."""

    def build(prompt: str | None = "Hi", model: str = MODEL, **kwargs: Any) -> ChatRequest:
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", fake_cohere.base_url)
        return build_chat_request(model, prompt, **kwargs)

    return build


@pytest.fixture
def embedding(fake_cohere: Any) -> Callable[..., EmbedRequest]:
    def build(texts: list[str], model: str = "cohere:embed-v4.0", **kwargs: Any) -> EmbedRequest:
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", fake_cohere.base_url)
        return build_embed_request(model, texts, **kwargs)

    return build
