"""``usage.details``: Converse's ``usage`` as Bedrock sent it (the stream's ``metadata`` usage),
and the counts an InvokeModel embedding answer carries."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary._streaming import accumulate
from lluminary._types import ChatResponse, EmbedRequest, Usage
from lluminary.sdk import from_json, to_json
from lluminary_testing import Reply, eventstream as es

STREAM_HEADERS = {"content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "rid-u"}
TITAN = "bedrock:amazon.titan-embed-text-v2:0"
COHERE = "bedrock:cohere.embed-english-v3"

#: Converse usage with the cache counters, plus fields no version of the plugin knows.
USAGE: dict[str, Any] = {
    "inputTokens": 12,
    "outputTokens": 45,
    "totalTokens": 165,
    "cacheReadInputTokens": 100,
    "cacheWriteInputTokens": 8,
    "serverToolUsage": {"webSearch": 1},
    "futureUsageField": {"nested": [1, 2]},
}


def ev(name: str, **payload: Any) -> bytes:
    return es.event(name, {**payload, "p": "padding0123456789"})


def converse(usage: Any) -> Reply:
    body = {"output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}}, "stopReason": "end_turn"}
    body["usage"] = usage
    body["metrics"] = {"latencyMs": 9}
    return Reply.json(body, headers={"x-amzn-requestid": "rid-u"})


def stream(usage: Any) -> Reply:
    frames = [
        ev("messageStart", role="assistant"),
        ev("contentBlockDelta", contentBlockIndex=0, delta={"text": "ok"}),
        ev("contentBlockStop", contentBlockIndex=0),
        ev("messageStop", stopReason="end_turn"),
        ev("metadata", usage=usage, metrics={"latencyMs": 9}),
    ]
    return Reply(200, STREAM_HEADERS, frames, stream=True)


async def test_generate_and_stream_keep_the_usage_object(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(converse(USAGE), stream(USAGE))
    generated = await provider.generate(chat("Hi"))
    streamed = await accumulate(provider.stream(chat("Hi")), "bedrock")
    assert generated.usage == Usage(120, 45, cache_read_tokens=100, cache_write_tokens=8)
    assert generated.usage.details == USAGE
    assert streamed.usage.details == USAGE
    assert streamed == generated
    assert from_json(to_json(generated), ChatResponse).usage.details == USAGE


@pytest.mark.parametrize("usage", [None, [1, 2], "garbage", 3], ids=repr)
async def test_a_usage_that_is_not_an_object_keeps_nothing(bedrock: Any, provider: Any, chat: Any, usage: Any) -> None:
    bedrock.script(converse(usage), stream(usage))
    generated = await provider.generate(chat("Hi"))
    streamed = await accumulate(provider.stream(chat("Hi")), "bedrock")
    for response in (generated, streamed):
        assert response.text == "ok"
        assert response.usage == Usage()
        assert response.usage.details == {}


# ---------------------------------------------------------------------- embeddings


def embed(model: str, *texts: str) -> EmbedRequest:
    return EmbedRequest(model=model, inputs=tuple(texts))


async def test_titan_counts_add_up_in_details(bedrock: Any, provider: Any) -> None:
    """The fake sends Titan's ``inputTextTokenCount`` and the token-count header: both are kept,
    under the names the answer gives them, summed over the calls."""
    response = await provider.embed(embed(TITAN, "alpha beta", "gamma"))
    assert response.usage.input_tokens == 3
    assert response.usage.details == {"inputTextTokenCount": 3, "x-amzn-bedrock-input-token-count": 3}


async def test_titan_count_without_the_header(bedrock: Any, provider: Any) -> None:
    bedrock.script(Reply.json({"embedding": [0.5, 0.5], "inputTextTokenCount": 4}))
    response = await provider.embed(embed(TITAN, "four tokens in here"))
    assert response.usage.input_tokens == 4
    assert response.usage.details == {"inputTextTokenCount": 4}


async def test_cohere_count_comes_from_the_header(bedrock: Any, provider: Any) -> None:
    response = await provider.embed(embed(COHERE, "one two", "three"))
    assert response.usage.input_tokens == 3
    assert response.usage.details == {"x-amzn-bedrock-input-token-count": 3}


async def test_an_answer_without_counts_keeps_nothing(bedrock: Any, provider: Any) -> None:
    bedrock.script(Reply.json({"embedding": [0.5, 0.5], "inputTextTokenCount": "many"}))
    response = await provider.embed(embed(TITAN, "text"))
    assert response.usage == Usage()
    assert response.usage.details == {}
