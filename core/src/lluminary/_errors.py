"""One error hierarchy for every provider.

Providers map their HTTP statuses and error bodies onto these classes, so that retries, fallbacks
and user code catch one set of types. Every message passes through :func:`redact` on the way in,
so an API key that a provider echoes back never reaches a log, a trace or a traceback.
"""

from __future__ import annotations

import re

_known_secrets: set[str] = set()
_KEY_PATTERNS = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._\-]{8,}|(?i:x-api-key|api[_-]?key)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9._\-]{8,})"
)


def register_secret(value: str | None) -> None:
    """Remember a credential so that :func:`redact` scrubs it wherever it shows up."""
    if value and len(value) >= 4:
        _known_secrets.add(value)


def redact(text: str) -> str:
    """Remove every registered secret and anything shaped like an API key from ``text``."""
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    return _KEY_PATTERNS.sub("[REDACTED]", text)


class LluminaryError(Exception):
    """Base of every error lluminary raises."""

    def __init__(self, message: str) -> None:
        self.message = redact(message)
        super().__init__(self.message)

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt from the fields, not by calling __init__ again: subclasses take other arguments
        # (UnknownProviderError, BudgetExceededError), and errors cross processes (multiprocessing).
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[LluminaryError], message: str, state: dict[str, object]) -> LluminaryError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class ConfigurationError(LluminaryError):
    """Something is missing from the set-up, such as an API key; the message says what to set."""

    def __init__(self, message: str, *, env_var: str | None = None) -> None:
        super().__init__(message)
        self.env_var = env_var


class UnpricedModelError(ConfigurationError):
    """A client with a budget was asked to call a model it has no price for, so the spend could
    not be counted. Give a price (``Client(prices=...)``) or allow it (``allow_unpriced=True``)."""

    def __init__(self, model: str) -> None:
        super().__init__(
            f"the client has a budget, but {model!r} has no price: give one with "
            f"Client(prices={{{model!r}: {{'input': ..., 'output': ...}}}}) (US dollars per million tokens), "
            "or pass allow_unpriced=True to let unpriced calls through uncounted"
        )
        self.model = model


class UnknownProviderError(LluminaryError):
    """No installed plugin serves this provider prefix."""

    def __init__(self, provider: str, installed: list[str]) -> None:
        listed = ", ".join(sorted(installed)) or "none"
        super().__init__(
            f"no provider {provider!r} is installed (installed providers: {listed}); "
            f"try `pip install lluminary-{provider}`"
        )
        self.provider = provider
        self.installed = sorted(installed)


class RequestValidationError(LluminaryError, ValueError):
    """The request is malformed and was rejected before any I/O."""


class BudgetExceededError(LluminaryError):
    """The client's budget is used up, or the call's reserved estimate would not fit in what is
    left (``reserved``: dollars held by calls in flight; ``estimate``: this call's). ``scope``
    names the scoped budget that refused (None: the client's own ``budget=``); its ``spent``
    includes what calls in flight hold."""

    def __init__(
        self, spent: float, budget: float, *, reserved: float = 0.0, estimate: float = 0.0, scope: str | None = None
    ) -> None:
        detail = (
            f" (${reserved:.6f} reserved by calls in flight, this call may cost ${estimate:.6f})" if estimate else ""
        )
        which = f"budget {scope!r}" if scope is not None else "budget"
        super().__init__(f"{which} exceeded: spent ${spent:.6f} of ${budget:.6f}{detail}")
        self.spent = spent
        self.budget = budget
        self.reserved = reserved
        self.estimate = estimate
        self.scope = scope


class UnsupportedError(LluminaryError):
    """The provider does not offer this capability (embeddings on a chat-only provider)."""


class PluginError(LluminaryError):
    """A plugin could not be loaded or misbehaved."""


class ProviderError(LluminaryError):
    """The provider answered with an error, or could not be reached.

    Carries what is needed to report it or to file a ticket with the provider: the provider name,
    the HTTP status, the provider's own message, error code and request id.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.request_id = request_id
        self.code = code

    def __str__(self) -> str:
        where = f"{self.provider} " if self.provider else ""
        status = f"HTTP {self.status}: " if self.status else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{where}{status}{self.message}{rid}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, provider={self.provider!r}, "
            f"status={self.status!r}, request_id={self.request_id!r}, code={self.code!r})"
        )


class AuthenticationError(ProviderError):
    """The API key is missing, wrong or expired (HTTP 401)."""


class PermissionDeniedError(ProviderError):
    """The key is valid but may not do this (HTTP 403)."""


class NotFoundError(ProviderError):
    """The model or endpoint does not exist (HTTP 404)."""


class InvalidRequestError(ProviderError):
    """The provider rejected the request as malformed (HTTP 400, 413, 422)."""


class ContextLengthExceededError(InvalidRequestError):
    """The prompt plus the requested output does not fit the model's context window."""


class ContentFilteredError(ProviderError):
    """The provider refused the input or the output on safety grounds."""


class RateLimitError(ProviderError):
    """Too many requests or tokens (HTTP 429). ``retry_after`` is seconds, when the provider said."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(ProviderError):
    """The provider failed (HTTP 5xx)."""

    retryable = True


class OverloadedError(ServerError):
    """The provider is overloaded (Anthropic 529, HTTP 503)."""


class APITimeoutError(ProviderError):
    """No answer in time: connecting, waiting for the first byte, or between stream chunks."""

    retryable = True


class APIConnectionError(ProviderError):
    """The connection could not be made, or broke (reset, truncated stream)."""

    retryable = True


class MalformedResponseError(ProviderError):
    """The provider's answer could not be understood (invalid JSON, broken framing).

    ``raw_arguments`` holds a tool call's arguments as received when they were not valid JSON,
    so nothing is lost; it is None for other failures."""

    raw_arguments: str | None = None


__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BudgetExceededError",
    "ConfigurationError",
    "ContentFilteredError",
    "ContextLengthExceededError",
    "InvalidRequestError",
    "LluminaryError",
    "MalformedResponseError",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "PluginError",
    "ProviderError",
    "RateLimitError",
    "RequestValidationError",
    "ServerError",
    "UnknownProviderError",
    "UnpricedModelError",
    "UnsupportedError",
    "redact",
    "register_secret",
]
