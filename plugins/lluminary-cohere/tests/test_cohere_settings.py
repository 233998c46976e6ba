"""Per-client settings (``Client(providers={"cohere": {...}})``) reach every Cohere call: chat,
stream, embed and tokenize go to the client's server with the client's key, over its pools."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary._client import Client
from lluminary._errors import APITimeoutError
from lluminary._plugins import PluginManager
from lluminary._settings import ClientScope, ProviderSettings, _scope
from lluminary._transport import Pools
from lluminary.sdk import build_chat_request, build_embed_request
from lluminary_cohere import CohereProvider
from lluminary_testing import Fault, Scenario
from lluminary_testing.cohere_server import FakeCohereServer

MODEL = "cohere:command-a-03-2025"


@pytest.mark.asyncio
async def test_every_call_uses_the_client_scope(fake_cohere: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel lends its client's settings and pools through a context variable, set here as
    the client sets it around each call; they win over the provider object and the environment."""
    monkeypatch.setenv("CO_API_KEY", "env-key-123456")
    monkeypatch.setenv("CO_API_URL", "http://127.0.0.1:9")
    provider = CohereProvider(api_key="object-key-123456")
    fake_cohere.script(Scenario(text="chat"), Scenario(text="streamed"))
    client_settings = ProviderSettings.of({"api_key": "client-key-123456", "base_url": fake_cohere.base_url + "/v2"})
    pools = Pools()
    token = _scope.set(ClientScope({"cohere": client_settings}, pools))
    try:
        assert (await provider.generate(build_chat_request(MODEL, "Hi"))).text == "chat"
        assert len((await provider.embed(build_embed_request("cohere:embed-v4.0", ["a", "b"]))).embeddings) == 2
        assert await provider.count_tokens(build_chat_request(MODEL, "one two three")) > 0
        events = [event async for event in provider.stream(build_chat_request(MODEL, "Hi"))]
        assert events
        seen = [(r.path, r.headers["authorization"]) for r in fake_cohere.requests]
        assert seen == [
            ("/v2/chat", "Bearer client-key-123456"),
            ("/v2/embed", "Bearer client-key-123456"),
            ("/v1/tokenize", "Bearer client-key-123456"),
            ("/v2/chat", "Bearer client-key-123456"),
        ]
        assert len(pools) == 1  # the client's pool, not the process-wide one
    finally:
        _scope.reset(token)
        await pools.aclose()


def cohere_client(**settings: Any) -> Client:
    """A client whose only provider is a fresh Cohere one, configured with ``settings``."""
    plugins = PluginManager()
    plugins.register(CohereProvider(), name="cohere-under-test")
    return Client(cache=False, plugins=plugins, retries=1, providers={"cohere": settings})


@pytest.mark.asyncio
async def test_two_clients_two_deployments(fake_cohere: Any) -> None:
    fake_cohere.script(Scenario(text="us"))
    with FakeCohereServer() as eu:
        eu.script(Scenario(text="eu"))
        us_client = cohere_client(base_url=fake_cohere.base_url, api_key="us-key-1234")
        eu_client = cohere_client(base_url=eu.base_url + "/v2/", api_key="eu-key-1234")
        async with us_client, eu_client:
            assert (await eu_client.agenerate(MODEL, "Hej")).text == "eu"
            assert (await us_client.agenerate(MODEL, "Hi")).text == "us"
            # a call's own key still wins over its client's
            await us_client.aembed("cohere:embed-v4.0", ["x"], api_key="call-key-1234")
        assert [r.headers["authorization"] for r in eu.requests] == ["Bearer eu-key-1234"]
    sent = [(r.path, r.headers["authorization"]) for r in fake_cohere.requests]
    assert sent == [("/v2/chat", "Bearer us-key-1234"), ("/v2/embed", "Bearer call-key-1234")]


@pytest.mark.asyncio
async def test_client_timeout_and_headers(fake_cohere: Any) -> None:
    fake_cohere.script(Scenario(text="slow", fault=Fault(delay_headers=2.0)))
    headers = {"x-tenant": "t1"}
    async with cohere_client(
        base_url=fake_cohere.base_url, api_key="k-1234567", timeout=0.2, headers=headers
    ) as client:
        with pytest.raises(APITimeoutError):
            await client.agenerate(MODEL, "Hi")
    assert fake_cohere.last_request.headers["x-tenant"] == "t1"
    assert fake_cohere.last_request.headers["x-client-name"] == "lluminary"
