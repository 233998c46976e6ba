"""The model catalogue (prices, context windows) and offline token counting."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary import Client
from lluminary._cost import compute_cost
from lluminary.sdk import Cost, Message, Tool, ToolCallPart, Usage, build_chat_request
from lluminary_openai import count_request_tokens, count_tokens, encoding_for, estimate_tokens, exact
from lluminary_openai.models import catalogue
from lluminary_testing import Scenario


def test_catalogue_entries() -> None:
    models = {m.id: m for m in catalogue()}
    mini = models["openai:gpt-4o-mini"]
    assert (mini.input_price, mini.cache_read_price, mini.output_price) == (0.15, 0.075, 0.60)
    assert mini.context_window == 128_000
    assert mini.max_output_tokens == 16_384
    assert "reasoning" in models["openai:o4-mini"].capabilities
    assert models["openai:text-embedding-3-small"].kind == "embedding"
    assert all(m.input_price is not None and m.id.startswith("openai:") for m in models.values())
    assert len(models) >= 25


def test_cost_with_cached_and_reasoning_tokens() -> None:
    info = {m.id: m for m in catalogue()}["openai:o4-mini"]
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cache_read_tokens=400_000, reasoning_tokens=700_000)
    cost = compute_cost(usage, info)
    assert cost == Cost(input=pytest.approx(0.66), output=pytest.approx(4.40), cache_read=pytest.approx(0.11))  # type: ignore[arg-type]


async def test_client_prices_calls_and_snapshots(fake_openai: Any) -> None:
    client = Client(cache=False)
    fake_openai.script(Scenario(text="ok", usage=Usage(1_000_000, 1_000_000)))
    async with client:
        response = await client.agenerate(
            "openai:gpt-4o-mini-2024-07-18", "hi", base_url=fake_openai.base_url, api_key="sk-test-0123456789abcdef"
        )
    assert response.cost is not None
    assert response.cost.total == pytest.approx(0.75)
    assert client.model_info("openai:gpt-4.1").context_window == 1_047_576  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-5.4", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
    ],
)
def test_encodings(model: str, encoding: str) -> None:
    assert encoding_for(model) == encoding


def test_estimate_is_reasonable() -> None:
    text = "The quick brown fox jumps over the lazy dog, again and again, for a while."
    assert 14 <= estimate_tokens(text) <= 25
    assert estimate_tokens("") == 0
    assert estimate_tokens("東京タワー") >= 3


def test_exact_counts_with_the_tokens_extra() -> None:
    pytest.importorskip("toktok", reason="the lluminary-openai[tokens] extra (toktok-rs) is not installed")
    assert exact()
    assert count_tokens("hello world", "openai:gpt-4o") == 2
    assert count_tokens(["hello world", "hello world"], "gpt-4") == 4


async def test_count_request_tokens_offline() -> None:
    request = build_chat_request(
        "openai:gpt-4o-mini",
        None,
        system="Be brief.",
        messages=[
            Message.user("Weather in Paris?"),
            Message.assistant(ToolCallPart("c", "get_weather", {"city": "Paris"})),
            Message.tool("c", "18C"),
        ],
        tools=[Tool("get_weather", "Weather.")],
    )
    counted = count_request_tokens(request)
    assert 20 <= counted <= 80
    assert await Client(cache=False).acount_tokens(request) == counted
