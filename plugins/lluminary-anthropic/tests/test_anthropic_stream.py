"""Streams as the real API sends them, odd ones included, and their equivalence with generate."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from lluminary._errors import (
    APIConnectionError,
    MalformedResponseError,
    OverloadedError,
    RateLimitError,
)
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
from lluminary_testing import ErrorScenario, Fault, Scenario, ToolCallSpec

MESSAGE: dict[str, Any] = {
    "id": "msg_raw_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-5-5",
    "content": [],
    "stop_reason": None,
    "stop_sequence": None,
    "usage": {"input_tokens": 20, "cache_creation_input_tokens": 3, "cache_read_input_tokens": 5, "output_tokens": 1},
}


def start(message: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    return "message_start", {"type": "message_start", "message": message or MESSAGE}


def block_start(index: int, block: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "content_block_start", {"type": "content_block_start", "index": index, "content_block": block}


def delta(index: int, value: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "content_block_delta", {"type": "content_block_delta", "index": index, "delta": value}


def text(index: int, value: str) -> tuple[str, dict[str, Any]]:
    return delta(index, {"type": "text_delta", "text": value})


def block_stop(index: int) -> tuple[str, dict[str, Any]]:
    return "content_block_stop", {"type": "content_block_stop", "index": index}


def message_delta(stop_reason: str = "end_turn", usage: dict[str, Any] | None = None, **extra: Any) -> Any:
    data = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": extra.get("stop_sequence")},
        "usage": usage or {"output_tokens": 9},
    }
    return "message_delta", data


STOP = ("message_stop", {"type": "message_stop"})
PING = ("ping", {"type": "ping"})


async def test_stream_events_and_equivalence_with_thinking_text_and_tools(harness: Any) -> None:
    scenario = Scenario(
        reasoning=["Think", "ing..."],
        signature="sig==",
        text=["Let me ", "check."],
        tool_calls=[
            ToolCallSpec("toolu_a", "get_weather", '{"city": "Oslo"}', ('{"ci', 'ty": "Oslo"}')),
            ToolCallSpec("toolu_b", "get_time", ""),
        ],
        usage=Usage(100, 40, 60, 10, 25),
    )
    harness.server.script(scenario, scenario)
    events, streamed = await harness.stream("Go")
    generated = await harness.generate("Go")
    assert streamed == generated
    assert events == [
        ReasoningDelta("Think"),
        ReasoningDelta("ing..."),
        ReasoningDelta("", "sig=="),
        TextDelta("Let me "),
        TextDelta("check."),
        ToolCallStart(0, "toolu_a", "get_weather"),  # content block 2: the first tool call
        ToolCallDelta(0, '{"ci'),  # the empty first partial_json is not forwarded
        ToolCallDelta(0, 'ty": "Oslo"}'),
        ToolCallEnd(0, ToolCallPart("toolu_a", "get_weather", {"city": "Oslo"})),
        ToolCallStart(1, "toolu_b", "get_time"),
        ToolCallEnd(1, ToolCallPart("toolu_b", "get_time", {})),
        UsageEvent(Usage(100, 40, 60, 10, 25)),
        Finish("tool_calls", "tool_use", "fake-model-1", "resp_fake_1"),
    ]
    assert generated.message.content[0] == ReasoningPart("Thinking...", "sig==", None, "anthropic")


@pytest.mark.parametrize("streamed", [False, True])
async def test_redacted_thinking(harness: Any, streamed: bool) -> None:
    harness.server.script(Scenario(redacted_reasoning="EncRypted==", text="Answer."))
    response = (await harness.stream())[1] if streamed else await harness.generate()
    assert response.message.content == (
        ReasoningPart("", None, "EncRypted==", "anthropic"),
        TextPart("Answer."),
    )


@pytest.mark.parametrize("rechunk", [1, 2, 3, 4, 5, 6, 7])
async def test_body_split_anywhere(harness: Any, rechunk: int) -> None:
    scenario = Scenario(
        reasoning="Überlegung 🤔",
        signature="c2ln",
        text=["Grüße aus 東京 ", "🎉"],
        tool_calls=[ToolCallSpec("toolu_u", "get_weather", '{"city": "Zürich 東京"}', ('{"city": "Zü', 'rich 東京"}'))],
        fault=Fault(rechunk=rechunk),
    )
    harness.server.script(scenario, attrs.evolve(scenario, fault=None))
    _, streamed = await harness.stream()
    assert streamed == await harness.generate()
    assert streamed.text == "Grüße aus 東京 🎉"
    assert streamed.tool_calls[0].arguments == {"city": "Zürich 東京"}


async def test_pings_anywhere_and_events_named_only_in_data(harness: Any) -> None:
    frames = [
        PING,
        start(),
        PING,
        block_start(0, {"type": "text", "text": ""}),
        PING,
        text(0, "a"),
        PING,
        (None, {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "b"}}),
        block_stop(0),
        PING,
        message_delta(),
        PING,
        STOP,
    ]
    harness.server.script(harness.sse_reply(frames))
    events, response = await harness.stream()
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("a"), TextDelta("b")]
    assert response.text == "ab"
    assert response.usage == Usage(28, 9, 5, 3, 0)
    assert response.id == "msg_raw_1"
    assert response.model == "claude-sonnet-5-5"


async def test_unknown_events_fields_blocks_and_deltas_are_ignored(harness: Any) -> None:
    frames = [
        ("future_event", {"type": "future_event", "x": 1}),
        start({**MESSAGE, "brand_new": {"a": 1}}),
        block_start(0, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}),
        delta(0, {"type": "input_json_delta", "partial_json": '{"query": "x"}'}),
        block_stop(0),
        block_start(1, {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}),
        block_stop(1),
        block_start(2, {"type": "text", "text": "", "extra": True}),
        delta(2, {"type": "brand_new_delta", "blob": "?"}),
        text(2, "Found it."),
        block_stop(2),
        ("message_annotation", {"type": "message_annotation"}),
        message_delta(extra_field=1),
        STOP,
        ("after_the_end", {"type": "text_delta"}),
    ]
    harness.server.script(harness.sse_reply(frames))
    events, response = await harness.stream()
    assert response.message.content == (TextPart("Found it."),)
    assert not any(isinstance(e, ToolCallStart) for e in events)
    assert isinstance(events[-1], Finish)


async def test_a_stream_cut_before_message_stop_is_an_error(harness: Any) -> None:
    frames = [start(), block_start(0, {"type": "text", "text": ""}), text(0, "partial"), block_stop(0), message_delta()]
    harness.server.script(harness.sse_reply(frames))
    with pytest.raises(APIConnectionError, match="before message_stop"):
        await harness.stream()


async def test_an_empty_body_is_an_error(harness: Any) -> None:
    harness.server.script(harness.sse_reply([]))
    with pytest.raises(APIConnectionError, match="before any event"):
        await harness.stream()


async def test_end_after_fault_is_an_error(harness: Any) -> None:
    harness.server.script(Scenario(text=["a", "b", "c", "d"], fault=Fault(end_after=5)))
    with pytest.raises(APIConnectionError):
        await harness.stream()


async def test_no_message_delta_still_reports_usage(harness: Any) -> None:
    frames = [start(), block_start(0, {"type": "text", "text": ""}), text(0, "hi"), block_stop(0), STOP]
    harness.server.script(harness.sse_reply(frames))
    events, response = await harness.stream()
    assert events[-2:] == [UsageEvent(Usage(28, 1, 5, 3)), Finish("other", None, "claude-sonnet-5-5", "msg_raw_1")]
    assert response.finish_reason == "other"


async def test_message_delta_usage_is_cumulative_and_may_restate_input(harness: Any) -> None:
    final = {
        "input_tokens": 30,
        "cache_read_input_tokens": 5,
        "output_tokens": 50,
        "output_tokens_details": {"thinking_tokens": 20},
    }
    frames = [start(), message_delta(usage={"output_tokens": 10}), message_delta(usage=final), STOP]
    harness.server.script(harness.sse_reply(frames))
    events, response = await harness.stream()
    usages = [e.usage for e in events if isinstance(e, UsageEvent)]
    assert usages == [Usage(28, 10, 5, 3), Usage(38, 50, 5, 3, 20)]
    assert response.usage == Usage(38, 50, 5, 3, 20)


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "other"),
        ("something_new", "other"),
    ],
)
async def test_stop_reasons(harness: Any, stop_reason: str, finish: str) -> None:
    frames = [
        start(),
        message_delta(stop_reason, stop_sequence="END" if stop_reason == "stop_sequence" else None),
        STOP,
    ]
    harness.server.script(harness.sse_reply(frames))
    _, response = await harness.stream()
    assert (response.finish_reason, response.raw_finish_reason) == (finish, stop_reason)
    message = {**MESSAGE, "content": [], "stop_reason": stop_reason, "usage": MESSAGE["usage"]}
    harness.server.script(harness.json_reply(message))
    generated = await harness.generate()
    assert (generated.finish_reason, generated.raw_finish_reason) == (finish, stop_reason)


async def test_stop_sequence_scenario(harness: Any) -> None:
    harness.server.script(Scenario(text="one, two", stop_sequence="three"))
    _, response = await harness.stream(stop=["three"])
    assert (response.finish_reason, response.raw_finish_reason) == ("stop", "stop_sequence")


async def test_citations_stream_and_generate_agree(harness: Any) -> None:
    citation = {
        "type": "char_location",
        "cited_text": "The grass is green.",
        "document_index": 0,
        "document_title": "Facts",
        "start_char_index": 0,
        "end_char_index": 20,
    }
    frames = [
        start(),
        block_start(0, {"type": "text", "text": ""}),
        text(0, "According to the document, "),
        block_stop(0),
        block_start(1, {"type": "text", "text": "", "citations": []}),
        delta(1, {"type": "citations_delta", "citation": citation}),
        text(1, "the grass "),
        text(1, "is green"),
        block_stop(1),
        block_start(2, {"type": "text", "text": ""}),
        text(2, "."),
        block_stop(2),
        message_delta(),
        STOP,
    ]
    harness.server.script(harness.sse_reply(frames))
    events, streamed = await harness.stream()
    expected = Citation("the grass is green", 27, 45, (citation,))
    assert [e for e in events if isinstance(e, CitationEvent)] == [CitationEvent(expected)]
    message = {
        **MESSAGE,
        "stop_reason": "end_turn",
        "usage": {**MESSAGE["usage"], "output_tokens": 9},
        "content": [
            {"type": "text", "text": "According to the document, "},
            {"type": "text", "text": "the grass is green", "citations": [citation]},
            {"type": "text", "text": "."},
        ],
    }
    harness.server.script(harness.json_reply(message))
    generated = await harness.generate()
    assert streamed == generated
    assert generated.text == "According to the document, the grass is green."
    assert generated.citations == (expected,)


@pytest.mark.parametrize("streamed", [False, True])
async def test_invalid_tool_arguments(harness: Any, streamed: bool) -> None:
    harness.server.script(Scenario(tool_calls=[ToolCallSpec("toolu_x", "get_weather", '{"city": "Par')]))
    call = harness.stream if streamed else harness.generate
    with pytest.raises(MalformedResponseError) as info:
        await call()
    assert "get_weather" in str(info.value)


async def test_malformed_frame(harness: Any) -> None:
    harness.server.script(harness.sse_reply([start(), ("content_block_delta", '{"type": "content_block_de')]))
    with pytest.raises(MalformedResponseError):
        await harness.stream()


async def test_in_stream_error_after_content(harness: Any) -> None:
    harness.server.script(ErrorScenario("overloaded", message="Overloaded", in_stream=True, request_id="req_s1"))
    seen: list[Any] = []

    async def drain() -> None:
        async for event in harness.provider.stream(harness.request()):
            seen.append(event)  # noqa: PERF401 - the events before the error are the point

    with pytest.raises(OverloadedError) as info:
        await drain()
    assert seen == [TextDelta("Partial answer")]
    assert info.value.message == "Overloaded"
    assert info.value.request_id == "req_s1"
    assert info.value.code == "overloaded_error"
    assert info.value.status is None  # the HTTP status was 200


async def test_in_stream_error_request_id_from_header(harness: Any) -> None:
    error = ("error", {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"}})
    harness.server.script(harness.sse_reply([start(), PING, error], headers={"request-id": "req_hdr"}))
    with pytest.raises(RateLimitError) as info:
        await harness.stream()
    assert info.value.request_id == "req_hdr"
    assert info.value.retry_after is None


async def test_crlf_line_endings(harness: Any) -> None:
    from lluminary_testing.server import Reply

    frames = [
        start(),
        block_start(0, {"type": "text", "text": ""}),
        text(0, "crlf"),
        block_stop(0),
        message_delta(),
        STOP,
    ]
    raw = "".join(f"event: {name}\r\ndata: {json.dumps(data)}\r\n\r\n" for name, data in frames).encode()
    harness.server.script(
        Reply(200, {"content-type": "text/event-stream"}, (raw,), stream=True, fault=Fault(rechunk=3))
    )
    _, response = await harness.stream()
    assert response.text == "crlf"


async def test_tool_input_sent_whole_at_block_start(harness: Any) -> None:
    """Some Anthropic-compatible proxies put the whole input in content_block_start."""
    block = {"type": "tool_use", "id": "toolu_w", "name": "get_weather", "input": {"city": "Lima"}}
    frames = [start(), block_start(0, block), block_stop(0), message_delta("tool_use"), STOP]
    harness.server.script(harness.sse_reply(frames))
    events, response = await harness.stream()
    assert response.tool_calls == (ToolCallPart("toolu_w", "get_weather", {"city": "Lima"}),)
    assert [type(e) for e in events[:2]] == [ToolCallStart, ToolCallEnd]


async def test_closing_a_stream_early_closes_the_connection(harness: Any) -> None:
    harness.server.script(Scenario(text=[f"w{i} " for i in range(200)], fault=Fault(chunk_delay=0.01)))
    stream = harness.provider.stream(harness.request())
    count = 0
    async for event in stream:
        if isinstance(event, TextDelta):
            count += 1
            if count == 2:
                break
    await stream.aclose()
    import asyncio

    for _ in range(200):
        if harness.server.closed_early:
            break
        await asyncio.sleep(0.01)
    assert harness.server.closed_early >= 1


# ---------------------------------------------------------------------- patterns seen in real traffic


async def test_message_start_that_already_holds_the_answer(harness: Any) -> None:
    """Programmatic tool calling: when code execution calls a client tool, the resumed turn can be a
    ``message_start`` whose ``content`` already holds the ``tool_use`` block (with a ``caller``) and
    whose ``stop_reason`` is set, followed directly by ``message_stop``: no block events at all."""
    message = {
        **MESSAGE,
        "content": [
            {
                "type": "tool_use",
                "id": "toolu_pre",
                "name": "lookup_order",
                "input": {"order": 42},
                "caller": {"type": "code_execution_20250825", "tool_id": "srvtoolu_run"},
            },
            {"type": "code_execution_tool_result", "tool_use_id": "srvtoolu_run", "content": {"stdout": "ok"}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 0, "output_tokens": 0},
    }
    harness.server.script(harness.sse_reply([start(message), STOP]))
    events, response = await harness.stream()
    assert events == [
        ToolCallStart(0, "toolu_pre", "lookup_order"),
        ToolCallEnd(0, ToolCallPart("toolu_pre", "lookup_order", {"order": 42})),
        UsageEvent(Usage()),
        Finish("tool_calls", "tool_use", "claude-sonnet-5-5", "msg_raw_1"),
    ]
    assert response.finish_reason == "tool_calls"


async def test_a_repeated_message_start_is_ignored(harness: Any) -> None:
    """Some relays send the same ``message_start`` twice; the second one must not reset anything."""
    frames = [
        start(),
        block_start(0, {"type": "text", "text": ""}),
        text(0, "Once"),
        start(),
        text(0, " only."),
        block_stop(0),
        message_delta(),
        STOP,
    ]
    harness.server.script(harness.sse_reply(frames))
    _, response = await harness.stream()
    assert response.text == "Once only."
    assert response.id == "msg_raw_1"


async def test_two_generations_spliced_into_one_stream_is_an_error(harness: Any) -> None:
    """A relay that retries mid-answer can splice a second message (another id) into the body while
    the first is still open: merging the two would corrupt tool calls and signed thinking."""
    tool = {"type": "tool_use", "id": "toolu_one", "name": "f", "input": {}}
    frames = [
        start(),
        block_start(0, tool),
        delta(0, {"type": "input_json_delta", "partial_json": '{"x": "hal'}),
        start({**MESSAGE, "id": "msg_raw_2"}),
        block_start(0, {**tool, "id": "toolu_two"}),
        delta(0, {"type": "input_json_delta", "partial_json": '{"x": "whole"}'}),
        block_stop(0),
        message_delta("tool_use"),
        STOP,
    ]
    harness.server.script(harness.sse_reply(frames))
    with pytest.raises(MalformedResponseError, match="msg_raw_2"):
        await harness.stream()


@pytest.mark.parametrize("streamed", [False, True])
async def test_fallback_block_names_the_model_that_answered(harness: Any, streamed: bool) -> None:
    """With a fallback model configured, a ``fallback`` block says another model took over;
    ``message_start`` still names the first one, the non-streamed message the one that answered."""
    fallback = {"type": "fallback", "from": {"model": "claude-first"}, "to": {"model": "claude-second"}}
    if streamed:
        frames = [
            start({**MESSAGE, "model": "claude-first"}),
            block_start(0, fallback),
            block_stop(0),
            block_start(1, {"type": "text", "text": ""}),
            text(1, "Answer."),
            block_stop(1),
            message_delta(),
            STOP,
        ]
        harness.server.script(harness.sse_reply(frames))
        response = (await harness.stream())[1]
    else:
        body = {
            **MESSAGE,
            "model": "claude-second",
            "content": [fallback, {"type": "text", "text": "Answer."}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 20, "output_tokens": 9},
        }
        harness.server.script(harness.json_reply(body))
        response = await harness.generate()
    assert response.model == "claude-second"
    assert response.text == "Answer."


async def test_tool_input_cut_by_max_tokens_keeps_what_was_complete(harness: Any) -> None:
    """Fine-grained tool streaming and ``max_tokens``: the tool input stops mid-string and its block
    never gets a ``content_block_stop``. The text and the complete part of the input are kept (the
    official SDK's partial parse), and the finish reason says the answer was cut."""
    tool = {"type": "tool_use", "id": "toolu_cut", "name": "write_notes", "input": {}}
    frames = [
        start(),
        block_start(0, {"type": "text", "text": ""}),
        text(0, "Writing."),
        block_stop(0),
        block_start(1, tool),
        delta(1, {"type": "input_json_delta", "partial_json": ""}),
        delta(1, {"type": "input_json_delta", "partial_json": '{"title": "Notes", "lines": ["one",'}),
        delta(1, {"type": "input_json_delta", "partial_json": ' "two", "thr'}),
        message_delta("max_tokens", {"output_tokens": 30}),
        STOP,
    ]
    harness.server.script(harness.sse_reply(frames))
    events, response = await harness.stream()
    assert response.finish_reason == "length"
    assert response.text == "Writing."
    assert response.tool_calls == (
        ToolCallPart("toolu_cut", "write_notes", {"title": "Notes", "lines": ["one", "two"]}),
    )
    assert ToolCallEnd(0, response.tool_calls[0]) in events


async def test_a_text_block_left_open_still_reports_its_citations(harness: Any) -> None:
    """A cited text block cut by ``max_tokens`` before its ``content_block_stop``."""
    source = {"type": "char_location", "cited_text": "Sky is blue.", "document_index": 0}
    frames = [
        start(),
        block_start(0, {"type": "text", "text": "", "citations": []}),
        delta(0, {"type": "citations_delta", "citation": source}),
        text(0, "The sky is"),
        message_delta("max_tokens"),
        STOP,
    ]
    harness.server.script(harness.sse_reply(frames))
    _, response = await harness.stream()
    assert response.citations == (Citation("The sky is", 0, 10, (source,)),)


async def test_padded_data_lines_and_spaced_ping(harness: Any) -> None:
    """The API pads some ``data:`` lines with trailing spaces after the JSON, and writes its ping as
    ``{"type": "ping"}`` with a space; an error event can be padded the same way."""
    from lluminary_testing.server import Reply

    lines = [
        ("message_start", json.dumps(start()[1], separators=(",", ":")) + "          "),
        ("ping", '{"type": "ping"}'),
        (
            "content_block_start",
            '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}   ',
        ),
        ("content_block_delta", json.dumps(text(0, "padded")[1]) + " "),
        ("content_block_stop", '{"type":"content_block_stop","index":0 }'),
        ("message_delta", json.dumps(message_delta()[1]) + "    "),
        ("message_stop", '{"type":"message_stop" }'),
    ]
    raw = "".join(f"event: {name}\ndata: {data}\n\n" for name, data in lines).encode()
    harness.server.script(Reply(200, {"content-type": "text/event-stream"}, (raw,), stream=True))
    _, response = await harness.stream()
    assert response.text == "padded"
    error = '{"type":"error","error":{"details":null,"type":"overloaded_error","message":"Overloaded"}              }'
    raw = f"event: message_start\ndata: {json.dumps(start()[1])}\n\nevent: error\ndata: {error}\n\n".encode()
    harness.server.script(Reply(200, {"content-type": "text/event-stream"}, (raw,), stream=True))
    with pytest.raises(OverloadedError):
        await harness.stream()
