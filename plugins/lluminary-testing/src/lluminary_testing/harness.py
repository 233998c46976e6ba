"""A provider plugin called directly against its fake server, for the plugin's focused tests.

No kernel retries, cache or fallbacks stand between the test and the provider: what the test
asks is what goes on the wire, and :meth:`ProviderHarness.body` / :meth:`~ProviderHarness.headers`
read back what the fake server received. A plugin's ``conftest.py`` subclasses it, sets
:attr:`~ProviderHarness.model` (and :attr:`~ProviderHarness.embed_model`), and adds the reply
builders of its own wire format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from lluminary.sdk import (
    Accumulator,
    ChatRequest,
    ChatResponse,
    EmbedResponse,
    Provider,
    StreamEvent,
    build_chat_request,
    build_embed_request,
)

from .server import Reply

__all__ = ["ProviderHarness"]


class ProviderHarness:
    """Builds requests for ``server``, calls ``provider``, and reads back what was sent."""

    #: The ``provider:model`` chat requests name unless a test gives another.
    model: ClassVar[str] = ""
    #: The ``provider:model`` of :meth:`embed` unless a test gives another.
    embed_model: ClassVar[str] = ""
    #: The API key the plugin's tests put in the environment (for tests that look for leaks).
    key: ClassVar[str] = ""

    def __init__(self, server: Any, provider: Provider) -> None:
        self.server = server
        self.provider = provider

    def request(self, prompt: str | None = "Hello", *, model: str | None = None, **kwargs: Any) -> ChatRequest:
        kwargs.setdefault("base_url", self.server.base_url)
        return build_chat_request(model or self.model, prompt, **kwargs)

    async def generate(self, prompt: str | None = "Hello", **kwargs: Any) -> ChatResponse:
        return await self.provider.generate(self.request(prompt, **kwargs))

    async def events(self, prompt: str | None = "Hello", **kwargs: Any) -> list[StreamEvent]:
        return [event async for event in self.provider.stream(self.request(prompt, **kwargs))]

    async def stream(self, prompt: str | None = "Hello", **kwargs: Any) -> tuple[list[StreamEvent], ChatResponse]:
        """The stream's events, and the response they add up to."""
        request = self.request(prompt, **kwargs)
        events = [event async for event in self.provider.stream(request)]
        accumulator = Accumulator(request.provider)
        for event in events:
            accumulator.add(event)
        return events, accumulator.response()

    async def call(self, streamed: bool, prompt: str | None = "Hello", **kwargs: Any) -> ChatResponse:
        """One response, streamed or not (for tests parametrised over both)."""
        if streamed:
            return (await self.stream(prompt, **kwargs))[1]
        return await self.generate(prompt, **kwargs)

    async def count(self, prompt: str | None = "Hello", **kwargs: Any) -> int:
        return await self.provider.count_tokens(self.request(prompt, **kwargs))

    async def embed(self, inputs: Iterable[str] | str, *, model: str | None = None, **kwargs: Any) -> EmbedResponse:
        kwargs.setdefault("base_url", self.server.base_url)
        texts = inputs if isinstance(inputs, str) else list(inputs)
        return await self.provider.embed(build_embed_request(model or self.embed_model, texts, **kwargs))

    def body(self, index: int = -1) -> dict[str, Any]:
        """The JSON body of the ``index``-th request the server received."""
        value: dict[str, Any] = self.server.requests[index].json()
        return value

    def path(self, index: int = -1) -> str:
        path: str = self.server.requests[index].path
        return path

    def headers(self, index: int = -1) -> Mapping[str, str]:
        headers: Mapping[str, str] = self.server.requests[index].headers
        return headers

    @staticmethod
    def json_reply(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        return Reply.json(body, status, headers)
