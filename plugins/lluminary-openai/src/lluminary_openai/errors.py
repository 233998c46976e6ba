"""OpenAI error bodies → lluminary's typed errors.

HTTP errors go through :func:`lluminary.sdk.status_error` (status map, context-length markers,
Retry-After, request id); the body's ``code`` refines what the status alone cannot say. Errors
inside a 200 stream (``data: {"error": ...}``, the Responses API's ``error`` event and
``response.failed``) are classified by their ``type`` / ``code``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary.sdk import (
    CONTEXT_LENGTH_MARKERS,
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    InvalidRequestError,
    ProviderError,
    RateLimitError,
    ServerError,
    json_or_text,
    status_error,
)

CONTENT_FILTER_CODES = frozenset({"content_filter", "content_policy_violation", "content_filtered"})
RATE_LIMIT_CODES = frozenset({"rate_limit_exceeded", "requests", "tokens", "rate_limit_error", "insufficient_quota"})


def describe(body: Any) -> tuple[str, str | None, str | None]:
    """``(message, code, type)`` from any error body an OpenAI-compatible server sends."""
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, str):
            return error, None, None
        if isinstance(error, Mapping):
            message = error.get("message") or body.get("message") or body.get("detail") or ""
            code = error.get("code")
            etype = error.get("type")
            return (
                message if isinstance(message, str) else str(message),
                code if isinstance(code, str) else None,
                etype if isinstance(etype, str) else None,
            )
        return str(body)[:1000], None, None
    return str(body or "").strip()[:1000], None, None


def http_error(status: int, content: bytes, headers: Mapping[str, str], provider: str) -> ProviderError:
    """The typed error for an HTTP error answer."""
    message, code, etype = describe(json_or_text(content))
    cls: type[ProviderError] | None = None
    if code == "context_length_exceeded":
        cls = ContextLengthExceededError
    elif code in CONTENT_FILTER_CODES:
        cls = ContentFilteredError
    error = status_error(status, message, provider=provider, headers=headers, code=code or etype, cls=cls)
    if code == "insufficient_quota":
        error.retryable = False  # no wait makes a used-up quota come back
    return error


def stream_error(error: Any, provider: str, request_id: str | None) -> ProviderError:
    """The typed error for an error reported inside a stream: the inner error object of a chat
    ``{"error": {...}}`` frame (OpenRouter's carries an HTTP status as its numeric ``code``), vLLM's
    ``{"object": "error", ...}`` frame, the Responses API's ``error`` event, or ``response.error``."""
    message: Any = error
    code: Any = None
    etype: Any = None
    if isinstance(error, Mapping):
        message, code, etype = error.get("message"), error.get("code"), error.get("type")
        if etype == "error":  # the Responses event's own type, not the error's
            etype = None
    status = code if isinstance(code, int) and 400 <= code <= 599 else None
    code = code if isinstance(code, str) else None
    etype = etype if isinstance(etype, str) else None
    marker = (code or etype or "").lower()
    text = str(message) if message else "the stream reported an error"
    lowered = text.lower()
    cls: type[ProviderError] | None
    if marker == "context_length_exceeded" or any(m in lowered for m in CONTEXT_LENGTH_MARKERS):
        cls = ContextLengthExceededError
    elif marker in CONTENT_FILTER_CODES:
        cls = ContentFilteredError
    elif marker in RATE_LIMIT_CODES or etype in RATE_LIMIT_CODES:
        cls = RateLimitError
    elif marker in ("invalid_api_key", "authentication_error"):
        cls = AuthenticationError
    elif etype == "invalid_request_error" or marker in ("invalid_prompt", "invalid_request_error"):
        cls = InvalidRequestError
    else:
        cls = None
    if cls is None and status is not None:
        error_out = status_error(status, text, provider=provider, code=code or etype)
        error_out.request_id = request_id
    else:
        error_out = (cls or ServerError)(text, provider=provider, request_id=request_id, code=code or etype)
    if marker == "insufficient_quota":
        error_out.retryable = False  # no wait makes a used-up quota come back
    return error_out
