"""Chat Completions streams as real servers send them, odd ones included."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary.sdk import (
    APIConnectionError,
    DataFrameDecoder,
    Finish,
    MalformedResponseError,
    RateLimitError,
    ReasoningDelta,
    ReasoningPart,
    ServerError,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
    UsageEvent,
)
from lluminary_openai.chat_stream import ChatStreamParser
from lluminary_testing import Fault

USAGE = {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}


def tool(
    index: int | None, call_id: str | None = None, name: str | None = None, arguments: str | None = None
) -> dict[str, Any]:
    fragment: dict[str, Any] = {} if index is None else {"index": index}
    if call_id is not None:
        fragment["id"] = call_id
        fragment["type"] = "function"
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    if function:
        fragment["function"] = function
    return fragment


async def run(harness: Any, objects: list[Any], **kwargs: Any) -> tuple[list[Any], Any]:
    harness.server.script(harness.sse_reply(objects, **kwargs))
    events, response = await harness.stream("Hi")
    return events, response


async def test_repeated_ids_and_names_on_later_fragments(harness: Any) -> None:
    c = harness.chunk
    events, response = await run(
        harness,
        [
            c({"role": "assistant", "content": None, "tool_calls": [tool(0, "call_1", "get_weather", "")]}),
            c({"tool_calls": [tool(0, "call_1", "get_weather", '{"city"')]}),
            c({"tool_calls": [tool(0, "call_1", None, ': "Oslo"}')]}),
            c({}, "tool_calls"),
            c(choices=[], usage=USAGE),
        ],
    )
    assert [e for e in events if isinstance(e, ToolCallStart)] == [ToolCallStart(0, "call_1", "get_weather")]
    assert [e.arguments for e in events if isinstance(e, ToolCallDelta)] == ['{"city"', ': "Oslo"}']
    assert response.tool_calls == (ToolCallPart("call_1", "get_weather", {"city": "Oslo"}),)
    assert response.usage == Usage(10, 4)


async def test_empty_content_deltas_unknown_fields_and_empty_choices(harness: Any) -> None:
    c = harness.chunk
    events, response = await run(
        harness,
        [
            {
                "id": "x",
                "object": "chat.completion.chunk",
                "choices": [],
                "prompt_filter_results": [{"prompt_index": 0}],
            },
            c({"role": "assistant", "content": ""}, x_new_field={"a": 1}),
            c({"content": ""}),
            c({"content": "Hel", "x_delta_extra": 1}),
            c({}),
            c({"content": "lo"}),
            c({"content": None}, "stop"),
            c(choices=[], usage=USAGE, obfuscation="abc"),
        ],
    )
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo"]
    assert response.message.content == (TextPart("Hello"),)
    assert isinstance(events[-1], Finish)
    assert events[-1].reason == "stop"


async def test_parallel_calls_interleaved_by_index(harness: Any) -> None:
    c = harness.chunk
    events, response = await run(
        harness,
        [
            c({"tool_calls": [tool(0, "call_a", "get_weather", ""), tool(1, "call_b", "get_time", "")]}),
            c({"tool_calls": [tool(1, arguments="{}")]}),
            c({"tool_calls": [tool(0, arguments='{"city": "Rome"}')]}),
            c({}, "tool_calls"),
        ],
    )
    ends = [e for e in events if isinstance(e, ToolCallEnd)]
    assert [e.index for e in ends] == [0, 1]
    assert response.tool_calls == (
        ToolCallPart("call_a", "get_weather", {"city": "Rome"}),
        ToolCallPart("call_b", "get_time", {}),
    )


async def test_calls_without_index_and_reused_index(harness: Any) -> None:
    c = harness.chunk
    _, response = await run(
        harness,
        [
            # no index at all (some servers), whole call in one fragment
            c({"tool_calls": [tool(None, "call_x", "get_time", "{}")]}),
            # a second call that reuses index 0 with a new id (seen from some Gemini-compatible proxies)
            c({"tool_calls": [tool(0, "call_y", "get_weather", '{"city": "Lima"}')]}),
            c({"tool_calls": [tool(0, "call_z", "get_weather", "")]}),
            c({"tool_calls": [tool(0, arguments='{"city": "Quito"}')]}),
            c({}, "tool_calls"),
        ],
    )
    assert [(p.id, p.arguments) for p in response.tool_calls] == [
        ("call_x", {}),
        ("call_y", {"city": "Lima"}),
        ("call_z", {"city": "Quito"}),
    ]


async def test_name_arriving_after_arguments_and_missing_id(harness: Any) -> None:
    c = harness.chunk
    events, response = await run(
        harness,
        [
            c({"tool_calls": [tool(0, arguments='{"a": ')]}),
            c({"tool_calls": [tool(0, name="f", arguments="1}")]}),
            c({}, "tool_calls"),
        ],
    )
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    assert starts == [ToolCallStart(0, "call_0", "f")]
    assert response.tool_calls == (ToolCallPart("call_0", "f", {"a": 1}),)


async def test_end_emitted_at_end_of_stream_without_finish_reason(harness: Any) -> None:
    c = harness.chunk
    events, response = await run(harness, [c({"tool_calls": [tool(0, "call_1", "f", "{}")]})])
    assert isinstance(events[-2], ToolCallEnd)
    assert isinstance(events[-1], Finish)
    assert response.finish_reason == "tool_calls"


async def test_reasoning_content_and_usage_in_x_groq(harness: Any) -> None:
    c = harness.chunk
    harness.provider.dialect = harness.provider.dialect.__class__(reasoning_fields=("reasoning_content",))
    events, response = await run(
        harness,
        [
            c({"role": "assistant", "reasoning_content": "Think"}),
            c({"reasoning_content": "ing"}),
            c({"content": "Answer"}),
            c({}, "stop", x_groq={"id": "g", "usage": USAGE}),
        ],
        done=False,
    )
    assert [e.text for e in events if isinstance(e, ReasoningDelta)] == ["Think", "ing"]
    assert response.message.content == (ReasoningPart("Thinking", provider="openai"), TextPart("Answer"))
    assert any(isinstance(e, UsageEvent) for e in events)


async def test_refusal_stream(harness: Any) -> None:
    c = harness.chunk
    _, response = await run(
        harness, [c({"role": "assistant", "content": None, "refusal": ""}), c({"refusal": "No."}), c({}, "stop")]
    )
    assert response.text == "No."
    assert response.finish_reason == "content_filter"


async def test_crlf_framing_and_comments(harness: Any) -> None:
    c = harness.chunk
    _, response = await run(harness, [": keep-alive", c({"content": "a"}), c({"content": "b"}, "stop")], crlf=True)
    assert response.text == "ab"


@pytest.mark.parametrize("size", [1, 2, 5, 13])
async def test_any_split_of_the_body(harness: Any, size: int) -> None:
    c = harness.chunk
    objects = [
        c({"content": "Grüße 東京 🎉"}),
        c({"tool_calls": [tool(0, "k", "f", '{"s": "\\u00e9\\"x"}')]}),
        c({}, "tool_calls"),
    ]
    _, response = await run(harness, objects, fault=Fault(rechunk=size))
    assert response.text == "Grüße 東京 🎉"
    assert response.tool_calls == (ToolCallPart("k", "f", {"s": 'é"x'}),)


async def test_body_ending_without_finish_or_done_is_a_connection_error(harness: Any) -> None:
    with pytest.raises(APIConnectionError, match="ended before"):
        await run(harness, [harness.chunk({"content": "partial"})], done=False)


async def test_done_without_finish_reason_is_a_stop(harness: Any) -> None:
    _events, response = await run(harness, [harness.chunk({"content": "ok"})])
    assert response.finish_reason == "stop"
    assert response.raw_finish_reason is None


async def test_error_frames(harness: Any) -> None:
    c = harness.chunk
    error = {
        "error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded", "param": None}
    }
    with pytest.raises(RateLimitError) as info:
        await run(harness, [c({"content": "a"}), error], done=False)
    assert info.value.request_id == "req_raw_1"
    with pytest.raises(ServerError, match="overloaded"):
        await run(harness, [{"error": {"message": "overloaded", "type": "server_error"}}], done=False)


async def test_frames_that_are_not_json_objects(harness: Any) -> None:
    with pytest.raises(MalformedResponseError):
        await run(harness, [harness.chunk({"content": "a"}), "[1, 2]"])
    with pytest.raises(MalformedResponseError):
        await run(harness, ["{not json"])


async def test_invalid_tool_arguments_keep_the_raw_text(harness: Any) -> None:
    c = harness.chunk
    with pytest.raises(MalformedResponseError) as info:
        await run(harness, [c({"tool_calls": [tool(0, "k", "f", '{"a": tru')]}), c({}, "tool_calls")])
    assert info.value.raw_arguments == '{"a": tru'  # type: ignore[attr-defined]


def test_parser_fast_path_yields_one_text_delta() -> None:
    parser = ChatStreamParser("openai")
    first = {
        "id": "c",
        "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}],
        "usage": None,
    }
    assert list(parser.feed(first)) == []
    piece = {
        "id": "c",
        "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": None}],
        "usage": None,
        "obfuscation": "q",
    }
    assert list(parser.feed(piece)) == [TextDelta("x")]
    parser.done = True
    assert list(parser.close()) == [Finish("stop", None, "m", "c")]


def test_frame_decoder_fast_path_and_fallback() -> None:
    # The SDK's decoder behind ``answer.sse_data()``, fed the frames OpenAI and its peers send.
    decoder = DataFrameDecoder()
    assert decoder.feed(b'data: {"a": 1}\n\n') == ['{"a": 1}']
    assert decoder.feed(b'data: {"b"') == []  # split frame: the full decoder takes over
    assert decoder.feed(b": 2}\n\n") == ['{"b": 2}']
    assert decoder.feed(b'data: {"c": 3}\n\n') == ['{"c": 3}']  # clean again
    assert decoder.feed(b'event: x\ndata: {"d": 4}\n\ndata: [DONE]\n\n') == ['{"d": 4}', "[DONE]"]
    assert decoder.feed(b'data: {"e": 5}\r\n\r\n') == ['{"e": 5}']
    assert decoder.feed(b'data: {"f":\ndata: 6}\n\n') == ['{"f":\n6}']
    assert decoder.feed(b'data: {"g": "\xc3') == []
    assert decoder.feed(b'\xa9"}\n\n') == ['{"g": "\u00e9"}']
    assert not decoder.flush()
    decoder.feed(b'data: {"h"')
    assert decoder.flush()


def test_frame_decoder_named_events() -> None:
    decoder = DataFrameDecoder()
    assert decoder.feed(b'event: response.output_text.delta\ndata: {"x": 1}\n\n') == ['{"x": 1}']
    assert decoder.feed(b"event: ping\n\n") == []
    assert decoder.feed(b'event: a\nid: 7\ndata: {"y": 2}\n\n') == ['{"y": 2}']
