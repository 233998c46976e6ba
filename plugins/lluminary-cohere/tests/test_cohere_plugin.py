"""The distribution as a plugin: entry point, a light import, the catalogue and cost."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from typing import Any

import pytest

from lluminary._client import Client
from lluminary._cost import Catalogue, compute_cost
from lluminary._types import Usage
from lluminary_cohere import CohereProvider, plugin
from lluminary_cohere.catalogue import MODELS
from lluminary_testing import Reply, Scenario, sse


def test_entry_point() -> None:
    found = {ep.name: ep for ep in entry_points(group="lluminary")}
    assert found["cohere"].value == "lluminary_cohere:plugin"
    assert isinstance(plugin, CohereProvider)
    assert plugin.prefixes == ("cohere",)


def test_import_loads_no_http_library() -> None:
    code = "import sys, lluminary_cohere; print(sorted(m for m in ('httpx2', 'httpx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert out == "[]"


def test_catalogue() -> None:
    ids = [m.id for m in MODELS]
    assert len(ids) == len(set(ids))
    for required in (
        "cohere:command-a-03-2025",
        "cohere:command-a-reasoning-08-2025",
        "cohere:command-a-vision-07-2025",
        "cohere:command-r-plus-08-2024",
        "cohere:command-r-08-2024",
        "cohere:command-r7b-12-2024",
        "cohere:embed-v4.0",
        "cohere:embed-english-v3.0",
    ):
        assert required in ids
    for info in MODELS:
        assert info.provider == "cohere"
        assert info.input_price is not None
        assert info.output_price is not None
        assert info.context_window
        assert (info.kind == "embedding") == info.id.startswith("cohere:embed")
    assert tuple(CohereProvider().models()) == MODELS


def test_cost_with_cached_tokens() -> None:
    info = Catalogue(list(MODELS)).get("cohere:command-a-03-2025")
    cost = compute_cost(Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=400_000), info)
    assert cost is not None
    assert cost.input == pytest.approx(0.6 * 2.50)
    assert cost.cache_read == pytest.approx(0.4 * 2.50)
    assert cost.output == pytest.approx(0.1 * 10.00)


@pytest.mark.asyncio
async def test_through_the_client(fake_cohere: Any) -> None:
    """Loaded through its entry point, called through the kernel, priced from the catalogue."""
    client = Client(cache=False, exporters=[])
    fake_cohere.script(Scenario(text="Hi!", usage=Usage(input_tokens=2000, output_tokens=1000)))
    response = await client.agenerate(
        "cohere:command-r-08-2024", "Hello", api_key="k-1234567890", base_url=fake_cohere.base_url
    )
    assert response.text == "Hi!"
    assert response.provider == "cohere"
    assert response.cost is not None
    assert response.cost.total == pytest.approx(2000 * 0.15e-6 + 1000 * 0.60e-6)
    vectors = await client.aembed(
        "cohere:embed-v4.0", ["a", "b"], api_key="k-1234567890", base_url=fake_cohere.base_url
    )
    assert len(vectors.embeddings) == 2
    assert len(vectors.embeddings[0]) == 1536


#: The answer of the API reference's ``/v2/chat`` example (Cohere's OpenAPI document): 5 billed
#: input tokens, 71 tokens once Cohere's prompt template is counted.
DOCUMENTED_ANSWER = {
    "id": "c14c80c3-18eb-4519-9460-6c92edd8cfb4",
    "finish_reason": "COMPLETE",
    "message": {"role": "assistant", "content": [{"type": "text", "text": "LLMs have become increasingly powerful."}]},
    "usage": {
        "billed_units": {"input_tokens": 5, "output_tokens": 418},
        "tokens": {"input_tokens": 71, "output_tokens": 418},
    },
}


@pytest.mark.asyncio
@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_cost_is_the_billed_units(fake_cohere: Any, streamed: bool) -> None:
    """Cohere bills ``billed_units``, not ``tokens`` (which count its prompt template): the
    documented answer costs 5 x $2.50/M + 418 x $10/M on Command A, and the raw counts stay in
    ``usage.details``."""
    if streamed:
        start = {"type": "message-start", "id": DOCUMENTED_ANSWER["id"], "delta": {"message": {"role": "assistant"}}}
        text = DOCUMENTED_ANSWER["message"]["content"][0]["text"]  # type: ignore[index]
        events = [
            start,
            {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}},
            {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": text}}}},
            {"type": "content-end", "index": 0},
            {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": DOCUMENTED_ANSWER["usage"]}},
        ]
        fake_cohere.script(
            Reply(200, {"content-type": "text/event-stream"}, sse((e["type"], e) for e in events), stream=True)
        )
    else:
        fake_cohere.script(Reply.json(DOCUMENTED_ANSWER))
    async with Client(cache=False, exporters=[]) as client:
        options = {"api_key": "k-1234567890", "base_url": fake_cohere.base_url}
        if streamed:
            stream = client.astream("cohere:command-a-03-2025", "Tell me about LLMs", **options)
            _ = [event async for event in stream]
            response = await stream.response()
        else:
            response = await client.agenerate("cohere:command-a-03-2025", "Tell me about LLMs", **options)
        assert (response.usage.input_tokens, response.usage.output_tokens) == (5, 418)
        assert response.usage.details["tokens"] == {"input_tokens": 71, "output_tokens": 418}
        assert response.cost is not None
        assert response.cost.total == pytest.approx(5 * 2.50e-6 + 418 * 10.00e-6)  # $0.0041925
        assert client.cost.total == pytest.approx(0.0041925)
