"""Where the key and the base URL come from, and that the key never shows."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary._errors import AuthenticationError, ConfigurationError, NotFoundError
from lluminary._requests import build_chat_request
from lluminary._types import Secret
from lluminary_cohere import CohereProvider
from lluminary_cohere.config import normalise_base_url
from lluminary_testing import ErrorScenario, Scenario

MODEL = "cohere:command-a-03-2025"


def auth(server: Any) -> str:
    return str(server.last_request.headers["authorization"])


@pytest.mark.asyncio
async def test_key_from_co_api_key_then_cohere_api_key(fake_cohere: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    provider = CohereProvider()
    request = build_chat_request(MODEL, "Hi", base_url=fake_cohere.base_url)
    monkeypatch.setenv("COHERE_API_KEY", "second-key-123")
    fake_cohere.script(Scenario(text="a"), Scenario(text="b"))
    await provider.generate(request)
    assert auth(fake_cohere) == "Bearer second-key-123"
    monkeypatch.setenv("CO_API_KEY", "first-key-123")
    await provider.generate(request)
    assert auth(fake_cohere) == "Bearer first-key-123"


@pytest.mark.asyncio
async def test_per_call_key_beats_provider_key_beats_environment(
    fake_cohere: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CO_API_KEY", "env-key-123456")
    provider = CohereProvider(api_key="provider-key-123")
    fake_cohere.script(Scenario(text="a"), Scenario(text="b"))
    await provider.generate(build_chat_request(MODEL, "Hi", base_url=fake_cohere.base_url))
    assert auth(fake_cohere) == "Bearer provider-key-123"
    await provider.generate(build_chat_request(MODEL, "Hi", base_url=fake_cohere.base_url, api_key="call-key-123"))
    assert auth(fake_cohere) == "Bearer call-key-123"


@pytest.mark.asyncio
async def test_missing_key_names_the_variable(fake_cohere: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        await CohereProvider().generate(build_chat_request(MODEL, "Hi", base_url=fake_cohere.base_url))
    assert "CO_API_KEY" in str(info.value)
    assert "COHERE_API_KEY" in str(info.value)
    assert info.value.env_var == "CO_API_KEY"
    with pytest.raises(ConfigurationError):
        _ = [e async for e in CohereProvider().stream(build_chat_request(MODEL, "Hi", base_url=fake_cohere.base_url))]
    assert not fake_cohere.requests


@pytest.mark.asyncio
async def test_base_url_from_environment_and_per_call(fake_cohere: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CO_API_URL", fake_cohere.base_url + "/v2/")
    fake_cohere.script(Scenario(text="a"))
    response = await CohereProvider().generate(build_chat_request(MODEL, "Hi", api_key="k-123456789"))
    assert response.text == "a"
    assert fake_cohere.last_request.path == "/v2/chat"
    monkeypatch.setenv("CO_API_URL", "http://127.0.0.1:9/unreachable")
    fake_cohere.script(Scenario(text="b"))
    request = build_chat_request(MODEL, "Hi", api_key="k-123456789", base_url=fake_cohere.base_url)
    assert (await CohereProvider().generate(request)).text == "b"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.cohere.com", "https://api.cohere.com"),
        ("https://api.cohere.com/", "https://api.cohere.com"),
        ("https://api.cohere.com/v1", "https://api.cohere.com"),
        ("https://api.cohere.com/v2/", "https://api.cohere.com"),
        ("https://proxy.test/cohere/v2", "https://proxy.test/cohere"),
    ],
)
@pytest.mark.asyncio
async def test_base_url_normalised(given: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert normalise_base_url(given) == expected
    # whichever layer it comes from: the call, the provider object, the environment
    assert (
        CohereProvider(api_key="k-123456").endpoint(build_chat_request(MODEL, "Hi", base_url=given)).base_url
        == expected
    )
    assert (
        CohereProvider(api_key="k-123456", base_url=given).endpoint(build_chat_request(MODEL, "Hi")).base_url
        == expected
    )
    monkeypatch.setenv("CO_API_URL", given)
    assert CohereProvider(api_key="k-123456").endpoint(build_chat_request(MODEL, "Hi")).base_url == expected


@pytest.mark.asyncio
async def test_default_base_url() -> None:
    endpoint = CohereProvider(api_key="k-123456").endpoint(build_chat_request(MODEL, "Hi"))
    assert endpoint.base_url == "https://api.cohere.com"


@pytest.mark.asyncio
async def test_echoed_key_is_redacted(fake_cohere: Any) -> None:
    key = "zz-unusual-shape-key-42"
    provider = CohereProvider(api_key=Secret(key))
    fake_cohere.script(ErrorScenario("authentication", message=f"invalid api token {key}"))
    with pytest.raises(AuthenticationError) as info:
        await provider.generate(build_chat_request(MODEL, "Hi", base_url=fake_cohere.base_url))
    assert key not in str(info.value)
    assert key not in repr(info.value)
    assert key not in repr(provider)


@pytest.mark.asyncio
async def test_a_second_instance_under_its_own_prefix(fake_cohere: Any) -> None:
    """A deployment registered as "cohere-eu" answers, errs and takes options under that name."""
    from lluminary._client import Client
    from lluminary._plugins import PluginManager
    from lluminary._types import Message, ReasoningPart, ToolCallPart

    plugins = PluginManager()
    plugins.register(CohereProvider("cohere-eu", base_url=fake_cohere.base_url, api_key="eu-key-123456"), name="eu")
    client = Client(plugins=plugins, cache=False, exporters=[], retries=1)
    fake_cohere.script(Scenario(text="hej"), ErrorScenario("not_found", message="no such model"))
    call = ToolCallPart("c1", "get_time", {})
    history = [
        Message.user("Time?"),
        Message.assistant([ReasoningPart("Plan.", provider="cohere-eu"), call]),
        Message.tool("c1", "noon"),
    ]
    response = await client.agenerate("cohere-eu:command-a-03-2025", messages=history, options={"cohere-eu": {"k": 5}})
    assert response.provider == "cohere-eu"
    sent = fake_cohere.last_request.json()
    assert sent["k"] == 5
    assert sent["messages"][1]["tool_plan"] == "Plan."
    assert auth(fake_cohere) == "Bearer eu-key-123456"
    with pytest.raises(NotFoundError) as info:
        await client.agenerate("cohere-eu:command-a-03-2025", "Hi")
    assert info.value.provider == "cohere-eu"
