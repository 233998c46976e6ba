"""Embeddings through InvokeModel (Titan, Cohere) and token counting through CountTokens."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lluminary import _errors as errors
from lluminary._types import EmbedRequest, Tool
from lluminary_testing import ErrorScenario, Fault, Reply, Scenario
from lluminary_testing.bedrock_server import unit_vector

TITAN = "bedrock:amazon.titan-embed-text-v2:0"
COHERE = "bedrock:cohere.embed-english-v3"


def embed(model: str, *texts: str, **kwargs: Any) -> EmbedRequest:
    return EmbedRequest(model=model, inputs=tuple(texts), **kwargs)


async def test_titan_one_text_per_call(bedrock: Any, provider: Any) -> None:
    response = await provider.embed(embed(TITAN, "alpha beta", "gamma", "delta epsilon zeta", dimensions=256))
    assert response.embeddings == [unit_vector(t, 256) for t in ("alpha beta", "gamma", "delta epsilon zeta")]
    assert response.usage.input_tokens == 2 + 1 + 3
    assert response.model == "amazon.titan-embed-text-v2:0"
    assert response.provider == "bedrock"
    bodies = sorted((r.json() for r in bedrock.requests), key=lambda b: b["inputText"])
    assert bodies[0] == {"inputText": "alpha beta", "dimensions": 256, "normalize": True}
    assert {r.path for r in bedrock.requests} == {"/model/amazon.titan-embed-text-v2%3A0/invoke"}


async def test_titan_calls_run_concurrently_within_a_bound(bedrock: Any) -> None:
    from lluminary_bedrock import BedrockProvider

    def slow(request: Any) -> Reply:
        reply: Reply = bedrock.render(bedrock.default_responder(request), request)
        return reply.with_fault(Fault(delay_headers=0.05))

    bedrock.script(*[slow] * 10)
    provider = BedrockProvider(embed_concurrency=3)
    texts = [f"text {i}" for i in range(10)]
    response = await provider.embed(embed(TITAN, *texts))
    assert response.embeddings == [unit_vector(t, 1024) for t in texts]  # input order kept
    assert len(bedrock.requests) == 10
    assert bedrock.connections == 3  # three calls at a time, each on its own pooled connection


async def test_cohere_batches_of_96(bedrock: Any, provider: Any) -> None:
    texts = [f"document {i}" for i in range(200)]
    response = await provider.embed(embed(COHERE, *texts, input_type="query"))
    assert response.embeddings == [unit_vector(t, 1024) for t in texts]
    bodies = sorted((r.json() for r in bedrock.requests), key=lambda b: b["texts"][0] != "document 0")
    sizes = sorted(len(b["texts"]) for b in bodies)
    assert sizes == [8, 96, 96]
    assert all(b["input_type"] == "search_query" for b in bodies)
    assert response.usage.input_tokens == 200 * 2  # from the x-amzn-bedrock-input-token-count headers


async def test_cohere_v4_dimensions_and_typed_answers(bedrock: Any, provider: Any) -> None:
    response = await provider.embed(embed("bedrock:us.cohere.embed-v4:0", "one", dimensions=256))
    assert response.embeddings == [unit_vector("one", 256)]
    assert bedrock.last_request.json() == {"texts": ["one"], "input_type": "search_document", "output_dimension": 256}


async def test_fixed_dimension_models_reject_dimensions(bedrock: Any, provider: Any) -> None:
    with pytest.raises(errors.RequestValidationError, match="fixed dimensions"):
        await provider.embed(embed(COHERE, "x", dimensions=256))
    assert bedrock.requests == []


async def test_unknown_embedding_model(bedrock: Any, provider: Any) -> None:
    with pytest.raises(errors.UnsupportedError, match="Titan"):
        await provider.embed(embed("bedrock:anthropic.claude-haiku-4-5-20251001-v1:0", "x"))


async def test_an_error_in_one_call_fails_the_whole_embed(bedrock: Any, provider: Any) -> None:
    bedrock.script(ErrorScenario("rate_limit"))
    with pytest.raises(errors.RateLimitError):
        await provider.embed(embed(TITAN, "a", "b", "c"))


async def test_embedding_answer_without_vectors(bedrock: Any, provider: Any) -> None:
    bedrock.script(Reply.json({"embeddings": "nope"}))
    with pytest.raises(errors.MalformedResponseError):
        await provider.embed(embed(COHERE, "a"))


async def test_embedding_timeout(bedrock: Any, provider: Any) -> None:
    bedrock.script(Reply.json({"embedding": [0.1]}).with_fault(Fault(delay_headers=1.0)))
    with pytest.raises(errors.APITimeoutError):
        await provider.embed(embed(TITAN, "a", timeout=0.2))


async def test_count_tokens(bedrock: Any, provider: Any, chat: Any) -> None:
    request = chat(
        "How many tokens is this?",
        model="bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0",
        system="Be brief.",
        tools=(Tool("get_time"),),
        max_tokens=100,
    )
    count = await provider.count_tokens(request)
    recorded = bedrock.last_request
    assert recorded.path == "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/count-tokens"
    body = recorded.json()
    assert set(body) == {"input"}
    converse = body["input"]["converse"]
    assert converse["messages"] == [{"role": "user", "content": [{"text": "How many tokens is this?"}]}]
    assert converse["system"] == [{"text": "Be brief."}]
    assert converse["toolConfig"]["tools"][0]["toolSpec"]["name"] == "get_time"
    assert "inferenceConfig" not in converse
    assert count > 5


async def test_count_tokens_does_not_consume_a_chat_scenario(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(Scenario(text="for the chat call"))
    await provider.count_tokens(chat("Hi"))
    response = await provider.generate(chat("Hi"))
    assert response.text == "for the chat call"


async def test_count_tokens_errors(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(ErrorScenario("not_found"))
    with pytest.raises(errors.NotFoundError):
        await provider.count_tokens(chat("Hi"))
    bedrock.script(Reply.json({"tokens": 3}))
    with pytest.raises(errors.MalformedResponseError):
        await provider.count_tokens(chat("Hi"))


async def test_embed_through_the_client(bedrock: Any) -> None:
    from lluminary._client import Client
    from lluminary._plugins import PluginManager
    from lluminary_bedrock import BedrockProvider

    plugins = PluginManager()
    plugins.register(BedrockProvider(), name="bedrock-test")
    client = Client(plugins=plugins, cache=False, exporters=[])
    response = await client.aembed(TITAN, ["hello world"])
    assert response.embeddings == [unit_vector("hello world", 1024)]
    assert response.cost is not None
    assert response.cost.input == pytest.approx(2 * 0.02 / 1e6)
    await asyncio.sleep(0)
