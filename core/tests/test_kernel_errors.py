"""The error hierarchy: keys never leak, errors survive pickling, HTTP answers map onto the right class."""

from __future__ import annotations

import email.utils
import pickle
import time
from typing import Any

import pytest

from lluminary import _errors as errors, _http as http
from lluminary._errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BudgetExceededError,
    ConfigurationError,
    ContextLengthExceededError,
    InvalidRequestError,
    LluminaryError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderError,
    RateLimitError,
    RequestValidationError,
    ServerError,
    UnknownProviderError,
    redact,
    register_secret,
)


def all_subclasses(cls: type) -> list[type]:
    found: list[type] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(all_subclasses(sub))
    return found


PROVIDER_ERRORS = [ProviderError, *all_subclasses(ProviderError)]
REGISTERED_SECRET = "cohere-live-7f3a9b2c1d0e4f5a6b7c8d9e"  # no recognisable shape: only registration finds it
KEY_SHAPED = [
    "sk-proj-AbCdEfGh1234567890",
    "sk-ant-api03-AbCdEfGh1234567890",
    "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv",
]

# Registered at import: the parametrised errors below are built while tests are collected.
register_secret(REGISTERED_SECRET)


def test_every_provider_error_class_is_exported_from_lluminary() -> None:
    import lluminary

    for cls in PROVIDER_ERRORS:
        assert getattr(lluminary, cls.__name__) is cls


@pytest.mark.parametrize("cls", PROVIDER_ERRORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("secret", [REGISTERED_SECRET, *KEY_SHAPED])
def test_secrets_are_redacted_from_every_provider_error(cls: type[ProviderError], secret: str) -> None:
    message = f"Incorrect API key provided: {secret}. You can find your key at https://example.com."
    error = cls(message, provider="acme", status=401, request_id="req_123", code="invalid_api_key")
    for shown in (error.message, str(error), repr(error), *map(str, error.args)):
        assert secret not in shown
        assert "[REDACTED]" in shown
    assert "Incorrect API key provided" in str(error)
    assert "You can find your key" in str(error)
    # Still redacted after a trip through pickle (multiprocessing, task queues).
    assert secret not in repr(pickle.loads(pickle.dumps(error)))


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abc.DEF-123_456789",
        "x-api-key: 0123456789abcdef",
        'body {"api_key": "0123456789abcdef"}',
        "api-key=0123456789abcdef&model=x",
    ],
)
def test_header_and_field_shaped_keys_are_redacted(text: str) -> None:
    redacted = redact(text)
    assert "0123456789abcdef" not in redacted
    assert "abc.DEF-123_456789" not in redacted
    assert "[REDACTED]" in redacted


def test_redaction_keeps_ordinary_text() -> None:
    text = "model gpt-4o-mini not found; ask for a task, a skill or sk-1 (too short to be a key)"
    assert redact(text) == text


def test_short_secrets_are_not_registered() -> None:
    register_secret("abc")
    register_secret(None)
    register_secret("")
    assert redact("abc and a cab") == "abc and a cab"


@pytest.mark.parametrize(
    "error",
    [
        LluminaryError("sk-proj-AbCdEfGh1234567890 leaked"),
        ConfigurationError(f"bad key {REGISTERED_SECRET}", env_var="COHERE_API_KEY"),
        RequestValidationError("bad"),
        UnknownProviderError("acme", ["openai", "anthropic"]),
        BudgetExceededError(1.5, 1.0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_lluminary_error_redacts_and_pickles(error: LluminaryError) -> None:
    assert REGISTERED_SECRET not in str(error)
    assert "sk-proj-AbCdEfGh1234567890" not in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.__dict__ == error.__dict__
    assert str(copy) == str(error)
    assert copy.args == error.args


def test_pickling_keeps_the_fields() -> None:
    error = RateLimitError(
        "slow down", provider="openai", status=429, request_id="req_1", code="rate_limit", retry_after=2.5
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is RateLimitError
    assert (copy.message, copy.provider, copy.status, copy.request_id, copy.code, copy.retry_after) == (
        "slow down",
        "openai",
        429,
        "req_1",
        "rate_limit",
        2.5,
    )
    assert str(copy) == str(error) == "openai HTTP 429: slow down (request id req_1)"
    assert repr(copy) == repr(error)
    raw = MalformedWithRaw()
    assert pickle.loads(pickle.dumps(raw)).raw_arguments == '{"a":'


def MalformedWithRaw() -> Any:
    err = errors.MalformedResponseError("bad json", provider="p")
    err.raw_arguments = '{"a":'  # type: ignore[attr-defined]
    return err


def test_specific_fields() -> None:
    unknown = UnknownProviderError("acme", ["openai", "anthropic"])
    assert unknown.installed == ["anthropic", "openai"]
    assert "installed providers: anthropic, openai" in str(unknown)
    assert "pip install lluminary-acme" in str(unknown)
    assert ConfigurationError("set OPENAI_API_KEY", env_var="OPENAI_API_KEY").env_var == "OPENAI_API_KEY"
    assert isinstance(RequestValidationError("x"), ValueError)
    assert str(ProviderError("plain")) == "plain"


def test_hierarchy_and_retryability() -> None:
    assert issubclass(ContextLengthExceededError, InvalidRequestError)
    assert issubclass(OverloadedError, ServerError)
    retryable = {cls for cls in PROVIDER_ERRORS if cls.retryable}
    assert retryable == {RateLimitError, ServerError, OverloadedError, APITimeoutError, APIConnectionError}
    for cls in PROVIDER_ERRORS:
        assert issubclass(cls, LluminaryError)


# --------------------------------------------------------------------------- lluminary._http


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (408, APITimeoutError),
        (413, InvalidRequestError),
        (418, InvalidRequestError),
        (422, InvalidRequestError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, OverloadedError),
        (529, OverloadedError),
    ],
)
def test_status_maps_to_the_error_class(status: int, cls: type[ProviderError]) -> None:
    error = http.status_error(status, "something", provider="acme", headers={"x-request-id": "req_9"})
    assert type(error) is cls
    assert error.status == status
    assert error.provider == "acme"
    assert error.request_id == "req_9"
    assert error.message == "something"


@pytest.mark.parametrize(
    ("status", "message", "code"),
    [
        (400, "This model's maximum context length is 8192 tokens.", None),
        (400, "prompt is too long: 250000 tokens > 200000 maximum", None),
        (400, "The input token count exceeds the maximum number of tokens allowed", None),
        (400, "Input is too long for requested model.", None),
        (413, "Prompt is too long", None),
        (422, "too many tokens in the request", None),
        (400, "Request rejected", "context_length_exceeded"),
    ],
)
def test_context_length_messages_map_to_their_own_class(status: int, message: str, code: str | None) -> None:
    error = http.status_error(status, message, provider="acme", code=code)
    assert type(error) is ContextLengthExceededError
    assert error.code == code


def test_context_length_words_do_not_change_other_statuses() -> None:
    assert type(http.status_error(500, "context length exceeded upstream", provider="p")) is ServerError
    assert type(http.status_error(429, "too many tokens per minute", provider="p")) is RateLimitError


def test_an_explicit_class_wins() -> None:
    error = http.status_error(400, "API key not valid", provider="google", cls=AuthenticationError)
    assert type(error) is AuthenticationError
    assert error.status == 400


def test_empty_message_names_the_status() -> None:
    assert http.status_error(502, "", provider="p").message == "HTTP 502"


def test_rate_limit_carries_retry_after() -> None:
    error = http.status_error(429, "slow down", provider="p", headers={"retry-after": "7"})
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0
    assert http.status_error(429, "x", provider="p").retry_after is None  # type: ignore[attr-defined]


def test_request_id_headers() -> None:
    assert http.request_id({"request-id": "req_a"}) == "req_a"
    assert http.request_id({"x-amzn-requestid": "aws-1"}) == "aws-1"
    assert http.request_id({"x-request-id": "", "request-id": "second"}) == "second"
    assert http.request_id({}) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": "-5"}, 0.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # in the past: retry now
        ({"retry-after": "next tuesday"}, None),
        ({"retry-after": ""}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert http.retry_after(headers) == expected


def test_retry_after_as_an_http_date() -> None:
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = http.retry_after({"retry-after": future})
    assert seconds is not None
    assert 27 <= seconds <= 31


def test_a_malformed_retry_after_does_not_break_the_error() -> None:
    error = http.status_error(429, "slow down", provider="p", headers={"retry-after": "whenever"})
    assert isinstance(error, RateLimitError)
    assert error.retry_after is None


def test_transport_errors_map_to_timeout_and_connection_errors() -> None:
    import httpx2

    assert type(http.transport_error(httpx2.ReadTimeout("slow"), "p")) is APITimeoutError
    assert type(http.transport_error(httpx2.ConnectTimeout("slow"), "p")) is APITimeoutError
    broke = http.transport_error(httpx2.RemoteProtocolError("peer closed"), "p")
    assert type(broke) is APIConnectionError
    assert "peer closed" in str(broke)
    assert type(http.transport_error(httpx2.ConnectError("refused"), "p")) is APIConnectionError
    assert http.transport_error(httpx2.ConnectError("refused"), "p").provider == "p"


async def test_translate_errors_keeps_the_cause() -> None:
    import httpx2

    cause = httpx2.ConnectError("connection refused")
    with pytest.raises(APIConnectionError, match="connection refused") as info:
        async with http.translate_errors("acme"):
            raise cause
    assert info.value.__cause__ is cause
    assert info.value.provider == "acme"


async def test_one_transport_per_provider_and_pool_options_not_per_timeout() -> None:
    from lluminary._transport import PoolOptions, Pools

    pools = Pools()
    first = pools.get("acme", PoolOptions())
    assert pools.get("acme", PoolOptions()) is first
    assert first.timeout(30) is first.timeout(30.0)  # the per-request timeout object is reused
    assert first.timeout(5) != first.timeout(30)
    other = pools.get("acme", PoolOptions(max_connections=7))
    assert other is not first
    assert pools.get("other", PoolOptions()) is not first
    assert len(pools) == 3
    await pools.aclose()
    assert first.is_closed
    assert other.is_closed
    assert pools.get("acme", PoolOptions()) is not first
    await pools.aclose()


def test_default_error_reads_the_usual_body_shapes() -> None:
    cases = {
        b'{"error": {"message": "bad key", "code": "invalid_api_key"}}': ("bad key", "invalid_api_key"),
        b'{"error": {"message": "slow down", "type": "rate_limit"}}': ("slow down", "rate_limit"),
        b'{"error": "plain"}': ("plain", None),
        b'{"message": "top", "code": 7}': ("top", "7"),
        b'{"detail": "nope"}': ("nope", None),
        b"<html>Bad Gateway</html>": ("<html>Bad Gateway</html>", None),
        b"": ("HTTP 502", None),
    }
    for body, (message, code) in cases.items():
        err = http.default_error(502, body, {"x-request-id": "r-1"}, "acme")
        assert (err.message, err.code, err.request_id, err.provider) == (message, code, "r-1", "acme")
    assert type(http.default_error(429, b"{}", {"retry-after": "3"}, "acme")) is RateLimitError
    assert http.default_error(429, b"{}", {"retry-after": "3"}, "acme").retry_after == 3.0


def test_json_or_text() -> None:
    assert http.json_or_text(b'{"error": {"message": "x"}}') == {"error": {"message": "x"}}
    assert http.json_or_text(b"<html>Bad Gateway</html>") == "<html>Bad Gateway</html>"
    assert http.json_or_text(b"\xff") == "\ufffd"


def test_a_reset_without_a_message_still_says_what_happened() -> None:
    import httpx2

    bare = http.transport_error(httpx2.ReadError(""), "openai")
    assert str(bare) == "openai the connection broke while reading the answer (ReadError)"
    reset = httpx2.ReadError("")
    reset.__context__ = ConnectionResetError(104, "Connection reset by peer")
    assert "Connection reset by peer" in str(http.transport_error(reset, "openai"))
    cut = http.transport_error(httpx2.RemoteProtocolError(""), "anthropic")
    assert "closed the connection before the answer was complete" in str(cut)
    assert not str(cut).rstrip().endswith(":")
    timeout = http.transport_error(httpx2.ReadTimeout(""), "p")
    assert type(timeout) is APITimeoutError
    assert "read timeout" in str(timeout)
