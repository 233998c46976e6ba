"""Settings from the calling client (``Client(providers={"anthropic": {...}})``): key, base URL,
timeout, beta features and headers, in their place between the call and the provider object, and
the client's own connection pools."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary import _errors as errors
from lluminary._client import Client
from lluminary._plugins import PluginManager
from lluminary._settings import ClientScope, ProviderSettings, _scope
from lluminary._transport import Pools
from lluminary.sdk import Secret, build_chat_request
from lluminary_anthropic import AnthropicProvider
from lluminary_testing import Fault, Scenario
from lluminary_testing.anthropic_server import FakeAnthropicServer

MODEL = "anthropic:claude-sonnet-5-5"
UNREACHABLE = "http://127.0.0.1:9"


def client(provider: AnthropicProvider, **settings: Any) -> Client:
    plugins = PluginManager()
    plugins.register(provider, name="anthropic-under-test")
    return Client(cache=False, plugins=plugins, retries=1, providers={"anthropic": settings})


async def test_key_and_base_url_from_the_client_scope(fake_anthropic: Any) -> None:
    """The kernel lends the provider its client's settings and pools through a context variable;
    set here the way the client sets it around each call."""
    provider = AnthropicProvider(api_key="provider-key-1", base_url=UNREACHABLE)
    fake_anthropic.script(Scenario(text="one"), Scenario(text="two"), Scenario(text="three"))
    pools = Pools()
    scoped = {
        "anthropic": ProviderSettings.of({"base_url": fake_anthropic.base_url + "/v1/", "api_key": "client-key-1"})
    }
    token = _scope.set(ClientScope(scoped, pools))
    try:
        assert (await provider.generate(build_chat_request(MODEL, "Hi"))).text == "one"
        assert fake_anthropic.last_request.path == "/v1/messages"
        assert fake_anthropic.last_request.headers["x-api-key"] == "client-key-1"  # the client's, not the provider's

        # A stream resolves its settings before its first event, from the same client.
        events = [event async for event in provider.stream(build_chat_request(MODEL, "Hi"))]
        assert events
        assert fake_anthropic.last_request.headers["x-api-key"] == "client-key-1"

        assert await provider.count_tokens(build_chat_request(MODEL, "Count me")) > 0
        assert fake_anthropic.last_request.path == "/v1/messages/count_tokens"
        assert fake_anthropic.last_request.headers["x-api-key"] == "client-key-1"

        # The call's own key wins over the client's.
        await provider.generate(build_chat_request(MODEL, "Hi", api_key=Secret("call-key-1")))
        assert fake_anthropic.last_request.headers["x-api-key"] == "call-key-1"

        # The connections are the client's: one pool, which the client closes.
        assert len(pools) == 1
    finally:
        _scope.reset(token)
        await pools.aclose()
    assert len(pools) == 0


async def test_two_clients_on_two_servers(fake_anthropic: Any) -> None:
    provider = AnthropicProvider()
    with FakeAnthropicServer() as other:
        fake_anthropic.script(Scenario(text="from a"))
        other.script(Scenario(text="from b"))
        async with (
            client(provider, base_url=fake_anthropic.base_url, api_key="key-a-123456") as a,
            client(provider, base_url=other.base_url, api_key="key-b-123456") as b,
        ):
            assert (await a.agenerate(MODEL, "Hi")).text == "from a"
            assert (await b.agenerate(MODEL, "Hi")).text == "from b"
        assert [r.headers["x-api-key"] for r in fake_anthropic.requests] == ["key-a-123456"]
        assert [r.headers["x-api-key"] for r in other.requests] == ["key-b-123456"]


async def test_beta_and_headers_from_the_client(fake_anthropic: Any) -> None:
    provider = AnthropicProvider()
    fake_anthropic.script(Scenario(text="a"), Scenario(text="b"))
    settings = {"beta": ["context-1m-2025-08-07", "b2"], "headers": {"x-team": "search"}}
    async with client(provider, base_url=fake_anthropic.base_url, **settings) as scoped:
        await scoped.agenerate(MODEL, "Hi")
        assert fake_anthropic.last_request.headers["anthropic-beta"] == "context-1m-2025-08-07,b2"
        assert fake_anthropic.last_request.headers["x-team"] == "search"
        # A call's own beta features replace the client's; the rest of its headers stay.
        await scoped.agenerate(MODEL, "Hi", options={"anthropic": {"beta": "files-api-2025-04-14"}})
        assert fake_anthropic.last_request.headers["anthropic-beta"] == "files-api-2025-04-14"
        assert fake_anthropic.last_request.headers["x-team"] == "search"
        assert fake_anthropic.last_request.headers["anthropic-version"] == "2023-06-01"


async def test_timeout_from_the_client(fake_anthropic: Any) -> None:
    fake_anthropic.script(Scenario(text="late", fault=Fault(delay_headers=2.0)))
    async with client(AnthropicProvider(), base_url=fake_anthropic.base_url, timeout=0.2) as scoped:
        with pytest.raises(errors.APITimeoutError):
            await scoped.agenerate(MODEL, "Hi")
