"""Google error answers as typed errors, and configuration errors before any I/O."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary import _errors as errors
from lluminary._types import Secret
from lluminary_google.errors import from_http, parse_duration
from lluminary_testing.scenario import ErrorScenario, Scenario
from lluminary_testing.server import Reply

INFO = "type.googleapis.com/google.rpc.ErrorInfo"
RETRY = "type.googleapis.com/google.rpc.RetryInfo"


def google_error(code: int, status: str, message: str, *details: dict[str, Any]) -> Reply:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return Reply.json({"error": error}, code)


@pytest.mark.parametrize(
    ("kind", "expected", "status", "code"),
    [
        ("authentication", errors.AuthenticationError, 400, "API_KEY_INVALID"),
        ("permission", errors.PermissionDeniedError, 403, "PERMISSION_DENIED"),
        ("not_found", errors.NotFoundError, 404, "NOT_FOUND"),
        ("rate_limit", errors.RateLimitError, 429, "RESOURCE_EXHAUSTED"),
        ("context_length", errors.ContextLengthExceededError, 400, "INVALID_ARGUMENT"),
        ("invalid_request", errors.InvalidRequestError, 400, "INVALID_ARGUMENT"),
        ("request_too_large", errors.InvalidRequestError, 400, "INVALID_ARGUMENT"),
        ("server", errors.ServerError, 500, "INTERNAL"),
        ("overloaded", errors.OverloadedError, 503, "UNAVAILABLE"),
    ],
)
@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_error_kinds(harness: Any, kind: str, expected: type, status: int, code: str, streamed: bool) -> None:
    harness.server.script(ErrorScenario(kind, message=f"scripted {kind} failure"))  # type: ignore[arg-type]
    with pytest.raises(errors.ProviderError) as info:
        await harness.call(streamed, "Hi")
    error = info.value
    assert type(error) is expected
    assert f"scripted {kind} failure" in error.message
    assert error.status == status
    assert error.code == code
    assert error.provider == "google"


async def test_bad_key_is_an_authentication_error_with_googles_words(harness: Any) -> None:
    harness.server.script(ErrorScenario("authentication"))
    with pytest.raises(errors.AuthenticationError) as info:
        await harness.generate("Hi")
    assert info.value.message == "API key not valid. Please pass a valid API key."
    assert info.value.status == 400
    assert not info.value.retryable


async def test_expired_key_and_unauthenticated_status(harness: Any) -> None:
    expired = {"@type": INFO, "reason": "API_KEY_EXPIRED", "domain": "googleapis.com"}
    harness.server.script(
        google_error(400, "INVALID_ARGUMENT", "API key expired. Please renew the API key.", expired),
        google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
    )
    with pytest.raises(errors.AuthenticationError, match="expired"):
        await harness.generate("Hi")
    with pytest.raises(errors.AuthenticationError, match="invalid authentication"):
        await harness.generate("Hi")


async def test_retry_delay_from_retry_info(harness: Any) -> None:
    harness.server.script(
        google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", {"@type": RETRY, "retryDelay": "12s"}),
        google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", {"@type": RETRY, "retryDelay": "0.250s"}),
        Reply.json(
            {"error": {"code": 429, "message": "Slow down", "status": "RESOURCE_EXHAUSTED"}}, 429, {"retry-after": "3"}
        ),
        google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded"),
    )
    for expected in (12.0, 0.25, 3.0, None):
        with pytest.raises(errors.RateLimitError) as info:
            await harness.generate("Hi")
        assert info.value.retry_after == expected
        assert info.value.retryable


async def test_context_overflow(harness: Any) -> None:
    harness.server.script(
        google_error(
            400,
            "INVALID_ARGUMENT",
            "The input token count (1500000) exceeds the maximum number of tokens allowed (1048576).",
        )
    )
    with pytest.raises(errors.ContextLengthExceededError):
        await harness.generate("Hi")


@pytest.mark.parametrize(
    ("status", "name", "expected"),
    [
        (400, "FAILED_PRECONDITION", errors.InvalidRequestError),
        (403, "PERMISSION_DENIED", errors.PermissionDeniedError),
        (500, "INTERNAL", errors.ServerError),
        (503, "UNAVAILABLE", errors.OverloadedError),
        (504, "DEADLINE_EXCEEDED", errors.ServerError),
    ],
)
async def test_statuses(harness: Any, status: int, name: str, expected: type) -> None:
    harness.server.script(google_error(status, name, f"{name} happened"))
    with pytest.raises(errors.ProviderError) as info:
        await harness.generate("Hi")
    assert type(info.value) is expected
    assert info.value.code == name
    assert info.value.status == status


async def test_non_google_error_bodies(harness: Any) -> None:
    harness.server.script(
        Reply(502, {"content-type": "text/html"}, (b"<html><body>Bad gateway</body></html>",)),
        Reply(404, {}, ()),
        Reply.json([{"error": {"code": 400, "message": "array body", "status": "INVALID_ARGUMENT"}}], 400),
    )
    with pytest.raises(errors.ServerError, match="Bad gateway"):
        await harness.generate("Hi")
    with pytest.raises(errors.NotFoundError):
        await harness.generate("Hi")
    with pytest.raises(errors.InvalidRequestError, match="array body"):
        await harness.generate("Hi")


async def test_echoed_key_is_redacted(harness: Any) -> None:
    harness.server.script(ErrorScenario("invalid_request", message=f"bad request for key {harness.key}"))
    with pytest.raises(errors.InvalidRequestError) as info:
        await harness.generate("Hi")
    assert harness.key not in str(info.value)
    assert harness.key not in repr(info.value)


async def test_missing_key_names_the_variable(harness: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    with pytest.raises(errors.ConfigurationError, match="GEMINI_API_KEY") as info:
        await harness.generate("Hi")
    assert info.value.env_var == "GEMINI_API_KEY"
    assert harness.server.requests == []


async def test_key_sources_in_order(harness: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from lluminary_google import GeminiProvider

    harness.server.script(*[Scenario(text="ok")] * 4)
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key-123")
    await harness.generate("Hi")
    assert harness.headers()["x-goog-api-key"] == "google-key-123"  # as in Google's SDK
    monkeypatch.delenv("GOOGLE_API_KEY")
    await harness.generate("Hi")
    assert harness.headers()["x-goog-api-key"] == harness.key
    harness.provider = GeminiProvider(api_key="configured-key-1")
    await harness.generate("Hi")
    assert harness.headers()["x-goog-api-key"] == "configured-key-1"
    await harness.generate("Hi", api_key=Secret("per-call-key-1"))
    assert harness.headers()["x-goog-api-key"] == "per-call-key-1"
    assert "configured-key-1" not in repr(harness.provider)


async def test_base_url_from_the_environment(harness: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    harness.server.script(Scenario(text="ok"))
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", harness.server.base_url + "/")
    await harness.provider.generate(harness.request("Hi", base_url=None))
    assert harness.path() == "/v1beta/models/gemini-2.5-flash:generateContent"
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", harness.server.base_url + "/proxy/gemini")
    harness.server.script(Reply.json({"candidates": [{"content": {"parts": [{"text": "p"}]}, "finishReason": "STOP"}]}))
    response = await harness.provider.generate(harness.request("Hi", base_url=None))
    assert harness.path() == "/proxy/gemini/models/gemini-2.5-flash:generateContent"
    assert response.text == "p"


async def test_timeout_per_call(harness: Any) -> None:
    from lluminary_testing.server import Fault

    harness.server.script(Scenario(text="late", fault=Fault(delay_headers=2.0)))
    with pytest.raises(errors.APITimeoutError):
        await harness.generate("Hi", timeout=0.2)


def test_parse_duration() -> None:
    assert parse_duration("12s") == 12.0
    assert parse_duration("1.5s") == 1.5
    assert parse_duration(3) == 3.0
    assert parse_duration("soon") is None
    assert parse_duration("xs") is None
    assert parse_duration(None) is None


def test_from_http_without_a_body() -> None:
    error = from_http(500, b"", {}, "google")
    assert type(error) is errors.ServerError
    assert error.message == "HTTP 500"
