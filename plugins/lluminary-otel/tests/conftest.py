"""A real client on the kernel's scripted provider, with the exporter sending to the SDK's in-memory
span exporter and metric reader."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lluminary import ChatResponse, Client, Message, RetryPolicy, TextPart, Usage
from lluminary._plugins import PluginManager
from lluminary.sdk import ScriptedProvider
from lluminary_otel import OtelExporter

NO_RETRY = RetryPolicy(max_attempts=1)
FAST_RETRY = RetryPolicy(3, initial_delay=0, max_delay=0)
API_KEY = "sk-otel-test-secret-0123456789"


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")


def reply(text: str = "Hello!", usage: Usage | None = None) -> ChatResponse:
    return ChatResponse(
        Message("assistant", (TextPart(text),)),
        "stop",
        "end_turn",
        usage or Usage(5, 2),
        model="m-2025",
        provider="scripted",
        id="resp-9",
    )


class Harness:
    """A client, its scripted provider, and what the exporter produced."""

    def __init__(self, script: tuple[Any, ...], **client_options: Any) -> None:
        self.spans_out = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans_out))
        self.metric_reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metric_reader])
        self.exporter = OtelExporter(
            tracer_provider=self.tracer_provider,
            meter_provider=self.meter_provider,
            capture_content=client_options.pop("capture_content", None),
        )
        self.plugins = PluginManager()
        self.provider = ScriptedProvider("scripted", script, prefixes=["scripted", "openai"])
        self.plugins.register(self.provider)
        self.plugins.register(self.exporter, name="otel-under-test")
        client_options.setdefault("retries", NO_RETRY)
        self.client = Client(plugins=self.plugins, **client_options)

    def spans(self) -> list[ReadableSpan]:
        return list(self.spans_out.get_finished_spans())

    def span(self) -> ReadableSpan:
        (only,) = self.spans()
        return only

    def points(self, name: str) -> list[Any]:
        data = self.metric_reader.get_metrics_data()
        found: list[Any] = []
        if data is None:
            return found
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found


@pytest.fixture
def harness() -> Iterator[Any]:
    made: list[Harness] = []

    def make(*script: Any, **client_options: Any) -> Harness:
        made.append(Harness(script, **client_options))
        return made[-1]

    yield make
    for h in made:
        h.tracer_provider.shutdown()
        h.meter_provider.shutdown()
