"""The exporter failing must never fail a call; a warning says what happened."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider

import lluminary
from lluminary import Client
from lluminary._plugins import PluginManager
from lluminary.sdk import ScriptedProvider
from lluminary_otel import OtelExporter

from .conftest import NO_RETRY, reply


class BrokenTracerProvider:
    """A provider whose tracer cannot start spans."""

    def get_tracer(self, *args: Any, **kwargs: Any) -> Any:
        return self

    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("tracer exploded")


class BrokenHistogram:
    def record(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("histogram exploded")


def client_with(exporter: OtelExporter) -> tuple[Client, ScriptedProvider]:
    plugins = PluginManager()
    provider = ScriptedProvider("scripted", [reply(), reply("streamed")])
    plugins.register(provider)
    plugins.register(exporter, name="otel-under-test")
    return Client(plugins=plugins, retries=NO_RETRY), provider


async def test_a_tracer_that_raises_warns_and_the_calls_still_answer() -> None:
    exporter = OtelExporter(tracer_provider=BrokenTracerProvider(), meter_provider=MeterProvider())
    client, _ = client_with(exporter)
    with pytest.warns(lluminary.TraceWarning, match="tracer exploded"):
        assert (await client.agenerate("scripted:m", "hi")).text == "Hello!"
    with pytest.warns(lluminary.TraceWarning, match="tracer exploded"):
        assert (await client.astream("scripted:m", "hi").response()).text == "streamed"
    assert exporter.recorder.calls == {}


async def test_metrics_that_raise_warn_and_the_call_still_answers(harness: Any) -> None:
    h = harness(reply())
    h.exporter.recorder.duration = BrokenHistogram()
    h.exporter.recorder.token_usage = BrokenHistogram()
    with pytest.warns(lluminary.TraceWarning, match="histogram exploded"):
        assert (await h.client.agenerate("scripted:m", "hi")).text == "Hello!"
    assert h.exporter.recorder.calls == {}


async def test_no_span_is_left_open_after_calls_of_every_kind(harness: Any) -> None:
    h = harness(reply(), reply(), lluminary.ServerError("x", provider="scripted"), reply("a b c"))
    await h.client.agenerate("scripted:m", "hi")
    await h.client.astream("scripted:m", "hi").response()
    with pytest.raises(lluminary.ServerError):
        await h.client.agenerate("scripted:m", "hi")
    stream = h.client.astream("scripted:m", "hi")
    await stream.__anext__()
    await stream.aclose()
    await h.client.aembed("scripted:e", "x")
    assert h.exporter.recorder.calls == {}
    assert len(h.spans()) == 5


async def test_a_stream_dropped_unread_ends_its_span_when_collected(harness: Any) -> None:
    import gc

    h = harness(reply("a b c"))
    stream = h.client.astream("scripted:m", "hi")
    await stream.__anext__()
    del stream
    gc.collect()
    assert h.exporter.recorder.calls == {}
    assert dict(h.span().attributes or {})["lluminary.stream.closed_early"] is True
