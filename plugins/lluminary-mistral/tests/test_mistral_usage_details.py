"""``usage.details`` (Mistral's ``usage`` as it came, chat and embeddings), and tool-call
arguments that are valid JSON but not an object, streamed or not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from lluminary import _errors as errors
from lluminary._client import Client
from lluminary._plugins import PluginManager
from lluminary._retry import RetryPolicy
from lluminary._types import ChatResponse, Tool, Usage
from lluminary.sdk import aclose_default_pools, from_json, to_json
from lluminary_mistral import MistralProvider
from lluminary_testing import Reply, sse
from lluminary_testing.mistral_server import FakeMistralServer

KEY = "sk-mistral-test-0123456789"
MODEL = "mistral:mistral-small-latest"
EMBED_MODEL = "mistral:mistral-embed"
WEATHER = Tool("get_weather", "Weather", {"type": "object", "properties": {"city": {"type": "string"}}})

#: Mistral's usage with its cache fields, plus a field no version of the plugin knows.
USAGE: dict[str, Any] = {
    "prompt_tokens": 120,
    "completion_tokens": 45,
    "total_tokens": 165,
    "num_cached_tokens": 100,
    "prompt_tokens_details": {"cached_tokens": 100},
    "prompt_audio_seconds": None,
    "future_usage_field": {"nested": [1, 2]},
}


@pytest_asyncio.fixture
async def client() -> AsyncIterator[Client]:
    plugins = PluginManager()
    plugins.register(MistralProvider(), name="mistral-under-test")
    yield Client(plugins=plugins, cache=False, retries=RetryPolicy(max_attempts=1), exporters=[])
    await aclose_default_pools()


def opts(server: FakeMistralServer, **kwargs: Any) -> dict[str, Any]:
    return {"base_url": server.base_url, "api_key": KEY, **kwargs}


async def generate(client: Client, server: FakeMistralServer, **kwargs: Any) -> ChatResponse:
    return await client.agenerate(MODEL, "Hi", **opts(server, **kwargs))


async def stream(client: Client, server: FakeMistralServer, **kwargs: Any) -> ChatResponse:
    s = client.astream(MODEL, "Hi", **opts(server, **kwargs))
    async for _ in s:
        pass
    response: ChatResponse = await s.response()
    return response


def completion(message: dict[str, Any], usage: Any, finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "cmpl-u",
        "object": "chat.completion",
        "created": 1,
        "model": "mistral-small-latest",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage,
    }


def chunks(delta: dict[str, Any], usage: Any, finish: str = "stop") -> Reply:
    """A streamed answer: one delta, then the finish reason and the usage in the last chunk."""
    base = {"id": "cmpl-u", "object": "chat.completion.chunk", "created": 1, "model": "mistral-small-latest"}
    first = {**base, "choices": [{"index": 0, "delta": {"role": "assistant", **delta}, "finish_reason": None}]}
    last = {**base, "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": finish}], "usage": usage}
    frames = sse([(None, first), (None, last)], done=True)
    return Reply(200, {"content-type": "text/event-stream"}, frames, stream=True)


# ---------------------------------------------------------------------- usage details


async def test_generate_and_stream_keep_the_usage_object(client: Client, fake_mistral: FakeMistralServer) -> None:
    text = {"role": "assistant", "content": "ok"}
    fake_mistral.script(Reply.json(completion(text, USAGE)), chunks({"content": "ok"}, USAGE))
    generated = await generate(client, fake_mistral)
    streamed = await stream(client, fake_mistral)
    assert generated.usage == Usage(120, 45, cache_read_tokens=100)
    assert generated.usage.details == USAGE
    assert streamed.usage.details == USAGE
    assert from_json(to_json(generated), ChatResponse).usage.details == USAGE


@pytest.mark.parametrize("usage", [None, [1, 2], "garbage", 3], ids=repr)
async def test_a_usage_that_is_not_an_object_keeps_nothing(
    client: Client, fake_mistral: FakeMistralServer, usage: Any
) -> None:
    text = {"role": "assistant", "content": "ok"}
    fake_mistral.script(Reply.json(completion(text, usage)), chunks({"content": "ok"}, usage))
    for response in (await generate(client, fake_mistral), await stream(client, fake_mistral)):
        assert response.text == "ok"
        assert response.usage == Usage()
        assert response.usage.details == {}


async def test_embedding_batches_add_up_their_usage_objects(client: Client, fake_mistral: FakeMistralServer) -> None:
    response = await client.aembed(
        EMBED_MODEL, [f"text {i}" for i in range(5)], **opts(fake_mistral, options={"mistral": {"batch_size": 2}})
    )
    assert response.usage.input_tokens == 10
    assert response.usage.details == {"prompt_tokens": 10, "completion_tokens": 0, "total_tokens": 10}


async def test_embedding_usage_keeps_unknown_fields(client: Client, fake_mistral: FakeMistralServer) -> None:
    usage = {"prompt_tokens": 3, "total_tokens": 3, "completion_tokens": 0, "future_usage_field": "x"}
    data = [{"object": "embedding", "embedding": [0.1, 0.2], "index": 0}]
    fake_mistral.script(
        Reply.json({"id": "e", "object": "list", "model": "mistral-embed", "data": data, "usage": usage})
    )
    response = await client.aembed(EMBED_MODEL, ["abc"], **opts(fake_mistral))
    assert response.usage.input_tokens == 3
    assert response.usage.details == usage


@pytest.mark.parametrize("usage", [[1, 2], "garbage"], ids=repr)
async def test_embedding_usage_that_is_not_an_object(
    client: Client, fake_mistral: FakeMistralServer, usage: Any
) -> None:
    data = [{"object": "embedding", "embedding": [0.1, 0.2], "index": 0}]
    fake_mistral.script(
        Reply.json({"id": "e", "object": "list", "model": "mistral-embed", "data": data, "usage": usage})
    )
    response = await client.aembed(EMBED_MODEL, ["abc"], **opts(fake_mistral))
    assert response.usage == Usage()
    assert response.usage.details == {}


# ---------------------------------------------------------------------- arguments that are not an object


@pytest.mark.parametrize(
    ("arguments", "raw"),
    [([1, 2], "[1,2]"), (3, "3"), (True, "true"), ([], "[]"), ("[1,2]", "[1,2]"), ("3", "3")],
    ids=repr,
)
@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_arguments_that_are_not_an_object_are_a_typed_error(
    client: Client, fake_mistral: FakeMistralServer, arguments: Any, raw: str, streamed: bool
) -> None:
    """Valid JSON that is not an object (sent as a JSON value or as text) is a
    MalformedResponseError keeping the raw arguments, as on every other provider, never ``{}``."""
    call = {"id": "abcdefghi", "type": "function", "function": {"name": "get_weather", "arguments": arguments}}
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    if streamed:
        fake_mistral.script(chunks({"content": "", "tool_calls": [{**call, "index": 0}]}, usage, "tool_calls"))
    else:
        message = {"role": "assistant", "content": "", "tool_calls": [call]}
        fake_mistral.script(Reply.json(completion(message, usage, "tool_calls")))
    with pytest.raises(errors.MalformedResponseError) as info:
        await (stream if streamed else generate)(client, fake_mistral, tools=[WEATHER])
    assert info.value.raw_arguments == raw  # type: ignore[attr-defined]
    assert "get_weather" in str(info.value)
