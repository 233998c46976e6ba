"""Error bodies as OpenAI and compatible servers send them, mapped to typed errors."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary import sdk as errors
from lluminary_openai.errors import describe, http_error, stream_error
from lluminary_testing.server import Reply


def body(message: str, etype: str | None = "invalid_request_error", code: str | None = None) -> bytes:
    import json

    return json.dumps({"error": {"message": message, "type": etype, "param": None, "code": code}}).encode()


@pytest.mark.parametrize(
    ("status", "content", "expected"),
    [
        (
            400,
            body("This model's maximum context length is 128000 tokens.", code="context_length_exceeded"),
            errors.ContextLengthExceededError,
        ),
        (
            400,
            body("Your request was rejected by the safety system.", code="content_policy_violation"),
            errors.ContentFilteredError,
        ),
        (400, body("Invalid 'messages[0].role'"), errors.InvalidRequestError),
        (401, body("Incorrect API key provided", code="invalid_api_key"), errors.AuthenticationError),
        (403, body("Country not supported", code="unsupported_country_region_territory"), errors.PermissionDeniedError),
        (404, body("The model `gpt-9` does not exist", code="model_not_found"), errors.NotFoundError),
        (429, body("Rate limit reached", "requests", "rate_limit_exceeded"), errors.RateLimitError),
        (500, body("The server had an error", "server_error"), errors.ServerError),
        (502, b"<html><body>Bad gateway</body></html>", errors.ServerError),
        (503, body("The engine is currently overloaded", "server_error"), errors.OverloadedError),
        (
            400,
            b'{"object": "error", "message": "max_tokens is too large", "type": "BadRequestError", "code": 400}',
            errors.InvalidRequestError,
        ),
        (422, b'{"detail": "Field required"}', errors.InvalidRequestError),
    ],
)
def test_http_errors(status: int, content: bytes, expected: type[errors.ProviderError]) -> None:
    error = http_error(status, content, {"x-request-id": "req_1"}, "openai")
    assert type(error) is expected
    assert error.status == status
    assert error.request_id == "req_1"
    assert error.provider == "openai"
    assert error.message


def test_messages_from_every_body_shape() -> None:
    assert describe({"error": {"message": "m", "code": "c", "type": "t"}}) == ("m", "c", "t")
    assert describe({"error": "plain"}) == ("plain", None, None)
    assert describe({"object": "error", "message": "vllm", "code": 400}) == ("vllm", None, None)
    assert describe({"detail": "fastapi"})[0] == "fastapi"
    assert describe("Bad gateway") == ("Bad gateway", None, None)


def test_insufficient_quota_is_not_retried() -> None:
    error = http_error(
        429, body("You exceeded your current quota", "insufficient_quota", "insufficient_quota"), {}, "openai"
    )
    assert isinstance(error, errors.RateLimitError)
    assert error.retryable is False
    limited = http_error(429, body("slow down", "requests", "rate_limit_exceeded"), {"retry-after-ms": "250"}, "openai")
    assert limited.retryable is True
    assert limited.retry_after == 0.25


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"message": "m", "type": "server_error"}, errors.ServerError),
        ({"message": "m", "code": "rate_limit_exceeded"}, errors.RateLimitError),
        ({"message": "m", "type": "tokens"}, errors.RateLimitError),
        (
            {"message": "m", "code": "context_length_exceeded", "type": "invalid_request_error"},
            errors.ContextLengthExceededError,
        ),
        ({"message": "m", "type": "invalid_request_error"}, errors.InvalidRequestError),
        ({"type": "error", "code": "invalid_prompt", "message": "m"}, errors.InvalidRequestError),
        ({"message": "m", "code": "invalid_api_key"}, errors.AuthenticationError),
        ({"message": "m", "code": "content_filter"}, errors.ContentFilteredError),
        ("a bare string", errors.ServerError),
    ],
)
def test_stream_errors(error: Any, expected: type[errors.ProviderError]) -> None:
    found = stream_error(error, "openai", "req_s")
    assert type(found) is expected
    assert found.request_id == "req_s"


async def test_the_key_echoed_in_an_error_is_redacted(harness: Any) -> None:
    harness.server.script(
        Reply.json(
            {
                "error": {
                    "message": "Incorrect API key provided: sk-test-0123456789abcdef",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
            401,
        )
    )
    with pytest.raises(errors.AuthenticationError) as info:
        await harness.generate("hi")
    assert "0123456789abcdef" not in str(info.value)
    assert "0123456789abcdef" not in repr(info.value)


async def test_errors_name_the_prefix_called(fake_openai: Any) -> None:
    from lluminary.sdk import aclose_default_pools, build_chat_request
    from lluminary_openai import OpenAIProvider
    from lluminary_testing import ErrorScenario

    provider = OpenAIProvider(prefixes=["azure"])  # one object, served under another prefix
    fake_openai.script(ErrorScenario("rate_limit"), ErrorScenario("server"), Reply(200, {}, [b"not json"]))
    request = build_chat_request("azure:gpt-4o", "hi", base_url=fake_openai.base_url)
    try:
        with pytest.raises(errors.RateLimitError) as limited:
            await provider.generate(request)
        with pytest.raises(errors.ServerError) as streamed:
            async for _ in provider.stream(request):
                pass
        with pytest.raises(errors.MalformedResponseError) as malformed:
            await provider.generate(request)
    finally:
        await aclose_default_pools()
    assert limited.value.provider == streamed.value.provider == malformed.value.provider == "azure"
