"""Google error bodies as typed lluminary errors.

Google APIs answer errors as ``{"error": {"code", "message", "status", "details": [...]}}``, where
``details`` holds typed ``google.rpc`` messages: ``ErrorInfo`` (a ``reason``), ``RetryInfo`` (a
``retryDelay`` such as ``"12s"``), ``QuotaFailure``, ... The body says more than the status does:
a bad API key is a 400 ``INVALID_ARGUMENT`` whose ``ErrorInfo.reason`` is ``API_KEY_INVALID``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary import sdk

#: ``ErrorInfo.reason`` values that mean the credentials are wrong, whatever the status.
AUTH_REASONS = frozenset(
    {
        "API_KEY_INVALID",
        "API_KEY_EXPIRED",
        "ACCESS_TOKEN_EXPIRED",
        "ACCESS_TOKEN_TYPE_UNSUPPORTED",
        "CREDENTIALS_MISSING",
    }
)
#: ``status`` values that name an error class outright.
STATUS_CLASSES: Mapping[str, type[sdk.ProviderError]] = {
    "UNAUTHENTICATED": sdk.AuthenticationError,
    "PERMISSION_DENIED": sdk.PermissionDeniedError,
    "NOT_FOUND": sdk.NotFoundError,
    "RESOURCE_EXHAUSTED": sdk.RateLimitError,
    "UNAVAILABLE": sdk.OverloadedError,
    "INTERNAL": sdk.ServerError,
    "DEADLINE_EXCEEDED": sdk.ServerError,
}
#: gRPC status names by code, for in-stream errors that give only a code.
HTTP_FOR_STATUS = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL": 500,
    "UNKNOWN": 500,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


def parse_duration(value: Any) -> float | None:
    """A protobuf JSON duration (``"12s"``, ``"0.5s"``) in seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value.endswith("s"):
        try:
            return max(float(value[:-1]), 0.0)
        except ValueError:
            return None
    return None


def error_object(data: Any) -> Mapping[str, Any] | None:
    """The ``error`` object of a body (also inside the one-element list a JSON-array stream sends)."""
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            return err
    return None


def from_error_object(
    err: Mapping[str, Any], *, status: int | None, provider: str, headers: Mapping[str, str] | None = None
) -> sdk.ProviderError:
    """The typed error for a Google ``error`` object."""
    message = str(err.get("message") or "")
    status_name = err.get("status") if isinstance(err.get("status"), str) else None
    code = err.get("code")
    if status is None:
        status = code if isinstance(code, int) and code >= 400 else HTTP_FOR_STATUS.get(status_name or "", 500)
    reasons: list[str] = []
    retry_delay: float | None = None
    details = err.get("details")
    for detail in details if isinstance(details, list) else ():
        if not isinstance(detail, dict):
            continue
        reason = detail.get("reason")
        if isinstance(reason, str):
            reasons.append(reason)
        if "retryDelay" in detail:
            retry_delay = parse_duration(detail["retryDelay"])
    cls: type[sdk.ProviderError] | None = None
    if AUTH_REASONS.intersection(reasons):
        cls = sdk.AuthenticationError
    elif status_name is not None:
        cls = STATUS_CLASSES.get(status_name)
    error_code = reasons[0] if reasons else status_name
    result = sdk.status_error(status, message, provider=provider, headers=headers, code=error_code, cls=cls)
    if isinstance(result, sdk.RateLimitError) and retry_delay is not None:
        result.retry_after = retry_delay
    return result


def from_http(status: int, body: bytes, headers: Mapping[str, str], provider: str) -> sdk.ProviderError:
    """The typed error for a non-2xx answer, whatever its body (JSON, HTML from a proxy, empty)."""
    data = sdk.json_or_text(body)
    err = error_object(data)
    if err is not None:
        return from_error_object(err, status=status, provider=provider, headers=headers)
    text = data if isinstance(data, str) else str(data)
    return sdk.status_error(status, text.strip()[:500], provider=provider, headers=headers)
