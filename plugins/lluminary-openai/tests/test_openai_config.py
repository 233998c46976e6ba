"""Configuration: keys, base URLs, organization and project headers, per-call overrides, the
calling client's settings, pooling (one pool for every timeout), and the key kept out of every repr."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest

from lluminary import Client

# The calling client's scope is set by the kernel around each provider call; these tests set it
# themselves to call the provider directly (there is no public way to do that, on purpose).
from lluminary._settings import ClientScope, _scope
from lluminary._transport import Pools
from lluminary.sdk import (
    APITimeoutError,
    ConfigurationError,
    ProviderSettings,
    aclose_default_pools,
    build_chat_request,
    redact,
)
from lluminary_openai import OpenAIProvider, normalize_base_url
from lluminary_testing import Fault, Scenario
from lluminary_testing.openai_server import FakeOpenAIServer

NOWHERE = "http://127.0.0.1:9"  # nothing listens there


async def headers_sent(server: Any, provider: OpenAIProvider) -> Mapping[str, str]:
    """The headers of one call made with ``provider`` directly (no client in scope)."""
    server.script(Scenario(text="ok"))
    try:
        await provider.generate(build_chat_request("openai:gpt-4o", "hi"))
    finally:
        await aclose_default_pools()
    headers: Mapping[str, str] = server.last_request.headers
    return headers


@asynccontextmanager
async def client_scope(settings: Mapping[str, Mapping[str, Any]]) -> AsyncIterator[Pools]:
    """What a client lends the provider it calls: its settings per provider and its own pools."""
    pools = Pools()
    token = _scope.set(ClientScope({name: ProviderSettings.of(s) for name, s in settings.items()}, pools))
    try:
        yield pools
    finally:
        _scope.reset(token)
        await pools.aclose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://h:8000", "http://h:8000/v1"),
        ("http://h:8000/", "http://h:8000/v1"),
        ("http://h:8000/v1", "http://h:8000/v1"),
        ("http://h:8000/v1/", "http://h:8000/v1"),
        ("https://api.groq.com/openai/v1", "https://api.groq.com/openai/v1"),
        ("https://openrouter.ai/api/v1/", "https://openrouter.ai/api/v1"),
    ],
)
def test_normalize_base_url(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


async def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY") as info:
        await OpenAIProvider().generate(build_chat_request("openai:gpt-4o", "hi"))
    assert info.value.env_var == "OPENAI_API_KEY"


async def test_environment_configures_url_and_headers(fake_openai: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url + "/v1")
    monkeypatch.setenv("OPENAI_ORGANIZATION", "org-123")
    monkeypatch.setenv("OPENAI_PROJECT", "proj_456")
    headers = await headers_sent(fake_openai, OpenAIProvider())
    assert headers["openai-organization"] == "org-123"
    assert headers["openai-project"] == "proj_456"
    assert headers["authorization"] == "Bearer sk-test-0123456789abcdef"


async def test_per_call_overrides_win(fake_openai: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    provider = OpenAIProvider(api_key="sk-configured-aaaaaaaaaaaa")
    fake_openai.script(Scenario(text="ok"))
    try:
        request = build_chat_request(
            "openai:gpt-4o", "hi", base_url=fake_openai.base_url, api_key="sk-percall-bbbbbbbbbbbb"
        )
        await provider.generate(request)
    finally:
        await aclose_default_pools()
    assert fake_openai.last_request.headers["authorization"] == "Bearer sk-percall-bbbbbbbbbbbb"


async def test_headers_are_built_once_per_configuration() -> None:
    provider = OpenAIProvider()
    try:
        first = provider.endpoint(build_chat_request("openai:gpt-4o", "hi", api_key="sk-one-000000000000"))
        again = provider.endpoint(build_chat_request("openai:gpt-4o", "hi", api_key="sk-one-000000000000"))
        other_key = provider.endpoint(build_chat_request("openai:gpt-4o", "hi", api_key="sk-two-000000000000"))
        other_url = provider.endpoint(
            build_chat_request("openai:gpt-4o", "hi", api_key="sk-one-000000000000", base_url="http://other:1")
        )
    finally:
        await aclose_default_pools()
    assert again.headers is first.headers
    assert other_key.headers is not first.headers
    assert other_key.headers["authorization"] == "Bearer sk-two-000000000000"
    assert (first.base_url, other_url.base_url) == ("https://api.openai.com/v1", "http://other:1/v1")
    assert first.headers["user-agent"].startswith("lluminary-openai/")
    assert "sk-one" not in repr(first)
    assert "sk-one" not in repr(provider)


async def test_keys_are_registered_for_redaction() -> None:
    try:
        OpenAIProvider().endpoint(build_chat_request("openai:gpt-4o", "hi", api_key="plainkeywithoutprefix123"))
    finally:
        await aclose_default_pools()
    assert "plainkeywithoutprefix123" not in redact("echo plainkeywithoutprefix123")


def test_provider_repr_shows_no_key() -> None:
    provider = OpenAIProvider(api_key="sk-secret-cccccccccccc")
    assert "sk-secret" not in repr(provider)
    assert "sk-secret" not in repr(provider.settings)


async def test_organization_and_project_from_settings_win_over_the_environment(
    fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ORGANIZATION", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT", "proj_env")
    provider = OpenAIProvider(base_url=fake_openai.base_url, settings={"organization": "org-object"})
    headers = await headers_sent(fake_openai, provider)
    assert headers["openai-organization"] == "org-object"
    assert headers["openai-project"] == "proj_env"


async def test_extra_headers_are_sent_and_win(fake_openai: Any) -> None:
    provider = OpenAIProvider(base_url=fake_openai.base_url, headers={"x-gateway": "g1", "user-agent": "mine/1"})
    headers = await headers_sent(fake_openai, provider)
    assert (headers["x-gateway"], headers["user-agent"]) == ("g1", "mine/1")


# ---------------------------------------------------------------------- the calling client's settings


async def test_client_settings_win_over_the_object_and_the_environment(
    fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", NOWHERE)
    monkeypatch.setenv("OPENAI_ORGANIZATION", "org-env")
    provider = OpenAIProvider(api_key="sk-object-aaaaaaaaaaaa", base_url=NOWHERE, settings={"organization": "org-obj"})
    client = {"base_url": fake_openai.base_url, "api_key": "sk-client-bbbbbbbbbbbb", "organization": "org-client"}
    fake_openai.script(Scenario(text="ok"), Scenario(text=["o", "k"]))
    async with client_scope({"openai": client}) as pools:
        assert (await provider.generate(build_chat_request("openai:gpt-4o", "hi"))).text == "ok"
        events = [event async for event in provider.stream(build_chat_request("openai:gpt-4o", "hi"))]
        assert len(pools) == 1  # the client's pools carried both calls
    assert events
    for request in fake_openai.requests:
        assert request.path == "/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer sk-client-bbbbbbbbbbbb"
        assert request.headers["openai-organization"] == "org-client"


async def test_the_call_wins_over_the_client(fake_openai: Any) -> None:
    fake_openai.script(Scenario(text="ok"))
    client = {"base_url": NOWHERE, "api_key": "sk-client-bbbbbbbbbbbb", "timeout": 30}
    async with client_scope({"openai": client}):
        provider = OpenAIProvider()
        assert provider.endpoint(build_chat_request("openai:gpt-4o", "hi")).timeout == 30
        assert provider.endpoint(build_chat_request("openai:gpt-4o", "hi", timeout=5)).timeout == 5
        request = build_chat_request(
            "openai:gpt-4o", "hi", base_url=fake_openai.base_url, api_key="sk-percall-cccccccccccc"
        )
        await provider.generate(request)
    assert fake_openai.last_request.headers["authorization"] == "Bearer sk-percall-cccccccccccc"


async def test_a_client_key_is_enough(fake_openai: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    fake_openai.script(Scenario(text="ok"))
    async with client_scope({"openai": {"base_url": fake_openai.base_url, "api_key": "sk-client-dddddddddddd"}}):
        await OpenAIProvider().generate(build_chat_request("openai:gpt-4o", "hi"))
    assert fake_openai.last_request.headers["authorization"] == "Bearer sk-client-dddddddddddd"


async def test_a_stream_resolves_the_client_settings_before_its_first_event(fake_openai: Any) -> None:
    fake_openai.script(Scenario(text=["a", "b", "c"]))
    pools = Pools()
    settings = ProviderSettings.of({"base_url": fake_openai.base_url, "api_key": "sk-client-eeeeeeeeeeee"})
    stream = OpenAIProvider().stream(build_chat_request("openai:gpt-4o", "hi"))
    token = _scope.set(ClientScope({"openai": settings}, pools))
    try:
        first = await stream.__anext__()
        _scope.reset(token)  # the kernel lends its scope until the first event only
        rest = [event async for event in stream]
    finally:
        await pools.aclose()
    assert len([first, *rest]) > 3
    assert fake_openai.last_request.headers["authorization"] == "Bearer sk-client-eeeeeeeeeeee"


async def test_two_clients_talk_to_two_servers(fake_openai: Any) -> None:
    with FakeOpenAIServer() as other:
        fake_openai.script(Scenario(text="first"))
        other.script(Scenario(text="second"))
        async with (
            Client(
                cache=False, providers={"openai": {"base_url": fake_openai.base_url, "api_key": "sk-a-000000000000"}}
            ) as a,
            Client(
                cache=False, providers={"openai": {"base_url": other.base_url, "api_key": "sk-b-000000000000"}}
            ) as b,
        ):
            assert (await a.agenerate("openai:gpt-4o", "hi")).text == "first"
            assert (await b.agenerate("openai:gpt-4o", "hi")).text == "second"
        assert other.last_request.headers["authorization"] == "Bearer sk-b-000000000000"
    assert fake_openai.last_request.headers["authorization"] == "Bearer sk-a-000000000000"


async def test_one_pooled_connection_for_sequential_calls(harness: Any) -> None:
    for _ in range(5):
        harness.server.script(Scenario(text="ok"))
        await harness.generate("hi")
    for _ in range(3):
        harness.server.script(Scenario(text=["o", "k"]))
        await harness.stream("hi")
    assert harness.server.connections == 1


async def test_timeout_is_per_request(harness: Any) -> None:
    harness.server.script(Scenario(text="late", fault=Fault(delay_headers=2.0)))
    with pytest.raises(APITimeoutError):
        await harness.generate("hi", timeout=0.1)
    harness.server.script(Scenario(text="on time"))
    assert (await harness.generate("hi")).text == "on time"  # the pool's default timeout is untouched


async def test_one_pool_serves_calls_with_different_timeouts(harness: Any) -> None:
    transports = []
    async with client_scope({}) as pools:
        for timeout in (5.0, 7.5, None):
            harness.server.script(Scenario(text="ok"))
            request = harness.request("hi", timeout=timeout)
            transports.append(harness.provider.endpoint(request).transport)
            assert (await harness.provider.generate(request)).text == "ok"
        harness.server.script(Scenario(text=["o", "k"]))
        await harness.stream("hi", timeout=2.5)
        assert harness.server.connections == 1  # one kept-alive connection served every timeout
        harness.server.script(Scenario(text="late", fault=Fault(delay_headers=2.0)))
        with pytest.raises(APITimeoutError):
            await harness.generate("hi", timeout=0.1)
        assert len(pools) == 1
    assert transports[0] is transports[1] is transports[2]
