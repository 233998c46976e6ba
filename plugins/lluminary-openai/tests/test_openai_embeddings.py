"""Embeddings: the request body, batching by 2048, base64 and float vectors, usage."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lluminary.sdk import InvalidRequestError, MalformedResponseError
from lluminary_openai import OpenAICompatible
from lluminary_openai.embeddings import batches, decode_vector
from lluminary_testing.openai_server import embedding_vector
from lluminary_testing.server import Reply


async def test_body_and_base64_vectors(harness: Any) -> None:
    response = await harness.embed(["alpha", "beta"], dimensions=8, options={"openai": {"user": "u1"}})
    assert harness.body() == {
        "model": "text-embedding-3-small",
        "input": ["alpha", "beta"],
        "encoding_format": "base64",
        "dimensions": 8,
        "user": "u1",
    }
    assert harness.server.last_request.path == "/v1/embeddings"
    assert response.embeddings == [embedding_vector("alpha", 8), embedding_vector("beta", 8)]
    assert response.model == "text-embedding-3-small"
    assert response.usage.input_tokens == 2


async def test_float_encoding_on_request(harness: Any) -> None:
    response = await harness.embed(["alpha"], dimensions=4, options={"openai": {"encoding_format": "float"}})
    assert harness.body()["encoding_format"] == "float"
    assert response.embeddings == [embedding_vector("alpha", 4)]


async def test_batches_of_2048_keep_order_and_sum_usage(harness: Any) -> None:
    texts = [f"text {i}" for i in range(5000)]
    response = await harness.embed(texts, dimensions=2)
    sizes = sorted(len(r.json()["input"]) for r in harness.server.requests)
    assert sizes == [904, 2048, 2048]
    assert len(response.embeddings) == 5000
    assert response.embeddings[4321] == embedding_vector("text 4321", 2)
    assert response.usage.input_tokens == 10000


async def test_vectors_are_ordered_by_index(harness: Any) -> None:
    data = [
        {"object": "embedding", "index": 1, "embedding": [1.0]},
        {"object": "embedding", "index": 0, "embedding": [0.0]},
    ]
    harness.server.script(
        Reply.json({"object": "list", "data": data, "model": "m", "usage": {"prompt_tokens": 2, "total_tokens": 2}})
    )
    response = await harness.embed(["a", "b"])
    assert response.embeddings == [[0.0], [1.0]]


async def test_wrong_count_and_errors(harness: Any) -> None:
    harness.server.script(Reply.json({"object": "list", "data": [], "model": "m"}))
    with pytest.raises(MalformedResponseError, match="asked for 1"):
        await harness.embed(["a"])
    with pytest.raises(InvalidRequestError, match="does not support specifying dimensions"):
        await harness.embed(["a"], model="openai:text-embedding-ada-002", dimensions=8)


async def test_compatible_servers_default_to_float(fake_openai: Any) -> None:
    from lluminary.sdk import aclose_default_pools, build_embed_request

    provider = OpenAICompatible("local", fake_openai.base_url)
    try:
        await provider.embed(build_embed_request("local:bge", ["x"], api_key="sk-test-0123456789abcdef"))
    finally:
        await aclose_default_pools()
    assert json.loads(fake_openai.last_request.body)["encoding_format"] == "float"


def test_helpers() -> None:
    assert [len(b) for b in batches([str(i) for i in range(4097)])] == [2048, 2048, 1]
    assert decode_vector("AACAPwAAAEA=", "openai") == [1.0, 2.0]
    with pytest.raises(MalformedResponseError):
        decode_vector(3, "openai")
