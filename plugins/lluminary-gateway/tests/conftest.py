"""A gateway on a free loopback port (uvicorn in a thread of this process), pointed at the
testing kit's fake OpenAI, Anthropic and Gemini servers; the official SDKs are its clients."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import attrs
import pytest

from lluminary import Client, RetryPolicy
from lluminary_gateway.app import Gateway
from lluminary_gateway.config import GatewayConfig, parse_config
from lluminary_testing.webhook import WebhookReceiver

MASTER = "gw-master-test-0123456789abcdef"
OPENAI_KEY = "sk-upstream-openai-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-upstream-0123456789abcdef"
GEMINI_KEY = "AIzaSyUPSTREAM-0123456789abcdefghijkl"
ENVIRONMENT = {
    "GW_MASTER": MASTER,
    "GW_OPENAI_KEY": OPENAI_KEY,
    "GW_ANTHROPIC_KEY": ANTHROPIC_KEY,
    "GW_GEMINI_KEY": GEMINI_KEY,
}
#: US dollars per million tokens, the same for every model under test, so costs are known exactly
PRICE = {"input": 1.0, "output": 2.0}
MODELS = {
    "openai": "openai:gpt-4o-mini",
    "anthropic": "anthropic:claude-sonnet-5-5",
    "gemini": "google:gemini-2.5-flash",
}


@attrs.define
class Upstreams:
    openai: Any
    anthropic: Any
    gemini: Any

    def server(self, alias: str) -> Any:
        return {"gpt": self.openai, "claude": self.anthropic, "gemini": self.gemini}[alias]

    def model(self, alias: str) -> str:
        return {"gpt": MODELS["openai"], "claude": MODELS["anthropic"], "gemini": MODELS["gemini"]}[alias]

    def document(self, **extra: Any) -> dict[str, Any]:
        """A config document: one alias per fake server, prices for each."""
        document: dict[str, Any] = {
            "models": {
                "gpt": {
                    "deployments": [
                        {"model": MODELS["openai"], "base_url": self.openai.base_url, "api_key_env": "GW_OPENAI_KEY"}
                    ]
                },
                "claude": {
                    "deployments": [
                        {
                            "model": MODELS["anthropic"],
                            "base_url": self.anthropic.base_url,
                            "api_key_env": "GW_ANTHROPIC_KEY",
                        }
                    ]
                },
                "gemini": {
                    "deployments": [
                        {"model": MODELS["gemini"], "base_url": self.gemini.base_url, "api_key_env": "GW_GEMINI_KEY"}
                    ]
                },
                "embed": {
                    "deployments": [
                        {
                            "model": "openai:text-embedding-3-small",
                            "base_url": self.openai.base_url,
                            "api_key_env": "GW_OPENAI_KEY",
                        }
                    ]
                },
            },
            "prices": dict.fromkeys([*MODELS.values(), "openai:text-embedding-3-small"], PRICE),
            "retries": 1,
            "master_key_env": "GW_MASTER",
        }
        document.update(extra)
        return document

    def direct_client(self, alias: str) -> Client:
        """A client that calls the alias's fake server directly, as the gateway does."""
        provider, model = {
            "gpt": ("openai", MODELS["openai"]),
            "claude": ("anthropic", MODELS["anthropic"]),
            "gemini": ("google", MODELS["gemini"]),
        }[alias]
        key = {"openai": OPENAI_KEY, "anthropic": ANTHROPIC_KEY, "google": GEMINI_KEY}[provider]
        return Client(
            providers={provider: {"base_url": self.server(alias).base_url, "api_key": key}},
            retries=RetryPolicy(max_attempts=1),
            cache=False,
            exporters=[],
            prices={model: PRICE},
        )


@pytest.fixture
def upstreams(fake_openai: Any, fake_anthropic: Any, fake_gemini: Any) -> Upstreams:
    return Upstreams(fake_openai, fake_anthropic, fake_gemini)


@attrs.define
class Running:
    """A gateway serving on loopback."""

    app: Gateway
    url: str
    server: Any
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(config: GatewayConfig) -> Iterator[Running]:
    """Run the gateway with uvicorn on a thread of its own until the block ends."""
    import uvicorn

    app = Gateway(config)
    sock = free_socket()
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5)
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    for _ in range(500):
        if server.started or not thread.is_alive():
            break
        threading.Event().wait(0.01)
    if not server.started:
        raise RuntimeError("the gateway did not start")
    try:
        yield Running(app, f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def make_config(document: Mapping[str, Any], **environ: str) -> GatewayConfig:
    return parse_config(document, {**ENVIRONMENT, **environ})


@pytest.fixture
def gateway(upstreams: Upstreams) -> Iterator[Running]:
    """A gateway with the three aliases, the master key, and virtual keys in memory."""
    with serving(make_config(upstreams.document(keys="memory://"))) as running:
        yield running


@pytest.fixture
def openai_client(gateway: Running) -> Iterator[Any]:
    import openai

    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=MASTER, max_retries=0, timeout=10)
    yield client
    client.close()


@pytest.fixture
def master_key() -> str:
    return MASTER


@pytest.fixture
def start_gateway(upstreams: Upstreams) -> Any:
    """``with start_gateway(keys="memory://", max_body_bytes=100) as running:`` — a gateway whose
    config document is the default one with these keys changed."""

    def start(**overrides: Any) -> Any:
        return serving(make_config(upstreams.document(**overrides)))

    return start


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    """A budget webhook receiver on a free loopback port."""
    with WebhookReceiver(path="/hooks/budget-token-0123") as hook:
        yield hook
