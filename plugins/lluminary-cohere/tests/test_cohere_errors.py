"""Every Cohere error status and body shape becomes the right typed error, on both paths."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from lluminary import _errors as errors
from lluminary._requests import build_chat_request
from lluminary_cohere import CohereProvider
from lluminary_testing import ErrorScenario, Fault, Reply, Scenario

STATUSES = [
    (400, "invalid request: messages must be a non-empty list", errors.InvalidRequestError),
    (
        400,
        "too many tokens: total number of tokens in the prompt cannot exceed 128000 - received 131000.",
        errors.ContextLengthExceededError,
    ),
    (401, "invalid api token", errors.AuthenticationError),
    (403, "your key may not use this model", errors.PermissionDeniedError),
    (404, "model 'command-x' not found, make sure the correct model ID was used", errors.NotFoundError),
    (422, "unprocessable entity: invalid type for field 'temperature'", errors.InvalidRequestError),
    (429, "You are using a Trial key, which is limited to 20 API calls / minute.", errors.RateLimitError),
    (498, "invalid token", errors.AuthenticationError),
    (499, "request cancelled", errors.APIConnectionError),
    (500, "internal server error, this has been reported to our developers", errors.ServerError),
    (501, "this feature is not implemented", errors.InvalidRequestError),
    (503, "service unavailable", errors.OverloadedError),
    (504, "gateway timeout", errors.ServerError),
]


async def call(provider: CohereProvider, request: Any, streamed: bool) -> Any:
    if streamed:
        return [event async for event in provider.stream(request)]
    return await provider.generate(request)


@pytest.mark.asyncio
@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
@pytest.mark.parametrize(("status", "message", "expected"), STATUSES, ids=[f"{s[0]}-{s[2].__name__}" for s in STATUSES])
async def test_status(
    fake_cohere: Any, provider: Any, chat: Any, streamed: bool, status: int, message: str, expected: type
) -> None:
    fake_cohere.script(Reply.json({"id": "b1f9-err", "message": message}, status, {"x-debug-trace-id": "trace-77"}))
    with pytest.raises(errors.ProviderError) as info:
        await call(provider, chat(), streamed)
    error = info.value
    assert type(error) is expected
    assert error.message == message
    assert error.status == status
    assert error.provider == "cohere"
    assert error.request_id == "trace-77"


@pytest.mark.asyncio
async def test_message_only_body_and_id_fallback(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(
        Reply.json({"message": "invalid api token"}, 401), Reply.json({"id": "abc-123", "message": "x"}, 400)
    )
    with pytest.raises(errors.AuthenticationError) as info:
        await provider.generate(chat())
    assert info.value.message == "invalid api token"
    assert info.value.request_id is None
    with pytest.raises(errors.InvalidRequestError) as bad:
        await provider.generate(chat())
    assert bad.value.request_id == "abc-123"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"upstream connect error", "upstream connect error"),
        (b'{"error": {"message": "nested"}}', "nested"),
        (b'{"error": "flat"}', "flat"),
        (b"", "HTTP 502"),
    ],
)
async def test_other_body_shapes(fake_cohere: Any, provider: Any, chat: Any, body: bytes, expected: str) -> None:
    fake_cohere.script(Reply(502, {"content-type": "text/plain"}, (body,)))
    with pytest.raises(errors.ServerError) as info:
        await provider.generate(chat())
    assert info.value.message == expected


@pytest.mark.asyncio
async def test_retry_after(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(ErrorScenario("rate_limit", retry_after=7))
    with pytest.raises(errors.RateLimitError) as info:
        await provider.generate(chat())
    assert info.value.retry_after == 7.0
    assert info.value.request_id == "req_fake_1"


@pytest.mark.asyncio
async def test_fake_server_error_kinds(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(ErrorScenario("context_length"), ErrorScenario("overloaded"))
    with pytest.raises(errors.ContextLengthExceededError):
        await provider.generate(chat())
    with pytest.raises(errors.OverloadedError):
        await provider.generate(chat())


@pytest.mark.asyncio
async def test_in_stream_error(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(ErrorScenario("server", message="the model crashed", in_stream=True))
    with pytest.raises(errors.ServerError, match="the model crashed"):
        _ = [event async for event in provider.stream(chat())]


@pytest.mark.asyncio
async def test_connection_refused(provider: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = build_chat_request(
        "cohere:command-a-03-2025", "Hi", api_key="k-1234567890", base_url=f"http://127.0.0.1:{port}"
    )
    with pytest.raises(errors.APIConnectionError):
        await provider.generate(request)


@pytest.mark.asyncio
async def test_reset_before_body(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(Scenario(text="lost", fault=Fault(reset_after=0)))
    with pytest.raises(errors.APIConnectionError):
        await provider.generate(chat())


@pytest.mark.asyncio
async def test_slow_answer_times_out(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(Scenario(text="late", fault=Fault(delay_headers=2.0)))
    with pytest.raises(errors.APITimeoutError):
        await provider.generate(chat(timeout=0.2))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, {"content-type": "application/json"}, (b'{"id": "x", "message": {"role": "assis',)),
        Reply.json({"id": "x", "finish_reason": "COMPLETE"}),
        Reply.json(["not", "an", "object"]),
    ],
    ids=["truncated-json", "no-message", "not-an-object"],
)
async def test_malformed_answers(fake_cohere: Any, provider: Any, chat: Any, reply: Reply) -> None:
    fake_cohere.script(reply)
    with pytest.raises(errors.MalformedResponseError):
        await provider.generate(chat())
