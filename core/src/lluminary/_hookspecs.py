"""The kernel's whole contract with plugins: the capability hooks and the catalogue hooks.

pluggy has no async hooks, so a provider decides *synchronously* whether a request is its own and
returns an awaitable or an async iterator; no I/O happens until the kernel awaits it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ._cache import CacheBackend
    from ._cost_record import CostLedger
    from ._counters import CounterStore
    from ._store import VectorStore
    from ._types import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, ModelInfo, StreamEvent, TraceEvent

PROJECT = "lluminary"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def lluminary_generate(request: ChatRequest) -> Awaitable[ChatResponse] | None:
    """Return an awaitable final response if ``request.provider`` is yours, else ``None``."""


@hookspec(firstresult=True)
def lluminary_stream(request: ChatRequest) -> AsyncIterator[StreamEvent] | None:
    """Return an async iterator of unified stream events if the request is yours, else ``None``.

    The iterator must end with a :class:`~lluminary._types.Finish` event and must close its
    connection when closed early (``aclose``)."""


@hookspec(firstresult=True)
def lluminary_embed(request: EmbedRequest) -> Awaitable[EmbedResponse] | None:
    """Return an awaitable embedding response if the request is yours, else ``None``."""


@hookspec(firstresult=True)
def lluminary_count_tokens(request: ChatRequest) -> Awaitable[int] | None:
    """Return an awaitable count of the input tokens ``request`` would use if it is yours (an
    endpoint or a local tokenizer counts them), else ``None``."""


@hookspec(firstresult=True)
def lluminary_cache(url: str) -> CacheBackend | None:
    """Return a cache backend for ``url`` if its scheme is yours (``redis://``), else ``None``."""


@hookspec(firstresult=True)
def lluminary_store(url: str) -> VectorStore | None:
    """Return a vector store for ``url`` if its scheme is yours (``faiss:///path``), else ``None``."""


@hookspec(firstresult=True)
def lluminary_counters(url: str) -> CounterStore | None:
    """Return a counter store for ``url`` if its scheme is yours (``redis://``), else ``None``:
    counters shared by every process that opens the same URL, for budgets and rate limits."""


@hookspec(firstresult=True)
def lluminary_cost_ledger(url: str) -> CostLedger | None:
    """Return a cost ledger for ``url`` if its scheme is yours (``redis://``), else ``None``: where
    every call's cost is recorded for ``lluminary costs`` (``sqlite://`` is the kernel's)."""


@hookspec
def lluminary_trace(event: TraceEvent) -> None:
    """Receive every trace event: call started, first chunk, finished, failed, cache hit.

    Called inline on the event loop: hand slow work (network export) to a background worker."""


@hookspec
def lluminary_middleware(client: Any) -> Iterable[Any]:  # type: ignore[empty-body]
    """Return middleware steps to add to ``client``'s chain (a guardrail, an exporter that needs
    to wrap calls). They run after the client's own ``middleware=`` steps, before the kernel's.
    A step's exception is the call's (how a guardrail refuses one): an exporter's step must never
    raise, which :class:`lluminary.sdk.CallObserver` guarantees."""


@hookspec
def lluminary_flush() -> None:
    """Write out buffered trace data now (called by ``Client.aclose()``)."""


@hookspec
def lluminary_shutdown() -> None:
    """Flush and release what an exporter holds; it receives no events afterwards."""


@hookspec
def lluminary_models() -> Iterable[ModelInfo]:  # type: ignore[empty-body]
    """Return the models you serve, with context windows, prices and capabilities."""


@hookspec(firstresult=True)
def lluminary_model_info(model: str) -> ModelInfo | None:
    """Return the catalogue entry for ``model`` (``"provider:id"``) when it is yours but not in
    your ``lluminary_models`` list (an ARN, an inference profile, a deployment name), else
    ``None``. Asked once per id, only for ids the catalogue does not know."""


@hookspec
def lluminary_commands(cli: Any) -> None:
    """Add subcommands to the ``lluminary`` click group ``cli``."""
