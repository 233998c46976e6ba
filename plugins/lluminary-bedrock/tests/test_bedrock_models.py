"""The catalogue, the entry point, and cost through the kernel."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import pytest

from lluminary._client import Client
from lluminary._errors import UnpricedModelError
from lluminary._plugins import PluginManager
from lluminary._types import Usage
from lluminary_bedrock import BedrockProvider, plugin
from lluminary_bedrock.modelids import base_model, profile_prefix, vendor
from lluminary_bedrock.models import catalogue, lookup, price_entry
from lluminary_testing import Scenario


def by_id() -> dict[str, Any]:
    return {m.id: m for m in catalogue()}


def test_entry_point() -> None:
    found = [ep for ep in entry_points(group="lluminary") if ep.name == "bedrock"]
    assert len(found) == 1
    assert found[0].load() is plugin
    assert plugin.prefixes == ("bedrock",)


def test_catalogue_covers_the_families() -> None:
    models = by_id()
    for name in (
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "anthropic.claude-sonnet-4-20250514-v1:0",
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "amazon.nova-pro-v1:0",
        "amazon.nova-lite-v1:0",
        "amazon.nova-micro-v1:0",
        "meta.llama3-3-70b-instruct-v1:0",
        "mistral.pixtral-large-2502-v1:0",
        "amazon.titan-embed-text-v2:0",
        "cohere.embed-english-v3",
    ):
        info = models[f"bedrock:{name}"]
        assert info.input_price is not None
        assert info.input_price > 0
    assert models["bedrock:amazon.titan-embed-text-v2:0"].kind == "embedding"
    assert all(m.id.startswith("bedrock:") for m in catalogue())
    assert len({m.id for m in catalogue()}) == len(catalogue())


def test_inference_profiles_are_priced() -> None:
    models = by_id()
    nova = [models[f"bedrock:{p}amazon.nova-pro-v1:0"] for p in ("", "us.", "eu.", "apac.")]
    assert {(m.input_price, m.output_price, m.cache_read_price) for m in nova} == {(0.80, 3.20, 0.20)}
    sonnet_4 = [models[f"bedrock:{p}anthropic.claude-sonnet-4-20250514-v1:0"] for p in ("", "us.", "eu.")]
    assert {(m.input_price, m.output_price, m.cache_write_price, m.cache_read_price) for m in sonnet_4} == {
        (3.0, 15.0, 3.75, 0.30)
    }
    # From Claude 4.5 on, a global profile costs Anthropic's list price, everything else 10% more.
    haiku = "anthropic.claude-haiku-4-5-20251001-v1:0"
    assert models[f"bedrock:global.{haiku}"].input_price == 1.0
    assert models[f"bedrock:global.{haiku}"].output_price == 5.0
    for prefix in ("", "us.", "eu."):
        info = models[f"bedrock:{prefix}{haiku}"]
        assert (info.input_price, info.output_price, info.cache_write_price, info.cache_read_price) == (
            1.1,
            5.5,
            1.375,
            0.11,
        )


def test_model_id_helpers() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-6"
    assert base_model(arn) == "anthropic.claude-sonnet-4-6"
    assert profile_prefix(arn) == "eu"
    assert base_model("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0") == "amazon.nova-pro-v1:0"
    assert base_model("global.anthropic.claude-opus-4-7") == "anthropic.claude-opus-4-7"
    assert base_model("us.meta.llama3-3-70b-instruct-v1:0") == "meta.llama3-3-70b-instruct-v1:0"
    assert profile_prefix("amazon.nova-pro-v1:0") is None
    assert vendor("us.amazon.nova-pro-v1:0") == "amazon"
    info = lookup(arn)
    assert info is not None
    assert "thinking_adaptive" in info.capabilities


async def test_cost_through_the_client(bedrock: Any) -> None:
    plugins = PluginManager()
    plugins.register(BedrockProvider(), name="bedrock-test")
    client = Client(plugins=plugins, cache=False, exporters=[])
    usage = Usage(
        input_tokens=1_000_000, output_tokens=1_000_000, cache_read_tokens=400_000, cache_write_tokens=100_000
    )
    bedrock.script(Scenario(text="ok", usage=usage))
    response = await client.agenerate("bedrock:global.anthropic.claude-haiku-4-5-20251001-v1:0", "Hi")
    assert response.usage == usage
    assert response.cost is not None
    assert response.cost.input == pytest.approx(0.5 * 1.0)
    assert response.cost.cache_read == pytest.approx(0.4 * 0.10)
    assert response.cost.cache_write == pytest.approx(0.1 * 1.25)
    assert response.cost.output == pytest.approx(5.0)


async def test_streaming_through_the_client(bedrock: Any) -> None:
    plugins = PluginManager()
    plugins.register(BedrockProvider(), name="bedrock-test")
    client = Client(plugins=plugins, cache=False, exporters=[])
    stream = client.astream("bedrock:us.amazon.nova-lite-v1:0", "stream me please")
    text = "".join([getattr(e, "text", "") async for e in stream])
    response = await stream.response()
    assert text == response.text == "stream me please"
    assert response.cost is not None


SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
PROFILE_ARN = f"bedrock:arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{SONNET_45}"


def test_arns_and_profiles_take_their_models_prices() -> None:
    """An inference-profile ARN costs what its profile costs (us.: 10% over Anthropic's list
    price; global.: the list price); a foundation-model ARN what the model costs; a profile the
    catalogue does not list for a model, what a listed geographic profile costs."""
    us = price_entry(PROFILE_ARN)
    assert us is not None
    assert us.id == PROFILE_ARN
    assert (us.input_price, us.output_price, us.cache_write_price, us.cache_read_price) == (3.3, 16.5, 4.125, 0.33)
    global_arn = PROFILE_ARN.replace("/us.", "/global.")
    assert (price_entry(global_arn).input_price, price_entry(global_arn).output_price) == (3.0, 15.0)  # type: ignore[union-attr]
    foundation = price_entry("bedrock:arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0")
    assert foundation is not None
    assert (foundation.input_price, foundation.output_price) == (0.80, 3.20)
    assert price_entry(f"bedrock:us-gov.{SONNET_45}").input_price == 3.3  # type: ignore[union-attr]
    embed = price_entry("bedrock:arn:aws:bedrock:us-east-1::foundation-model/cohere.embed-v4:0")
    assert embed is not None
    assert (embed.kind, embed.input_price) == ("embedding", 0.12)
    assert price_entry(f"bedrock:us.{SONNET_45}") == by_id()[f"bedrock:us.{SONNET_45}"]
    # Opaque ids cannot be priced from the ARN.
    assert price_entry("bedrock:arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3") is None
    assert price_entry("bedrock:arn:aws:bedrock:us-east-1:123456789012:provisioned-model/p9") is None
    assert price_entry("bedrock:acme.unknown-model-v1:0") is None


async def test_cost_of_a_call_by_arn(bedrock: Any) -> None:
    """AWS's pricing example shape (11K input and 4K output tokens) on Claude Sonnet 4.5 through a
    US inference profile named by ARN: 11,000 x $3.30/M + 4,000 x $16.50/M = $0.1023. The kernel
    does not know the ARN and asks the plugin (``lluminary_model_info``), with no prices given."""
    plugins = PluginManager()
    plugins.register(BedrockProvider(), name="bedrock-test")
    client = Client(plugins=plugins, cache=False, exporters=[], budget=5.0)
    bedrock.script(Scenario(text="ok", usage=Usage(input_tokens=11_000, output_tokens=4_000)))
    response = await client.agenerate(PROFILE_ARN, "Summarise this")
    assert "inference-profile" in bedrock.last_request.path
    assert response.cost is not None
    assert response.cost.total == pytest.approx(0.1023)
    assert client.cost.total == pytest.approx(0.1023)
    assert client.model_info(PROFILE_ARN) == price_entry(PROFILE_ARN)


async def test_opaque_arn_stays_unpriced(bedrock: Any) -> None:
    """An application inference profile names no model: no cost, and a budget refuses it."""
    opaque = "bedrock:arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"
    plugins = PluginManager()
    plugins.register(BedrockProvider(), name="bedrock-test")
    bedrock.script(Scenario(text="ok"))
    response = await Client(plugins=plugins, cache=False, exporters=[]).agenerate(opaque, "Hi")
    assert response.cost is None
    with pytest.raises(UnpricedModelError):
        await Client(plugins=plugins, cache=False, exporters=[], budget=1.0).agenerate(opaque, "Hi")
