"""What each exporter costs per call and per stream event, side by side in one run, against the
bars of the observability issue: ``otel`` ≤ 60 µs per call, ``prometheus`` ≤ 15 µs per call, both
≤ 2 µs per stream event — each measured against the same client with no exporter.

Columns, all on the same scripted provider (no I/O), timed in turn within each repeat so that
load that comes and goes hits them alike (medians over repeats):

* ``none``: no exporter (the kernel builds no trace events at all).
* ``tracing``: an exporter that ignores every event — the kernel's own tracing cost, which any
  exporter listening to trace events pays (``otel`` does; ``prometheus`` listens to none: it
  counts through its call step alone).
* ``otel-noop``: ``lluminary-otel`` on OpenTelemetry's no-op providers — lluminary's share of the
  otel cost (kernel and plugin).
* ``otel``: ``lluminary-otel`` on the real SDK as an application configures it: a
  ``TracerProvider`` with a ``BatchSpanProcessor`` (whose exporter discards, so no network is
  timed) and a ``MeterProvider`` with a reader, so spans and histogram points are really built.
* ``prometheus``: ``lluminary-prometheus`` writing to a ``CollectorRegistry`` of its own, with one
  tag label set on every call.

Beside them, ``otel SDK floor``: the OpenTelemetry SDK work that ``lluminary-otel`` asks for one
generate call (its span, with the same name, kind and attributes, and the same histogram points),
made directly on providers configured like the ``otel`` column, with no lluminary at all: what
enabling OpenTelemetry costs before lluminary does anything.

The kernel's trace step, which only runs while an exporter listens to trace events, counts as
part of such an exporter's cost. ``benchmarks/kernel.py`` prints these rows too; run this file alone with
``python benchmarks/exporters.py [--calls 2000 --streams 20 --repeats 7] [--check]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

CALL_BARS_US = {"otel": 60.0, "prometheus": 15.0}
EVENT_BAR_US = 2.0
STREAM_EVENTS = 1_000
MODEL = "scripted:bench"
METADATA = {"feature": "bench"}
KINDS = ("none", "tracing", "otel-noop", "otel", "prometheus")
GENERATE, STREAM = "generate (µs/call)", "stream (µs/event)"


class _Discard:
    """A span exporter that drops what it is given (the SDK's batching still runs)."""

    def export(self, spans: Sequence[Any]) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def _exporter(kind: str, owned: list[Any]) -> Any:
    """The plugin object that makes ``kind``'s client (None for ``none``)."""
    if kind == "tracing":
        from lluminary import hookimpl

        class TraceOnly:
            @hookimpl
            def lluminary_trace(self, event: Any) -> None:
                pass

        return TraceOnly()
    if kind == "otel-noop":
        from opentelemetry import metrics, trace

        from lluminary_otel import OtelExporter

        return OtelExporter(tracer_provider=trace.NoOpTracerProvider(), meter_provider=metrics.NoOpMeterProvider())
    if kind == "otel":
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        from lluminary_otel import OtelExporter

        tracer_provider = TracerProvider()
        # A queue large enough that no span is dropped (a full queue drops spans, which would
        # make the figure look cheaper than a process that keeps up).
        tracer_provider.add_span_processor(BatchSpanProcessor(_Discard(), max_queue_size=1 << 20))
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        owned += [tracer_provider, meter_provider]
        return OtelExporter(tracer_provider=tracer_provider, meter_provider=meter_provider)
    if kind == "prometheus":
        from prometheus_client import CollectorRegistry

        from lluminary_prometheus import PrometheusExporter

        registry = CollectorRegistry()
        owned.append(registry)
        return PrometheusExporter(registry=registry, tag_labels=["feature"])
    return None


def make_client(kind: str) -> tuple[Any, list[Any]]:
    from lluminary import ChatResponse, Client, Finish, Message, TextDelta, TextPart, Usage
    from lluminary._plugins import PluginManager
    from lluminary.sdk import ScriptedProvider

    answer = ChatResponse(Message("assistant", (TextPart("hi"),)), "stop", "stop", Usage(3, 1), model="bench")
    events = [TextDelta("x") for _ in range(STREAM_EVENTS)] + [Finish("stop", model="bench")]

    class Forever(ScriptedProvider):
        def _next(self, request: Any) -> Any:
            return events if request.metadata.get("stream") else answer

    plugins = PluginManager()
    plugins.register(Forever("scripted"))
    owned: list[Any] = []
    exporter = _exporter(kind, owned)
    if exporter is not None:
        plugins.register(exporter, name=kind)
    return Client(plugins=plugins, retries=1), owned


def _recorded_call() -> tuple[Any, list[tuple[str, dict[str, Any], float]]]:
    """One generate call through ``lluminary-otel``, kept in memory: its span, and each histogram
    point (instrument name, attributes, value)."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from lluminary._plugins import PluginManager
    from lluminary_otel import OtelExporter

    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    meter_provider = MeterProvider(metric_readers=[reader])
    client, _ = make_client("none")
    plugins: PluginManager = client.plugins
    plugins.register(OtelExporter(tracer_provider=tracer_provider, meter_provider=meter_provider), name="otel-floor")
    asyncio.run(client.agenerate(MODEL, "hi", metadata=METADATA))
    data = reader.get_metrics_data()
    points = [
        (metric.name, dict(point.attributes or {}), float(point.sum))
        for resource in (data.resource_metrics if data else ())
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
    ]
    (span,) = spans.get_finished_spans()
    tracer_provider.shutdown()
    meter_provider.shutdown()
    return span, points


def sdk_floor_us(calls: int, repeats: int) -> float:
    """µs per call of the SDK work alone (see the module docstring), median over ``repeats``."""
    from opentelemetry import trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    span, points = _recorded_call()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_Discard(), max_queue_size=1 << 20))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    tracer = tracer_provider.get_tracer("floor")
    meter = meter_provider.get_meter("floor")
    histograms = {name: meter.create_histogram(name) for name, _, _ in points}
    attributes = dict(span.attributes or {})
    name, kind = span.name, span.kind
    during = [(histograms[n], a, v) for n, a, v in points if n != "gen_ai.client.operation.duration"]
    after = [(histograms[n], a, v) for n, a, v in points if n == "gen_ai.client.operation.duration"]

    def one_call() -> None:
        live = tracer.start_span(name, kind=kind, attributes=attributes)
        with trace.use_span(live, end_on_exit=False):  # lluminary-otel records tokens in the span's context
            for histogram, point_attributes, value in during:
                histogram.record(value, point_attributes)
        for histogram, point_attributes, value in after:
            histogram.record(value, point_attributes)
        live.end()

    for _ in range(max(calls // 10, 5)):
        one_call()
    samples = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter_ns()
        for _ in range(calls):
            one_call()
        samples.append((time.perf_counter_ns() - start) / calls / 1000)
    tracer_provider.shutdown()
    meter_provider.shutdown()
    return statistics.median(samples)


async def _mean_us(run: Callable[[], Awaitable[Any]], n: int) -> float:
    gc.collect()
    start = time.perf_counter_ns()
    for _ in range(n):
        await run()
    return (time.perf_counter_ns() - start) / n / 1000


async def measure(calls: int, streams: int, repeats: int) -> dict[str, dict[str, float]]:
    """``{row: {kind: µs}}``, medians over ``repeats``."""
    made = {kind: make_client(kind) for kind in KINDS}
    runs: dict[str, tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]] = {}
    for kind, (client, _) in made.items():

        async def generate(client: Any = client) -> Any:
            return await client.agenerate(MODEL, "hi", metadata=METADATA)

        async def stream(client: Any = client) -> Any:
            return await client.astream(MODEL, "hi", metadata={"stream": "1", **METADATA}).response()

        runs[kind] = (generate, stream)
        for _ in range(max(calls // 10, 5)):  # warm up: imports, instruments, label children
            await generate()
        await stream()
    samples: dict[str, dict[str, list[float]]] = {GENERATE: {k: [] for k in KINDS}, STREAM: {k: [] for k in KINDS}}
    for _ in range(repeats):
        for kind in KINDS:
            generate, stream = runs[kind]
            samples[GENERATE][kind].append(await _mean_us(generate, calls))
            samples[STREAM][kind].append(await _mean_us(stream, streams) / STREAM_EVENTS)
    for client, owned in made.values():
        await client.aclose()
        for thing in owned:
            if hasattr(thing, "shutdown"):
                thing.shutdown()
    return {
        row: {kind: statistics.median(values) for kind, values in by_kind.items()} for row, by_kind in samples.items()
    }


def report(rows: dict[str, dict[str, float]], floor: float | None = None) -> list[tuple[str, str, bool]]:
    """Print the table; return the bars as (label, measured, met)."""
    print(f"{'exporters, scripted provider':28}" + "".join(f"{kind:>12}" for kind in KINDS))
    for row, by_kind in rows.items():
        print(f"  {row:26}" + "".join(f"{by_kind[kind]:12.2f}" for kind in KINDS))
    bars = []
    for kind, bar in CALL_BARS_US.items():
        overhead = rows[GENERATE][kind] - rows[GENERATE]["none"]
        bars.append((f"{kind} ≤ {bar:.0f} µs/call", f"{overhead:.1f} µs", overhead <= bar))
        event = rows[STREAM][kind] - rows[STREAM]["none"]
        bars.append((f"{kind} ≤ {EVENT_BAR_US:.0f} µs/stream event", f"{event:.2f} µs", event <= EVENT_BAR_US))
    tracing = rows[GENERATE]["tracing"] - rows[GENERATE]["none"]
    ours = rows[GENERATE]["otel-noop"] - rows[GENERATE]["none"]
    sdk = rows[GENERATE]["otel"] - rows[GENERATE]["otel-noop"]
    print(f"  (the kernel's own tracing, paid by an exporter of trace events: {tracing:.1f} µs/call)")
    print(f"  (otel: lluminary's share {ours:.1f} µs/call, the OpenTelemetry SDK's own {sdk:.1f} µs/call)")
    if floor is not None:
        print(f"  (otel SDK floor: the same span and histogram points made directly, {floor:.1f} µs/call)")
    return bars


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="exit 1 when a bar fails")
    args = parser.parse_args(argv)
    rows = asyncio.run(measure(args.calls, args.streams, args.repeats))
    bars = report(rows, sdk_floor_us(args.calls, args.repeats))
    print("\nbars (observability issue)")
    for label, value, ok in bars:
        print(f"  {label:<36}{value:>12}    {'PASS' if ok else 'FAIL'}")
    return 1 if args.check and not all(ok for _, _, ok in bars) else 0


if __name__ == "__main__":
    sys.exit(main())
