"""Configuration: keys, base URLs, organization and project headers, per-call overrides, pooling,
and the key kept out of every repr."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary._errors import ConfigurationError, redact
from lluminary._http import aclose_all
from lluminary._requests import build_chat_request
from lluminary._types import Secret
from lluminary_openai import OpenAIProvider, normalize_base_url
from lluminary_openai.config import Settings
from lluminary_testing import Scenario


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
    fake_openai.script(Scenario(text="ok"))
    try:
        await OpenAIProvider().generate(build_chat_request("openai:gpt-4o", "hi"))
    finally:
        await aclose_all()
    headers = fake_openai.last_request.headers
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
        await aclose_all()
    assert fake_openai.last_request.headers["authorization"] == "Bearer sk-percall-bbbbbbbbbbbb"


def test_headers_are_built_once_per_configuration() -> None:
    settings = Settings(
        name="openai", default_base_url="https://api.openai.com/v1", api_key_env=None, base_url_env=None
    )
    key = Secret("sk-one-000000000000")
    first = settings.endpoint(key, None)
    assert settings.endpoint(Secret("sk-one-000000000000"), None) is first
    assert settings.endpoint(Secret("sk-two-000000000000"), None) is not first
    assert settings.endpoint(key, "http://other:1") is not first
    assert "sk-one" not in repr(first)
    assert "sk-one" not in repr(settings)


def test_keys_are_registered_for_redaction() -> None:
    settings = Settings(name="x", default_base_url="http://h/v1", api_key_env=None, base_url_env=None)
    settings.endpoint(Secret("plainkeywithoutprefix123"), None)
    assert "plainkeywithoutprefix123" not in redact("echo plainkeywithoutprefix123")


def test_provider_repr_shows_no_key() -> None:
    provider = OpenAIProvider(api_key="sk-secret-cccccccccccc")
    assert "sk-secret" not in repr(provider)
    assert "sk-secret" not in repr(provider.settings)


async def test_one_pooled_connection_for_sequential_calls(harness: Any) -> None:
    for _ in range(5):
        harness.server.script(Scenario(text="ok"))
        await harness.generate("hi")
    for _ in range(3):
        harness.server.script(Scenario(text=["o", "k"]))
        await harness.stream("hi")
    assert harness.server.connections == 1


async def test_timeout_is_per_request(harness: Any) -> None:
    from lluminary._errors import APITimeoutError
    from lluminary_testing import Fault

    harness.server.script(Scenario(text="late", fault=Fault(delay_headers=2.0)))
    with pytest.raises(APITimeoutError):
        await harness.generate("hi", timeout=0.1)
    harness.server.script(Scenario(text="on time"))
    assert (await harness.generate("hi")).text == "on time"  # the pool's default timeout is untouched
