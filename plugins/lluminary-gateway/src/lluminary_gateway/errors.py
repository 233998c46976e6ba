"""Errors as the HTTP client sees them: one status, one OpenAI-shaped body, never a key.

Every failure inside the gateway becomes a :class:`GatewayError`; :func:`from_lluminary` maps the
kernel's error hierarchy onto the statuses an OpenAI client expects (an upstream that rejects the
gateway's own credentials is the gateway's fault, 502, not the caller's 401).
"""

from __future__ import annotations

from typing import Any

from lluminary.sdk import redact


class GatewayError(Exception):
    """An answer with a non-2xx status. ``type`` and ``code`` follow OpenAI's error object."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.message = redact(message)
        self.type = type
        self.code = code
        self.param = param
        self.retry_after = retry_after
        super().__init__(self.message)

    def openai_body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def anthropic_body(self) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {"type": ANTHROPIC_TYPES.get(self.status, "api_error"), "message": self.message},
        }

    def headers(self) -> list[tuple[bytes, bytes]]:
        if self.retry_after is None:
            return []
        return [(b"retry-after", str(max(1, round(self.retry_after + 0.5))).encode())]


#: status -> Anthropic's error type, for ``/v1/messages``
ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    504: "api_error",
}


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> GatewayError:
    return GatewayError(400, message, param=param, code=code)


def not_found(message: str, *, code: str = "model_not_found") -> GatewayError:
    return GatewayError(404, message, code=code)


def unauthorized(message: str = "invalid API key") -> GatewayError:
    return GatewayError(401, message, type="authentication_error", code="invalid_api_key")


def forbidden(message: str) -> GatewayError:
    return GatewayError(403, message, type="permission_error", code="model_not_allowed")


def from_lluminary(error: BaseException) -> GatewayError:
    """The HTTP answer for an error the kernel raised (the message is already redacted)."""
    import lluminary as L

    text = str(error)
    if isinstance(error, GatewayError):
        return error
    if isinstance(error, L.UnknownProviderError):
        return not_found(text)
    if isinstance(error, L.RequestValidationError):
        return bad_request(text)
    if isinstance(error, L.UnsupportedError):
        return bad_request(text, code="unsupported")
    if isinstance(error, L.BudgetExceededError):
        return GatewayError(429, text, type="insufficient_quota", code="budget_exceeded")
    if isinstance(error, L.ConfigurationError):
        return GatewayError(500, text, type="server_error", code="gateway_configuration")
    if isinstance(error, L.ContentFilteredError):
        return GatewayError(400, text, code="content_filter")
    if isinstance(error, L.RateLimitError):
        return GatewayError(
            429, text, type="rate_limit_error", code="upstream_rate_limit", retry_after=error.retry_after
        )
    if isinstance(error, L.ContextLengthExceededError):
        return GatewayError(400, text, code="context_length_exceeded")
    if isinstance(error, L.NotFoundError):
        return not_found(text, code="upstream_not_found")
    if isinstance(error, L.InvalidRequestError):
        return GatewayError(error.status if error.status in (400, 413, 422) else 400, text)
    if isinstance(error, (L.AuthenticationError, L.PermissionDeniedError)):
        return GatewayError(502, text, type="upstream_error", code="upstream_credentials")
    if isinstance(error, L.OverloadedError):
        return GatewayError(503, text, type="upstream_error", code="upstream_overloaded")
    if isinstance(error, L.APITimeoutError):
        return GatewayError(504, text, type="upstream_error", code="upstream_timeout")
    if isinstance(error, (L.ProviderError, L.MalformedResponseError)):
        return GatewayError(502, text, type="upstream_error", code="upstream_error")
    if isinstance(error, L.LluminaryError):
        return GatewayError(500, text, type="server_error")
    return GatewayError(500, f"internal error ({type(error).__name__})", type="server_error")
