"""A provider that answers from a script, for tests of the kernel and of applications.

It is a real plugin: register it and every call goes through the hooks and the middleware, exactly
as a network provider's would, with no I/O. Each script entry is used once, in order:

* a :class:`ChatResponse` — returned, or replayed as events when streamed;
* a list of stream events — streamed, or accumulated when generated; an exception in the list is
  raised at that point of the stream;
* an exception — raised before anything is produced;
* a callable taking the request and returning one of the above.

With the script empty it echoes the last user text back.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any, Union

from ._provider import Provider
from ._streaming import Accumulator, events_from_response
from ._types import (
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    Message,
    ModelInfo,
    StreamEvent,
    TextPart,
    Usage,
)

ScriptEntry = Union[ChatResponse, Sequence[Any], BaseException, Callable[[ChatRequest], Any]]


class ScriptedProvider(Provider):
    """Answers from :attr:`script`; records every request in :attr:`requests`."""

    def __init__(
        self,
        name: str = "scripted",
        script: Iterable[ScriptEntry] = (),
        *,
        models: Iterable[ModelInfo] = (),
        prefixes: Iterable[str] | None = None,
        dimensions: int = 8,
    ) -> None:
        super().__init__(name, prefixes=prefixes)
        self.script: deque[ScriptEntry] = deque(script)
        self.requests: list[ChatRequest | EmbedRequest] = []
        self._models = tuple(models)
        self.dimensions = dimensions
        self.closed_streams = 0

    def add(self, *entries: ScriptEntry) -> None:
        self.script.extend(entries)

    def _next(self, request: ChatRequest) -> Any:
        self.requests.append(request)
        if not self.script:
            return self.echo(request)
        entry = self.script.popleft()
        if callable(entry) and not isinstance(entry, (BaseException, ChatResponse)):
            entry = entry(request)
        return entry

    def echo(self, request: ChatRequest) -> ChatResponse:
        last = next((m for m in reversed(request.messages) if m.role == "user"), None)
        text = last.text if last is not None else ""
        words = len(text.split())
        return ChatResponse(
            Message("assistant", (TextPart(text),)) if text else Message("assistant", ()),
            "stop",
            "stop",
            Usage(input_tokens=max(words, 1), output_tokens=words),
            model=request.model_name,
            provider=request.provider,
            id="scripted-echo",
        )

    async def generate(self, request: ChatRequest) -> ChatResponse:
        entry = self._next(request)
        if isinstance(entry, BaseException):
            raise entry
        if isinstance(entry, ChatResponse):
            return entry
        acc = Accumulator(request.provider)
        for item in entry:
            if isinstance(item, BaseException):
                raise item
            acc.add(item)
        return acc.response()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        entry = self._next(request)
        if isinstance(entry, BaseException):
            raise entry
        events: Iterable[Any] = events_from_response(entry) if isinstance(entry, ChatResponse) else entry
        try:
            for item in events:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.closed_streams += 1

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        self.requests.append(request)
        size = request.dimensions or self.dimensions
        vectors = [_vector(text, size) for text in request.inputs]
        tokens = sum(len(t.split()) for t in request.inputs)
        return EmbedResponse(vectors, request.model_name, request.provider, Usage(input_tokens=tokens))

    def models(self) -> Iterable[ModelInfo]:
        return self._models


def _vector(text: str, size: int) -> list[float]:
    """A deterministic unit vector: same text, same vector; different texts, different vectors."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    while len(digest) < size:
        digest += hashlib.sha256(digest).digest()
    raw = [b - 127.5 for b in digest[:size]]
    norm = sum(x * x for x in raw) ** 0.5 or 1.0
    return [x / norm for x in raw]
