"""Streams as Cohere really sends them, oddities included, and the generate/stream equivalence
for what only Cohere has (tool plans, thinking blocks, citations)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lluminary._errors import (
    APIConnectionError,
    APITimeoutError,
    ContextLengthExceededError,
    MalformedResponseError,
    ServerError,
)
from lluminary._streaming import accumulate
from lluminary._types import (
    Citation,
    CitationEvent,
    Finish,
    ReasoningDelta,
    ReasoningPart,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
    UsageEvent,
)
from lluminary_testing import Fault, Reply, ToolCallSpec, sse
from lluminary_testing.cohere_server import CohereScenario

START = {
    "id": "4f2c",
    "type": "message-start",
    "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}},
}
END_USAGE = {
    "billed_units": {"input_tokens": 119, "output_tokens": 44},
    "tokens": {"input_tokens": 1549, "output_tokens": 95},
    "cached_tokens": 1504,
}


def frames(*events: dict[str, Any], done: bool = False) -> list[bytes]:
    return sse(((e.get("type"), e) for e in events), done=done)


def stream_reply(chunks: list[bytes], fault: Fault | None = None, content_type: str = "text/event-stream") -> Reply:
    return Reply(200, {"content-type": content_type}, chunks, stream=True, fault=fault)


def text_block(index: int, *pieces: str, kind: str = "text") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"type": "content-start", "index": index, "delta": {"message": {"content": {"type": kind, kind: ""}}}}
    ]
    out += [{"type": "content-delta", "index": index, "delta": {"message": {"content": {kind: p}}}} for p in pieces]
    out.append({"type": "content-end", "index": index})
    return out


def end(reason: str = "COMPLETE", usage: Any = END_USAGE, **extra: Any) -> dict[str, Any]:
    delta: dict[str, Any] = {"finish_reason": reason, "usage": usage, **extra}
    return {"type": "message-end", "delta": delta}


def call_start(index: int, call_id: str, name: str, arguments: str = "") -> dict[str, Any]:
    tool = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    return {"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": tool}}}


def call_delta(index: int, fragment: str) -> dict[str, Any]:
    return {
        "type": "tool-call-delta",
        "index": index,
        "delta": {"message": {"tool_calls": {"function": {"arguments": fragment}}}},
    }


def plan(piece: str) -> dict[str, Any]:
    return {"type": "tool-plan-delta", "delta": {"message": {"tool_plan": piece}}}


async def events_of(provider: Any, request: Any) -> list[Any]:
    return [event async for event in provider.stream(request)]


# --------------------------------------------------------------------------- real-world streams


@pytest.mark.asyncio
async def test_tool_plan_and_parallel_calls(fake_cohere: Any, provider: Any, chat: Any) -> None:
    """The shape of a recorded Command A tool-use stream: plan deltas, two calls, cached usage."""
    chunks = frames(
        START,
        plan("I will"),
        plan(" check."),
        call_start(0, "weather_e8p4", "weather"),
        call_delta(0, '{"'),
        call_delta(0, 'location": "SF"}'),
        {"type": "tool-call-end", "index": 0},
        call_start(1, "attractions_py", "cityAttractions"),
        call_delta(1, '{"city": "SF"}'),
        {"type": "tool-call-end", "index": 1},
        end("TOOL_CALL"),
    )
    fake_cohere.script(stream_reply(chunks))
    events = await events_of(provider, chat())
    assert events == [
        ReasoningDelta("I will"),
        ReasoningDelta(" check."),
        ToolCallStart(0, "weather_e8p4", "weather"),
        ToolCallDelta(0, '{"'),
        ToolCallDelta(0, 'location": "SF"}'),
        ToolCallEnd(0, ToolCallPart("weather_e8p4", "weather", {"location": "SF"})),
        ToolCallStart(1, "attractions_py", "cityAttractions"),
        ToolCallDelta(1, '{"city": "SF"}'),
        ToolCallEnd(1, ToolCallPart("attractions_py", "cityAttractions", {"city": "SF"})),
        # billed_units price the call; cached_tokens (counted over the templated prompt) is capped
        UsageEvent(Usage(input_tokens=119, output_tokens=44, cache_read_tokens=119)),
        Finish("tool_calls", "TOOL_CALL", "command-a-03-2025", "4f2c"),
    ]
    usage = next(e.usage for e in events if isinstance(e, UsageEvent))
    assert usage.details == END_USAGE  # the raw counts, template included, stay visible


@pytest.mark.asyncio
async def test_thinking_then_text(fake_cohere: Any, provider: Any, chat: Any) -> None:
    chunks = frames(START, *text_block(0, "The", " user", kind="thinking"), *text_block(1, "2 + 2", " = 4"), end())
    fake_cohere.script(stream_reply(chunks))
    response = await accumulate(provider.stream(chat()), "cohere")
    assert response.message.content == (ReasoningPart("The user", provider="cohere"), TextPart("2 + 2 = 4"))
    assert response.reasoning == "The user"


@pytest.mark.asyncio
async def test_citations(fake_cohere: Any, provider: Any, chat: Any) -> None:
    source = {
        "type": "document",
        "id": "doc:0",
        "document": {"id": "doc:0", "text": "AI: 1. Automation", "title": "b.txt"},
    }
    cited = {"start": 21, "end": 40, "text": "automation of tasks", "sources": [source], "type": "TEXT_CONTENT"}
    chunks = frames(
        START,
        *text_block(0, "The key benefits are ", "automation of tasks."),
        {"type": "citation-start", "index": 0, "delta": {"message": {"citations": cited}}},
        {"type": "citation-end", "index": 0},
        end(),
    )
    fake_cohere.script(stream_reply(chunks))
    events = await events_of(provider, chat())
    citation = Citation("automation of tasks", 21, 40, (source,))
    assert CitationEvent(citation) in events
    response = await accumulate(_replay(events), "cohere")
    assert response.citations == (citation,)


async def _replay(events: list[Any]) -> Any:
    for event in events:
        yield event


@pytest.mark.asyncio
async def test_done_line_debug_unknown_events_and_padding(fake_cohere: Any, provider: Any, chat: Any) -> None:
    chunks = frames(
        {**START, "padding": "x" * 50},
        {"type": "debug", "prompt": "<|START_OF_TURN_TOKEN|>"},
        {"type": "brand-new-event", "delta": {"whatever": [1, 2]}},
        *text_block(0, "", "Hel", "", "lo"),
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {}}}},
        {"type": "content-delta", "index": 0},  # a known type without its fields
        end(usage={"billed_units": {"input_tokens": 3, "output_tokens": 2}}, x_new=True),
        done=True,
    )
    fake_cohere.script(stream_reply(chunks))
    events = await events_of(provider, chat())
    assert events == [
        TextDelta("Hel"),
        TextDelta("lo"),
        UsageEvent(Usage(3, 2)),
        Finish("stop", "COMPLETE", "command-a-03-2025", "4f2c"),
    ]


@pytest.mark.asyncio
async def test_event_name_without_type_in_data(fake_cohere: Any, provider: Any, chat: Any) -> None:
    raw = (
        b'event: content-delta\r\ndata:{"index":0,"delta":{"message":{"content":{"text":"crlf"}}}}\r\n\r\n'
        b": keep-alive comment\n\n"
        b'event: message-end\ndata: {"delta":{"finish_reason":"MAX_TOKENS"}}\n\n'
    )
    fake_cohere.script(stream_reply([raw], Fault(rechunk=1)))
    events = await events_of(provider, chat())
    assert events == [TextDelta("crlf"), UsageEvent(Usage()), Finish("length", "MAX_TOKENS", "command-a-03-2025", None)]


@pytest.mark.asyncio
async def test_tool_call_oddities(fake_cohere: Any, provider: Any, chat: Any) -> None:
    """Arguments begun inside the start, a start sent as a one-item list, a repeated start, a
    call that never gets its end, ``null`` arguments, indexes that do not start at 0."""
    listed = call_start(5, "c2", "get_time")
    listed["delta"]["message"]["tool_calls"] = [listed["delta"]["message"]["tool_calls"]]
    chunks = frames(
        START,
        call_start(3, "c1", "get_weather", '{"city"'),
        call_start(3, "c1", "get_weather"),  # repeated
        call_delta(3, ': "Oslo"}'),
        {"type": "tool-call-end", "index": 3},
        {"type": "tool-call-end", "index": 3},  # repeated
        listed,
        call_delta(5, "null"),
        call_start(6, "c3", "get_weather"),
        call_delta(6, '{"city": "Rome"}'),  # no end: closed by message-end
        end("TOOL_CALL"),
    )
    fake_cohere.script(stream_reply(chunks))
    events = await events_of(provider, chat())
    assert [e for e in events if isinstance(e, (ToolCallStart, ToolCallEnd))] == [
        ToolCallStart(0, "c1", "get_weather"),
        ToolCallEnd(0, ToolCallPart("c1", "get_weather", {"city": "Oslo"})),
        ToolCallStart(1, "c2", "get_time"),
        ToolCallEnd(1, ToolCallPart("c2", "get_time", {})),
        ToolCallStart(2, "c3", "get_weather"),
        ToolCallEnd(2, ToolCallPart("c3", "get_weather", {"city": "Rome"})),
    ]
    assert "".join(e.arguments for e in events if isinstance(e, ToolCallDelta) and e.index == 0) == '{"city": "Oslo"}'
    assert isinstance(events[-1], Finish)
    assert events[-1].reason == "tool_calls"


@pytest.mark.asyncio
async def test_delta_without_start_is_kept(fake_cohere: Any, provider: Any, chat: Any) -> None:
    chunks = frames(START, call_delta(0, '{"a": 1}'), {"type": "tool-call-end", "index": 0}, end("TOOL_CALL"))
    fake_cohere.script(stream_reply(chunks))
    response = await accumulate(provider.stream(chat()), "cohere")
    assert response.tool_calls == (ToolCallPart("", "", {"a": 1}),)


@pytest.mark.asyncio
async def test_invalid_tool_arguments_raise(fake_cohere: Any, provider: Any, chat: Any) -> None:
    chunks = frames(
        START,
        call_start(0, "c1", "f"),
        call_delta(0, '{"a": '),
        {"type": "tool-call-end", "index": 0},
        end("TOOL_CALL"),
    )
    fake_cohere.script(stream_reply(chunks))
    with pytest.raises(MalformedResponseError) as info:
        await events_of(provider, chat())
    assert getattr(info.value, "raw_arguments", None) == '{"a": '


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("message", "finish", "expected"),
    [
        ("internal error while generating", "ERROR", ServerError),
        ("too many tokens: prompt exceeds 128000", "ERROR", ContextLengthExceededError),
        ("generation took too long", "TIMEOUT", APITimeoutError),
    ],
)
async def test_error_in_message_end(
    fake_cohere: Any, provider: Any, chat: Any, message: str, finish: str, expected: type[Exception]
) -> None:
    chunks = frames(START, *text_block(0, "Partial"), end(finish, error=message))
    fake_cohere.script(stream_reply(chunks))
    seen: list[Any] = []
    with pytest.raises(expected) as info:
        await _collect(provider.stream(chat()), seen)
    assert message in str(info.value)
    assert seen == [TextDelta("Partial")]


async def _collect(stream: Any, into: list[Any]) -> None:
    async for event in stream:
        into.append(event)  # noqa: PERF401 - what arrived before the error is the point


@pytest.mark.asyncio
async def test_error_finish_without_message_is_a_finish(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(stream_reply(frames(START, end("ERROR"))))
    events = await events_of(provider, chat())
    assert events[-1] == Finish("error", "ERROR", "command-a-03-2025", "4f2c")


@pytest.mark.asyncio
async def test_frames_after_message_end_are_ignored(fake_cohere: Any, provider: Any, chat: Any) -> None:
    chunks = frames(START, *text_block(0, "a"), end(), *text_block(1, "late"))
    fake_cohere.script(stream_reply(chunks))
    events = await events_of(provider, chat())
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("a")]
    assert isinstance(events[-1], Finish)


@pytest.mark.asyncio
async def test_newline_delimited_frames(fake_cohere: Any, provider: Any, chat: Any) -> None:
    lines = [json.dumps(e).encode() + b"\n" for e in (START, *text_block(0, "nd", "json"), end())]
    fake_cohere.script(stream_reply(lines, Fault(rechunk=7), content_type="application/stream+json"))
    response = await accumulate(provider.stream(chat()), "cohere")
    assert response.text == "ndjson"


@pytest.mark.asyncio
async def test_whole_json_answer_to_a_stream_request(fake_cohere: Any, provider: Any, chat: Any) -> None:
    body = {
        "id": "whole",
        "message": {"role": "assistant", "content": [{"type": "text", "text": "buffered"}]},
        "finish_reason": "COMPLETE",
    }
    fake_cohere.script(Reply.json(body))
    events = await events_of(provider, chat())
    assert events == [
        TextDelta("buffered"),
        UsageEvent(Usage()),
        Finish("stop", "COMPLETE", "command-a-03-2025", "whole"),
    ]


# --------------------------------------------------------------------------- broken streams


@pytest.mark.asyncio
async def test_invalid_json_frame(fake_cohere: Any, provider: Any, chat: Any) -> None:
    chunks = [*frames(START), b'event: content-delta\ndata: {"type": "content-delta",\n\n', *frames(end())]
    fake_cohere.script(stream_reply(chunks))
    with pytest.raises(MalformedResponseError):
        await events_of(provider, chat())


@pytest.mark.asyncio
async def test_invalid_utf8_in_sse_is_replaced(fake_cohere: Any, provider: Any, chat: Any) -> None:
    """The event-stream format decodes a bad byte as U+FFFD rather than failing."""
    bad = b'data: {"type": "content-delta", "delta": {"message": {"content": {"text": "a\xffb"}}}}\n\n'
    fake_cohere.script(stream_reply([*frames(START), bad, *frames(end())]))
    events = await events_of(provider, chat())
    assert events[0] == TextDelta("a\ufffdb")


@pytest.mark.asyncio
@pytest.mark.parametrize("content_type", ["application/stream+json", "application/json"], ids=["stream", "replayed"])
async def test_invalid_utf8_in_ndjson(fake_cohere: Any, provider: Any, chat: Any, content_type: str) -> None:
    """The shared line decoder raises the typed error itself (the provider no longer catches
    UnicodeDecodeError): streamed lines, and lines a proxy sent as one application/json body."""
    lines = [json.dumps(START).encode() + b"\n", b'{"type": "content-delta", "x": "\xff"}\n', b"{}\n"]
    fake_cohere.script(stream_reply(lines, content_type=content_type))
    with pytest.raises(MalformedResponseError, match="not valid UTF-8") as info:
        await events_of(provider, chat())
    assert info.value.provider == "cohere"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "fault", [Fault(end_after=3), Fault(truncate_after=3), Fault(reset_after=3)], ids=["end", "truncate", "reset"]
)
async def test_cut_streams_raise_connection_errors(fake_cohere: Any, provider: Any, chat: Any, fault: Fault) -> None:
    chunks = frames(START, *text_block(0, "a", "b", "c"), end())
    fake_cohere.script(stream_reply(chunks, fault))
    with pytest.raises(APIConnectionError):
        await events_of(provider, chat())


@pytest.mark.asyncio
async def test_last_event_without_its_blank_line(fake_cohere: Any, provider: Any, chat: Any) -> None:
    chunks = frames(START, *text_block(0, "a"))
    chunks.append(b'event: message-end\ndata: {"type": "message-end", "delta": {"finish_reason": "COMPLETE"}}\n')
    fake_cohere.script(stream_reply(chunks))
    with pytest.raises(APIConnectionError, match="middle of an event"):
        await events_of(provider, chat())


@pytest.mark.asyncio
async def test_empty_stream(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(stream_reply([b"\n\n"]))
    with pytest.raises(APIConnectionError, match="message-end"):
        await events_of(provider, chat())


@pytest.mark.asyncio
async def test_slow_headers_time_out(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(stream_reply(frames(START, end()), Fault(delay_headers=2.0)))
    with pytest.raises(APITimeoutError):
        await events_of(provider, chat(timeout=0.2))


# --------------------------------------------------------------------------- generate == stream


CITED = {
    "start": 4,
    "end": 9,
    "text": "Paris",
    "sources": [{"type": "tool", "id": "t:0", "tool_output": {"city": "Paris"}}],
    "type": "TEXT_CONTENT",
}

SCENARIOS = {
    "tool_plan": CohereScenario(
        reasoning=["I will ", "look."],
        tool_calls=[ToolCallSpec("c1", "get_weather", '{"city": "Oslo"}', ('{"ci', 'ty": "Oslo"}'))],
    ),
    "thinking": CohereScenario(reasoning=["Think", "ing"], text=["An", "swer"]),
    "thinking_with_tools": CohereScenario(
        reasoning="Think.", reasoning_as="thinking", tool_calls=[ToolCallSpec("c1", "get_time", "")]
    ),
    "text_plan_and_tools": CohereScenario(
        text="Let me see.",
        reasoning="Plan.",
        tool_calls=[ToolCallSpec("c1", "get_time", "{}")],
        arguments_in_start=True,
    ),
    "citations": CohereScenario(text=["In ", "Paris it is sunny."], citations=[CITED]),
    "cached_usage": CohereScenario(text="ok", usage=Usage(input_tokens=500, output_tokens=5, cache_read_tokens=448)),
    "stop_sequence": CohereScenario(text="one", stop_sequence="two"),
    "length": CohereScenario(text="cut", finish="length"),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("case", sorted(SCENARIOS))
async def test_stream_equals_generate(fake_cohere: Any, provider: Any, chat: Any, case: str) -> None:
    scenario = SCENARIOS[case]
    fake_cohere.script(scenario, scenario)
    request = chat()
    generated = await provider.generate(request)
    streamed = await accumulate(provider.stream(request), "cohere")
    assert streamed == generated
    assert generated.id == scenario.id


@pytest.mark.asyncio
async def test_plan_and_citation_details(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(SCENARIOS["tool_plan"], SCENARIOS["citations"])
    planned = await provider.generate(chat())
    assert planned.message.content == (
        ReasoningPart("I will look.", provider="cohere"),
        ToolCallPart("c1", "get_weather", {"city": "Oslo"}),
    )
    assert planned.finish_reason == "tool_calls"
    assert planned.raw_finish_reason == "TOOL_CALL"
    cited = await provider.generate(chat())
    assert cited.citations == (Citation("Paris", 4, 9, tuple(CITED["sources"])),)  # type: ignore[arg-type]
    assert cited.usage == Usage(12, 7)
