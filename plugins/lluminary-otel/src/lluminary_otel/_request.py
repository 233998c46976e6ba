"""What a call's request says about itself, as GenAI attributes: the model, the sampling
parameters, and the server it goes to. Never the key, never the prompt."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from . import _names as names

AttributeValue = str | bool | int | float | tuple[str, ...]


def operation_name(operation: str) -> str:
    return names.OPERATIONS.get(operation, operation)


def provider_name(provider: str) -> str:
    return names.PROVIDERS.get(provider, provider)


def model_name(model: str) -> str:
    """``gpt-4o`` for ``openai:gpt-4o``: the model as the provider knows it."""
    prefix, colon, rest = model.partition(":")
    return rest if colon else prefix


def request_attributes(operation: str, request: Any) -> dict[str, AttributeValue]:
    """The request parameters the conventions name, for the ones the caller set."""
    if operation != "embed":
        return chat_attributes(request, operation == "stream")
    found: dict[str, AttributeValue] = {}
    dimensions = getattr(request, "dimensions", None)
    if dimensions is not None:
        found[names.EMBEDDINGS_DIMENSION_COUNT] = int(dimensions)
    return found


def chat_attributes(request: Any, stream: bool) -> dict[str, AttributeValue]:
    """The sampling parameters a chat request set (most set none: that path is short)."""
    found: dict[str, AttributeValue] = {}
    if request.max_tokens is not None:
        found[names.REQUEST_MAX_TOKENS] = int(request.max_tokens)
    if request.seed is not None:
        found[names.REQUEST_SEED] = int(request.seed)
    if request.temperature is not None:
        found[names.REQUEST_TEMPERATURE] = float(request.temperature)
    if request.top_p is not None:
        found[names.REQUEST_TOP_P] = float(request.top_p)
    if request.stop:
        found[names.REQUEST_STOP_SEQUENCES] = tuple(str(s) for s in request.stop)
    if stream:
        found[names.REQUEST_STREAM] = True
    return found


def base_url(request: Any, client: Any) -> str | None:
    """The URL the call goes to when the caller or the client's settings name one (a provider's
    built-in default is not visible from here)."""
    url = getattr(request, "base_url", None)
    if url:
        return str(url)
    scope = getattr(client, "scope", None)
    settings = getattr(scope, "settings", None)
    if settings is None:
        return None
    provider_settings = settings.get(getattr(request, "provider", ""))
    url = getattr(provider_settings, "base_url", None)
    return str(url) if url else None


@lru_cache(maxsize=256)
def server(url: str | None) -> tuple[str, int | None] | None:
    """``server.address`` and ``server.port`` of ``url`` (the scheme's port when it has none)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    if port is None:
        port = {"https": 443, "http": 80}.get(parts.scheme)
    return host, port
