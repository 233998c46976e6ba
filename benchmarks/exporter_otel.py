"""What the ``otel`` exporter costs per call and per stream event, against the bars of issue 13
(≤ 60 µs per call, ≤ 2 µs per stream event), measured against the same client with no exporter.

The exporter sends to the OpenTelemetry SDK as an application would configure it: a
``TracerProvider`` with a ``BatchSpanProcessor`` (its exporter discards, so the network is not
measured) and a ``MeterProvider`` with a reader, so spans and histogram points are really built
and aggregated. The scripted provider does no I/O. The kernel's own trace step, which only runs
while an exporter listens, counts as part of the exporter's cost.

Run it with ``python benchmarks/exporter_otel.py``; ``--check`` exits 1 when a bar fails.
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

CALL_BAR_US = 60.0
EVENT_BAR_US = 2.0
STREAM_EVENTS = 1_000
MODEL = "scripted:bench"


class Discard:
    """A span exporter that drops what it is given (the SDK's batching still runs)."""

    def export(self, spans: Sequence[Any]) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def make_client(mode: str) -> tuple[Any, list[Any]]:
    """A client with no exporter (``none``), the exporter on the real SDK (``otel``), or the
    exporter on the API's no-op providers (``otel-noop``: the kernel's and the plugin's share)."""
    from lluminary import ChatResponse, Client, Message, TextPart, Usage
    from lluminary._plugins import PluginManager
    from lluminary.sdk import ScriptedProvider

    answer = ChatResponse(Message("assistant", (TextPart("hi"),)), "stop", "stop", Usage(3, 1), model="bench")
    events: list[Any] = []
    from lluminary import Finish, TextDelta

    events = [TextDelta("x") for _ in range(STREAM_EVENTS)] + [Finish("stop", model="bench")]

    class Forever(ScriptedProvider):
        def _next(self, request: Any) -> Any:
            return events if request.metadata.get("stream") else answer

    plugins = PluginManager()
    plugins.register(Forever("scripted"))
    owned: list[Any] = []
    if mode == "otel-noop":
        from opentelemetry import metrics, trace

        from lluminary_otel import OtelExporter

        exporter = OtelExporter(tracer_provider=trace.NoOpTracerProvider(), meter_provider=metrics.NoOpMeterProvider())
        plugins.register(exporter, name="otel")
    elif mode == "otel":
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        from lluminary_otel import OtelExporter

        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(BatchSpanProcessor(Discard()))
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        plugins.register(OtelExporter(tracer_provider=tracer_provider, meter_provider=meter_provider), name="otel")
        owned = [tracer_provider, meter_provider]
    return Client(plugins=plugins, retries=1), owned


async def per_op_us(run: Callable[[], Awaitable[Any]], n: int, repeats: int) -> float:
    """Median over ``repeats`` of the mean microseconds per operation."""
    for _ in range(max(n // 10, 5)):
        await run()
    samples = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter_ns()
        for _ in range(n):
            await run()
        samples.append((time.perf_counter_ns() - start) / n / 1000)
    return statistics.median(samples)


async def measure(calls: int, streams: int, repeats: int) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {"generate (µs/call)": {}, "stream (µs/event)": {}}
    for label in ("none", "otel-noop", "otel"):
        client, owned = make_client(label)

        async def generate(client: Any = client) -> Any:
            return await client.agenerate(MODEL, "hi")

        async def stream(client: Any = client) -> Any:
            return await client.astream(MODEL, "hi", metadata={"stream": "1"}).response()

        rows["generate (µs/call)"][label] = await per_op_us(generate, calls, repeats)
        rows["stream (µs/event)"][label] = await per_op_us(stream, streams, repeats) / STREAM_EVENTS
        await client.aclose()
        for provider in owned:
            provider.shutdown()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5_000)
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="exit 1 when a bar fails")
    args = parser.parse_args(argv)
    rows = asyncio.run(measure(args.calls, args.streams, args.repeats))
    bars = {"generate (µs/call)": CALL_BAR_US, "stream (µs/event)": EVENT_BAR_US}
    print(f"{'':22} {'none':>10} {'otel-noop':>10} {'otel':>10} {'overhead':>10} {'ratio':>7} {'bar':>7}")
    failed = False
    for name, row in rows.items():
        overhead = row["otel"] - row["none"]
        ok = overhead <= bars[name]
        failed |= not ok
        print(
            f"{name:22} {row['none']:10.2f} {row['otel-noop']:10.2f} {row['otel']:10.2f} {overhead:10.2f} "
            f"{row['otel'] / row['none']:6.2f}x {bars[name]:6.1f} {'ok' if ok else 'FAIL'}"
        )
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
