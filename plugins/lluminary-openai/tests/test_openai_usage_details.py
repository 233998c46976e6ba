"""``usage.details``: the usage object as OpenAI (or a compatible server) sent it, on every path;
and tool-call arguments that are a JSON value other than an object."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary.sdk import ChatResponse, MalformedResponseError, Usage, from_json, to_json
from lluminary_openai.usage import chat_usage
from lluminary_testing.server import Reply, sse

REASONING = "openai:o4-mini"

#: A Chat Completions usage as OpenAI sends it, plus a field no version of the plugin knows.
CHAT_USAGE: dict[str, Any] = {
    "prompt_tokens": 120,
    "completion_tokens": 45,
    "total_tokens": 165,
    "prompt_tokens_details": {"cached_tokens": 100, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 30,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 2,
        "rejected_prediction_tokens": 1,
    },
    "future_usage_field": {"nested": [1, 2]},
}

RESPONSE_USAGE: dict[str, Any] = {
    "input_tokens": 50,
    "input_tokens_details": {"cached_tokens": 20},
    "output_tokens": 30,
    "output_tokens_details": {"reasoning_tokens": 12},
    "total_tokens": 80,
    "future_usage_field": 7,
}

NOT_OBJECTS = [[1, 2], "garbage", 3, True]


def completion(usage: Any, message: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-u",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": message or {"role": "assistant", "content": "ok"},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


async def test_generate_keeps_the_usage_object(harness: Any) -> None:
    harness.server.script(Reply.json(completion(CHAT_USAGE)))
    response = await harness.generate("Hi")
    assert response.usage == Usage(120, 45, cache_read_tokens=100, reasoning_tokens=30)
    assert response.usage.details == CHAT_USAGE
    assert from_json(to_json(response), ChatResponse).usage.details == CHAT_USAGE


async def test_stream_keeps_the_usage_object_of_the_last_chunk(harness: Any) -> None:
    c = harness.chunk
    harness.server.script(
        harness.sse_reply(
            [c({"role": "assistant", "content": "ok"}, usage=None), c({}, "stop"), c(choices=[], usage=CHAT_USAGE)]
        ),
        Reply.json(completion(CHAT_USAGE)),
    )
    _, streamed = await harness.stream("Hi")
    generated = await harness.generate("Hi")
    assert streamed.usage.details == CHAT_USAGE
    assert streamed.usage.details == generated.usage.details
    assert streamed.usage == generated.usage


async def test_groq_usage_in_x_groq_is_kept(harness: Any) -> None:
    c = harness.chunk
    groq_usage = {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12, "queue_time": 0.02}
    harness.server.script(
        harness.sse_reply([c({"content": "ok"}), c({}, "stop", x_groq={"id": "g", "usage": groq_usage})])
    )
    _, response = await harness.stream("Hi")
    assert response.usage == Usage(9, 3)
    assert response.usage.details == groq_usage


def test_deepseek_cache_fields_are_kept_as_they_came() -> None:
    wire = {
        "prompt_tokens": 100,
        "completion_tokens": 10,
        "prompt_cache_hit_tokens": 60,
        "prompt_cache_miss_tokens": 40,
    }
    usage = chat_usage(wire)
    assert usage == Usage(100, 10, cache_read_tokens=60)
    assert usage.details == wire


@pytest.mark.parametrize("wire", NOT_OBJECTS, ids=repr)
async def test_a_usage_that_is_not_an_object_keeps_nothing(harness: Any, wire: Any) -> None:
    c = harness.chunk
    harness.server.script(
        Reply.json(completion(wire)),
        harness.sse_reply([c({"content": "ok"}), c({}, "stop"), c(choices=[], usage=wire)]),
    )
    generated = await harness.generate("Hi")
    _, streamed = await harness.stream("Hi")
    for response in (generated, streamed):
        assert response.usage == Usage()
        assert response.usage.details == {}


def test_nested_details_that_are_not_objects_count_nothing() -> None:
    wire = {"prompt_tokens": 5, "completion_tokens": 2, "prompt_tokens_details": [1], "completion_tokens_details": "x"}
    usage = chat_usage(wire)
    assert usage == Usage(5, 2)
    assert usage.details == wire


# ---------------------------------------------------------------------- the Responses API


def _events(*pairs: tuple[str, dict[str, Any]]) -> Reply:
    frames = sse((name, {"type": name, **data, "sequence_number": i}) for i, (name, data) in enumerate(pairs))
    return Reply(200, {"content-type": "text/event-stream", "x-request-id": "req_r"}, frames, stream=True)


def _response(usage: Any) -> dict[str, Any]:
    item = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "ok", "annotations": []}],
    }
    return {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "model": "o4-mini",
        "output": [item],
        "usage": usage,
    }


async def test_responses_api_keeps_the_usage_object(harness: Any) -> None:
    harness.server.script(
        Reply.json(_response(RESPONSE_USAGE)), _events(("response.completed", {"response": _response(RESPONSE_USAGE)}))
    )
    generated = await harness.generate("Hi", model=REASONING)
    _, streamed = await harness.stream("Hi", model=REASONING)
    assert generated.usage == Usage(50, 30, cache_read_tokens=20, reasoning_tokens=12)
    assert generated.usage.details == RESPONSE_USAGE
    assert streamed.usage.details == RESPONSE_USAGE


@pytest.mark.parametrize("wire", NOT_OBJECTS, ids=repr)
async def test_responses_api_usage_that_is_not_an_object(harness: Any, wire: Any) -> None:
    harness.server.script(Reply.json(_response(wire)), _events(("response.completed", {"response": _response(wire)})))
    generated = await harness.generate("Hi", model=REASONING)
    _, streamed = await harness.stream("Hi", model=REASONING)
    for response in (generated, streamed):
        assert response.usage == Usage()
        assert response.usage.details == {}


# ---------------------------------------------------------------------- embeddings


def _embeddings(usage: Any, count: int = 1) -> Reply:
    data = [{"object": "embedding", "index": i, "embedding": [float(i)]} for i in range(count)]
    return Reply.json({"object": "list", "data": data, "model": "m", "usage": usage})


async def test_embeddings_keep_the_usage_object(harness: Any) -> None:
    wire = {"prompt_tokens": 4, "total_tokens": 4, "future_usage_field": 1}
    harness.server.script(_embeddings(wire, 2))
    response = await harness.embed(["a", "b"])
    assert response.usage.input_tokens == 4
    assert response.usage.details == wire


async def test_embedding_batches_add_up_their_usage_objects(harness: Any) -> None:
    response = await harness.embed([f"text {i}" for i in range(2050)], dimensions=2)
    assert response.usage.input_tokens == 4100
    assert response.usage.details == {"prompt_tokens": 4100, "total_tokens": 4100}


@pytest.mark.parametrize("wire", NOT_OBJECTS, ids=repr)
async def test_embedding_usage_that_is_not_an_object(harness: Any, wire: Any) -> None:
    harness.server.script(_embeddings(wire))
    response = await harness.embed(["a"])
    assert response.usage == Usage()
    assert response.usage.details == {}


# ---------------------------------------------------------------------- tool-call arguments


@pytest.mark.parametrize(("arguments", "raw"), [([1, 2], "[1,2]"), (3, "3"), ("[1,2]", "[1,2]"), ("3", "3")])
async def test_arguments_that_are_not_an_object_are_a_typed_error(harness: Any, arguments: Any, raw: str) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    c = harness.chunk
    fragment = {"index": 0, **call}
    harness.server.script(
        Reply.json(completion(None, message)),
        harness.sse_reply([c({"role": "assistant", "tool_calls": [fragment]}), c({}, "tool_calls")]),
    )
    with pytest.raises(MalformedResponseError) as generated:
        await harness.generate("Hi")
    assert generated.value.raw_arguments == raw
    with pytest.raises(MalformedResponseError) as streamed:
        await harness.stream("Hi")
    assert streamed.value.raw_arguments == raw
