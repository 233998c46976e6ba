"""From HTTP failures to the typed error hierarchy: transport exceptions, statuses, error bodies,
Retry-After and request ids. ``httpx2`` is imported inside the functions that need it.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from . import _errors as errors

REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "x-amz-request-id", "cf-ray")


def transport_error(exc: BaseException, provider: str) -> errors.ProviderError:
    """Map an httpx2 transport exception to the typed error users catch, saying what happened
    even when the exception itself has no message (a reset connection often has none)."""
    import httpx2

    detail = _detail(exc)
    if isinstance(exc, httpx2.TimeoutException):
        what = {
            "ConnectTimeout": "connecting to the server timed out",
            "ReadTimeout": "the server sent nothing within the read timeout",
            "WriteTimeout": "sending the request timed out",
            "PoolTimeout": "no connection of the pool became free in time",
        }.get(type(exc).__name__, "the request timed out")
        code = "connect" if type(exc).__name__ == "ConnectTimeout" else None
        return errors.APITimeoutError(f"{what}{detail}", provider=provider, code=code)
    if isinstance(exc, httpx2.RemoteProtocolError):
        return errors.APIConnectionError(
            f"the server closed the connection before the answer was complete{detail}", provider=provider
        )
    if isinstance(exc, httpx2.ReadError):
        return errors.APIConnectionError(f"the connection broke while reading the answer{detail}", provider=provider)
    if isinstance(exc, httpx2.WriteError):
        return errors.APIConnectionError(f"the connection broke while sending the request{detail}", provider=provider)
    if isinstance(exc, httpx2.ConnectError):
        return errors.APIConnectionError(f"could not connect to the server{detail}", provider=provider, code="connect")
    return errors.APIConnectionError(f"the connection failed ({type(exc).__name__}){detail}", provider=provider)


def _detail(exc: BaseException) -> str:
    """``": reason"`` from the exception or the OS error under it, or ``" (ExceptionName)"``."""
    seen: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 4:
        text = str(current).strip()
        if text and text not in seen:
            seen.append(text)
        current = current.__cause__ or current.__context__
    if seen:
        return ": " + "; ".join(seen)
    return f" ({type(exc).__name__})"


@asynccontextmanager
async def translate_errors(provider: str) -> AsyncIterator[None]:
    """Inside this block, httpx2 failures surface as lluminary errors."""
    import httpx2

    try:
        yield
    except httpx2.TransportError as exc:
        raise transport_error(exc, provider) from exc


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from ``retry-after-ms``, ``retry-after`` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):  # neither seconds nor a date: ignore it rather than fail the call
        return None
    return max(parsed.timestamp() - time.time(), 0.0)


def request_id(headers: Mapping[str, str]) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


_STATUS_ERRORS: dict[int, type[errors.ProviderError]] = {
    400: errors.InvalidRequestError,
    401: errors.AuthenticationError,
    402: errors.PermissionDeniedError,
    403: errors.PermissionDeniedError,
    404: errors.NotFoundError,
    408: errors.APITimeoutError,
    409: errors.ServerError,
    413: errors.InvalidRequestError,
    422: errors.InvalidRequestError,
    429: errors.RateLimitError,
    503: errors.OverloadedError,
    529: errors.OverloadedError,
}

CONTEXT_LENGTH_MARKERS = (
    "context_length_exceeded",
    "context length",
    "context window",
    "prompt is too long",
    "maximum context",
    "too many tokens",
    "input is too long",
    "exceeds the maximum number of tokens",
)


def error_class_for(status: int) -> type[errors.ProviderError]:
    found = _STATUS_ERRORS.get(status)
    if found is not None:
        return found
    if status >= 500:
        return errors.ServerError
    return errors.InvalidRequestError


def status_error(
    status: int,
    message: str,
    *,
    provider: str,
    headers: Mapping[str, str] | None = None,
    code: str | None = None,
    cls: type[errors.ProviderError] | None = None,
) -> errors.ProviderError:
    """Build the typed error for an HTTP error answer. Providers pass ``cls`` when their body
    says more than the status (Gemini's 400 ``API_KEY_INVALID`` is an authentication error)."""
    headers = headers or {}
    if cls is None:
        cls = error_class_for(status)
        if cls is errors.InvalidRequestError:
            lowered = f"{code or ''} {message}".lower()
            if any(marker in lowered for marker in CONTEXT_LENGTH_MARKERS):
                cls = errors.ContextLengthExceededError
    kwargs: dict[str, Any] = {"provider": provider, "status": status, "request_id": request_id(headers), "code": code}
    if issubclass(cls, errors.RateLimitError):
        kwargs["retry_after"] = retry_after(headers)
    return cls(message or f"HTTP {status}", **kwargs)


def json_or_text(body: bytes) -> Any:
    """An error body as JSON when it is JSON, else as text."""
    import json

    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def error_details(body: Any) -> tuple[str, str | None]:
    """(message, code) from the error bodies most APIs send: ``{"error": {"message", "code" |
    "type"}}``, ``{"error": "..."}``, ``{"message": ...}``, ``{"detail": ...}`` or plain text."""
    if isinstance(body, str):
        return body.strip(), None
    if not isinstance(body, dict):
        return ("" if body is None else str(body)), None
    inner = body.get("error")
    if isinstance(inner, dict):
        message, code = error_details(inner)
        return message, code or _code_of(body)
    for field in ("message", "error", "detail", "error_description"):
        value = body.get(field)
        if isinstance(value, str) and value:
            return value, _code_of(body)
        if value is not None and not isinstance(value, str):
            return (error_details(value)[0] or str(value)), _code_of(body)
    return "", _code_of(body)


def _code_of(body: dict[str, Any]) -> str | None:
    for field in ("code", "type", "status"):
        value = body.get(field)
        if value not in (None, ""):
            return str(value)
    return None


def default_error(status: int, body: bytes, headers: Mapping[str, str], provider: str) -> errors.ProviderError:
    """The typed error for an HTTP error answer whose body has one of the usual shapes."""
    message, code = error_details(json_or_text(body))
    return status_error(status, message or f"HTTP {status}", provider=provider, headers=headers, code=code)
