"""Shared fixtures: an AWS environment that can only reach the fake server.

Every test starts from an environment with no AWS variables, no shared config or credentials
file and the instance-metadata lookup disabled, so botocore's credential chain can never leave the
machine; tests that want credentials take them from the fake server's :meth:`env`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from lluminary._types import ChatRequest, Message
from lluminary_bedrock import BedrockProvider

MODEL = "bedrock:anthropic.claude-haiku-4-5-20251001-v1:0"

_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "BEDROCK_ENDPOINT_URL",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
)


@pytest.fixture(autouse=True)
def aws_sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in _AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return


@pytest_asyncio.fixture(autouse=True)
async def close_pools() -> AsyncIterator[None]:
    yield
    from lluminary._transport import default_pools

    await default_pools.aclose()


@pytest.fixture
def bedrock(fake_bedrock: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fake server, with the environment pointing a SigV4 client at it."""
    for name, value in fake_bedrock.env().items():
        monkeypatch.setenv(name, value)
    return fake_bedrock


@pytest.fixture
def dev_profile(fake_bedrock: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A shared config and credentials file with a profile ``dev``: the fake server's credentials,
    region ``eu-west-3``. Returns the profile's name."""
    config = tmp_path / "config"
    config.write_text("[profile dev]\nregion = eu-west-3\n")
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[dev]\naws_access_key_id = {fake_bedrock.ACCESS_KEY}\naws_secret_access_key = {fake_bedrock.SECRET_KEY}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    return "dev"


@pytest.fixture
def provider() -> BedrockProvider:
    """A fresh provider (no cached credentials from another test)."""
    return BedrockProvider()


@pytest.fixture
def chat() -> Callable[..., ChatRequest]:
    """``chat("Hello", tools=...)``: a request for the default model."""

    def make(prompt: str | None = "Hello", *, model: str = MODEL, **kwargs: Any) -> ChatRequest:
        messages = kwargs.pop("messages", None)
        if messages is None:
            messages = (Message.user(prompt),) if prompt is not None else ()
        return ChatRequest(model=model, messages=tuple(messages), **kwargs)

    return make
