"""/v2/embed: the request body, input types, batching past 96 texts (concurrent, in order), usage
and failures; /v1/tokenize for count_tokens."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lluminary import _errors as errors
from lluminary._types import Message, ToolCallPart
from lluminary_testing import ErrorScenario, Fault, Reply
from lluminary_testing.cohere_server import render_embeddings, render_tokens, vector


@pytest.mark.asyncio
async def test_body_and_result(fake_cohere: Any, provider: Any, embedding: Any) -> None:
    response = await provider.embed(embedding(["alpha", "beta"], dimensions=256))
    assert fake_cohere.last_request.path == "/v2/embed"
    assert fake_cohere.last_request.json() == {
        "model": "embed-v4.0",
        "texts": ["alpha", "beta"],
        "input_type": "search_document",
        "embedding_types": ["float"],
        "output_dimension": 256,
    }
    assert response.embeddings == [vector("alpha", 256), vector("beta", 256)]
    assert response.model == "embed-v4.0"
    assert response.provider == "cohere"
    assert response.usage.input_tokens == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (None, "search_document"),
        ("document", "search_document"),
        ("query", "search_query"),
        ("classification", "classification"),
        ("clustering", "clustering"),
    ],
)
async def test_input_types(fake_cohere: Any, provider: Any, embedding: Any, given: str | None, sent: str) -> None:
    await provider.embed(embedding(["x"], input_type=given))
    assert fake_cohere.last_request.json()["input_type"] == sent


@pytest.mark.asyncio
async def test_options_pass_through(fake_cohere: Any, provider: Any, embedding: Any) -> None:
    await provider.embed(embedding(["x"], options={"cohere": {"truncate": "START", "input_type": "image"}}))
    sent = fake_cohere.last_request.json()
    assert sent["truncate"] == "START"
    assert sent["input_type"] == "image"


@pytest.mark.asyncio
async def test_batches_of_96_in_order_and_concurrent(fake_cohere: Any, provider: Any, embedding: Any) -> None:
    texts = [f"text number {i}" for i in range(250)]
    # Slow answers, so a sequential client would take 3 x 0.3 s.
    fake_cohere.responder = _slow(0.3)
    started = asyncio.get_running_loop().time()
    response = await provider.embed(embedding(texts, dimensions=8))
    elapsed = asyncio.get_running_loop().time() - started
    sizes = sorted(len(r.json()["texts"]) for r in fake_cohere.requests)
    assert sizes == [58, 96, 96]
    assert response.embeddings == [vector(t, 8) for t in texts]
    assert response.usage.input_tokens == 750
    assert elapsed < 0.8, f"batches ran one after another ({elapsed:.2f}s)"


def _slow(seconds: float) -> Any:
    def answer(request: Any) -> Reply:
        return Reply.json(render_embeddings(request.json())).with_fault(Fault(delay_headers=seconds))

    return answer


@pytest.mark.asyncio
async def test_concurrency_is_bounded(fake_cohere: Any, embedding: Any) -> None:
    from lluminary_cohere import CohereProvider

    provider = CohereProvider(max_concurrency=1)
    texts = [str(i) for i in range(200)]
    response = await provider.embed(embedding(texts, dimensions=4))
    assert len(response.embeddings) == 200
    assert fake_cohere.connections == 1  # one at a time: the pooled connection is reused


@pytest.mark.asyncio
async def test_one_failing_batch_fails_the_call(fake_cohere: Any, provider: Any, embedding: Any) -> None:
    fake_cohere.script(ErrorScenario("rate_limit", message="slow down", retry_after=1))
    with pytest.raises(errors.RateLimitError, match="slow down"):
        await provider.embed(embedding([str(i) for i in range(200)], dimensions=4))


@pytest.mark.asyncio
async def test_wrong_number_of_vectors(fake_cohere: Any, provider: Any, embedding: Any) -> None:
    fake_cohere.script(
        Reply.json({"id": "e", "embeddings": {"float": [[0.1, 0.2]]}, "response_type": "embeddings_by_type"})
    )
    with pytest.raises(errors.MalformedResponseError, match="asked for 2 embeddings, got 1"):
        await provider.embed(embedding(["a", "b"]))


@pytest.mark.asyncio
async def test_floats_response_shape(fake_cohere: Any, provider: Any, embedding: Any) -> None:
    body = {
        "id": "e",
        "embeddings": [[1.0, 0.0]],
        "texts": ["a"],
        "response_type": "embeddings_floats",
        "meta": {"billed_units": {"input_tokens": 3}},
    }
    fake_cohere.script(Reply.json(body))
    response = await provider.embed(embedding(["a"]))
    assert response.embeddings == [[1.0, 0.0]]
    assert response.usage.input_tokens == 3


@pytest.mark.asyncio
async def test_embed_without_floats(fake_cohere: Any, provider: Any, embedding: Any) -> None:
    fake_cohere.script(Reply.json({"id": "e", "embeddings": {"int8": [[1, 2]]}}))
    with pytest.raises(errors.MalformedResponseError):
        await provider.embed(embedding(["a"]))


# --------------------------------------------------------------------------- count_tokens


@pytest.mark.asyncio
async def test_count_tokens(fake_cohere: Any, provider: Any, chat: Any) -> None:
    call = ToolCallPart("c1", "get_weather", {"city": "Oslo"})
    request = chat(
        None,
        system="Be brief.",
        messages=[Message.user("Hello, world"), Message.assistant(call), Message.tool("c1", "cold")],
    )
    count = await provider.count_tokens(request)
    sent = fake_cohere.last_request
    assert sent.path == "/v1/tokenize"
    assert sent.json() == {
        "text": 'Be brief.\nHello, world\nget_weather {"city": "Oslo"}\ncold',
        "model": "command-a-03-2025",
    }
    assert count == len(render_tokens(sent.json())["tokens"]) == 17


@pytest.mark.asyncio
async def test_count_tokens_of_long_text_in_pieces(fake_cohere: Any, provider: Any, chat: Any) -> None:
    text = "word " * 30_000  # 150,000 characters: three tokenize calls, sent at once
    count = await provider.count_tokens(chat(text))
    sizes = sorted(len(r.json()["text"]) for r in fake_cohere.requests)  # they arrive in any order
    assert sizes == sorted([65_536, 65_536, 150_000 - 2 * 65_536])
    assert count >= 30_000 - 2


@pytest.mark.asyncio
async def test_count_tokens_errors(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(ErrorScenario("not_found", message="model not found"), Reply.json({"token_strings": []}))
    with pytest.raises(errors.NotFoundError):
        await provider.count_tokens(chat())
    with pytest.raises(errors.MalformedResponseError):
        await provider.count_tokens(chat())


@pytest.mark.asyncio
async def test_count_tokens_through_the_client(fake_cohere: Any) -> None:
    from lluminary._client import Client

    client = Client(cache=False, exporters=[])
    count = await client.acount_tokens(
        "cohere:command-r7b-12-2024", "one two three", api_key="k-123456789", base_url=fake_cohere.base_url
    )
    assert count == 3


@pytest.mark.asyncio
async def test_reset_while_embedding(fake_cohere: Any, provider: Any, embedding: Any) -> None:
    fake_cohere.script(Reply.json({}).with_fault(Fault(reset_after=0)))
    with pytest.raises(errors.APIConnectionError):
        await provider.embed(embedding(["a"]))
