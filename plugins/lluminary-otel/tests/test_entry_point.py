"""Turned on without code: ``LLUMINARY_EXPORTERS=otel`` loads the entry point, which sends to the
providers the application set globally and never installs one itself. Each case runs in a fresh
interpreter, since global providers can be set only once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import asyncio, json, sys

    import lluminary_otel
    lazy = not any(name.startswith("opentelemetry") for name in sys.modules)

    from opentelemetry import metrics, trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import lluminary
    from lluminary.sdk import ScriptedProvider

    spans = InMemorySpanExporter()
    if sys.argv[1] == "with-provider":
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(spans))
        trace.set_tracer_provider(provider)
    lluminary.register(ScriptedProvider("scripted"), name="scripted")

    async def main():
        async with lluminary.Client(retries=1) as client:
            await client.agenerate("scripted:m", "hello there")

    asyncio.run(main())
    print(json.dumps({
        "lazy": lazy,
        "spans": [s.name for s in spans.get_finished_spans()],
        "tracer_provider": type(trace.get_tracer_provider()).__name__,
        "meter_provider": type(metrics.get_meter_provider()).__name__,
    }))
    """)


def run(mode: str) -> dict[str, object]:
    env = {**os.environ, "LLUMINARY_EXPORTERS": "otel", "LLUMINARY_PLUGINS": "otel"}
    env.pop("OTEL_TRACES_EXPORTER", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_environment_variable_sends_spans_to_the_applications_provider() -> None:
    result = run("with-provider")
    assert result["spans"] == ["chat m"]
    assert result["lazy"] is True


def test_without_a_configured_provider_nothing_is_installed_and_calls_work() -> None:
    result = run("without-provider")
    assert result["spans"] == []
    assert result["tracer_provider"] == "ProxyTracerProvider"
    assert result["meter_provider"] == "_ProxyMeterProvider"
