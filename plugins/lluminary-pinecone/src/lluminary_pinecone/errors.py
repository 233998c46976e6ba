"""The SDK's exceptions, mapped onto lluminary's error hierarchy so that retries, fallbacks and user
code catch one set of types, with the service's own message, status, error code and request id.

The SDK raises ``UnauthorizedError`` (401), ``ForbiddenError`` (403), ``NotFoundError`` (404),
``ConflictError`` (409), ``PayloadTooLargeError`` (413), ``RateLimitError`` (429, ``retry_after``),
``ServiceError`` (5xx) and ``ApiError`` for the rest (400), all with ``status_code``, ``message``,
``body``, ``headers`` and ``request_id`` (read from ``x-pinecone-request-id``); and
``PineconeTimeoutError``, ``PineconeConnectionError``, ``ResponseParsingError``,
``PineconeValueError`` / ``PineconeTypeError`` for what never got an answer.
"""

from __future__ import annotations

from typing import Any

from lluminary.sdk import (
    APIConnectionError,
    APITimeoutError,
    InvalidRequestError,
    LluminaryError,
    MalformedResponseError,
    ProviderError,
    RateLimitError,
    RequestValidationError,
    status_error,
)

PROVIDER = "pinecone"


def map_error(exc: BaseException) -> LluminaryError:
    """lluminary's error for an exception the Pinecone SDK raised (others are returned as a
    generic :class:`ProviderError` that names them)."""
    from pinecone.errors import exceptions as sdk

    if isinstance(exc, sdk.ApiError):
        return _status_error(exc)
    if isinstance(exc, sdk.PineconeTimeoutError):
        return APITimeoutError(f"Pinecone did not answer in time: {exc}", provider=PROVIDER)
    if isinstance(exc, sdk.PineconeConnectionError):
        return APIConnectionError(f"could not reach Pinecone: {exc}", provider=PROVIDER)
    if isinstance(exc, sdk.ResponseParsingError):
        return MalformedResponseError(f"Pinecone sent an answer that could not be read: {exc}", provider=PROVIDER)
    if isinstance(exc, (sdk.PineconeValueError, sdk.PineconeTypeError)):
        return RequestValidationError(f"the Pinecone SDK refused the request: {exc}")
    return ProviderError(f"{type(exc).__name__}: {exc}", provider=PROVIDER)


def _status_error(exc: Any) -> ProviderError:
    status = int(exc.status_code)
    headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    body = exc.body if isinstance(exc.body, dict) else {}
    code = exc.error_code or (str(body["code"]) if isinstance(body.get("code"), (int, str)) else None)
    # A 409 says the namespace name is taken by an alias: the kernel's default (ServerError) would retry it.
    cls = InvalidRequestError if status == 409 else None
    error = status_error(status, str(exc.message or ""), provider=PROVIDER, headers=headers, code=code, cls=cls)
    if error.request_id is None:
        error.request_id = exc.request_id
    if isinstance(error, RateLimitError) and error.retry_after is None:
        error.retry_after = getattr(exc, "retry_after", None)
    return error
