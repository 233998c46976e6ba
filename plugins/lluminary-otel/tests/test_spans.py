"""Spans of real calls through the kernel: one per logical call, GenAI attributes, errors, retries,
fallbacks, streams, cache hits, parents."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

import lluminary
from lluminary import EmbedResponse, ServerError, TextDelta, Usage

from .conftest import API_KEY, FAST_RETRY, reply


async def test_a_generate_call_is_one_client_span_with_the_gen_ai_attributes(harness: Any) -> None:
    h = harness(reply(usage=Usage(11, 7, cache_read_tokens=3, cache_write_tokens=2, reasoning_tokens=4)))
    await h.client.agenerate(
        "openai:gpt-4o-mini",
        "hi",
        max_tokens=64,
        temperature=0.2,
        top_p=0.9,
        stop=["END"],
        seed=7,
        base_url="https://llm.example.test:8443/v1",
    )
    span = h.span()
    assert span.name == "chat gpt-4o-mini"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert attributes["gen_ai.request.max_tokens"] == 64
    assert attributes["gen_ai.request.temperature"] == 0.2
    assert attributes["gen_ai.request.top_p"] == 0.9
    assert attributes["gen_ai.request.stop_sequences"] == ("END",)
    assert attributes["gen_ai.request.seed"] == 7
    assert attributes["server.address"] == "llm.example.test"
    assert attributes["server.port"] == 8443
    assert attributes["gen_ai.response.id"] == "resp-9"
    assert attributes["gen_ai.response.model"] == "m-2025"
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] == 11
    assert attributes["gen_ai.usage.output_tokens"] == 7
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 3
    assert attributes["gen_ai.usage.cache_creation.input_tokens"] == 2
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 4
    assert "error.type" not in attributes


async def test_unset_parameters_are_left_out_and_the_scheme_gives_the_port(harness: Any) -> None:
    h = harness(reply(), providers={"scripted": {"base_url": "https://scripted.example.test/v1"}})
    await h.client.agenerate("scripted:m", "hi")
    attributes = dict(h.span().attributes or {})
    assert not any(name.startswith("gen_ai.request.") and name != "gen_ai.request.model" for name in attributes)
    assert attributes["server.address"] == "scripted.example.test"
    assert attributes["server.port"] == 443
    assert attributes["gen_ai.provider.name"] == "scripted"


async def test_no_api_key_and_no_prompt_reach_the_span(harness: Any) -> None:
    h = harness(reply())
    await h.client.agenerate("scripted:m", "a secret prompt", api_key=API_KEY)
    span = h.span()
    exported = span.to_json()
    assert API_KEY not in exported
    assert "a secret prompt" not in exported


async def test_a_failed_call_has_error_type_and_error_status(harness: Any) -> None:
    h = harness(ServerError("down", provider="scripted"))
    with pytest.raises(ServerError):
        await h.client.agenerate("scripted:m", "hi")
    span = h.span()
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes or {})["error.type"] == "ServerError"
    (duration,) = h.points("gen_ai.client.operation.duration")
    assert dict(duration.attributes)["error.type"] == "ServerError"


async def test_retries_are_events_of_the_one_call_span(harness: Any) -> None:
    busy = ServerError("busy", provider="scripted")
    h = harness(busy, busy, reply(), retries=FAST_RETRY)
    await h.client.agenerate("scripted:m", "hi")
    span = h.span()
    attributes = dict(span.attributes or {})
    assert attributes["lluminary.attempts"] == 3
    assert "error.type" not in attributes
    assert [e.name for e in span.events] == ["lluminary.attempt.failed"] * 2
    assert [dict(e.attributes or {})["lluminary.attempt"] for e in span.events] == [1, 2]
    assert dict(span.events[0].attributes or {})["error.type"] == "ServerError"


async def test_a_fallback_that_answers_is_named_on_the_call_span(harness: Any) -> None:
    h = harness(ServerError("down", provider="scripted"), reply())
    await h.client.agenerate("scripted:first", "hi", fallbacks=["scripted:second"])
    span = h.span()
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.request.model"] == "first"
    assert attributes["lluminary.fallback.model"] == "second"
    (event,) = span.events
    assert dict(event.attributes or {})["gen_ai.request.model"] == "first"


async def test_a_stream_span_ends_with_the_stream_and_records_time_to_first_chunk(harness: Any) -> None:
    h = harness(reply("streamed words"))
    stream = h.client.astream("scripted:m", "hi")
    first = await stream.__anext__()
    assert isinstance(first, TextDelta)
    assert h.spans() == []  # still streaming
    assert (await stream.response()).text == "streamed words"
    span = h.span()
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.time_to_first_chunk"] >= 0
    assert attributes["gen_ai.usage.output_tokens"] == 2
    assert "lluminary.stream.closed_early" not in attributes
    (ttfc,) = h.points("gen_ai.client.operation.time_to_first_chunk")
    assert ttfc.count == 1


async def test_a_stream_closed_early_ends_its_span_without_an_error(harness: Any) -> None:
    h = harness([TextDelta("one "), TextDelta("two "), TextDelta("three")])
    stream = h.client.astream("scripted:m", "hi")
    await stream.__anext__()
    await stream.aclose()
    span = h.span()
    attributes = dict(span.attributes or {})
    assert attributes["lluminary.stream.closed_early"] is True
    assert span.status.status_code is StatusCode.UNSET


async def test_a_stream_failing_midway_ends_its_span_with_the_error(harness: Any) -> None:
    h = harness([TextDelta("one "), ServerError("cut", provider="scripted")])
    stream = h.client.astream("scripted:m", "hi")
    with pytest.raises(ServerError):
        async for _ in stream:
            pass
    span = h.span()
    assert dict(span.attributes or {})["error.type"] == "ServerError"


async def test_an_embed_call_is_an_embeddings_span(harness: Any) -> None:
    h = harness()
    h.provider.dimensions = 4
    await h.client.aembed("scripted:e5", ["one two", "three"], dimensions=4)
    span = h.span()
    attributes = dict(span.attributes or {})
    assert span.name == "embeddings e5"
    assert attributes["gen_ai.operation.name"] == "embeddings"
    assert attributes["gen_ai.embeddings.dimension.count"] == 4
    assert attributes["gen_ai.usage.input_tokens"] == 3
    usage = h.points("gen_ai.client.token.usage")
    assert [dict(p.attributes)["gen_ai.token.type"] for p in usage] == ["input"]


async def test_a_cache_hit_is_a_span_marked_as_such(harness: Any) -> None:
    h = harness(reply(), cache="memory://")
    await h.client.agenerate("scripted:m", "hi")
    await h.client.agenerate("scripted:m", "hi")
    first, second = h.spans()
    assert "lluminary.cache_hit" not in dict(first.attributes or {})
    attributes = dict(second.attributes or {})
    assert attributes["lluminary.cache_hit"] is True
    assert attributes["gen_ai.response.id"] == "resp-9"
    assert "gen_ai.usage.input_tokens" not in attributes
    assert len(h.provider.requests) == 1


async def test_a_call_with_a_known_parent_is_its_child(harness: Any) -> None:
    clients: list[Any] = []

    class Nesting:
        """While the outer stream's span is open, makes a call that names it as its parent."""

        async def __call__(self, call: Any, call_next: Any) -> Any:
            result = await call_next(call)
            if call.streaming:
                await clients[0].agenerate("scripted:inner", "hi", parent_id=call.id)
            return result

    h = harness(reply(), reply(), middleware=[Nesting()])
    clients.append(h.client)
    await h.client.astream("scripted:outer", "hi").response()
    inner, outer = h.spans()
    assert inner.name == "chat inner"
    assert inner.parent is not None
    assert inner.parent.span_id == outer.context.span_id
    assert inner.context.trace_id == outer.context.trace_id


async def test_an_unknown_parent_id_is_kept_as_an_attribute(harness: Any) -> None:
    h = harness(reply())
    with lluminary.trace_parent("gateway-request-7"):
        await h.client.agenerate("scripted:m", "hi")
    assert dict(h.span().attributes or {})["lluminary.parent_id"] == "gateway-request-7"


async def test_the_call_span_nests_under_the_applications_current_span(harness: Any) -> None:
    h = harness(reply())
    tracer = h.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("handle-request") as app_span:
        await h.client.agenerate("scripted:m", "hi")
    call_span = next(s for s in h.spans() if s.name == "chat m")
    assert call_span.parent is not None
    assert call_span.parent.span_id == app_span.get_span_context().span_id


async def test_events_of_a_call_no_step_opened_get_a_span_of_their_own(harness: Any) -> None:
    h = harness()
    event = lluminary.TraceEvent("start", "agent-1", "invoke_agent", "scripted:planner", 0.0, provider="scripted")
    h.exporter.lluminary_trace(event)
    h.exporter.lluminary_trace(
        lluminary.TraceEvent("end", "agent-1", "invoke_agent", "scripted:planner", 0.0, 0.1, usage=Usage(1, 1))
    )
    span = h.span()
    assert span.name == "invoke_agent planner"
    assert dict(span.attributes or {})["gen_ai.usage.input_tokens"] == 1


async def test_an_embed_response_from_the_script_is_traced(harness: Any) -> None:
    h = harness()
    h.provider.add(EmbedResponse([[0.1]], "e", "scripted", Usage(3)))
    await h.client.aembed("scripted:e", "text")
    assert h.span().name == "embeddings e"
