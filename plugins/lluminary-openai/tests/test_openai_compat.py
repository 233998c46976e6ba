"""OpenAI-compatible servers: the presets, a new prefix in a few lines, and compat quirks."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import pytest

import lluminary
from lluminary import Client, RetryPolicy
from lluminary._plugins import PluginManager
from lluminary.sdk import ConfigurationError, ModelInfo, ReasoningPart, TextPart, Usage
from lluminary_openai import OpenAICompatible, OpenAIProvider
from lluminary_openai.presets import PRESETS
from lluminary_testing import Scenario

PRESET_URLS = {
    "groq": ("https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    "together": ("https://api.together.xyz/v1", "TOGETHER_API_KEY"),
    "deepseek": ("https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"),
    "openrouter": ("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    "fireworks": ("https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"),
    "xai": ("https://api.x.ai/v1", "XAI_API_KEY"),
    "vllm": ("http://localhost:8000/v1", "VLLM_API_KEY"),
    "lmstudio": ("http://localhost:1234/v1", "LMSTUDIO_API_KEY"),
    "llamacpp": ("http://localhost:8080/v1", "LLAMACPP_API_KEY"),
}
LOCAL = {"vllm", "lmstudio", "llamacpp"}


def test_every_preset_has_an_entry_point() -> None:
    found = {ep.name: ep for ep in entry_points(group="lluminary") if ep.value.startswith("lluminary_openai")}
    assert set(found) == {"openai", *PRESET_URLS}
    for name, ep in found.items():
        plugin = ep.load()
        assert isinstance(plugin, OpenAIProvider)
        assert plugin.prefixes == (name,)
        if name in PRESET_URLS:
            url, env = PRESET_URLS[name]
            assert plugin.spec.default_base_url == url
            assert plugin.spec.api_key_env == (env,)
            assert plugin.spec.base_url_env == (f"{name.upper()}_BASE_URL",)
            assert plugin.spec.key_required == (name not in LOCAL)
            assert plugin.spec.organization_env == ()
    assert {p.name for p in PRESETS} == set(PRESET_URLS)


def test_presets_load_by_prefix_through_the_plugin_manager() -> None:
    manager = PluginManager()
    assert manager.load("groq") is not None
    assert "groq" in manager.provider_prefixes()
    assert "vllm" in manager.provider_prefixes()


async def test_hosted_presets_need_their_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="GROQ_API_KEY"):
        await Client(cache=False).agenerate("groq:llama-3.3-70b-versatile", "hi")


async def test_local_preset_runs_without_a_key(fake_openai: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VLLM_API_KEY", raising=False)
    monkeypatch.setenv("VLLM_BASE_URL", fake_openai.base_url)
    fake_openai.require_auth = False
    fake_openai.script(Scenario(text="local"))
    async with Client(cache=False) as client:
        response = await client.agenerate("vllm:Qwen/Qwen3-8B", "hi", max_tokens=5)
    assert response.text == "local"
    request = fake_openai.last_request
    assert "authorization" not in request.headers
    assert request.json()["max_tokens"] == 5
    assert request.json()["model"] == "Qwen/Qwen3-8B"


async def test_presets_take_the_client_settings(fake_openai: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    monkeypatch.delenv("VLLM_API_KEY", raising=False)
    monkeypatch.setenv("VLLM_BASE_URL", "http://127.0.0.1:9")  # nothing listens there: the client's URL wins
    fake_openai.require_auth = False
    fake_openai.script(Scenario(text="from groq"), Scenario(text="from vllm"))
    providers = {
        "groq": {"base_url": fake_openai.base_url, "api_key": "gsk-client-0000000000"},
        "vllm": {"base_url": fake_openai.base_url},
    }
    async with Client(cache=False, providers=providers) as client:
        assert (await client.agenerate("groq:llama-3.3-70b-versatile", "hi")).text == "from groq"
        assert (await client.agenerate("vllm:Qwen/Qwen3-8B", "hi")).text == "from vllm"
    groq, vllm = fake_openai.requests
    assert groq.path == vllm.path == "/v1/chat/completions"
    assert groq.headers["authorization"] == "Bearer gsk-client-0000000000"
    assert "authorization" not in vllm.headers  # OPENAI_API_KEY is set, but it is not vLLM's


async def test_a_new_prefix_in_a_few_lines(fake_openai: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYVLLM_API_KEY", "sk-myvllm-0000000000")
    price = ModelInfo("myvllm:llama", input_price=1.0, output_price=2.0)
    provider = OpenAICompatible("myvllm", fake_openai.base_url + "/v1", "MYVLLM_API_KEY", models=[price])
    lluminary.register(provider)
    try:
        fake_openai.script(Scenario(text="hi there", usage=Usage(1000, 500)))
        response = await lluminary.agenerate("myvllm:llama", "hi", cache=False)
    finally:
        lluminary.unregister(provider)
        await lluminary.aclose()
    assert response.text == "hi there"
    assert response.provider == "myvllm"
    assert fake_openai.last_request.headers["authorization"] == "Bearer sk-myvllm-0000000000"
    assert response.cost is not None
    assert response.cost.total == pytest.approx(0.002)


async def test_compat_quirks_reasoning_content_no_usage_no_obfuscation(fake_openai: Any) -> None:
    fake_openai.reasoning_field = "reasoning_content"
    fake_openai.obfuscation = False
    fake_openai.usage = False
    fake_openai.require_auth = False
    provider = OpenAICompatible("deepseekish", fake_openai.base_url, "DS_KEY", key_required=False)
    client = Client(cache=False, plugins=_manager(provider), retries=RetryPolicy(max_attempts=1))
    scenario = Scenario(text=["The ", "answer"], reasoning=["Let me ", "think"])
    fake_openai.script(scenario, scenario)
    async with client:
        generated = await client.agenerate("deepseekish:deepseek-reasoner", "q")
        stream = client.astream("deepseekish:deepseek-reasoner", "q")
        streamed = await stream.response()
    assert generated.message.content == (ReasoningPart("Let me think", provider="deepseekish"), TextPart("The answer"))
    assert streamed == generated
    assert generated.usage == Usage()


async def test_deepseek_cache_hit_usage(fake_openai: Any) -> None:
    from lluminary_openai.usage import chat_usage

    usage = chat_usage(
        {"prompt_tokens": 100, "completion_tokens": 10, "prompt_cache_hit_tokens": 60, "prompt_cache_miss_tokens": 40}
    )
    assert usage == Usage(100, 10, cache_read_tokens=60)


def test_compatible_servers_never_use_the_responses_api() -> None:
    from lluminary.sdk import build_chat_request

    provider = OpenAICompatible("x", "http://h/v1")
    assert not provider.uses_responses(build_chat_request("x:o4-mini", "hi"))
    assert provider.uses_responses(build_chat_request("x:o4-mini", "hi", options={"x": {"api": "responses"}}))


def _manager(plugin: object) -> PluginManager:
    manager = PluginManager()
    manager.register(plugin, name="under-test")
    return manager
