"""The exporter conformance suite of lluminary-testing, run on the ``otel`` exporter: real calls
through the OpenAI plugin against the fake OpenAI server, spans behind a batching processor and
metric points behind a periodic reader, both of which deliver only when ``Client.aclose()`` flushes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lluminary_otel import OtelExporter
from lluminary_testing.conformance import ExporterTests, ObservedCall

HOUR_MS = 3_600_000


class KeptMetrics(MetricExporter):
    """Keeps every batch of metric points it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[MetricsData] = []

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        self.batches.append(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        pass

    def points(self, name: str) -> list[Any]:
        """The data points of ``name`` in the latest batch (cumulative temporality: the totals)."""
        if not self.batches:
            return []
        return [
            point
            for resource in self.batches[-1].resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]


class OpenSpans(SpanProcessor):
    """Counts the spans started and not ended yet, as the SDK sees them."""

    def __init__(self) -> None:
        self.open = 0

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        self.open += 1

    def on_end(self, span: ReadableSpan) -> None:
        self.open -= 1


class Pipeline:
    """An SDK set up as an application would, delivering only on flush."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.open = OpenSpans()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(self.open)
        self.tracer_provider.add_span_processor(BatchSpanProcessor(self.spans, schedule_delay_millis=HOUR_MS))
        self.metrics = KeptMetrics()
        reader = PeriodicExportingMetricReader(self.metrics, export_interval_millis=HOUR_MS)
        self.meter_provider = MeterProvider(metric_readers=[reader])
        self.exporter = OtelExporter(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider)

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


class Broken:
    """A tracer provider and meter provider (and their tracers, meters, instruments) that raise."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"telemetry backend down ({name})")


class TestOtelConformance(ExporterTests):
    buffers_until_flush = True

    @pytest.fixture
    def pipeline(self) -> Iterator[Pipeline]:
        made = Pipeline()
        yield made
        made.shutdown()

    @pytest.fixture
    def exporter(self, pipeline: Pipeline) -> OtelExporter:
        self.pipelines = {id(pipeline.exporter): pipeline}
        return pipeline.exporter

    @pytest.fixture
    def failing_exporter(self) -> OtelExporter:
        return OtelExporter(tracer_provider=Broken(), meter_provider=Broken())

    def pipeline_of(self, exporter: OtelExporter) -> Pipeline:
        return self.pipelines[id(exporter)]

    def observed(self, exporter: OtelExporter) -> list[ObservedCall]:
        pipeline = self.pipeline_of(exporter)
        spans: Sequence[ReadableSpan] = pipeline.spans.get_finished_spans()
        records = [record(span) for span in spans]
        # The metric points arrive with the spans, and agree with them.
        durations = pipeline.metrics.points("gen_ai.client.operation.duration")
        assert sum(p.count for p in durations) == len(records), "operation.duration points and spans disagree"
        tokens = {
            kind: sum(
                p.sum
                for p in pipeline.metrics.points("gen_ai.client.token.usage")
                if dict(p.attributes)["gen_ai.token.type"] == kind
            )
            for kind in ("input", "output")
        }
        assert tokens["input"] == sum(r.input_tokens for r in records)
        assert tokens["output"] == sum(r.output_tokens for r in records)
        return records

    def open_calls(self, exporter: OtelExporter) -> int:
        return self.pipeline_of(exporter).open.open

    def exported_text(self, exporter: OtelExporter) -> str:
        pipeline = self.pipeline_of(exporter)
        spans = [span.to_json() for span in pipeline.spans.get_finished_spans()]
        metrics = [batch.to_json() for batch in pipeline.metrics.batches]
        return json.dumps({"spans": spans, "metrics": metrics})


def record(span: ReadableSpan) -> ObservedCall:
    """A span as the suite's record of one call."""
    attributes = dict(span.attributes or {})
    operation = {"chat": "generate", "embeddings": "embed"}.get(str(attributes["gen_ai.operation.name"]), "")
    if attributes.get("gen_ai.request.stream"):
        operation = "stream"
    if attributes.get("lluminary.cache_hit"):
        outcome = "cache_hit"
    elif attributes.get("lluminary.stream.closed_early"):
        outcome = "closed"
    elif "error.type" in attributes:
        outcome = "error"
    else:
        outcome = "ok"
    return ObservedCall(
        operation=operation,
        provider=str(attributes["gen_ai.provider.name"]),
        model=str(attributes["gen_ai.request.model"]),
        outcome=outcome,
        error_type=str(attributes["error.type"]) if outcome == "error" else None,
        input_tokens=int(attributes.get("gen_ai.usage.input_tokens", 0)),  # type: ignore[arg-type]
        output_tokens=int(attributes.get("gen_ai.usage.output_tokens", 0)),  # type: ignore[arg-type]
        first_chunks=1 if "gen_ai.response.time_to_first_chunk" in attributes else 0,
    )
