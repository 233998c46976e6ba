"""Anthropic's error answers mapped onto lluminary's typed errors."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary import _errors as errors
from lluminary_testing import ErrorScenario, Scenario
from lluminary_testing.server import Reply


def error_reply(status: int, error_type: str, message: str, **headers: str) -> Reply:
    body = {"type": "error", "error": {"type": error_type, "message": message}, "request_id": "req_body_1"}
    return Reply.json(body, status, headers)


@pytest.mark.parametrize(
    ("status", "error_type", "message", "expected"),
    [
        (400, "invalid_request_error", "messages: field required", errors.InvalidRequestError),
        (
            400,
            "invalid_request_error",
            "prompt is too long: 215042 tokens > 200000 maximum",
            errors.ContextLengthExceededError,
        ),
        (400, "invalid_request_error", "Output blocked by content filtering policy", errors.ContentFilteredError),
        (401, "authentication_error", "invalid x-api-key", errors.AuthenticationError),
        (402, "billing_error", "Your credit balance is too low", errors.PermissionDeniedError),
        (403, "permission_error", "Your API key does not have permission", errors.PermissionDeniedError),
        (404, "not_found_error", "model: claude-nope", errors.NotFoundError),
        (413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", errors.InvalidRequestError),
        (429, "rate_limit_error", "Number of request tokens has exceeded your rate limit", errors.RateLimitError),
        (500, "api_error", "Internal server error", errors.ServerError),
        (504, "timeout_error", "Request timed out", errors.APITimeoutError),
        (529, "overloaded_error", "Overloaded", errors.OverloadedError),
        # the error type decides, not the status (a proxy may rewrite statuses)
        (500, "overloaded_error", "Overloaded", errors.OverloadedError),
        # an unknown type: the status decides
        (503, "brand_new_error", "Try later", errors.OverloadedError),
        (418, "brand_new_error", "I'm a teapot", errors.InvalidRequestError),
    ],
)
@pytest.mark.parametrize("streamed", [False, True])
async def test_error_types(
    harness: Any, status: int, error_type: str, message: str, expected: type[errors.ProviderError], streamed: bool
) -> None:
    harness.server.script(error_reply(status, error_type, message, **{"request-id": "req_hdr_1"}))
    call = harness.stream if streamed else harness.generate
    with pytest.raises(errors.ProviderError) as info:
        await call()
    error = info.value
    assert type(error) is expected
    assert error.message == message
    assert error.status == status
    assert error.code == error_type
    assert error.request_id == "req_hdr_1"
    assert error.provider == "anthropic"


async def test_request_id_from_the_body_when_no_header(harness: Any) -> None:
    harness.server.script(error_reply(400, "invalid_request_error", "bad"))
    with pytest.raises(errors.InvalidRequestError) as info:
        await harness.generate()
    assert info.value.request_id == "req_body_1"


async def test_rate_limit_retry_after(harness: Any) -> None:
    harness.server.script(ErrorScenario("rate_limit", retry_after=7))
    with pytest.raises(errors.RateLimitError) as info:
        await harness.generate()
    assert info.value.retry_after == 7.0
    harness.server.script(error_reply(429, "rate_limit_error", "slow down", **{"retry-after-ms": "1500"}))
    with pytest.raises(errors.RateLimitError) as info:
        await harness.generate()
    assert info.value.retry_after == 1.5


async def test_overloaded_is_retryable_and_kernel_retries_it(harness: Any) -> None:
    from lluminary._client import Client
    from lluminary._plugins import PluginManager
    from lluminary._retry import RetryPolicy

    plugins = PluginManager()
    plugins.register(harness.provider, name="anthropic-under-test")
    client = Client(
        cache=False, plugins=plugins, retries=RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.02)
    )
    harness.server.script(ErrorScenario("overloaded"), ErrorScenario("overloaded"), Scenario(text="finally"))
    response = await client.agenerate(harness.model, "Hi", base_url=harness.server.base_url)
    assert response.text == "finally"
    assert len(harness.server.requests) == 3


@pytest.mark.parametrize("body", [b"<html>502 Bad Gateway</html>", b"", b'{"unexpected": true}', b'{"error": "text"}'])
async def test_error_bodies_that_are_not_anthropic_errors(harness: Any, body: bytes) -> None:
    harness.server.script(Reply(502, {"content-type": "text/html"}, (body,)))
    with pytest.raises(errors.ServerError) as info:
        await harness.generate()
    assert info.value.status == 502
    assert info.value.message


async def test_a_key_echoed_in_an_error_is_redacted(harness: Any) -> None:
    harness.server.script(error_reply(401, "authentication_error", f"invalid x-api-key: {harness.key}"))
    with pytest.raises(errors.AuthenticationError) as info:
        await harness.generate()
    assert harness.key not in str(info.value)
    assert harness.key not in repr(info.value)
    assert "[REDACTED]" in info.value.message


async def test_a_custom_key_is_redacted_too(harness: Any) -> None:
    key = "proxy-key-without-a-known-shape"
    harness.server.script(error_reply(401, "authentication_error", f"bad key {key}"))
    with pytest.raises(errors.AuthenticationError) as info:
        await harness.generate(api_key=key)
    assert key not in str(info.value)
    assert harness.server.last_request.headers["x-api-key"] == key


async def test_the_fake_server_rejects_what_the_api_rejects(harness: Any) -> None:
    """The provider must never send what the API refuses; the fake refuses it the same way."""
    from lluminary._types import Message, ToolCallPart

    # a tool call left without its result in the next turn
    messages = [Message.user("Q"), Message.assistant(ToolCallPart("toolu_1", "f", {})), Message.user("next")]
    harness.server.script(Scenario(text="never"))
    with pytest.raises(errors.InvalidRequestError, match="tool_result"):
        await harness.generate(None, messages=messages)


async def test_an_error_body_behind_a_200(harness: Any) -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    harness.server.script(Reply.json(body, 200, {"request-id": "req_200"}))
    with pytest.raises(errors.OverloadedError) as info:
        await harness.generate()
    assert info.value.request_id == "req_200"
