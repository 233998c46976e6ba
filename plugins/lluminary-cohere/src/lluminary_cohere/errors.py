"""Cohere's error answers as lluminary errors.

Bodies are ``{"id": ..., "message": ...}`` (the id is often missing). Statuses follow the usual
map, plus Cohere's own: 498 (invalid or deny-listed token) is an authentication error, 499 (the
request was cancelled on the way) a connection error, and 501 (feature not implemented) an invalid
request rather than a retryable server fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary import sdk

from .response import PROVIDER

TRACE_HEADER = "x-debug-trace-id"

_CLASSES: dict[int, type[sdk.ProviderError]] = {
    498: sdk.AuthenticationError,
    499: sdk.APIConnectionError,
    501: sdk.InvalidRequestError,
}


def error_message(body: Any) -> tuple[str, str | None]:
    """The message and the error id of an error body (JSON already parsed, or text)."""
    if isinstance(body, Mapping):
        message = body.get("message")
        error = body.get("error")
        if not message and isinstance(error, Mapping):
            message = error.get("message")
        elif not message and isinstance(error, str):
            message = error
        if not message and isinstance(body.get("detail"), str):
            message = body["detail"]
        error_id = body.get("id")
        text = str(message) if message else str(dict(body))[:500]
        return text, error_id if isinstance(error_id, str) and error_id else None
    return str(body).strip()[:500], None


def http_error(status: int, content: bytes, headers: Mapping[str, str], provider: str = PROVIDER) -> sdk.ProviderError:
    """The typed error for an HTTP error answer (the SDK's error-mapper signature)."""
    message, error_id = error_message(sdk.json_or_text(content) if content else "")
    err = sdk.status_error(status, message, provider=provider, headers=headers, cls=_CLASSES.get(status))
    if err.request_id is None:
        err.request_id = request_id(headers) or error_id
    return err


def request_id(headers: Mapping[str, str]) -> str | None:
    """Cohere's trace id (``x-debug-trace-id``), or a standard request-id header."""
    return headers.get(TRACE_HEADER) or sdk.request_id(headers)
