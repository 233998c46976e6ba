"""The GenAI client metrics: token usage and durations, with the conventions' buckets."""

from __future__ import annotations

from typing import Any

from lluminary import Usage
from lluminary_otel import _names as names

from .conftest import reply

TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
SECONDS_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)


async def test_token_usage_is_one_point_per_token_type_in_the_conventions_buckets(harness: Any) -> None:
    h = harness(reply(usage=Usage(300, 20)))
    await h.client.agenerate("openai:gpt-4o", "hi")
    points = {dict(p.attributes)["gen_ai.token.type"]: p for p in h.points("gen_ai.client.token.usage")}
    assert set(points) == {"input", "output"}
    assert points["input"].sum == 300
    assert points["output"].sum == 20
    assert tuple(points["input"].explicit_bounds) == TOKEN_BUCKETS
    attributes = dict(points["input"].attributes)
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == "gpt-4o"
    assert attributes["gen_ai.response.model"] == "m-2025"


async def test_operation_duration_is_recorded_once_per_call_in_seconds_buckets(harness: Any) -> None:
    h = harness(reply(), reply())
    await h.client.agenerate("scripted:m", "hi")
    await h.client.agenerate("scripted:m", "hi")
    (point,) = h.points("gen_ai.client.operation.duration")
    assert point.count == 2
    assert tuple(point.explicit_bounds) == SECONDS_BUCKETS
    assert 0 <= point.sum < 5
    assert "error.type" not in dict(point.attributes)


async def test_time_to_first_chunk_uses_the_seconds_buckets(harness: Any) -> None:
    h = harness(reply("a b"))
    await h.client.astream("scripted:m", "hi").response()
    (point,) = h.points("gen_ai.client.operation.time_to_first_chunk")
    assert tuple(point.explicit_bounds) == SECONDS_BUCKETS


def test_the_plugin_keeps_the_buckets_it_documents() -> None:
    assert names.TOKEN_BUCKETS == TOKEN_BUCKETS
    assert names.SECONDS_BUCKETS == SECONDS_BUCKETS


async def test_spans_the_sampler_drops_cost_no_attributes_and_metrics_still_count() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    from lluminary import Client
    from lluminary._plugins import PluginManager
    from lluminary.sdk import ScriptedProvider
    from lluminary_otel import OtelExporter

    reader = InMemoryMetricReader()
    exporter = OtelExporter(
        tracer_provider=TracerProvider(sampler=ALWAYS_OFF),
        meter_provider=MeterProvider(metric_readers=[reader]),
        capture_content=True,
    )
    plugins = PluginManager()
    plugins.register(ScriptedProvider("scripted", [reply(usage=Usage(4, 2)), reply()]))
    plugins.register(exporter, name="otel-sampled-out")
    async with Client(plugins=plugins, retries=1) as client:
        await client.agenerate("scripted:m", "hi")
        await client.astream("scripted:m", "hi").response()
    assert exporter.recorder.calls == {}
    data = reader.get_metrics_data()
    assert data is not None
    counts = {
        metric.name: sum(p.count for p in metric.data.data_points)
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert counts["gen_ai.client.operation.duration"] == 2
    assert counts["gen_ai.client.token.usage"] == 4
