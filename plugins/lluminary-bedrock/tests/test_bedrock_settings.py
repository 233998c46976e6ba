"""Settings from the calling client (``Client(providers={"bedrock": {...}})``) and its pool: region,
endpoint, profile and Bedrock API key in their place between the call and the provider object,
and one pool serving every timeout.

The kernel lends a provider its client's settings and pools through a context variable; these
tests set it the way the client does around each call."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

from lluminary import _errors as errors
from lluminary._client import Client
from lluminary._plugins import PluginManager
from lluminary._settings import ClientScope, ProviderSettings, _scope
from lluminary._transport import Pools
from lluminary.sdk import Finish, Secret, StreamEvent
from lluminary_bedrock import BedrockProvider
from lluminary_testing.bedrock_server import FakeBedrockServer
from lluminary_testing.scenario import Scenario
from lluminary_testing.server import Fault


def _finished(events: list[StreamEvent]) -> bool:
    return isinstance(events[-1], Finish) and events[-1].reason == "stop"


@contextmanager
def client_scope(settings: Mapping[str, Mapping[str, Any]] | None = None) -> Iterator[Pools]:
    pools = Pools()
    scoped = {name: ProviderSettings.of(value) for name, value in (settings or {}).items()}
    token = _scope.set(ClientScope(scoped, pools))
    try:
        yield pools
    finally:
        _scope.reset(token)


async def test_region_and_endpoint_from_the_client(bedrock: Any, chat: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BEDROCK_ENDPOINT_URL")
    bedrock.region = "eu-west-1"  # the server refuses a signature scoped to another region
    provider = BedrockProvider(region="ap-south-1", endpoint_url="http://127.0.0.1:9")
    with client_scope({"bedrock": {"region": "eu-west-1", "base_url": bedrock.base_url + "/"}}) as pools:
        try:
            response = await provider.generate(chat("Hello"))
            assert response.text == "Hello"
            assert "/eu-west-1/bedrock/aws4_request" in bedrock.last_request.headers["authorization"]

            events = [e async for e in provider.stream(chat("Hi"))]
            assert _finished(events)
            assert bedrock.last_request.path.endswith("/converse-stream")
            assert "/eu-west-1/bedrock/aws4_request" in bedrock.last_request.headers["authorization"]

            # The call's options win over the client's settings.
            with pytest.raises(errors.AuthenticationError, match="region"):
                await provider.generate(chat("Hello", options={"bedrock": {"region": "us-west-2"}}))
            assert len(pools) == 1
        finally:
            await pools.aclose()
    assert len(pools) == 0


async def test_without_client_settings_the_provider_settings_apply(
    bedrock: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BEDROCK_ENDPOINT_URL")
    bedrock.region = "eu-west-1"
    provider = BedrockProvider(region="eu-west-1", endpoint_url=bedrock.base_url)
    with client_scope({"openai": {"base_url": "http://127.0.0.1:9"}}) as pools:
        try:
            await provider.generate(chat("Hello"))
        finally:
            await pools.aclose()
    assert "/eu-west-1/bedrock/aws4_request" in bedrock.last_request.headers["authorization"]


async def test_api_key_from_the_client(bedrock: Any, chat: Any) -> None:
    bedrock.bearer_tokens = {"client-bedrock-key-1"}
    provider = BedrockProvider(api_key="provider-bedrock-key-1")
    with client_scope({"bedrock": {"api_key": "client-bedrock-key-1"}}) as pools:
        try:
            await provider.generate(chat("Hello"))
            assert bedrock.last_request.headers["authorization"] == "Bearer client-bedrock-key-1"
            assert "x-amz-date" not in bedrock.last_request.headers
            bedrock.bearer_tokens = {"call-bedrock-key-1"}
            await provider.generate(chat("Hello", api_key=Secret("call-bedrock-key-1")))
            assert bedrock.last_request.headers["authorization"] == "Bearer call-bedrock-key-1"
        finally:
            await pools.aclose()


async def test_profile_from_the_client(fake_bedrock: Any, dev_profile: str, chat: Any) -> None:
    with client_scope({"bedrock": {"profile": dev_profile, "base_url": fake_bedrock.base_url}}) as pools:
        try:
            await BedrockProvider().generate(chat("Hello"))
        finally:
            await pools.aclose()
    assert "/eu-west-3/bedrock/aws4_request" in fake_bedrock.last_request.headers["authorization"]


async def test_calls_with_different_timeouts_share_one_pool(bedrock: Any, chat: Any) -> None:
    provider = BedrockProvider()
    bedrock.script(
        Scenario(text="one"),
        Scenario(text=["t", "wo"]),
        Scenario(text="late", fault=Fault(delay_headers=2.0)),
        Scenario(text="four"),
    )
    with client_scope() as pools:
        try:
            first, second = chat("Hi", timeout=5.0), chat("Hi", timeout=30.0)
            assert provider.endpoint(first).transport is provider.endpoint(second).transport
            assert (await provider.generate(first)).text == "one"
            assert _finished([e async for e in provider.stream(second)])
            with pytest.raises(errors.APITimeoutError):  # the timeout is the request's own
                await provider.generate(chat("Hi", timeout=0.2))
            assert (await provider.generate(chat("Hi"))).text == "four"
            assert len(pools) == 1
        finally:
            await pools.aclose()
    # The first three calls went over one connection; the timed-out one was dropped, so the last
    # call opened a second.
    assert bedrock.connections == 2


async def test_two_clients_two_regions_two_servers(bedrock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the real client: each client's settings reach the provider, for generate and stream."""
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")  # only the provider registered here
    monkeypatch.delenv("BEDROCK_ENDPOINT_URL")
    plugins = PluginManager()
    plugins.register(BedrockProvider(), name="bedrock-test")
    with FakeBedrockServer() as other:
        bedrock.region, other.region = "eu-west-1", "us-west-2"
        eu, us = (
            Client(plugins=plugins, cache=False, exporters=[], providers={"bedrock": {"region": r, "base_url": url}})
            for r, url in (("eu-west-1", bedrock.base_url), ("us-west-2", other.base_url))
        )
        async with eu, us:
            assert (await eu.agenerate("bedrock:amazon.nova-lite-v1:0", "to eu")).text == "to eu"
            stream = us.astream("bedrock:amazon.nova-lite-v1:0", "to us")
            assert "".join([getattr(e, "text", "") async for e in stream]) == "to us"
        assert [r.json()["messages"][0]["content"][0]["text"] for r in bedrock.requests] == ["to eu"]
        assert [r.json()["messages"][0]["content"][0]["text"] for r in other.requests] == ["to us"]
        assert "/us-west-2/bedrock/aws4_request" in other.last_request.headers["authorization"]
