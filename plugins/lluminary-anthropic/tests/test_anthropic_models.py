"""The model catalogue and the cost it gives, cache reads and writes included."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary._client import Client
from lluminary._cost import compute_cost
from lluminary._plugins import PluginManager
from lluminary._types import Usage
from lluminary_anthropic import AnthropicProvider
from lluminary_anthropic.models import FALLBACK_MAX_TOKENS, default_max_tokens, lookup
from lluminary_testing import Scenario


def test_every_entry_is_complete() -> None:
    models = list(AnthropicProvider().models())
    assert len(models) >= 10
    for info in models:
        assert info.id.startswith("anthropic:claude-")
        assert info.context_window
        assert info.max_output_tokens
        assert info.input_price
        assert info.output_price
        assert info.cache_read_price
        assert info.cache_write_price
        # Anthropic's rules: a 5-minute cache write is 1.25x input, a cache read at most 0.1x input
        assert info.cache_write_price == pytest.approx(info.input_price * 1.25)
        assert info.cache_read_price <= info.input_price * 0.1 + 1e-9
        assert {"chat", "streaming", "tools", "vision", "prompt_caching"} <= info.capabilities
        assert info.capabilities & {"thinking_budget", "thinking_adaptive"}


@pytest.mark.parametrize(
    ("model", "window", "max_out", "prices"),
    [
        ("claude-opus-5-5", 1_000_000, 128_000, (4.0, 20.0, 0.20, 5.0)),
        ("claude-sonnet-5-5", 1_000_000, 128_000, (2.0, 10.0, 0.10, 2.50)),
        ("claude-haiku-5-5", 1_000_000, 128_000, (0.10, 0.50, 0.01, 0.125)),
        ("claude-fable-5-2", 1_000_000, 128_000, (8.0, 40.0, 0.20, 10.0)),
        ("claude-sonnet-4-5", 200_000, 64_000, (3.0, 15.0, 0.30, 3.75)),
        ("claude-haiku-4-5", 200_000, 64_000, (1.0, 5.0, 0.10, 1.25)),
    ],
)
def test_known_models(model: str, window: int, max_out: int, prices: tuple[float, float, float, float]) -> None:
    info = lookup(model)
    assert info is not None
    assert (info.context_window, info.max_output_tokens) == (window, max_out)
    assert (info.input_price, info.output_price, info.cache_read_price, info.cache_write_price) == prices


def test_lookup_of_snapshots_and_variants() -> None:
    snapshot = lookup("claude-haiku-4-5-20251001")
    assert snapshot is not None
    assert snapshot.id == "anthropic:claude-haiku-4-5"
    variant = lookup("claude-opus-5-5[1m]")
    assert variant is not None
    assert variant.id == "anthropic:claude-opus-5-5"
    assert lookup("claude-fable-5-1-20260901") is lookup("claude-fable-5-1")  # the longest name wins
    assert lookup("gpt-4o") is None
    assert default_max_tokens("gpt-4o") == FALLBACK_MAX_TOKENS


def test_cost_of_cached_and_thinking_tokens() -> None:
    info = lookup("claude-sonnet-5-5")
    usage = Usage(input_tokens=1_100_000, output_tokens=200_000, cache_read_tokens=800_000, cache_write_tokens=100_000)
    cost = compute_cost(usage, info)
    assert cost is not None
    assert cost.input == pytest.approx(0.2 * 2.0)  # 200k uncached input tokens
    assert cost.cache_read == pytest.approx(0.8 * 0.10)
    assert cost.cache_write == pytest.approx(0.1 * 2.50)
    assert cost.output == pytest.approx(0.2 * 10.0)


async def test_response_cost_through_the_client(harness: Any) -> None:
    plugins = PluginManager()
    plugins.register(harness.provider, name="anthropic-under-test")
    client = Client(cache=False, plugins=plugins)
    usage = Usage(
        input_tokens=3000, output_tokens=1000, cache_read_tokens=2000, cache_write_tokens=500, reasoning_tokens=400
    )
    harness.server.script(Scenario(text="ok", usage=usage), Scenario(text="ok", usage=usage))
    response = await client.agenerate("anthropic:claude-opus-5-5", "Hi", base_url=harness.server.base_url)
    stream = client.astream("anthropic:claude-opus-5-5", "Hi", base_url=harness.server.base_url)
    streamed = await stream.response()
    assert response.usage == streamed.usage == usage
    assert response.cost == streamed.cost
    assert response.cost is not None
    assert response.cost.input == pytest.approx(500 * 4.0e-6)
    assert response.cost.cache_read == pytest.approx(2000 * 0.20e-6)
    assert response.cost.cache_write == pytest.approx(500 * 5.0e-6)
    assert response.cost.output == pytest.approx(1000 * 20.0e-6)  # thinking tokens are output tokens
    assert client.models().get("anthropic:claude-opus-5-5-20261101") is not None
