"""Module-level shortcuts over one default :class:`Client`, for scripts and notebooks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._client import AsyncStream, Client, SyncStream, plugin_manager
from ._cost import Catalogue
from ._types import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse

_default: Client | None = None


def default_client() -> Client:
    """The client the module-level functions use (configured from the environment)."""
    global _default
    if _default is None:
        _default = Client()
    return _default


async def agenerate(model: str | ChatRequest, prompt: str | None = None, **kwargs: Any) -> ChatResponse:
    return await default_client().agenerate(model, prompt, **kwargs)


def astream(model: str | ChatRequest, prompt: str | None = None, **kwargs: Any) -> AsyncStream:
    return default_client().astream(model, prompt, **kwargs)


async def aembed(model: str | EmbedRequest, inputs: str | Sequence[str] | None = None, **kwargs: Any) -> EmbedResponse:
    return await default_client().aembed(model, inputs, **kwargs)


def generate(model: str | ChatRequest, prompt: str | None = None, **kwargs: Any) -> ChatResponse:
    return default_client().generate(model, prompt, **kwargs)


def stream(model: str | ChatRequest, prompt: str | None = None, **kwargs: Any) -> SyncStream:
    return default_client().stream(model, prompt, **kwargs)


def embed(model: str | EmbedRequest, inputs: str | Sequence[str] | None = None, **kwargs: Any) -> EmbedResponse:
    return default_client().embed(model, inputs, **kwargs)


def models() -> Catalogue:
    """The catalogue of every installed plugin."""
    return default_client().models()


def register(plugin: object, name: str | None = None) -> str:
    """Register a plugin object (a :class:`~lluminary.Provider` instance, an exporter, ...)."""
    return plugin_manager().register(plugin, name)


def unregister(plugin: object | None = None, name: str | None = None) -> None:
    plugin_manager().unregister(plugin, name)
