"""Ollama's errors to lluminary's typed errors, with messages that say what to do.

Ollama answers ``{"error": "..."}`` with 400, 404 (the model is not pulled), 429, 500 or 502; a
failure during generation is an ``{"error": ...}`` line inside a 200 NDJSON stream.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lluminary.sdk import (
    APIConnectionError,
    ContextLengthExceededError,
    InvalidRequestError,
    NotFoundError,
    OverloadedError,
    ProviderError,
    RateLimitError,
    ServerError,
    json_or_text,
    status_error,
)

from .config import NAME

_MODEL = re.compile(r"""model\s+['"]?([^'"\s]+)['"]?\s+not found""", re.I)
_CONTEXT = ("context length", "context window", "exceeds the context", "input length exceeds")


def message_of(body: Any) -> str:
    if isinstance(body, dict):
        value = body.get("error", body.get("message", ""))
        if isinstance(value, dict):
            value = value.get("message", value)
        return str(value)
    return str(body).strip()


def _pull_hint(message: str, model: str | None) -> str:
    found = _MODEL.search(message)
    name = found.group(1) if found else model
    if not name:
        return message
    return f"{message}; the model is not on this Ollama server: run `ollama pull {name}`"


def from_response(status: int, body: bytes, headers: Mapping[str, str], provider: str = NAME) -> ProviderError:
    """The typed error of an HTTP error answer; a model that is not pulled says how to pull it."""
    message = message_of(json_or_text(body)) or f"HTTP {status}"
    cls: type[ProviderError] | None = None
    lowered = message.lower()
    if status == 404 and "not found" in lowered:
        message = _pull_hint(message, None)
        cls = NotFoundError
    elif status in (400, 413) and any(marker in lowered for marker in _CONTEXT):
        cls = ContextLengthExceededError
    return status_error(status, message, provider=provider, headers=headers, cls=cls)


def from_stream_error(value: Any) -> ProviderError:
    """A ``{"error": ...}`` line under HTTP 200: a server error unless the text says otherwise."""
    message = message_of({"error": value}) or "the stream reported an error"
    lowered = message.lower()
    if _MODEL.search(message):
        return NotFoundError(_pull_hint(message, None), provider=NAME)
    if any(marker in lowered for marker in _CONTEXT):
        return ContextLengthExceededError(message, provider=NAME)
    if "rate limit" in lowered or "too many requests" in lowered:
        return RateLimitError(message, provider=NAME)
    if "does not support" in lowered or "invalid" in lowered:
        return InvalidRequestError(message, provider=NAME)
    if "overloaded" in lowered or "server busy" in lowered:
        return OverloadedError(message, provider=NAME)
    return ServerError(message, provider=NAME)


def not_running(base_url: str, exc: APIConnectionError) -> APIConnectionError:
    """A request that got no answer at all: most often, no Ollama server is running there."""
    return APIConnectionError(
        f"no answer from Ollama at {base_url} ({exc.message}): is the server running? "
        "Start it with `ollama serve`, or point OLLAMA_HOST (or base_url=) at the right host",
        provider=NAME,
    )
