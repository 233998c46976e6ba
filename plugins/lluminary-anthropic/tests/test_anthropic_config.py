"""Configuration: keys, base URLs, timeouts, extra prefixes, and token counting."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from lluminary import _errors as errors
from lluminary._types import Message, ReasoningConfig, ResponseFormat, Tool
from lluminary.sdk import aclose_default_pools
from lluminary_anthropic import AnthropicProvider
from lluminary_testing import ErrorScenario, Scenario


async def test_missing_key_names_the_variable(harness: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(errors.ConfigurationError) as info:
        await harness.generate()
    assert "ANTHROPIC_API_KEY" in str(info.value)
    assert info.value.env_var == "ANTHROPIC_API_KEY"
    assert not harness.server.requests


async def test_key_from_the_environment_and_per_call(harness: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    harness.server.script(Scenario(text="a"), Scenario(text="b"))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env-000000")
    await harness.generate()
    assert harness.headers()["x-api-key"] == "sk-ant-from-env-000000"
    await harness.generate(api_key="sk-ant-per-call-111111")
    assert harness.headers()["x-api-key"] == "sk-ant-per-call-111111"


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
async def test_base_url_from_the_environment(harness: Any, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", harness.server.base_url + suffix)
    harness.server.script(Scenario(text="ok"))
    request = harness.request(base_url=None)
    assert (await harness.provider.generate(request)).text == "ok"
    assert harness.server.last_request.path == "/v1/messages"


async def test_a_second_prefix_with_its_own_configuration(fake_anthropic: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from lluminary._client import Client
    from lluminary._plugins import PluginManager

    monkeypatch.setenv("PROXY_KEY", "proxy-secret-123")
    proxy = AnthropicProvider("claude-proxy", base_url=fake_anthropic.base_url, key_env="PROXY_KEY")
    plugins = PluginManager()
    plugins.register(proxy, name="claude-proxy")
    client = Client(cache=False, plugins=plugins)
    fake_anthropic.script(Scenario(text="via proxy", usage=__import__("lluminary").Usage(1000, 1000)))
    async with client:
        response = await client.agenerate(
            "claude-proxy:claude-haiku-4-5", "Hi", options={"claude-proxy": {"top_k": 3}, "anthropic": {"top_k": 9}}
        )
    assert response.text == "via proxy"
    assert response.provider == "claude-proxy"
    assert fake_anthropic.last_request.headers["x-api-key"] == "proxy-secret-123"
    assert fake_anthropic.last_request.json()["top_k"] == 3
    assert response.cost is not None
    assert response.cost.total == pytest.approx(1000 * 1e-6 + 1000 * 5e-6)
    assert any(m.id == "claude-proxy:claude-haiku-4-5" for m in proxy.models())


async def test_options_under_the_anthropic_name_reach_a_second_prefix(fake_anthropic: Any) -> None:
    from lluminary._requests import build_chat_request

    proxy = AnthropicProvider("claude-proxy", api_key="k-123456", base_url=fake_anthropic.base_url)
    fake_anthropic.script(Scenario(text="ok"))
    try:
        await proxy.generate(build_chat_request("claude-proxy:claude-x", "Hi", options={"anthropic": {"top_k": 2}}))
    finally:
        await aclose_default_pools()
    assert fake_anthropic.last_request.json()["top_k"] == 2


async def test_timeout_per_call(harness: Any) -> None:
    from lluminary_testing import Fault

    harness.server.script(Scenario(text="late", fault=Fault(delay_headers=3.0)))
    with pytest.raises(errors.APITimeoutError):
        await harness.generate(timeout=0.2)


def test_importing_the_plugin_loads_no_http_library() -> None:
    code = "import sys, lluminary_anthropic; assert 'httpx2' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_entry_point_registers_the_plugin() -> None:
    from importlib.metadata import entry_points

    from lluminary._plugins import PluginManager

    (ep,) = [ep for ep in entry_points(group="lluminary") if ep.name == "anthropic"]
    assert ep.value == "lluminary_anthropic:plugin"
    manager = PluginManager()
    plugin = manager.load("anthropic")
    assert isinstance(plugin, AnthropicProvider)
    assert "anthropic" in manager.provider_prefixes()


def test_repr_shows_no_key() -> None:
    provider = AnthropicProvider(api_key="sk-ant-secret-value-123")
    assert "sk-ant-secret-value-123" not in repr(provider)
    assert "sk-ant-secret-value-123" not in repr(provider.settings)


# ---------------------------------------------------------------------- count_tokens


async def test_count_tokens(harness: Any) -> None:
    count = await harness.provider.count_tokens(
        "anthropic:claude-sonnet-5-5",
        "How many tokens is this?",
        system="Be brief.",
        tools=[Tool("get_time")],
        max_tokens=100,
        temperature=0.5,
        stop=["x"],
        base_url=harness.server.base_url,
    )
    request = harness.server.last_request
    assert request.path == "/v1/messages/count_tokens"
    assert request.headers["x-api-key"] == harness.key
    assert request.headers["anthropic-version"] == "2023-06-01"
    body = harness.body()
    # the same body as the call would send, without the generation settings
    assert body == {
        "model": "claude-sonnet-5-5",
        "messages": [{"role": "user", "content": "How many tokens is this?"}],
        "system": "Be brief.",
        "tools": [{"name": "get_time", "input_schema": {"type": "object", "properties": {}}}],
    }
    from lluminary_testing.anthropic_server import count_input_tokens

    assert count == count_input_tokens(body) > 0


async def test_count_tokens_keeps_thinking_and_output_config(harness: Any) -> None:
    schema = {"type": "object", "properties": {}, "additionalProperties": False}
    request = harness.request(
        None,
        messages=[Message.user("Hi")],
        reasoning=ReasoningConfig(effort="high"),
        response_format=ResponseFormat("json_schema", schema),
        options={"anthropic": {"cache": True, "top_k": 3}},
    )
    assert await harness.provider.count_tokens(request) > 0
    assert harness.body() == {
        "model": "claude-sonnet-5-5",
        "messages": [{"role": "user", "content": "Hi"}],
        "thinking": {"type": "adaptive"},
        "output_config": {"format": {"type": "json_schema", "schema": schema}, "effort": "high"},
        "cache_control": {"type": "ephemeral"},
    }


async def test_count_tokens_does_not_take_the_next_scripted_answer(harness: Any) -> None:
    harness.server.script(Scenario(text="for the real call"))
    assert await harness.provider.count_tokens(harness.request("Hi")) > 0
    assert (await harness.generate("Hi")).text == "for the real call"


async def test_count_tokens_errors(harness: Any) -> None:
    harness.server.script(ErrorScenario("not_found", message="model: claude-nope"))
    with pytest.raises(errors.NotFoundError, match="claude-nope"):
        await harness.provider.count_tokens(harness.request("Hi"))


async def test_count_tokens_malformed_answer(harness: Any) -> None:
    from lluminary_testing.server import Reply

    harness.server.script(Reply.json({"tokens": 3}))
    with pytest.raises(errors.MalformedResponseError):
        await harness.provider.count_tokens(harness.request("Hi"))


async def test_count_tokens_through_the_client(harness: Any) -> None:
    from lluminary._client import Client
    from lluminary._plugins import PluginManager

    plugins = PluginManager()
    plugins.register(harness.provider, name="anthropic-under-test")
    client = Client(cache=False, plugins=plugins)
    count = await client.acount_tokens(harness.model, "Count me", base_url=harness.server.base_url)
    assert count > 0
    assert harness.server.last_request.path == "/v1/messages/count_tokens"
