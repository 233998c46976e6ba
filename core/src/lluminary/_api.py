"""Module-level shortcuts over one default :class:`Client`, for scripts and notebooks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Unpack

from ._cache import CacheBackend
from ._client import Client
from ._cost import Catalogue
from ._options import CacheMode, ChatOptions, EmbedOptions
from ._plugins import plugin_manager
from ._stream import AsyncStream, SyncStream
from ._types import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse

if TYPE_CHECKING:
    from ._collection import Collection

_default: Client | None = None


def default_client() -> Client:
    """The client the module-level functions use (configured from the environment)."""
    global _default
    if _default is None:
        _default = Client()
    return _default


async def agenerate(
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
    return await default_client().agenerate(
        model,
        prompt,
        fallbacks=fallbacks,
        cache=cache,
        cache_ttl=cache_ttl,
        parent_id=parent_id,
        deadline=deadline,
        **kwargs,
    )


def astream(
    model: str | ChatRequest,
    prompt: str | None = None,
    *,
    fallbacks: Sequence[str] | None = None,
    cache: CacheMode = True,
    cache_ttl: float | None = None,
    parent_id: str | None = None,
    deadline: float | None = None,
    **kwargs: Unpack[ChatOptions],
) -> AsyncStream:
    return default_client().astream(
        model,
        prompt,
        fallbacks=fallbacks,
        cache=cache,
        cache_ttl=cache_ttl,
        parent_id=parent_id,
        deadline=deadline,
        **kwargs,
    )


async def aembed(
    model: str | EmbedRequest,
    inputs: str | Sequence[str] | None = None,
    *,
    cache: CacheMode = True,
    cache_ttl: float | None = None,
    parent_id: str | None = None,
    deadline: float | None = None,
    **kwargs: Unpack[EmbedOptions],
) -> EmbedResponse:
    return await default_client().aembed(
        model, inputs, cache=cache, cache_ttl=cache_ttl, parent_id=parent_id, deadline=deadline, **kwargs
    )


def generate(
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
    return default_client().generate(
        model,
        prompt,
        fallbacks=fallbacks,
        cache=cache,
        cache_ttl=cache_ttl,
        parent_id=parent_id,
        deadline=deadline,
        **kwargs,
    )


def stream(
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
    return default_client().stream(
        model,
        prompt,
        fallbacks=fallbacks,
        cache=cache,
        cache_ttl=cache_ttl,
        parent_id=parent_id,
        deadline=deadline,
        **kwargs,
    )


def embed(
    model: str | EmbedRequest,
    inputs: str | Sequence[str] | None = None,
    *,
    cache: CacheMode = True,
    cache_ttl: float | None = None,
    parent_id: str | None = None,
    deadline: float | None = None,
    **kwargs: Unpack[EmbedOptions],
) -> EmbedResponse:
    return default_client().embed(
        model, inputs, cache=cache, cache_ttl=cache_ttl, parent_id=parent_id, deadline=deadline, **kwargs
    )


def models() -> Catalogue:
    """The catalogue of every installed plugin."""
    return default_client().models()


def register(plugin: object, name: str | None = None) -> str:
    """Register a plugin object (a :class:`~lluminary.Provider` instance, an exporter, ...)."""
    return plugin_manager().register(plugin, name)


def unregister(plugin: object | None = None, name: str | None = None) -> None:
    plugin_manager().unregister(plugin, name)


def open_cache(url: str) -> CacheBackend:
    """The cache backend for ``url`` (``memory://``, ``sqlite:///path``, ``redis://...``) from the
    plugin serving its scheme; the default client closes it at :func:`aclose`."""
    return default_client().open_cache(url)


def open_store(url: str, *, embed: str | None = None, namespace: str = "") -> Collection:
    """The vector store for ``url`` (``faiss:///path``) from the plugin serving its scheme, with
    ``embed`` the model its texts and questions are embedded with (``"local:e5-small"``)."""
    return default_client().open_store(url, embed=embed, namespace=namespace)


async def aclose() -> None:
    """Close the default client (its pools, caches and stores); the next call opens a new one."""
    global _default
    client, _default = _default, None
    if client is not None:
        await client.aclose()


def close() -> None:
    """The sync twin of :func:`aclose`."""
    global _default
    client, _default = _default, None
    if client is not None:
        client.close()
