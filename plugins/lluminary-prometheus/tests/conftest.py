"""A real client, the real OpenAI plugin and the kit's fake OpenAI server on loopback, with the
exporter writing to a registry of the test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry, generate_latest

from lluminary import Client, RetryPolicy
from lluminary._plugins import PluginManager
from lluminary_prometheus import PrometheusExporter
from lluminary_testing.openai_server import FakeOpenAIServer

API_KEY = "sk-prom-test-secret-0123456789"
MODEL = "openai:gpt-4o-mini"
NO_RETRY = RetryPolicy(max_attempts=1)
FAST_RETRY = RetryPolicy(3, initial_delay=0, max_delay=0)


class Harness:
    """A client whose calls go to the fake server, and the registry its exporter writes to."""

    def __init__(self, server: FakeOpenAIServer, exporter_options: dict[str, Any], client_options: dict[str, Any]):
        self.server = server
        self.registry = CollectorRegistry()
        self.exporter = PrometheusExporter(registry=self.registry, **exporter_options)
        self.plugins = PluginManager()
        self.plugins.register(self.exporter, name="prometheus-under-test")
        client_options.setdefault("retries", NO_RETRY)
        self.client = Client(
            plugins=self.plugins,
            providers={"openai": {"base_url": server.base_url, "api_key": API_KEY}},
            **client_options,
        )

    def value(self, name: str, **labels: str) -> float:
        """The sample's value, 0 when the series does not exist."""
        found = self.registry.get_sample_value(name, labels)
        return 0.0 if found is None else found

    def total(self, name: str, **labels: str) -> float:
        """The sum over every series of ``name`` whose labels include ``labels``."""
        total = 0.0
        for family in self.registry.collect():
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    total += sample.value
        return total

    def exposition(self) -> str:
        return generate_latest(self.registry).decode()


@pytest_asyncio.fixture
async def harness(fake_openai: FakeOpenAIServer) -> AsyncIterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(exporter_options: dict[str, Any] | None = None, **client_options: Any) -> Harness:
        made.append(Harness(fake_openai, dict(exporter_options or {}), client_options))
        return made[-1]

    yield make
    for h in made:
        await h.client.aclose()


@pytest.fixture
def h(harness: Callable[..., Harness]) -> Harness:
    """A harness with the default settings and no retries."""
    return harness()
