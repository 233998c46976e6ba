"""``usage.details``: Ollama has no usage object, so the count and duration fields of the final
object (and of an embed answer) are kept as they came."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary import ChatResponse, Client, Usage
from lluminary.sdk import from_json, to_json
from lluminary_testing import Reply, ndjson
from lluminary_testing.ollama_server import FakeOllamaServer

MODEL = "ollama:llama3.2"
EMBED_MODEL = "ollama:nomic-embed-text"

#: The usage fields of a final object, plus a count no version of the plugin knows.
COUNTS: dict[str, Any] = {
    "total_duration": 174_560_334,
    "load_duration": 101_397_084,
    "prompt_eval_count": 120,
    "prompt_eval_duration": 13_074_791,
    "eval_count": 45,
    "eval_duration": 52_479_709,
    "future_count": 3,
}


def final(content: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "model": "llama3.2",
        "created_at": "2025-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": content},
        "done": True,
        "done_reason": "stop",
        **extra,
    }


def first(content: str) -> dict[str, Any]:
    return {**final(content), "done": False, "done_reason": None}


async def both(client: Client, server: FakeOllamaServer, counts: dict[str, Any]) -> tuple[ChatResponse, ChatResponse]:
    server.script(
        Reply.json(final("ok", **counts)),
        Reply(200, {"content-type": "application/x-ndjson"}, ndjson([first("ok"), final(**counts)]), stream=True),
    )
    generated = await client.agenerate(MODEL, "Hi", base_url=server.base_url)
    stream = client.astream(MODEL, "Hi", base_url=server.base_url)
    async for _ in stream:
        pass
    return generated, await stream.response()


async def test_the_counts_and_durations_are_kept(client: Client, fake_ollama: FakeOllamaServer) -> None:
    generated, streamed = await both(client, fake_ollama, COUNTS)
    assert generated.usage == Usage(120, 45)
    assert generated.usage.details == COUNTS
    assert streamed.usage.details == COUNTS
    assert streamed == generated
    assert from_json(to_json(generated), ChatResponse).usage.details == COUNTS


async def test_counts_that_are_not_numbers_count_nothing(client: Client, fake_ollama: FakeOllamaServer) -> None:
    """Odd values stay in details as they came; only numbers (or digits) count."""
    odd = {"prompt_eval_count": "12", "eval_count": None, "eval_duration": [1], "total_duration": True}
    generated, streamed = await both(client, fake_ollama, odd)
    for response in (generated, streamed):
        assert response.text == "ok"
        assert response.usage == Usage(12, 0)
        assert response.usage.details == odd


async def test_embed_keeps_its_counts_and_durations(client: Client, fake_ollama: FakeOllamaServer) -> None:
    response = await client.aembed(EMBED_MODEL, ["one two", "three"], base_url=fake_ollama.base_url)
    assert response.usage.input_tokens == 3
    assert response.usage.details == {"total_duration": 14_143_917, "load_duration": 1_019_500, "prompt_eval_count": 3}


@pytest.mark.parametrize("count", ["many", [3], None], ids=repr)
async def test_embed_count_that_is_not_a_number(client: Client, fake_ollama: FakeOllamaServer, count: Any) -> None:
    body = {"model": "nomic-embed-text", "embeddings": [[0.1, 0.2]], "prompt_eval_count": count}
    fake_ollama.script(Reply.json(body))
    response = await client.aembed(EMBED_MODEL, ["x"], base_url=fake_ollama.base_url)
    assert response.usage == Usage()
    assert response.usage.details == {"prompt_eval_count": count}


async def test_embed_without_counts_keeps_nothing(client: Client, fake_ollama: FakeOllamaServer) -> None:
    fake_ollama.script(Reply.json({"model": "nomic-embed-text", "embeddings": [[0.1, 0.2]]}))
    response = await client.aembed(EMBED_MODEL, ["x"], base_url=fake_ollama.base_url)
    assert response.usage == Usage()
    assert response.usage.details == {}
