"""The catalogue, the entry points, and what importing the plugin costs."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from typing import Any

import lluminary_google
from lluminary._cost import Catalogue, compute_cost
from lluminary._types import PriceTier, Usage
from lluminary_google.catalogue import CHAT_MODELS, LONG_PROMPT_PRICES
from lluminary_testing.scenario import Scenario


def test_entry_points() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="lluminary") if ep.value.startswith("lluminary_google")}
    assert found == {
        "google": "lluminary_google:plugin",
        "gemini": "lluminary_google:plugin",
        "vertex": "lluminary_google:vertex_plugin",
    }
    assert lluminary_google.plugin.prefixes == ("google", "gemini")
    assert lluminary_google.vertex_plugin.prefixes == ("vertex",)


def test_import_is_cheap() -> None:
    code = (
        "import sys, lluminary_google; "
        "print(sorted(m for m in ('httpx2', 'google.auth', 'requests') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_prefix_is_priced() -> None:
    models = {m.id: m for m in lluminary_google.plugin.models()}
    vertex = {m.id: m for m in lluminary_google.vertex_plugin.models()}
    for name in CHAT_MODELS:
        assert f"google:{name}" in models
        assert f"gemini:{name}" in models
        assert f"vertex:{name}" in vertex
    flash = models["google:gemini-2.5-flash"]
    assert (flash.input_price, flash.cache_read_price, flash.output_price) == (0.30, 0.03, 2.50)
    assert flash.context_window == 1_048_576
    assert flash.max_output_tokens == 65_536
    pro = models["google:gemini-2.5-pro"]
    assert (pro.input_price, pro.output_price) == (1.25, 10.0)  # the tier for prompts up to 200k tokens
    assert LONG_PROMPT_PRICES["gemini-2.5-pro"] == (2.50, 0.25, 15.00)
    embedding = models["google:gemini-embedding-001"]
    assert embedding.kind == "embedding"
    assert embedding.input_price == 0.15


def test_cost_counts_cached_and_thinking_tokens() -> None:
    catalogue = Catalogue(list(lluminary_google.plugin.models()))
    info = catalogue.get("gemini:gemini-2.5-flash")
    assert info is not None
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cache_read_tokens=400_000, reasoning_tokens=600_000)
    cost = compute_cost(usage, info)
    assert cost is not None
    assert round(cost.input, 6) == 0.18  # 600k uncached at 0.30
    assert round(cost.cache_read, 6) == 0.012  # 400k cached at 0.03
    assert round(cost.output, 6) == 2.5  # thinking billed as output


async def test_cost_on_a_call_under_the_alias(harness: Any) -> None:
    from lluminary._client import Client

    harness.server.script(Scenario(text="ok", usage=Usage(input_tokens=1000, output_tokens=100)))
    response = await Client(cache=False).agenerate(
        "gemini:gemini-2.5-pro", "Hi", base_url=harness.server.base_url, api_key=harness.key
    )
    assert response.provider == "gemini"
    assert response.cost is not None
    assert round(response.cost.total, 8) == round((1000 * 1.25 + 100 * 10.0) / 1e6, 8)


def test_long_prompt_tier() -> None:
    """Gemini 2.5 Pro's published rates: $1.25 input / $0.125 cached / $10 output per million
    tokens for prompts up to 200k tokens, $2.50 / $0.25 / $15 for the whole call above."""
    catalogue = Catalogue(list(lluminary_google.plugin.models()))
    pro = catalogue.get("google:gemini-2.5-pro")
    assert pro is not None
    assert pro.tiers == (PriceTier(200_000, 2.50, 15.00, cache_read_price=0.25),)
    at_limit = compute_cost(Usage(input_tokens=200_000, output_tokens=1_000), pro)
    assert at_limit is not None
    assert round(at_limit.total, 6) == round(200_000 * 1.25e-6 + 1_000 * 10e-6, 6)  # up to 200k: listed rates
    # A 250k-token prompt (50k of it cached) with a 1k-token answer: every token at the upper tier.
    usage = Usage(input_tokens=250_000, output_tokens=1_000, cache_read_tokens=50_000)
    cost = compute_cost(usage, pro)
    assert cost is not None
    assert round(cost.total, 6) == round(200_000 * 2.50e-6 + 50_000 * 0.25e-6 + 1_000 * 15e-6, 6) == 0.5275
    preview = catalogue.get("google:gemini-3.1-pro-preview")
    assert preview is not None
    assert preview.tiers[0].input_price == 4.00
    # a dated name takes its model's entry, tiers and all
    dated = Catalogue(list(lluminary_google.vertex_plugin.models())).get("vertex:gemini-2.5-pro-preview-06-05")
    assert dated is not None
    assert dated.tiers == pro.tiers
    flash = catalogue.get("google:gemini-2.5-flash")
    assert flash is not None
    assert flash.tiers == ()


async def test_long_prompt_tier_on_a_call(harness: Any) -> None:
    """The response's cost and the client's total use the upper tier for a prompt over 200k."""
    from lluminary._client import Client

    harness.server.script(Scenario(text="ok", usage=Usage(input_tokens=250_000, output_tokens=1_000)))
    client = Client(cache=False)
    response = await client.agenerate(
        "gemini:gemini-2.5-pro", "Hi", base_url=harness.server.base_url, api_key=harness.key
    )
    assert response.cost is not None
    assert round(response.cost.total, 6) == round(250_000 * 2.50e-6 + 1_000 * 15e-6, 6)
    assert round(client.cost.total, 6) == round(response.cost.total, 6)
