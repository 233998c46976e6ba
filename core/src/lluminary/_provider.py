"""The base class that lets a provider author write methods instead of hook guards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable

from ._errors import UnsupportedError
from ._hookspecs import hookimpl
from ._streaming import accumulate, aiter_events, events_from_response
from ._types import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, ModelInfo, StreamEvent


class Provider:
    """Subclass, set ``name`` (and ``prefixes`` if it serves more than one), and implement
    :meth:`generate` and/or :meth:`stream` (each gets the other for free), :meth:`embed` if the
    provider has embeddings, and :meth:`models` for the catalogue.

    The hook implementations below answer only requests whose prefix is in ``prefixes``.
    """

    name: str = ""
    prefixes: tuple[str, ...] = ()

    def __init__(self, name: str | None = None, *, prefixes: Iterable[str] | None = None) -> None:
        if name is not None:
            self.name = name
        if not self.name:
            raise ValueError(f"{type(self).__name__} needs a name")
        self.prefixes = tuple(prefixes) if prefixes is not None else (self.prefixes or (self.name,))
        cls = type(self)
        self._has_generate = cls.generate is not Provider.generate
        self._has_stream = cls.stream is not Provider.stream
        self._has_embed = cls.embed is not Provider.embed

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} prefixes={list(self.prefixes)}>"

    # ---- what authors implement

    async def generate(self, request: ChatRequest) -> ChatResponse:
        """One chat call. The default drains :meth:`stream`."""
        return await accumulate(self.stream(request), request.provider)

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """One streamed chat call. The default replays :meth:`generate` as events."""
        return self._replay(request)

    async def _replay(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        response = await self.generate(request)
        async for event in aiter_events(events_from_response(response)):
            yield event

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        """Embed texts. Providers without embeddings leave this alone."""
        raise UnsupportedError(f"provider {self.name!r} does not offer embeddings")

    async def count_tokens(self, request: ChatRequest) -> int:
        """Input tokens ``request`` would use. Providers with a counting endpoint or a local
        tokenizer override this; :meth:`lluminary.Client.acount_tokens` calls it."""
        raise UnsupportedError(f"provider {self.name!r} cannot count tokens")

    def models(self) -> Iterable[ModelInfo]:
        """The catalogue: models, context windows, prices, capabilities."""
        return ()

    def model_info(self, model: str) -> ModelInfo | None:
        """The entry for a model id of yours that :meth:`models` cannot list (an ARN, an inference
        profile, a deployment name); asked once per id the catalogue does not know."""
        return None

    # ---- the hooks, with the guards written once

    def _mine(self, provider: str) -> bool:
        return provider in self.prefixes

    @hookimpl
    def lluminary_generate(self, request: ChatRequest) -> Awaitable[ChatResponse] | None:
        if not self._mine(request.provider) or not (self._has_generate or self._has_stream):
            return None
        return self.generate(request)

    @hookimpl
    def lluminary_stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent] | None:
        if not self._mine(request.provider) or not (self._has_generate or self._has_stream):
            return None
        return self.stream(request)

    @hookimpl
    def lluminary_embed(self, request: EmbedRequest) -> Awaitable[EmbedResponse] | None:
        if not self._mine(request.provider):
            return None
        return self.embed(request)

    @hookimpl
    def lluminary_count_tokens(self, request: ChatRequest) -> Awaitable[int] | None:
        if not self._mine(request.provider) or type(self).count_tokens is Provider.count_tokens:
            return None
        return self.count_tokens(request)

    @hookimpl
    def lluminary_models(self) -> Iterable[ModelInfo]:
        return self.models()

    @hookimpl
    def lluminary_model_info(self, model: str) -> ModelInfo | None:
        if not self._mine(model.partition(":")[0]):
            return None
        return self.model_info(model)
