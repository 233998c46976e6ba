"""``usage.details``: ``usageMetadata`` as Gemini sent it (``toolUsePromptTokenCount`` and the
per-modality counts, which the normalised usage folds together), on every path, embeddings
included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from lluminary._transport import default_pools
from lluminary.sdk import ChatResponse, Usage, from_json, to_json
from lluminary_google import VertexProvider
from lluminary_testing.server import Reply

#: usageMetadata of an answer that ran a tool (code execution, search) and thought, plus a
#: field no version of the plugin knows.
META: dict[str, Any] = {
    "promptTokenCount": 120,
    "candidatesTokenCount": 15,
    "totalTokenCount": 190,
    "cachedContentTokenCount": 100,
    "thoughtsTokenCount": 30,
    "toolUsePromptTokenCount": 25,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 110}, {"modality": "IMAGE", "tokenCount": 10}],
    "toolUsePromptTokensDetails": [{"modality": "TEXT", "tokenCount": 25}],
    "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 100}],
    "futureTokenCount": {"nested": [1, 2]},
}


async def test_generate_keeps_usage_metadata(harness: Any) -> None:
    harness.server.script(harness.json_reply(harness.chunk([{"text": "ok"}], finish="STOP", usage=META)))
    response = await harness.generate()
    # input counts the tool-use prompt too; the details keep it apart
    assert response.usage == Usage(145, 45, cache_read_tokens=100, reasoning_tokens=30)
    assert response.usage.details == META
    assert response.usage.details["toolUsePromptTokenCount"] == 25
    assert from_json(to_json(response), ChatResponse).usage.details == META


async def test_stream_keeps_the_last_usage_metadata(harness: Any) -> None:
    c = harness.chunk
    early = {"promptTokenCount": 120, "totalTokenCount": 120}
    harness.server.script(
        harness.sse_reply([c([{"text": "o"}], usage=early), c([{"text": "k"}], finish="STOP", usage=META)]),
        harness.json_reply(c([{"text": "ok"}], finish="STOP", usage=META)),
    )
    _, streamed = await harness.stream()
    generated = await harness.generate()
    assert streamed.usage.details == META
    assert streamed.usage.details == generated.usage.details
    assert streamed.usage == generated.usage


@pytest.mark.parametrize("meta", [[1, 2], "garbage", 3], ids=repr)
async def test_usage_metadata_that_is_not_an_object_keeps_nothing(harness: Any, meta: Any) -> None:
    c = harness.chunk
    harness.server.script(
        harness.json_reply(c([{"text": "ok"}], finish="STOP", usage=meta)),
        harness.sse_reply([c([{"text": "ok"}], finish="STOP", usage=meta)]),
    )
    generated = await harness.generate()
    _, streamed = await harness.stream()
    for response in (generated, streamed):
        assert response.text == "ok"
        assert response.usage == Usage()
        assert response.usage.details == {}


# ---------------------------------------------------------------------- embeddings


async def test_embedding_usage_metadata_is_kept(harness: Any) -> None:
    meta = {"promptTokenCount": 4, "futureTokenCount": 1}
    harness.server.script(Reply.json({"embedding": {"values": [0.1, 0.2]}, "usageMetadata": meta}))
    response = await harness.embed("four tokens right here")
    assert response.usage.input_tokens == 4
    assert response.usage.details == meta


async def test_embedding_batches_add_up_their_usage_metadata(harness: Any) -> None:
    def batch(size: int, tokens: int) -> Reply:
        return Reply.json({"embeddings": [{"values": [0.1]}] * size, "usageMetadata": {"promptTokenCount": tokens}})

    harness.server.script(batch(100, 300), batch(2, 5))
    response = await harness.embed([f"t{i}" for i in range(102)])
    assert len(harness.server.requests) == 2
    assert response.usage.input_tokens == 305
    assert response.usage.details == {"promptTokenCount": 305}


async def test_an_estimate_keeps_its_marker_and_what_the_answer_said(harness: Any) -> None:
    harness.server.script(Reply.json({"embedding": {"values": [0.1]}, "usageMetadata": {"futureTokenCount": 9}}))
    response = await harness.embed("abcd" * 10)
    assert response.usage.input_tokens == 10
    assert response.usage.details == {"futureTokenCount": 9, "estimated_input_tokens": 10}


async def test_an_unreported_usage_is_an_estimate_marked_as_one(harness: Any) -> None:
    response = await harness.embed(["abcd" * 10, "abcd" * 5])
    assert response.usage.input_tokens == 15
    assert response.usage.details == {"estimated_input_tokens": 15}


@pytest.mark.parametrize("meta", [[1, 2], "garbage", 3], ids=repr)
async def test_embedding_usage_metadata_that_is_not_an_object(harness: Any, meta: Any) -> None:
    harness.server.script(Reply.json({"embedding": {"values": [0.1]}, "usageMetadata": meta}))
    response = await harness.embed("abcd" * 10)
    assert response.usage.details == {"estimated_input_tokens": 10}


class StaticCredentials:
    token = "ya29.test-access-token-0123456789"
    valid = True
    quota_project_id = None

    def refresh(self, request: Any) -> None:
        raise AssertionError("a valid token is never refreshed")


@pytest_asyncio.fixture
async def vertex(harness: Any) -> AsyncIterator[Any]:
    harness.provider = VertexProvider(credentials=StaticCredentials(), project="proj-1", location="us-central1")
    try:
        yield harness
    finally:
        await default_pools.aclose()


async def test_vertex_predict_keeps_its_metadata(vertex: Any) -> None:
    """``:predict`` counts tokens per embedding (``statistics``) and bills characters
    (``metadata.billableCharacterCount``, one per call from the fake): each call's metadata adds up."""
    response = await vertex.embed(["a", "b", "c"], model="vertex:gemini-embedding-001")
    assert response.usage.input_tokens == 3
    assert response.usage.details == {"billableCharacterCount": 3}
