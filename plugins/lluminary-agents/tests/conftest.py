"""Every provider's fake server behind a real client: the agent loop is proven on each wire format."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import pytest_asyncio

from lluminary import Client, RetryPolicy, Usage
from lluminary_testing.pytest_plugin import start_server
from lluminary_testing.scenario import Scenario, ToolCallSpec

API_KEY = "sk-agents-test-0123456789abcdef"
#: US dollars per million tokens, the same for every model under test, so cost is known exactly.
PRICE = {"input": 1.0, "output": 2.0}


@attrs.frozen
class Target:
    provider: str
    model: str
    fixture: str


TARGETS = [
    Target("openai", "openai:gpt-4o-mini", "fake_openai"),
    Target("anthropic", "anthropic:claude-sonnet-5-5", "fake_anthropic"),
    Target("google", "google:gemini-2.5-flash", "fake_gemini"),
    Target("bedrock", "bedrock:fake-model-1", "fake_bedrock"),
    Target("cohere", "cohere:fake-model-1", "fake_cohere"),
    Target("mistral", "mistral:mistral-small-latest", "fake_mistral"),
    Target("ollama", "ollama:llama3.2", "fake_ollama"),
]


@attrs.define
class Setup:
    """A provider's fake server and a client pointed at it."""

    target: Target
    server: Any
    client: Client

    @property
    def model(self) -> str:
        return self.target.model

    def script(self, *items: Any) -> None:
        self.server.script(*items)

    def bodies(self) -> list[Any]:
        return [r.json() for r in self.server.requests]


def make_client(target: Target, server: Any, **kwargs: Any) -> Client:
    options: dict[str, Any] = {
        "providers": {target.provider: {"base_url": server.base_url, "api_key": API_KEY}},
        "retries": RetryPolicy(max_attempts=1),
        "cache": False,
        "exporters": [],
        "prices": {target.model: PRICE},
    }
    options.update(kwargs)
    return Client(**options)


@pytest.fixture(autouse=True)
def _sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real credentials or AWS configuration can be picked up; Bedrock gets a region."""
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture(params=TARGETS, ids=[t.provider for t in TARGETS])
def target(request: pytest.FixtureRequest) -> Target:
    value: Target = request.param
    return value


@pytest.fixture
def server(target: Target) -> Iterator[Any]:
    yield from start_server(target.fixture)


@pytest_asyncio.fixture
async def setup(target: Target, server: Any) -> AsyncIterator[Setup]:
    client = make_client(target, server)
    try:
        yield Setup(target, server, client)
    finally:
        await client.aclose()


def calls(*specs: tuple[str, str, str], text: str = "", usage: Usage | None = None) -> Scenario:
    """A model turn that calls tools: ``(id, name, json arguments)`` each."""
    return Scenario(
        text=text,
        tool_calls=[ToolCallSpec(i, n, a) for i, n, a in specs],
        usage=usage or Usage(input_tokens=20, output_tokens=10),
    )


def answer(text: str, usage: Usage | None = None) -> Scenario:
    """A model turn that answers in text."""
    return Scenario(text=text, usage=usage or Usage(input_tokens=30, output_tokens=5))
