"""End to end: spans and metrics leave through the OTLP/HTTP protobuf exporters to a receiver on
loopback, which decodes what arrives with the OTLP protobuf classes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from lluminary import Client, Usage
from lluminary._plugins import PluginManager
from lluminary.sdk import ScriptedProvider
from lluminary_otel import OtelExporter

from .conftest import API_KEY, NO_RETRY, reply


class Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP collector that keeps what it decodes."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.traces: list[ExportTraceServiceRequest] = []
        self.metrics: list[ExportMetricsServiceRequest] = []
        self.raw: list[bytes] = []
        self.content_types: set[str] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.raw.append(body)
        self.server.content_types.add(self.headers.get("Content-Type", ""))
        if self.path == "/v1/traces":
            self.server.traces.append(ExportTraceServiceRequest.FromString(body))
        elif self.path == "/v1/metrics":
            self.server.metrics.append(ExportMetricsServiceRequest.FromString(body))
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def value(any_value: AnyValue) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return tuple(value(v) for v in any_value.array_value.values)
    return getattr(any_value, kind)


async def test_a_call_arrives_at_an_otlp_receiver_as_genai_span_and_metrics(receiver: Receiver) -> None:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{receiver.url}/v1/traces")))
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{receiver.url}/v1/metrics"), export_interval_millis=3_600_000
    )
    meter_provider = MeterProvider(metric_readers=[reader])
    plugins = PluginManager()
    plugins.register(ScriptedProvider("scripted", [reply(usage=Usage(40, 9))]))
    plugins.register(OtelExporter(tracer_provider=tracer_provider, meter_provider=meter_provider), name="otel-e2e")
    try:
        async with Client(plugins=plugins, retries=NO_RETRY) as client:
            await client.agenerate("scripted:m", "what is in the prompt", api_key=API_KEY, temperature=0.5)
        # Leaving the client flushed the exporter, which flushed both providers over HTTP.
        assert receiver.content_types == {"application/x-protobuf"}
        spans = [
            span
            for request in receiver.traces
            for resource in request.resource_spans
            for scope in resource.scope_spans
            if scope.scope.name == "lluminary_otel"
            for span in scope.spans
        ]
        (span,) = spans
        assert span.name == "chat m"
        assert span.kind == span.SPAN_KIND_CLIENT
        attributes = {kv.key: value(kv.value) for kv in span.attributes}
        assert attributes["gen_ai.operation.name"] == "chat"
        assert attributes["gen_ai.request.temperature"] == 0.5
        assert attributes["gen_ai.usage.input_tokens"] == 40
        assert attributes["gen_ai.usage.output_tokens"] == 9
        assert attributes["gen_ai.response.finish_reasons"] == ("stop",)

        metrics = {
            metric.name: metric
            for request in receiver.metrics
            for resource in request.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
        }
        usage = metrics["gen_ai.client.token.usage"].histogram.data_points
        assert sorted(p.sum for p in usage) == [9, 40]
        assert list(usage[0].explicit_bounds)[:3] == [1, 4, 16]
        duration = metrics["gen_ai.client.operation.duration"]
        assert duration.unit == "s"
        assert duration.histogram.data_points[0].count == 1
        assert all(API_KEY.encode() not in body and b"what is in the prompt" not in body for body in receiver.raw)
        assert all(
            b"gen_ai.input.messages" not in body and b"gen_ai.output.messages" not in body for body in receiver.raw
        )
    finally:
        tracer_provider.shutdown()
        meter_provider.shutdown()


async def test_captured_content_arrives_as_the_conventions_json(receiver: Receiver) -> None:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{receiver.url}/v1/traces")))
    plugins = PluginManager()
    plugins.register(ScriptedProvider("scripted", [reply("the answer")]))
    exporter = OtelExporter(tracer_provider=tracer_provider, meter_provider=MeterProvider(), capture_content=True)
    plugins.register(exporter, name="otel-e2e")
    try:
        async with Client(plugins=plugins, retries=NO_RETRY) as client:
            await client.agenerate("scripted:m", "the question", api_key=API_KEY)
        (span,) = [
            span
            for request in receiver.traces
            for resource in request.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        ]
        attributes = {kv.key: value(kv.value) for kv in span.attributes}
        assert json.loads(attributes["gen_ai.input.messages"]) == [
            {"role": "user", "parts": [{"type": "text", "content": "the question"}]}
        ]
        (output,) = json.loads(attributes["gen_ai.output.messages"])
        assert output["parts"] == [{"type": "text", "content": "the answer"}]
        assert all(API_KEY.encode() not in body for body in receiver.raw)
    finally:
        tracer_provider.shutdown()
