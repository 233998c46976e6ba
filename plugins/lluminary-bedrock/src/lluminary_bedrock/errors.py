"""Bedrock errors → lluminary's error hierarchy.

An HTTP error answer carries ``{"message": ...}`` and names its type in the ``x-amzn-errortype``
header (``ValidationException:http://internal.amazon.com/...``) or in the body's ``__type``. A 200
stream can carry a modelled exception (``:message-type exception``, type in ``:exception-type``)
or an unmodelled error (``:message-type error`` with ``:error-code`` / ``:error-message``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary import sdk

#: Exception type (as sent, with the stream's lower-case first letter folded) → error class.
ERROR_TYPES: dict[str, type[sdk.ProviderError]] = {
    "validationexception": sdk.InvalidRequestError,
    "servicequotaexceededexception": sdk.RateLimitError,
    "accessdeniedexception": sdk.PermissionDeniedError,
    "resourcenotfoundexception": sdk.NotFoundError,
    "modeltimeoutexception": sdk.APITimeoutError,
    "modelerrorexception": sdk.ServerError,
    "modelstreamerrorexception": sdk.ServerError,
    "throttlingexception": sdk.RateLimitError,
    "modelnotreadyexception": sdk.RateLimitError,
    "internalserverexception": sdk.ServerError,
    "serviceunavailableexception": sdk.OverloadedError,
    # Authentication failures, from AWS's request-signing front end.
    "unrecognizedclientexception": sdk.AuthenticationError,
    "invalidsignatureexception": sdk.AuthenticationError,
    "incompletesignatureexception": sdk.AuthenticationError,
    "missingauthenticationtokenexception": sdk.AuthenticationError,
    "expiredtokenexception": sdk.AuthenticationError,
    "invalidclienttokenid": sdk.AuthenticationError,
    "signaturedoesnotmatch": sdk.AuthenticationError,
}

#: Message fragments (lower case) that make a validation error a context-length error.
CONTEXT_MARKERS = (
    "input is too long",
    "too many input tokens",
    "too many total text bytes",
    "prompt is too long",
    "context window",
    "context length",
    "maximum context",
    "exceeds the maximum number of tokens",
)
#: Message fragments that make a 400 a content-filter refusal (Claude's usage-policy filter).
CONTENT_FILTER_MARKERS = ("blocked by content filtering", "content filtering policy")
#: A wrong Bedrock API key comes back as a 403 (typed AccessDenied, or untyped) saying one of these.
BAD_KEY_MARKERS = ("invalid api key", "api key is invalid", "api key is valid", "authentication failed", "bearer token")


def error_type(headers: Mapping[str, str], body: Any) -> str | None:
    """The exception name, from the header or the body (``com.amazon...#ValidationException``)."""
    raw = headers.get("x-amzn-errortype")
    if not raw and isinstance(body, Mapping):
        raw = body.get("__type") or body.get("code") or body.get("Code")
        output = body.get("Output")
        if not raw and isinstance(output, Mapping):  # the service front end's own errors
            raw = output.get("__type")  # {"Output": {"__type": "...#UnknownOperationException"}}
    if not raw or not isinstance(raw, str):
        return None
    name = raw.split(":", 1)[0]
    return name.rsplit("#", 1)[-1] or None


def error_message(body: Any) -> str:
    if isinstance(body, Mapping):
        for key in ("message", "Message", "errorMessage"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        return ""
    return body.strip()[:500] if isinstance(body, str) else ""


def classify(kind: str | None, message: str, status: int | None) -> type[sdk.ProviderError] | None:
    """The error class a Bedrock exception name and message mean (None: let the status decide)."""
    lowered = message.lower()
    cls = ERROR_TYPES.get(kind.lower()) if kind else None
    if cls in (None, sdk.PermissionDeniedError) and status == 403 and any(m in lowered for m in BAD_KEY_MARKERS):
        return sdk.AuthenticationError
    if cls is None and status is not None and status != 400:
        return None
    if cls in (sdk.InvalidRequestError, None):
        if any(m in lowered for m in CONTENT_FILTER_MARKERS):
            return sdk.ContentFilteredError
        if any(m in lowered for m in CONTEXT_MARKERS):
            return sdk.ContextLengthExceededError
    return cls


def http_error(status: int, headers: Mapping[str, str], body: Any, provider: str) -> sdk.ProviderError:
    """The typed error for an HTTP error answer (``body`` parsed as JSON when it is JSON)."""
    kind = error_type(headers, body)
    message = error_message(body) or (f"{kind}" if kind else f"HTTP {status}")
    return sdk.status_error(
        status, message, provider=provider, headers=headers, code=kind, cls=classify(kind, message, status)
    )


def stream_exception(
    kind: str, message: str, headers: Mapping[str, str], provider: str, status: int | None = None
) -> sdk.ProviderError:
    """The typed error for an exception sent inside a 200 stream. A ``modelStreamErrorException``
    carries the status the model behind Bedrock failed with: a 429 or an overload from there is
    a rate limit or an overload, not a plain server error."""
    cls = classify(kind, message, None) or sdk.ServerError
    if kind.lower() == "modelstreamerrorexception" and status in (429, 503, 529):
        cls = sdk.RateLimitError if status == 429 else sdk.OverloadedError
    kwargs: dict[str, Any] = {
        "provider": provider,
        "status": status,
        "request_id": headers.get("x-amzn-requestid") or headers.get("x-amz-request-id"),
        "code": kind,
    }
    return cls(message or kind, **kwargs)
