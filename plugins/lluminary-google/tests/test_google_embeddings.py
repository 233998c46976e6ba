"""Embeddings on the Gemini API: embedContent for one text, batchEmbedContents in batches of 100."""

from __future__ import annotations

import math
from typing import Any

import pytest

from lluminary._errors import MalformedResponseError
from lluminary_google.embeddings import estimate_tokens
from lluminary_testing.server import Reply


async def test_one_text_uses_embed_content(harness: Any) -> None:
    response = await harness.embed("hello world", dimensions=8, input_type="query")
    assert harness.path() == "/v1beta/models/gemini-embedding-001:embedContent"
    assert harness.body() == {
        "model": "models/gemini-embedding-001",
        "content": {"parts": [{"text": "hello world"}]},
        "taskType": "RETRIEVAL_QUERY",
        "outputDimensionality": 8,
    }
    assert len(response.embeddings) == 1
    assert len(response.embeddings[0]) == 8
    assert response.model == "gemini-embedding-001"
    assert response.provider == "google"


async def test_many_texts_use_batches_of_100(harness: Any) -> None:
    texts = [f"text {i}" for i in range(250)]
    response = await harness.embed(texts, dimensions=4, input_type="document")
    paths = [r.path for r in harness.server.requests]
    assert paths == ["/v1beta/models/gemini-embedding-001:batchEmbedContents"] * 3
    sizes = [len(r.json()["requests"]) for r in harness.server.requests]
    assert sizes == [100, 100, 50]
    first = harness.server.requests[0].json()["requests"][0]
    assert first == {
        "model": "models/gemini-embedding-001",
        "content": {"parts": [{"text": "text 0"}]},
        "taskType": "RETRIEVAL_DOCUMENT",
        "outputDimensionality": 4,
    }
    assert len(response.embeddings) == 250
    # In input order: the same text in another batch gets the same vector.
    again = await harness.embed(["text 0", "text 249"], dimensions=4)
    assert again.embeddings == [response.embeddings[0], response.embeddings[249]]
    assert all(math.isfinite(x) for v in response.embeddings for x in v)


@pytest.mark.parametrize(
    ("input_type", "task"),
    [
        ("query", "RETRIEVAL_QUERY"),
        ("document", "RETRIEVAL_DOCUMENT"),
        ("classification", "CLASSIFICATION"),
        ("clustering", "CLUSTERING"),
    ],
)
async def test_task_types(harness: Any, input_type: str, task: str) -> None:
    await harness.embed(["a", "b"], input_type=input_type)
    assert {r["taskType"] for r in harness.body()["requests"]} == {task}


async def test_options_task_type_and_title(harness: Any) -> None:
    await harness.embed("doc", options={"google": {"task_type": "SEMANTIC_SIMILARITY", "title": "Doc title"}})
    body = harness.body()
    assert body["taskType"] == "SEMANTIC_SIMILARITY"
    assert body["title"] == "Doc title"
    assert "outputDimensionality" not in body


async def test_usage_when_reported(harness: Any) -> None:
    harness.server.script(Reply.json({"embedding": {"values": [0.1, 0.2]}, "usageMetadata": {"promptTokenCount": 4}}))
    response = await harness.embed("four tokens right here")
    assert response.usage.input_tokens == 4


async def test_empty_input_makes_no_request(harness: Any) -> None:
    from lluminary._types import EmbedRequest

    # The kernel refuses an empty input list; a request built by hand still costs no call.
    request = EmbedRequest("google:gemini-embedding-001", (), base_url=harness.server.base_url)
    response = await harness.provider.embed(request)
    assert response.embeddings == []
    assert harness.server.requests == []


@pytest.mark.parametrize(
    "body",
    [{"embeddings": [{"values": [0.1]}]}, {"embeddings": [{"vals": []}, {"values": [1]}]}, {"nothing": 1}, [1, 2]],
    ids=["too-few", "no-values", "no-embeddings", "not-an-object"],
)
async def test_malformed_answers(harness: Any, body: Any) -> None:
    harness.server.script(Reply.json(body))
    with pytest.raises(MalformedResponseError):
        await harness.embed(["a", "b"])


async def test_through_the_client_with_cost(harness: Any) -> None:
    from lluminary._client import Client

    client = Client(cache=False)
    response = await client.aembed(
        "google:gemini-embedding-001", ["x", "y"], dimensions=3, base_url=harness.server.base_url, api_key=harness.key
    )
    assert [len(v) for v in response.embeddings] == [3, 3]
    assert response.cost is not None


def test_token_estimate() -> None:
    """About four characters a token for Latin script, one a character for other scripts."""
    assert estimate_tokens(["abcd" * 100]) == 100
    assert estimate_tokens(["abcde"]) == 2  # rounded up
    assert estimate_tokens(["Grüße aus Zürich"]) == 4  # Latin letters with accents are Latin script
    assert estimate_tokens(["東京タワー"]) == 5
    assert estimate_tokens(["a", "", "b"]) == 2  # at least one a text; nothing for an empty one


async def test_unreported_usage_is_estimated_and_priced(harness: Any) -> None:
    """The Gemini API's embedding answers report no usage: the tokens are estimated offline, so
    the call has a cost (at Google's $0.15 per million input tokens) and counts against a budget."""
    from lluminary._client import Client

    texts = ["abcd" * 100] * 3  # 100 tokens each by the estimate
    async with Client(cache=False, exporters=[], budget=1.0) as client:
        response = await client.aembed(
            "google:gemini-embedding-001", texts, base_url=harness.server.base_url, api_key=harness.key
        )
        assert response.usage.input_tokens == 300
        assert response.usage.details == {"estimated_input_tokens": 300}
        assert response.cost is not None
        assert response.cost.total == pytest.approx(300 * 0.15 / 1e6)
        assert client.cost.total == pytest.approx(300 * 0.15 / 1e6)
        assert client.usage.input_tokens == 300
