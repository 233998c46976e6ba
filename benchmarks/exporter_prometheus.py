"""What the ``prometheus`` exporter costs per call and per stream event, against the bars of
issue 13 (≤ 15 µs per call, ≤ 2 µs per stream event), measured against the same client with no
exporter, both on the same scripted provider in one run.

The exporter writes to a ``CollectorRegistry`` of its own, as an application would, with one tag
label configured and set on every call, so every counter, histogram and the in-flight gauge is
really updated. The scripted provider does no I/O. The kernel's own trace step, which only runs
while an exporter listens, counts as part of the exporter's cost.

The ``tracing`` column is the same client with an exporter that ignores every event: the kernel's
own share of the overhead.

Run it with ``python benchmarks/exporter_prometheus.py``; ``--check`` exits 1 when a bar fails.
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

CALL_BAR_US = 15.0
EVENT_BAR_US = 2.0
STREAM_EVENTS = 1_000
MODEL = "scripted:bench"
METADATA = {"feature": "bench"}


def make_client(kind: str) -> tuple[Any, Any]:
    from lluminary import ChatResponse, Client, Finish, Message, TextDelta, TextPart, Usage, hookimpl
    from lluminary._plugins import PluginManager
    from lluminary.sdk import ScriptedProvider

    answer = ChatResponse(Message("assistant", (TextPart("hi"),)), "stop", "stop", Usage(3, 1), model="bench")
    events = [TextDelta("x") for _ in range(STREAM_EVENTS)] + [Finish("stop", model="bench")]

    class Forever(ScriptedProvider):
        def _next(self, request: Any) -> Any:
            return events if request.metadata.get("stream") else answer

    plugins = PluginManager()
    plugins.register(Forever("scripted"))
    registry = None
    if kind == "prometheus":
        from prometheus_client import CollectorRegistry

        from lluminary_prometheus import PrometheusExporter

        registry = CollectorRegistry()
        plugins.register(PrometheusExporter(registry=registry, tag_labels=["feature"]), name="prometheus")
    elif kind == "tracing":

        class TraceOnly:
            """An exporter that ignores every event: what the kernel's tracing alone costs."""

            @hookimpl
            def lluminary_trace(self, event: Any) -> None:
                pass

        plugins.register(TraceOnly(), name="trace-only")
    return Client(plugins=plugins, retries=1), registry


async def mean_us(run: Callable[[], Awaitable[Any]], n: int) -> float:
    gc.collect()
    start = time.perf_counter_ns()
    for _ in range(n):
        await run()
    return (time.perf_counter_ns() - start) / n / 1000


KINDS = ("none", "tracing", "prometheus")


async def measure(calls: int, streams: int, repeats: int) -> dict[str, dict[str, float]]:
    """Each repeat times every client in turn (so load that comes and goes hits them alike); the
    figure is the median over repeats."""
    made = {kind: make_client(kind) for kind in KINDS}
    runs: dict[str, dict[str, Callable[[], Awaitable[Any]]]] = {}
    for kind, (client, _) in made.items():

        async def generate(client: Any = client) -> Any:
            return await client.agenerate(MODEL, "hi", metadata=METADATA)

        async def stream(client: Any = client) -> Any:
            return await client.astream(MODEL, "hi", metadata={"stream": "1", **METADATA}).response()

        runs[kind] = {"generate": generate, "stream": stream}
        for _ in range(max(calls // 10, 5)):
            await generate()
        await stream()
    samples: dict[str, dict[str, list[float]]] = {
        "generate (µs/call)": {k: [] for k in KINDS},
        "stream (µs/event)": {k: [] for k in KINDS},
    }
    for _ in range(repeats):
        for kind in KINDS:
            samples["generate (µs/call)"][kind].append(await mean_us(runs[kind]["generate"], calls))
            samples["stream (µs/event)"][kind].append(await mean_us(runs[kind]["stream"], streams) / STREAM_EVENTS)
    for client, registry in made.values():
        await client.aclose()
        if registry is not None:  # the exporter really counted every call
            counted = registry.get_sample_value(
                "lluminary_requests_total",
                {"provider": "scripted", "model": "bench", "operation": "generate", "status": "ok", "feature": "bench"},
            )
            if counted is None or counted < calls * repeats:
                raise RuntimeError(f"the exporter counted {counted} calls")
    return {name: {k: statistics.median(v) for k, v in row.items()} for name, row in samples.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--check", action="store_true", help="exit 1 when a bar fails")
    args = parser.parse_args(argv)
    rows = asyncio.run(measure(args.calls, args.streams, args.repeats))
    bars = {"generate (µs/call)": CALL_BAR_US, "stream (µs/event)": EVENT_BAR_US}
    print(f"{'':22} {'none':>10} {'tracing':>10} {'prometheus':>11} {'overhead':>10} {'ratio':>7} {'bar':>7}")
    failed = False
    for name, row in rows.items():
        overhead = row["prometheus"] - row["none"]
        ok = overhead <= bars[name]
        failed |= not ok
        print(
            f"{name:22} {row['none']:10.2f} {row['tracing']:10.2f} {row['prometheus']:11.2f} {overhead:10.2f} "
            f"{row['prometheus'] / row['none']:6.2f}x {bars[name]:6.1f} {'ok' if ok else 'FAIL'}"
        )
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
