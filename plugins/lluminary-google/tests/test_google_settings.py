"""Settings from the calling client (``Client(providers={"google": {...}})``): key, base URL,
timeout, Vertex project and location, in their place between the call and the provider object.

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
from lluminary.sdk import Secret, build_chat_request, build_embed_request
from lluminary_google import GeminiProvider, VertexProvider
from lluminary_testing.gemini_server import FakeGeminiServer
from lluminary_testing.scenario import Scenario
from lluminary_testing.server import Fault

TOKEN = "ya29.client-scope-token-0123456789"


class StaticCredentials:
    """A google-auth credentials object with a valid token."""

    token = TOKEN
    valid = True
    quota_project_id = None


@contextmanager
def client_scope(settings: Mapping[str, Mapping[str, Any]]) -> Iterator[Pools]:
    pools = Pools()
    token = _scope.set(ClientScope({name: ProviderSettings.of(value) for name, value in settings.items()}, pools))
    try:
        yield pools
    finally:
        _scope.reset(token)


async def test_key_and_base_url_from_the_client(fake_gemini: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    provider = GeminiProvider(api_key="provider-key-1", base_url="http://127.0.0.1:9")
    fake_gemini.script(*[Scenario(text="ok")] * 4)
    with client_scope({"google": {"api_key": "client-key-1", "base_url": fake_gemini.base_url + "/"}}) as pools:
        try:
            response = await provider.generate(build_chat_request("google:gemini-2.5-flash", "Hi"))
            assert response.text == "ok"
            recorded = fake_gemini.last_request
            assert recorded.path == "/v1beta/models/gemini-2.5-flash:generateContent"
            assert recorded.headers["x-goog-api-key"] == "client-key-1"  # the client's, not the provider's

            # A stream resolves its settings before the first event, from the same client.
            events = [e async for e in provider.stream(build_chat_request("gemini:gemini-2.5-flash", "Hi"))]
            assert events
            assert fake_gemini.last_request.headers["x-goog-api-key"] == "client-key-1"
            assert fake_gemini.last_request.path.endswith(":streamGenerateContent")

            # The call's own key wins over the client's.
            await provider.generate(build_chat_request("google:gemini-2.5-flash", "Hi", api_key=Secret("call-key-1")))
            assert fake_gemini.last_request.headers["x-goog-api-key"] == "call-key-1"

            # The connections are the client's: one pool, which the client closes.
            assert len(pools) == 1
        finally:
            await pools.aclose()
    assert len(pools) == 0


async def test_settings_under_the_gemini_prefix_win_for_gemini_calls(fake_gemini: Any) -> None:
    provider = GeminiProvider()
    fake_gemini.script(Scenario(text="a"), Scenario(text="b"))
    settings = {
        "google": {"api_key": "google-key-1", "base_url": fake_gemini.base_url},
        "gemini": {"api_key": "gemini-key-1", "base_url": fake_gemini.base_url + "/proxy"},
    }
    with client_scope(settings) as pools:
        try:
            await provider.generate(build_chat_request("gemini:gemini-2.5-flash", "Hi"))
            assert fake_gemini.last_request.headers["x-goog-api-key"] == "gemini-key-1"
            assert fake_gemini.last_request.path == "/proxy/models/gemini-2.5-flash:generateContent"
            await provider.generate(build_chat_request("google:gemini-2.5-flash", "Hi"))
            assert fake_gemini.last_request.headers["x-goog-api-key"] == "google-key-1"
        finally:
            await pools.aclose()


async def test_timeout_from_the_client(fake_gemini: Any) -> None:
    provider = GeminiProvider()
    fake_gemini.script(Scenario(text="late", fault=Fault(delay_headers=2.0)))
    with client_scope({"google": {"base_url": fake_gemini.base_url, "timeout": 0.2}}) as pools:
        try:
            with pytest.raises(errors.APITimeoutError):
                await provider.generate(build_chat_request("google:gemini-2.5-flash", "Hi"))
        finally:
            await pools.aclose()


async def test_missing_key_anywhere_is_still_a_configuration_error(
    fake_gemini: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    with client_scope({"google": {"base_url": fake_gemini.base_url}}) as pools:
        with pytest.raises(errors.ConfigurationError) as info:
            await GeminiProvider().generate(build_chat_request("google:gemini-2.5-flash", "Hi"))
        await pools.aclose()
    assert info.value.env_var == "GEMINI_API_KEY"
    assert fake_gemini.requests == []


async def test_vertex_project_location_and_base_url_from_the_client(
    fake_gemini: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    provider = VertexProvider(credentials=StaticCredentials(), project="provider-project", location="us-central1")
    fake_gemini.script(*[Scenario(text="ok")] * 3)
    settings = {"vertex": {"project": "client-project", "location": "europe-west4", "base_url": fake_gemini.base_url}}
    with client_scope(settings) as pools:
        try:
            await provider.generate(build_chat_request("vertex:gemini-2.5-flash", "Hi"))
            assert fake_gemini.last_request.path == (
                "/v1/projects/client-project/locations/europe-west4/publishers/google/models/"
                "gemini-2.5-flash:generateContent"
            )
            assert fake_gemini.last_request.headers["authorization"] == f"Bearer {TOKEN}"

            # The call's provider options win over the client's settings.
            request = build_chat_request(
                "vertex:gemini-2.5-flash", "Hi", options={"vertex": {"project": "call-project"}}
            )
            await provider.generate(request)
            assert fake_gemini.last_request.path.startswith("/v1/projects/call-project/locations/europe-west4/")

            await provider.embed(build_embed_request("vertex:gemini-embedding-2", ["x"]))
            assert fake_gemini.last_request.path.startswith("/v1/projects/client-project/locations/europe-west4/")
        finally:
            await pools.aclose()


async def test_vertex_express_key_from_the_client(fake_gemini: Any) -> None:
    provider = VertexProvider(credentials=StaticCredentials(), project="p")
    fake_gemini.script(Scenario(text="express"))
    settings = {"vertex": {"api_key": "client-express-key-1", "base_url": fake_gemini.base_url}}
    with client_scope(settings) as pools:
        try:
            response = await provider.generate(build_chat_request("vertex:gemini-2.5-flash", "Hi"))
        finally:
            await pools.aclose()
    assert response.text == "express"
    assert fake_gemini.last_request.path == "/v1/publishers/google/models/gemini-2.5-flash:generateContent"
    assert fake_gemini.last_request.headers["x-goog-api-key"] == "client-express-key-1"
    assert "authorization" not in fake_gemini.last_request.headers


async def test_two_clients_two_keys_two_servers(fake_gemini: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the real client: each client's settings reach the provider, for generate and stream."""
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")  # only the provider registered here
    monkeypatch.delenv("GEMINI_API_KEY")
    plugins = PluginManager()
    plugins.register(GeminiProvider(), name="google-test")
    with FakeGeminiServer() as other:
        settings = [("google", "key-one", fake_gemini.base_url), ("gemini", "key-two", other.base_url)]
        one, two = [
            Client(plugins=plugins, cache=False, exporters=[], providers={name: {"api_key": key, "base_url": url}})
            for name, key, url in settings
        ]
        async with one, two:
            assert (await one.agenerate("google:gemini-2.5-flash", "to one")).text
            stream = two.astream("gemini:gemini-2.5-flash", "to two")
            assert "".join([getattr(e, "text", "") async for e in stream])
        assert [r.headers["x-goog-api-key"] for r in fake_gemini.requests] == ["key-one"]
        assert [r.headers["x-goog-api-key"] for r in other.requests] == ["key-two"]
        assert other.last_request.path.endswith(":streamGenerateContent")
