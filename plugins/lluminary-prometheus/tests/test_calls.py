"""One observation per logical call: requests, tokens, cost, latency, time to first chunk and the
in-flight gauge, for generate, stream and embed."""

from __future__ import annotations

import pytest

from lluminary import TextDelta, Usage
from lluminary_testing.scenario import Scenario

from .conftest import MODEL, Harness

CALL = {"provider": "openai", "model": "gpt-4o-mini"}


async def test_a_generate_is_one_request_with_its_tokens_and_latency(h: Harness) -> None:
    h.server.script(Scenario("Hello there", usage=Usage(120, 30, cache_read_tokens=100, reasoning_tokens=8)))
    reply = await h.client.agenerate(MODEL, "hi")
    assert reply.text == "Hello there"
    labels = {**CALL, "operation": "generate"}
    assert h.value("lluminary_requests_total", **labels, status="ok") == 1
    assert h.value("lluminary_tokens_total", **labels, type="input") == 120
    assert h.value("lluminary_tokens_total", **labels, type="output") == 30
    assert h.value("lluminary_tokens_total", **labels, type="cache_read") == 100
    assert h.value("lluminary_tokens_total", **labels, type="reasoning") == 8
    assert h.value("lluminary_tokens_total", **labels, type="cache_creation") == 0
    assert h.value("lluminary_request_duration_seconds_count", **labels) == 1
    assert 0 < h.value("lluminary_request_duration_seconds_sum", **labels) < 5
    assert h.value("lluminary_in_flight_requests", **labels) == 0
    assert h.total("lluminary_time_to_first_chunk_seconds_count") == 0


async def test_the_cost_counter_equals_what_the_client_reports(h: Harness) -> None:
    h.server.script(Scenario("a", usage=Usage(1000, 200)), Scenario("b", usage=Usage(5000, 10)))
    await h.client.agenerate(MODEL, "one")
    await h.client.astream(MODEL, "two").response()
    assert h.client.cost.total > 0
    assert h.total("lluminary_cost_usd_total") == pytest.approx(h.client.cost.total)
    assert h.value("lluminary_cost_usd_total", **CALL, operation="stream") == pytest.approx(
        h.client.cost.total - h.value("lluminary_cost_usd_total", **CALL, operation="generate")
    )


async def test_a_stream_records_its_time_to_first_chunk_and_ends_with_the_stream(h: Harness) -> None:
    h.server.script(Scenario(["Hel", "lo", " you"], usage=Usage(10, 3)))
    labels = {**CALL, "operation": "stream"}
    stream = h.client.astream(MODEL, "hi")
    seen = []
    async for event in stream:
        if isinstance(event, TextDelta):
            seen.append(event.text)
            # Open until its end: in flight, not yet a request.
            assert h.value("lluminary_in_flight_requests", **labels) == 1
            assert h.value("lluminary_requests_total", **labels, status="ok") == 0
    assert "".join(seen) == "Hello you"
    assert h.value("lluminary_in_flight_requests", **labels) == 0
    assert h.value("lluminary_requests_total", **labels, status="ok") == 1
    assert h.value("lluminary_tokens_total", **labels, type="output") == 3
    assert h.value("lluminary_time_to_first_chunk_seconds_count", **CALL) == 1
    ttfc = h.value("lluminary_time_to_first_chunk_seconds_sum", **CALL)
    assert 0 < ttfc <= h.value("lluminary_request_duration_seconds_sum", **labels)


async def test_a_stream_closed_early_is_counted_once_as_closed(h: Harness) -> None:
    h.server.script(Scenario(["a ", "b ", "c ", "d ", "e"]))
    labels = {**CALL, "operation": "stream"}
    stream = h.client.astream(MODEL, "hi")
    async for event in stream:
        if isinstance(event, TextDelta):
            break
    await stream.aclose()
    assert h.value("lluminary_requests_total", **labels, status="closed") == 1
    assert h.total("lluminary_requests_total") == 1
    assert h.value("lluminary_in_flight_requests", **labels) == 0
    assert h.value("lluminary_request_duration_seconds_count", **labels) == 1
    assert h.total("lluminary_errors_total") == 0


async def test_an_embedding_counts_input_tokens_only(h: Harness) -> None:
    reply = await h.client.aembed("openai:text-embedding-3-small", ["one", "two"])
    assert len(reply.embeddings) == 2
    labels = {"provider": "openai", "model": "text-embedding-3-small", "operation": "embed"}
    assert h.value("lluminary_requests_total", **labels, status="ok") == 1
    assert h.value("lluminary_tokens_total", **labels, type="input") == reply.usage.input_tokens > 0
    assert h.value("lluminary_tokens_total", **labels, type="output") == 0


async def test_many_concurrent_calls_leave_nothing_in_flight(h: Harness) -> None:
    import asyncio

    await asyncio.gather(*(h.client.agenerate(MODEL, f"call {i}") for i in range(20)))
    labels = {**CALL, "operation": "generate"}
    assert h.value("lluminary_requests_total", **labels, status="ok") == 20
    assert h.value("lluminary_in_flight_requests", **labels) == 0


async def test_a_client_only_prometheus_watches_builds_no_trace_events(h: Harness) -> None:
    """The exporter counts through its step alone: the kernel's trace step is not in the chain,
    which is what keeps a counted call to a few microseconds."""
    h.server.script(Scenario("counted"))
    assert (await h.client.agenerate(MODEL, "hi")).text == "counted"
    assert not h.client.tracing
    assert h.value("lluminary_requests_total", **CALL, operation="generate", status="ok") == 1
