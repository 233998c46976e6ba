"""HTTP error answers → typed errors, with the service's message, code and request id kept."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary import _errors as errors
from lluminary_testing import ErrorScenario, Reply
from lluminary_testing.bedrock_server import error_reply


async def call(provider: Any, request: Any, streamed: bool) -> Any:
    if streamed:
        return [e async for e in provider.stream(request)]
    return await provider.generate(request)


@pytest.mark.parametrize(
    ("kind", "error_class", "status", "code"),
    [
        ("authentication", errors.AuthenticationError, 403, "UnrecognizedClientException"),
        ("permission", errors.PermissionDeniedError, 403, "AccessDeniedException"),
        ("not_found", errors.NotFoundError, 404, "ResourceNotFoundException"),
        ("rate_limit", errors.RateLimitError, 429, "ThrottlingException"),
        ("context_length", errors.ContextLengthExceededError, 400, "ValidationException"),
        ("invalid_request", errors.InvalidRequestError, 400, "ValidationException"),
        ("request_too_large", errors.InvalidRequestError, 400, "ValidationException"),
        ("content_filter", errors.ContentFilteredError, 400, "ValidationException"),
        ("server", errors.ServerError, 500, "InternalServerException"),
        ("overloaded", errors.OverloadedError, 503, "ServiceUnavailableException"),
    ],
)
@pytest.mark.parametrize("streamed", [False, True])
async def test_error_scenarios(
    bedrock: Any, provider: Any, chat: Any, kind: Any, error_class: type, status: int, code: str, streamed: bool
) -> None:
    bedrock.script(ErrorScenario(kind, message="scripted failure", request_id="rid-err-1"))
    with pytest.raises(error_class) as caught:
        await call(provider, chat("Hi"), streamed)
    error = caught.value
    assert type(error) is error_class
    assert error.status == status
    assert error.code == code
    assert error.request_id == "rid-err-1"
    assert error.provider == "bedrock"
    assert error.message  # the service's wording is kept


@pytest.mark.parametrize(
    ("status", "kind", "message", "error_class"),
    [
        (408, "ModelTimeoutException", "Model has timed out in processing the request.", errors.APITimeoutError),
        (424, "ModelErrorException", "The model returned an error.", errors.ServerError),
        (429, "ModelNotReadyException", "Model is not ready to serve inference requests.", errors.RateLimitError),
        (400, "ServiceQuotaExceededException", "Your request exceeds the service quota.", errors.RateLimitError),
        (
            400,
            "ValidationException",
            "prompt is too long: 300000 tokens > 200000 maximum",
            errors.ContextLengthExceededError,
        ),
        (
            400,
            "ValidationException",
            "Too many input tokens. Max input tokens: 8192",
            errors.ContextLengthExceededError,
        ),
        (400, "ValidationException", "The model returned the following errors: bad", errors.InvalidRequestError),
        (
            403,
            "InvalidSignatureException",
            "The request signature we calculated does not match",
            errors.AuthenticationError,
        ),
        (
            403,
            "ExpiredTokenException",
            "The security token included in the request is expired",
            errors.AuthenticationError,
        ),
        (
            403,
            "AccessDeniedException",
            "Authentication failed: Please make sure your API Key is valid.",
            errors.AuthenticationError,
        ),
        (
            403,
            "AccessDeniedException",
            "You don't have access to the model with the specified model ID.",
            errors.PermissionDeniedError,
        ),
        (502, "", "Bad gateway", errors.ServerError),
        (413, "", "Request Entity Too Large", errors.InvalidRequestError),
    ],
)
async def test_more_statuses(
    bedrock: Any, provider: Any, chat: Any, status: int, kind: str, message: str, error_class: type
) -> None:
    if kind:
        bedrock.script(error_reply(status, kind, message, "rid-2"))
    else:
        bedrock.script(Reply.json({"message": message}, status, {"x-amzn-requestid": "rid-2"}))
    with pytest.raises(error_class) as caught:
        await provider.generate(chat("Hi"))
    assert type(caught.value) is error_class
    assert message in str(caught.value)
    assert caught.value.request_id == "rid-2"
    assert caught.value.code == (kind or None)


async def test_error_type_from_the_body(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(Reply.json({"__type": "com.amazon.coral.service#ThrottlingException", "Message": "Slow down"}, 429))
    with pytest.raises(errors.RateLimitError, match="Slow down") as caught:
        await provider.generate(chat("Hi"))
    assert caught.value.code == "ThrottlingException"


async def test_bad_bedrock_api_key_without_a_type_is_authentication(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(Reply.json({"message": "Invalid API Key format: Must start with pre-defined prefix"}, 403))
    with pytest.raises(errors.AuthenticationError):
        await provider.generate(chat("Hi"))


async def test_non_json_error_body(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(Reply(502, {"content-type": "text/html"}, (b"<html>bad gateway</html>",)))
    with pytest.raises(errors.ServerError, match="bad gateway") as caught:
        await provider.generate(chat("Hi"))
    assert caught.value.status == 502


async def test_connection_refused(provider: Any, chat: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(errors.APIConnectionError):
        await provider.generate(chat("Hi", base_url=f"http://127.0.0.1:{port}", api_key=_secret("k-123456789")))


def _secret(value: str) -> Any:
    from lluminary._types import Secret

    return Secret(value)


async def test_unknown_operation_body_from_the_front_end(bedrock: Any, provider: Any, chat: Any) -> None:
    """A path the service does not know is answered by its front end with the type nested in
    ``Output`` and no message: ``{"Output": {"__type": "...#UnknownOperationException"}, "Version": "1.0"}``."""
    body = {"Output": {"__type": "com.amazon.coral.service#UnknownOperationException"}, "Version": "1.0"}
    bedrock.script(Reply.json(body, 404))
    with pytest.raises(errors.NotFoundError, match="UnknownOperationException") as caught:
        await provider.generate(chat("Hi"))
    assert caught.value.code == "UnknownOperationException"
