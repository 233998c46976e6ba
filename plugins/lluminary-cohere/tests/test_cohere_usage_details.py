"""``usage.details``: the chat answer's ``usage`` as Cohere sent it (unknown fields included),
streamed or not, and the usage part of an embed answer's ``meta``."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary._streaming import accumulate
from lluminary._types import ChatResponse, Usage
from lluminary.sdk import from_json, to_json
from lluminary_testing import Reply, sse

#: A chat usage as Cohere sends it, plus a field no version of the plugin knows.
USAGE: dict[str, Any] = {
    "billed_units": {"input_tokens": 119, "output_tokens": 44, "search_units": 0, "classifications": 0},
    "tokens": {"input_tokens": 1549, "output_tokens": 95},
    "cached_tokens": 1504,
    "future_usage_field": {"nested": [1, 2]},
}


def answer(usage: Any) -> dict[str, Any]:
    return {
        "id": "4f2c",
        "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
        "usage": usage,
    }


def stream(usage: Any) -> Reply:
    events = [
        {"type": "message-start", "id": "4f2c", "delta": {"message": {"role": "assistant"}}},
        {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}},
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "ok"}}}},
        {"type": "content-end", "index": 0},
        {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage}},
    ]
    return Reply(200, {"content-type": "text/event-stream"}, sse((e["type"], e) for e in events), stream=True)


@pytest.mark.asyncio
async def test_generate_and_stream_keep_the_whole_usage_object(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(Reply.json(answer(USAGE)), stream(USAGE))
    generated = await provider.generate(chat())
    streamed = await accumulate(provider.stream(chat()), "cohere")
    assert generated.usage == Usage(119, 44, cache_read_tokens=119)
    assert generated.usage.details == USAGE
    assert streamed.usage.details == USAGE
    assert streamed.usage == generated.usage
    assert from_json(to_json(generated), ChatResponse).usage.details == USAGE


@pytest.mark.asyncio
@pytest.mark.parametrize("usage", [None, [1, 2], "garbage", 3], ids=repr)
async def test_a_usage_that_is_not_an_object_keeps_nothing(
    fake_cohere: Any, provider: Any, chat: Any, usage: Any
) -> None:
    fake_cohere.script(Reply.json(answer(usage)), stream(usage))
    generated = await provider.generate(chat())
    streamed = await accumulate(provider.stream(chat()), "cohere")
    for response in (generated, streamed):
        assert response.text == "ok"
        assert response.usage == Usage()
        assert response.usage.details == {}


@pytest.mark.asyncio
async def test_embed_keeps_the_usage_part_of_meta(fake_cohere: Any, provider: Any, embedding: Any) -> None:
    meta = {
        "api_version": {"version": "2", "is_experimental": False},
        "warnings": ["truncated"],
        "billed_units": {"input_tokens": 3, "images": 0},
        "future_usage_field": 5,
    }
    body = {"id": "e", "embeddings": {"float": [[1.0, 0.0]]}, "texts": ["a"], "meta": meta}
    fake_cohere.script(Reply.json(body))
    response = await provider.embed(embedding(["a"]))
    assert response.usage.input_tokens == 3
    assert response.usage.details == {"billed_units": {"input_tokens": 3, "images": 0}, "future_usage_field": 5}


@pytest.mark.asyncio
async def test_embed_batches_add_up_their_meta(fake_cohere: Any, provider: Any, embedding: Any) -> None:
    texts = [f"text number {i}" for i in range(250)]
    response = await provider.embed(embedding(texts, dimensions=4))
    assert len(fake_cohere.requests) == 3
    assert response.usage.input_tokens == 750
    assert response.usage.details == {"billed_units": {"input_tokens": 750}}


@pytest.mark.asyncio
@pytest.mark.parametrize("meta", [[1, 2], "garbage"], ids=repr)
async def test_embed_meta_that_is_not_an_object(fake_cohere: Any, provider: Any, embedding: Any, meta: Any) -> None:
    body = {"id": "e", "embeddings": {"float": [[1.0, 0.0]]}, "texts": ["a"], "meta": meta}
    fake_cohere.script(Reply.json(body))
    response = await provider.embed(embedding(["a"]))
    assert response.usage == Usage()
    assert response.usage.details == {}
