"""Anthropic error answers → lluminary's typed sdk.

The body is ``{"type": "error", "error": {"type", "message"}, "request_id"}``; its ``error.type``
decides the class (the status only when the type is unknown). The request id comes from the body
or the ``request-id`` header. A context overflow is a 400 ``invalid_request_error`` whose message
says "prompt is too long: N tokens > M maximum"; a refused output is a 400 "Output blocked by
content filtering policy".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary import sdk

#: Anthropic ``error.type`` → error class
ERROR_TYPES: dict[str, type[sdk.ProviderError]] = {
    "invalid_request_error": sdk.InvalidRequestError,
    "authentication_error": sdk.AuthenticationError,
    "billing_error": sdk.PermissionDeniedError,
    "permission_error": sdk.PermissionDeniedError,
    "not_found_error": sdk.NotFoundError,
    "request_too_large": sdk.InvalidRequestError,
    "rate_limit_error": sdk.RateLimitError,
    "api_error": sdk.ServerError,
    "timeout_error": sdk.APITimeoutError,
    "overloaded_error": sdk.OverloadedError,
}

#: How Anthropic words a context overflow ("prompt is too long: 215042 tokens > 200000 maximum",
#: "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000"). The kernel's
#: generic markers are not used: one of them ("exceeds the maximum") matches the 413 message
#: "Request exceeds the maximum allowed number of bytes", which is not about the context.
CONTEXT_LENGTH_MARKERS = ("prompt is too long", "exceed context limit", "context window", "context length")
CONTENT_FILTER_MARKERS = ("content filtering policy", "output blocked")


def error_class(error_type: str | None, message: str) -> type[sdk.ProviderError] | None:
    """The class for this error type and message; None leaves the choice to the HTTP status."""
    if error_type is None or error_type == "invalid_request_error":
        lowered = message.lower()
        if any(marker in lowered for marker in CONTEXT_LENGTH_MARKERS):
            return sdk.ContextLengthExceededError
        if any(marker in lowered for marker in CONTENT_FILTER_MARKERS):
            return sdk.ContentFilteredError
    return ERROR_TYPES.get(error_type or "")


def _fields(body: Any) -> tuple[str | None, str, str | None]:
    """``(error.type, error.message, request_id)`` from a parsed error body of any shape."""
    if isinstance(body, Mapping):
        error = body.get("error")
        request_id = body.get("request_id")
        rid = request_id if isinstance(request_id, str) and request_id else None
        if isinstance(error, Mapping):
            etype = error.get("type")
            message = error.get("message")
            return (etype if isinstance(etype, str) else None, str(message or etype or ""), rid)
        if isinstance(error, str):
            return None, error, rid
        message = body.get("message")
        return None, str(message) if message else "", rid
    if isinstance(body, str):
        return None, body.strip()[:500], None
    return None, "", None


def http_error(status: int, raw: bytes, headers: Mapping[str, str], provider: str) -> sdk.ProviderError:
    """The typed error for an HTTP error answer."""
    etype, message, rid = _fields(sdk.json_or_text(raw))
    exc = sdk.status_error(
        status,
        message or f"HTTP {status}",
        provider=provider,
        headers=headers,
        code=etype,
        cls=error_class(etype, message),
    )
    if exc.request_id is None and rid is not None:
        exc.request_id = rid
    return exc


def stream_error(data: Any, provider: str, request_id: str | None) -> sdk.ProviderError:
    """The typed error for an ``event: error`` inside a 200 stream (there is no HTTP status)."""
    etype, message, rid = _fields(data)
    cls = error_class(etype, message) or sdk.ServerError
    kwargs: dict[str, Any] = {"provider": provider, "request_id": rid or request_id, "code": etype}
    if issubclass(cls, sdk.RateLimitError):
        kwargs["retry_after"] = None
    return cls(message or "the stream reported an error", **kwargs)
