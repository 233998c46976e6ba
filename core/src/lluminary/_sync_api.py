"""The sync face of the client: each method runs its async twin on the shared background loop,
which keeps connection pools warm between calls (``asyncio.run`` per call would not)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Unpack

from . import _loop
from ._options import CacheMode, ChatOptions, EmbedOptions
from ._stream import SyncStream
from ._types import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse

if TYPE_CHECKING:
    from ._stream import AsyncStream


class SyncAPI:
    """Mixed into :class:`~lluminary.Client`."""

    # The async API the twins call, as the Client defines it.
    agenerate: Callable[..., Coroutine[Any, Any, ChatResponse]]
    astream: Callable[..., AsyncStream]
    aembed: Callable[..., Coroutine[Any, Any, EmbedResponse]]
    acount_tokens: Callable[..., Coroutine[Any, Any, int]]

    def generate(
        self,
        model: str | ChatRequest,
        prompt: str | None = None,
        *,
        fallbacks: Sequence[str] | None = None,
        cache: CacheMode = True,
        cache_ttl: float | None = None,
        parent_id: str | None = None,
        deadline: float | None = None,
        **kwargs: Unpack[ChatOptions],
    ) -> ChatResponse:
        """The sync twin of :meth:`agenerate` (runs on the shared background loop)."""
        return _loop.run(
            self.agenerate(
                model,
                prompt,
                fallbacks=fallbacks,
                cache=cache,
                cache_ttl=cache_ttl,
                parent_id=parent_id,
                deadline=deadline,
                **kwargs,
            )
        )

    def stream(
        self,
        model: str | ChatRequest,
        prompt: str | None = None,
        *,
        fallbacks: Sequence[str] | None = None,
        cache: CacheMode = True,
        cache_ttl: float | None = None,
        parent_id: str | None = None,
        deadline: float | None = None,
        **kwargs: Unpack[ChatOptions],
    ) -> SyncStream:
        """The sync twin of :meth:`astream`."""
        return SyncStream(
            self.astream(
                model,
                prompt,
                fallbacks=fallbacks,
                cache=cache,
                cache_ttl=cache_ttl,
                parent_id=parent_id,
                deadline=deadline,
                **kwargs,
            )
        )

    def embed(
        self,
        model: str | EmbedRequest,
        inputs: str | Sequence[str] | None = None,
        *,
        cache: CacheMode = True,
        cache_ttl: float | None = None,
        parent_id: str | None = None,
        deadline: float | None = None,
        **kwargs: Unpack[EmbedOptions],
    ) -> EmbedResponse:
        return _loop.run(
            self.aembed(
                model, inputs, cache=cache, cache_ttl=cache_ttl, parent_id=parent_id, deadline=deadline, **kwargs
            )
        )

    def count_tokens(self, model: str | ChatRequest, prompt: str | None = None, **kwargs: Unpack[ChatOptions]) -> int:
        return _loop.run(self.acount_tokens(model, prompt, **kwargs))
